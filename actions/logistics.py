"""Where a parcel is and when it arrives, worded by the order's status."""

from __future__ import annotations

from actions.common import (
    Context,
    StoreAction,
    eta_sentence,
    remember_order,
    resolve_order,
    ship_by,
    tracking_sentence,
)
from xiaoer.storeapi.contract import Json


def answer_logistics(ctx: Context, order: Json) -> None:
    remember_order(ctx, order, "logistics")
    oid, status = order["order_id"], order["status"]
    if status == "created":
        ctx.say(
            f"订单 {oid} 还未付款，所以还没有物流信息哦。付款后{ctx.settings.ship_within_hours}小时内发货～"
        )
        return
    if status == "paid":
        ctx.say(f"订单 {oid} 已付款，还没有发货，仓库正在备货，预计 {ship_by(ctx, order)}发出。")
        return
    if status == "cancelled":
        ctx.say(f"订单 {oid} 已取消，没有物流信息。")
        return
    shipment = ctx.shipment(oid)
    if shipment is None:
        ctx.say(f"订单 {oid} 暂时还没有物流信息，发货后会第一时间通知您。")
        return
    tracking = tracking_sentence(ctx, shipment)
    if status == "shipped":
        ctx.say(f"订单 {oid} 正在运输中：{tracking}。{eta_sentence(ctx, shipment)}。")
    elif status in ("delivered", "completed"):
        ctx.say(f"订单 {oid} 已签收：{tracking}。如需预约安装，告诉小二就可以～")
    else:  # refunding / refunded: the parcel's trail still matters for the return
        ctx.say(f"订单 {oid} 正在售后退款流程中，原物流：{tracking}。")


class ActionLogistics(StoreAction):
    action_name = "action_logistics"

    def answer(self, ctx: Context) -> None:
        order = resolve_order(ctx, "logistics", with_shipment=True)
        if order:
            answer_logistics(ctx, order)
