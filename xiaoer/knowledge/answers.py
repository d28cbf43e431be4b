"""Choosing an entry's answer for this buyer at this moment, and turning it into messages.

The first answer whose conditions all hold is served: its validity window contains the store
clock's now, and its order_status (if any) contains the status of the buyer's order in
context. Messages follow docs/answer-payload.md: text answers are plain Rasa text messages
(with buttons), every other style one custom payload (json_message) with a fallback text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, List

from xiaoer.knowledge.model import Answer, Entry
from xiaoer.storeapi.contract import STATUS_LABELS

# What a placeholder says when the fact is not known for this buyer.
UNKNOWN = {"order_id": "您的订单", "status": "当前状态", "product": "该商品"}
PLACEHOLDER_FILL = re.compile(r"\{(order_id|status|product)\}")


class StoreTrouble(Exception):
    """Order facts were needed and the store could not give them."""


@dataclass
class Facts:
    """Live facts about the buyer's context; filled lazily, only when an answer needs them."""

    order_id: str | None = None
    status: str | None = None
    product: str | None = None
    product_sku: str | None = None
    detail_image_url: str | None = None

    def values(self) -> Dict[str, str]:
        return {
            "order_id": self.order_id or UNKNOWN["order_id"],
            "status": STATUS_LABELS.get(self.status or "", self.status or UNKNOWN["status"]),
            "product": self.product or UNKNOWN["product"],
        }


def choose(entry: Entry, now: datetime, order_status: Callable[[], str | None]) -> Answer | None:
    """The first answer whose conditions hold, or None.

    order_status() is called at most once, and only when an in-window answer is conditioned on
    it; it returns the status of the buyer's order (None: no order) or raises StoreTrouble.
    When it raises, order-conditioned answers are skipped and the first unconditioned one in
    its window is served; with none, StoreTrouble propagates.
    """
    status: str | None = None
    asked = False
    store_down = False
    for answer in entry.answers:
        if not answer.in_window(now):
            continue
        if answer.order_status:
            if not asked:
                asked = True
                try:
                    status = order_status()
                except StoreTrouble:
                    store_down = True
            if store_down or status not in answer.order_status:
                continue
        return answer
    if store_down:
        raise StoreTrouble("order status needed and unavailable")
    return None


def uses_placeholders(answer: Answer) -> set[str]:
    return {name for text in answer.texts() for name in PLACEHOLDER_FILL.findall(text)}


def fill(text: str, facts: Facts) -> str:
    values = facts.values()
    return PLACEHOLDER_FILL.sub(lambda m: values[m.group(1)], text)


def messages(answer: Answer, facts: Facts, faq: str) -> List[Dict[str, Any]]:
    """Keyword arguments for dispatcher.utter_message, one dict per message to send."""
    if answer.style == "multi":
        return [m for part in answer.messages for m in messages(part, facts, faq)]
    buttons = [{"title": b.title, "payload": b.payload} for b in answer.buttons]
    text = fill(answer.text, facts)
    if answer.style == "text":
        return [{"text": text, "buttons": buttons}]
    payload: Dict[str, Any] = {"type": answer.style}
    if answer.style == "folded":
        summary = fill(answer.summary, facts)
        payload.update(text=text or summary, summary=summary, detail=fill(answer.detail, facts))
    elif answer.style == "image":
        payload.update(text=text, image_url=answer.image_url)
    elif answer.style == "video":
        payload.update(text=text, video_url=answer.video_url)
        if answer.poster_url:
            payload["poster_url"] = answer.poster_url
    elif answer.style == "screenshot":
        image = answer.image_url or facts.detail_image_url
        if not image:
            # No product page to show: the words alone still answer.
            return [{"text": text, "buttons": buttons}]
        payload.update(text=text, image_url=image)
        if facts.product_sku:
            payload["sku"] = facts.product_sku
    if buttons:
        payload["buttons"] = buttons
    payload["faq"] = faq
    return [{"json_message": payload}]
