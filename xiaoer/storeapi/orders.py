"""Which order a buyer means, and an order's latest tracking event: one rule each, for the bot,
its FAQ answers, its follow-ups and the agent's panel, so they never disagree.

- owned_order: the order with this number, only when it is this buyer's. Another buyer's order and
  an order with no buyer are treated as unknown: nothing about them is ever shown.
- recent_orders: the buyer's orders from the last `days`, newest first by instant (every order when
  none is that recent).
- current_order: the order in context when it is the buyer's, else their most recent one.
- latest_tracking: the shipment's tracking event with the latest instant (times may carry different
  UTC offsets, so text order is not time order).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterable, List

from xiaoer.storeapi.client import StoreClient
from xiaoer.storeapi.contract import Json
from xiaoer.storeapi.values import parse_time, time_or_none

_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


def owned_order(client: StoreClient, buyer_id: str, order_id: str | None) -> Json | None:
    if not order_id or not buyer_id:
        return None
    order = client.get_order(str(order_id))
    if order is None or order.get("buyer_id") != buyer_id:
        return None
    return order


def newest_first(orders: Iterable[Json]) -> List[Json]:
    """Orders by created_at, newest first; an order without a readable time goes last."""
    return sorted(orders, key=lambda o: time_or_none(o.get("created_at")) or _EARLIEST, reverse=True)


def recent_orders(client: StoreClient, buyer_id: str, days: int, now: datetime | None = None) -> List[Json]:
    orders = newest_first(o for o in client.buyer_orders(buyer_id) if o.get("buyer_id") in (None, buyer_id))
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    recent = [o for o in orders if (time_or_none(o.get("created_at")) or cutoff) >= cutoff]
    return recent or orders


def current_order(client: StoreClient, buyer_id: str, order_id: str | None = None) -> Json | None:
    """The order in context (`order_id`) when it is the buyer's, else the buyer's most recent order."""
    order = owned_order(client, buyer_id, order_id)
    if order is not None:
        return order
    orders = newest_first(client.buyer_orders(buyer_id)) if buyer_id else []
    return orders[0] if orders else None


def latest_tracking(shipment: Json | None) -> Json | None:
    """ValueError when an event's time cannot be read: the store's data is broken, and showing an
    older event as the latest would mislead."""
    if not shipment:
        return None
    timed = [e for e in shipment.get("events") or [] if isinstance(e, dict) and e.get("time")]
    return max(timed, key=lambda e: parse_time(e["time"]), default=None)
