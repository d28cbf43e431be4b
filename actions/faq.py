"""action_faq: answers every knowledge-base question (the retrieval intents of data/nlu/faq/).

The ResponseSelector names the entry (ask_installation/wall_mount_fee); the entry's answers are
read from knowledge/ at run time, so edited answers are served without retraining. The answer
is chosen by the store clock and the buyer's order status and dispatched per its style
(docs/answer-payload.md).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable, Dict, List
from zoneinfo import ZoneInfo

from actions import bootstrap
from actions.common import Context, StoreAction, apologise, offer_human, order_number_in_turn, short_name
from actions.products import resolve_product
from xiaoer.knowledge.answers import Facts, StoreTrouble, choose, messages, uses_placeholders
from xiaoer.knowledge.model import Answer, Entry, Knowledge
from xiaoer.knowledge.repository import KnowledgeRepository
from xiaoer.storeapi.client import StoreClient, StoreUnavailable
from xiaoer.storeapi.orders import current_order

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
UPDATING = "这个问题的最新答复正在更新中，小二先帮您转人工客服确认一下好吗？"
UNSURE = "小二不太确定您问的是哪一个问题，是下面这些吗？点一下就好～"
MAX_CHOICES = 3


class ActionFaq(StoreAction):
    action_name = "action_faq"

    def __init__(
        self,
        client: StoreClient | None = None,
        knowledge: KnowledgeRepository | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(client)
        self._knowledge = knowledge
        self._clock = clock

    def now(self, ctx: Context) -> datetime:
        if self._clock is not None:
            return self._clock()
        return datetime.now(ZoneInfo(ctx.settings.store_timezone))

    def answer(self, ctx: Context) -> None:
        knowledge = (self._knowledge or bootstrap.knowledge()).current()
        selection = selected(ctx.tracker.latest_message or {}, ctx.intent)
        entry = knowledge.entry(selection["key"]) if selection["key"] else None
        if entry is None or selection["confidence"] < ctx.settings.faq_min_confidence:
            logger.debug("action_faq: no confident entry for %r: %s", ctx.text, selection)
            offer_choices(ctx, knowledge, selection["ranking"])
            return
        facts = Facts()
        try:
            answer = choose(entry, self.now(ctx), lambda: order_status(ctx, facts))
        except StoreTrouble:
            # Every answer that fits the clock depends on the order, and the store is down.
            for event in apologise(ctx.dispatcher):
                ctx.events.append(event)
            return
        if answer is None:
            logger.warning("action_faq: %s has no answer valid now", entry.key)
            offer_human(ctx, UPDATING)
            return
        dispatch(ctx, entry, answer, facts)


def selected(message: Dict[str, Any], intent: str) -> Dict[str, Any]:
    """The response selector's choice for this intent: key, confidence and ranking keys.

    One selector per retrieval intent (config.yml) reports under the intent's name; a single
    selector for all of them reports under "default".
    """
    selectors = message.get("response_selector") or {}
    result = selectors.get(intent) or selectors.get("default") or {}
    response = result.get("response") or {}
    key = response.get("intent_response_key") or ""
    if key and not key.startswith(f"{intent}/"):
        key = ""  # the default selector's pick belongs to another intent
    ranking = [
        r.get("intent_response_key") for r in result.get("ranking") or [] if r.get("intent_response_key")
    ]
    return {"key": key, "confidence": float(response.get("confidence") or 0.0), "ranking": ranking}


def order_status(ctx: Context, facts: Facts) -> str | None:
    """The status of the buyer's order in context, else of their most recent one."""
    try:
        # Another buyer's order says nothing about this one's: current_order never takes it.
        order_id = order_number_in_turn(ctx) or ctx.tracker.get_slot("order_id")
        order = current_order(ctx.client, ctx.buyer_id, order_id)
    except StoreUnavailable as exc:
        logger.warning("action_faq: order status unavailable: %s", exc)
        raise StoreTrouble(str(exc)) from exc
    if order is None:
        return None
    facts.order_id = order.get("order_id")
    facts.status = order.get("status")
    return facts.status


def product_facts(ctx: Context, facts: Facts) -> None:
    try:
        product = resolve_product(ctx)
    except StoreUnavailable as exc:
        logger.warning("action_faq: product unavailable: %s", exc)
        return
    if product:
        facts.product = short_name(product)
        facts.product_sku = product.get("sku")
        facts.detail_image_url = product.get("detail_image_url")


def needs_product(answer: Answer) -> bool:
    parts = answer.messages or (answer,)
    return "product" in uses_placeholders(answer) or any(
        p.style == "screenshot" and not p.image_url for p in parts
    )


def dispatch(ctx: Context, entry: Entry, answer: Answer, facts: Facts) -> None:
    wanted = uses_placeholders(answer)
    if wanted & {"order_id", "status"} and facts.status is None:
        try:
            order_status(ctx, facts)
        except StoreTrouble:
            pass  # the placeholders get their generic words
    if needs_product(answer):
        product_facts(ctx, facts)
    for message in messages(answer, facts, entry.key):
        ctx.dispatcher.utter_message(**message)
    ctx.set("offered_human", any(b.payload == "/request_human" for b in all_buttons(answer)))


def all_buttons(answer: Answer) -> List[Any]:
    return list(answer.buttons) + [b for m in answer.messages for b in m.buttons]


def offer_choices(ctx: Context, knowledge: Knowledge, ranking: List[str]) -> None:
    """Not sure which entry: offer the likeliest questions (their text re-asks them) and a human."""
    entries = [e for e in (knowledge.entry(k) for k in ranking) if e is not None]
    if not entries:
        category = knowledge.category_of(ctx.intent)
        entries = list(category.entries) if category else []
    buttons = [{"title": e.question, "payload": e.question} for e in entries[:MAX_CHOICES]]
    if not buttons:
        offer_human(ctx, "这个问题小二暂时答不上来😅 需要为您转接人工客服吗？")
        return
    buttons.append({"title": "转人工", "payload": "/request_human"})
    ctx.say(UNSURE, buttons)
    ctx.set("offered_human", True)
