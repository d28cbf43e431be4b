"""What every store-backed action shares: error handling, entities, order lookup, wording."""

from __future__ import annotations

import abc
import asyncio
import logging
import re
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, List
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import bootstrap
from xiaoer.settings import ActionSettings
from xiaoer.storeapi import orders as order_rules
from xiaoer.storeapi.client import StoreClient, StoreUnavailable
from xiaoer.storeapi.contract import STATUS_LABELS, Json
from xiaoer.storeapi.orders import latest_tracking
from xiaoer.storeapi.values import time_or_none

logger = logging.getLogger(__name__)

FINAL_STATUSES = {"completed", "cancelled", "refunded"}
MAX_ORDER_BUTTONS = 5
ORDER_NUMBER = re.compile(r"(?<!\d)\d{10,16}(?!\d)")

# Which intent re-asks a topic; used for "which order?" buttons.
TOPIC_INTENTS = {
    "order_status": "query_order_status",
    "logistics": "query_logistics",
    "urge_shipment": "urge_shipment",
    "change_order": "change_order",
    "cancel_order": "cancel_order",
    "price_protection": "ask_price_protection",
    "product_attribute": "ask_product_attribute",
    "stock": "ask_stock",
    "promotion": "ask_promotion",
}


@dataclass
class Context:
    """One turn's view: who asks, what they said, and the store to ask."""

    dispatcher: CollectingDispatcher
    tracker: Tracker
    client: StoreClient
    settings: ActionSettings
    events: List[EventType] = field(default_factory=list)
    # Shipments asked for before the order's ownership was checked again (see fetch_shipment_early).
    early_shipments: Dict[str, Future] = field(default_factory=dict)

    @property
    def buyer_id(self) -> str:
        return self.tracker.sender_id

    @property
    def text(self) -> str:
        return (self.tracker.latest_message or {}).get("text") or ""

    @property
    def intent(self) -> str:
        return ((self.tracker.latest_message or {}).get("intent") or {}).get("name") or ""

    def entities(self, name: str) -> List[str]:
        """Values of an entity in this turn's message, regex extractor first."""
        found = [
            e
            for e in (self.tracker.latest_message or {}).get("entities") or []
            if e.get("entity") == name and e.get("value")
        ]
        found.sort(key=lambda e: e.get("extractor") != "RegexEntityExtractor")
        values: List[str] = []
        for e in found:
            value = str(e["value"]).strip()
            if value and value not in values:
                values.append(value)
        return values

    def say(self, text: str, buttons: List[Dict[str, str]] | None = None) -> None:
        self.dispatcher.utter_message(text=text, buttons=buttons or [])

    def set(self, slot: str, value: Any) -> None:
        self.events.append(SlotSet(slot, value))

    def shipment(self, order_id: str) -> Json | None:
        """The order's shipment; call it only for an order this buyer owns."""
        early = self.early_shipments.pop(order_id, None)
        return early.result() if early else self.client.get_shipment(order_id)

    def fetch_shipment_early(self, order_id: str) -> None:
        """Start reading the shipment while the order is read, for an order already verified.

        Only for the order this conversation's buyer was shown to own (verified_order_id, which
        only the actions set): another buyer's shipment is never asked for. It saves a store
        round-trip on the follow-up questions about one order that most conversations are.
        """
        if order_id and order_id == self.tracker.get_slot("verified_order_id"):
            self.early_shipments[order_id] = bootstrap.prefetch_pool().submit(
                self.client.get_shipment, order_id
            )

    def local(self, iso_time: str | None) -> datetime | None:
        moment = time_or_none(iso_time)
        return moment.astimezone(ZoneInfo(self.settings.store_timezone)) if moment else None

    def when(self, iso_time: str | None) -> str:
        moment = self.local(iso_time)
        return f"{moment.month}月{moment.day}日 {moment:%H:%M}" if moment else "时间未知"

    def day(self, moment: datetime | None) -> str:
        return f"{moment.month}月{moment.day}日" if moment else "日期待定"


class StoreAction(Action, metaclass=abc.ABCMeta):
    """An action that answers from the store; never crashes, never stays silent."""

    action_name = ""

    def __init__(self, client: StoreClient | None = None) -> None:
        self._client = client

    def name(self) -> str:
        return self.action_name

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        ctx = Context(
            dispatcher=dispatcher,
            tracker=tracker,
            client=self._client or bootstrap.store_client(),
            settings=bootstrap.settings(),
        )
        try:
            # Store calls block; keep the action server's event loop free meanwhile.
            await asyncio.to_thread(self.answer, ctx)
        except StoreUnavailable as exc:
            logger.warning("%s: store unavailable: %s", self.name(), exc)
            return self.store_unavailable(ctx)
        except Exception:
            logger.exception("%s failed", self.name())
            return self.failed(ctx)
        return ctx.events

    @abc.abstractmethod
    def answer(self, ctx: Context) -> None:
        """Answer the buyer through ctx.say / ctx.set."""

    def store_unavailable(self, ctx: Context) -> List[EventType]:
        """The store is down or slow: apologise and offer a human."""
        return apologise(ctx.dispatcher)

    def failed(self, ctx: Context) -> List[EventType]:
        """A bug must still leave the buyer with an answer."""
        return apologise(ctx.dispatcher)


def apologise(dispatcher: CollectingDispatcher) -> List[EventType]:
    dispatcher.utter_message(response="utter_backend_error")
    return [SlotSet("offered_human", True)]


# --- orders -----------------------------------------------------------------


def unknown_order(ctx: Context, order_id: str) -> None:
    # The same words for a wrong number and another buyer's order: reveal nothing.
    ctx.say(f"没有查到订单号 {order_id} 的订单，请核对一下订单号哦（可以在“我的订单”里复制）。")
    ctx.set("order_id", None)


def order_number_in_turn(ctx: Context) -> str | None:
    for value in ctx.entities("order_id"):
        digits = re.sub(r"\D", "", value)
        if 10 <= len(digits) <= 16:
            return digits
    match = ORDER_NUMBER.search(ctx.text)
    return match.group(0) if match else None


def owned_order(ctx: Context, order_id: str) -> Json | None:
    return order_rules.owned_order(ctx.client, ctx.buyer_id, order_id)


def recent_orders(ctx: Context) -> List[Json]:
    return order_rules.recent_orders(ctx.client, ctx.buyer_id, ctx.settings.recent_order_days)


def item_summary(ctx: Context, order: Json) -> str:
    items = order.get("items") or []
    if not items:
        return ""
    first = items[0]
    product = None
    try:
        product = ctx.client.get_product(first["sku"])
    except StoreUnavailable:
        pass
    name = short_name(product) if product else first["sku"]
    more = f"等{len(items)}件" if len(items) > 1 else ""
    return f"{name}{more}"


def yuan(amount: Any) -> str:
    """Money as buyers read it: to the fen, no trailing zeros (4599, 12999.9)."""
    try:
        value = float(amount)
    except (TypeError, ValueError):
        return str(amount)
    # ":g" would round 12999.99 to 13000.
    return f"{value:.2f}".rstrip("0").rstrip(".")


def short_name(product: Json) -> str:
    aliases = product.get("aliases") or []
    return aliases[0] if aliases else product.get("name", product.get("sku", ""))


def ask_which_order(ctx: Context, orders: List[Json], topic: str, lead: str) -> None:
    intent = TOPIC_INTENTS.get(topic, "query_order_status")
    buttons = []
    for order in orders[:MAX_ORDER_BUTTONS]:
        label = STATUS_LABELS.get(order.get("status"), order.get("status"))
        title = f"{order['order_id']} {item_summary(ctx, order)} {label}".strip()
        payload = f'/{intent}{{"order_id":"{order["order_id"]}"}}'
        buttons.append({"title": title, "payload": payload})
    ctx.say(lead, buttons)
    ctx.set("last_topic", topic)


def resolve_order(ctx: Context, topic: str, with_shipment: bool = False) -> Json | None:
    """The order the buyer means, or None after telling them why not.

    A number in this message wins, then the order in context, then the buyer's
    recent orders: one is answered, several are offered as buttons. `with_shipment`: the answer
    will most likely need the shipment, so a verified order's is read alongside.
    """
    order_id = order_number_in_turn(ctx) or ctx.tracker.get_slot("order_id")
    if order_id:
        if with_shipment:
            ctx.fetch_shipment_early(str(order_id))
        order = owned_order(ctx, str(order_id))
        if order is None:
            unknown_order(ctx, str(order_id))
            ctx.set("last_topic", topic)
            return None
        return order
    orders = recent_orders(ctx)
    if not orders:
        ctx.say("您的账号下暂时没有查到订单哦。如果是用其他账号下的单，请切换账号后再问我～")
        ctx.set("last_topic", topic)
        return None
    if len(orders) == 1:
        return orders[0]
    lead = f"您最近有 {len(orders)} 个订单，想查哪一个呢？"
    if len(orders) > MAX_ORDER_BUTTONS:
        lead += f"（这里列出最近的 {MAX_ORDER_BUTTONS} 个，其他订单直接发订单号给我就行）"
    ask_which_order(ctx, orders, topic, lead)
    return None


def remember_order(ctx: Context, order: Json, topic: str) -> None:
    """Only ever called with an order the store says this buyer owns."""
    ctx.set("order_id", order["order_id"])
    if ctx.tracker.get_slot("verified_order_id") != order["order_id"]:
        ctx.set("verified_order_id", order["order_id"])
    ctx.set("last_topic", topic)
    ctx.set("offered_human", False)


def tracking_sentence(ctx: Context, shipment: Json) -> str:
    latest = latest_tracking(shipment)
    parts = [f"{shipment.get('carrier', '')}，运单号 {shipment.get('tracking_no', '')}"]
    if latest:
        place = latest.get("location") or ""
        parts.append(
            f"最新物流（{ctx.when(latest.get('time'))}）：{place} {latest.get('description', '')}".rstrip()
        )
    return "。".join(parts)


def eta_sentence(ctx: Context, shipment: Json) -> str:
    eta = ctx.local(shipment.get("eta"))
    return f"预计 {ctx.day(eta)} 送达" if eta else "送达时间以物流更新为准"


def ship_by(ctx: Context, order: Json) -> str:
    paid = ctx.local(order.get("paid_at") or order.get("created_at"))
    if paid is None:
        return f"付款后{ctx.settings.ship_within_hours}小时内"
    deadline = paid + timedelta(hours=ctx.settings.ship_within_hours)
    return f"{ctx.day(deadline)} {deadline:%H:%M} 前"


def offer_human(ctx: Context, text: str) -> None:
    ctx.say(text, [{"title": "转人工", "payload": "/request_human"}, {"title": "不用了", "payload": "/deny"}])
    ctx.set("offered_human", True)


def hand_over(ctx: Context, text: str) -> None:
    """Tell the buyer a person takes over, and pause the bot for this conversation."""
    ctx.say(text)
    ctx.set("offered_human", False)
    ctx.events.append(ConversationPaused())
