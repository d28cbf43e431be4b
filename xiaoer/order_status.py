"""Store API v1 order statuses and the words buyers read for them: one list for all of Xiaoer."""

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
