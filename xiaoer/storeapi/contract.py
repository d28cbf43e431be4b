"""Store API v1 as data: the order statuses, event types and promotion kinds every part of Xiaoer
shares with the store (docs/store-api.md). One list each, for the actions, the follow-up engine,
the console, the knowledge base, the demo store and the reference backend."""

from __future__ import annotations

from typing import Any, Dict

Json = Dict[str, Any]

# Identifiers (sku, buyer, order, promotion, event) are at most this long.
ID_LENGTH = 128

ORDER_STATUSES = (
    "created",
    "paid",
    "shipped",
    "delivered",
    "completed",
    "cancelled",
    "refunding",
    "refunded",
)

# The words buyers read for each status.
STATUS_LABELS = {
    "created": "待付款",
    "paid": "已付款待发货",
    "shipped": "已发货",
    "delivered": "已签收",
    "completed": "已完成",
    "cancelled": "已取消",
    "refunding": "退款中",
    "refunded": "已退款",
}

# Statuses after which the order has a shipment to track.
SHIPPED_STATUSES = ("shipped", "delivered", "completed", "refunding", "refunded")

# The event a store emits when an order enters a status. Refunds emit none: no follow-up is
# driven by them.
STATUS_EVENTS = {
    "created": "order_created",
    "paid": "order_paid",
    "shipped": "order_shipped",
    "delivered": "order_delivered",
    "completed": "order_completed",
    "cancelled": "order_cancelled",
}
EVENT_STATUSES = {event: status for status, event in STATUS_EVENTS.items()}

EVENT_TYPES = ("inquiry_without_order", *STATUS_EVENTS.values())

PROMOTION_KINDS = ("discount", "coupon", "gift", "trade_in", "price_protection", "presale")
