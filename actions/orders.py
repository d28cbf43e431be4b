"""Order status, cancellation, changes and urging shipment, answered from the order's state."""

from __future__ import annotations

from actions.common import (
    STATUS_LABELS,
    Context,
    StoreAction,
    eta_sentence,
    hand_over,
    offer_human,
    remember_order,
    resolve_order,
    ship_by,
    tracking_sentence,
    yuan,
)
from xiaoer.storeapi.contract import Json


def describe_status(ctx: Context, order: Json) -> None:
    oid, status = order["order_id"], order["status"]
    total = order.get("total")
    money = f"，实付 ¥{yuan(total)}" if total is not None else ""
    if status == "created":
        ctx.say(
            f"订单 {oid} 还未付款（待付款），下单时间 {ctx.when(order.get('created_at'))}{money}。"
            "付款后我们会尽快为您安排发货哦～"
        )
    elif status == "paid":
        ctx.say(f"订单 {oid} 已付款，仓库正在备货，预计 {ship_by(ctx, order)}发货。")
    elif status in ("shipped", "delivered", "completed"):
        shipment = ctx.shipment(oid)
        if status == "shipped":
            tail = f"{tracking_sentence(ctx, shipment)}，{eta_sentence(ctx, shipment)}。" if shipment else ""
            ctx.say(f"订单 {oid} 已发货。{tail}")
        else:
            label = STATUS_LABELS[status]
            tail = f"{tracking_sentence(ctx, shipment)}。" if shipment else ""
            ctx.say(f"订单 {oid} {label}。{tail}如需预约安装，直接告诉小二就可以～")
    elif status == "cancelled":
        ctx.say(f"订单 {oid} 已取消。如果还需要，可以重新下单哦。")
    elif status == "refunding":
        ctx.say(f"订单 {oid} 正在退款中，审核通过后款项会在1–3个工作日原路退回。")
    elif status == "refunded":
        ctx.say(f"订单 {oid} 已退款完成，款项已原路退回，请留意支付账户的到账通知。")
    else:
        ctx.say(f"订单 {oid} 当前状态：{status}。")


def answer_order_status(ctx: Context, order: Json) -> None:
    describe_status(ctx, order)
    remember_order(ctx, order, "order_status")


def answer_cancel(ctx: Context, order: Json) -> None:
    remember_order(ctx, order, "cancel_order")
    oid, status = order["order_id"], order["status"]
    if status == "created":
        ctx.say(
            f"订单 {oid} 还未付款，您可以在“我的订单”里直接点“取消订单”；"
            "超过24小时未付款的订单也会自动取消，不会扣款哦。"
        )
    elif status == "paid":
        hand_over(
            ctx,
            f"订单 {oid} 已付款、还没发货，可以取消并全额退款。取消需要人工客服核实办理，"
            "小二已为您转接人工客服，请稍候～",
        )
    elif status == "shipped":
        shipment = ctx.shipment(oid)
        where = f"（{tracking_sentence(ctx, shipment)}）" if shipment else ""
        offer_human(
            ctx,
            f"订单 {oid} 已经发货了{where}，无法直接取消。您可以在送货时拒收，"
            "或签收后申请7天无理由退货（未拆封安装）。需要为您转人工处理吗？",
        )
    elif status in ("delivered", "completed"):
        ctx.say(
            f"订单 {oid} {STATUS_LABELS[status]}，无法取消了。如不想要，"
            "可以在签收7天内申请无理由退货（商品未安装使用、配件齐全）。"
        )
    elif status == "cancelled":
        ctx.say(f"订单 {oid} 已经是取消状态啦，不需要再操作。")
    else:
        ctx.say(f"订单 {oid} {STATUS_LABELS.get(status, status)}，退款会原路退回，不需要再取消哦。")


def answer_change(ctx: Context, order: Json) -> None:
    remember_order(ctx, order, "change_order")
    oid, status = order["order_id"], order["status"]
    if status in ("created", "paid"):
        hand_over(
            ctx,
            f"订单 {oid} 还没发货，可以修改收货地址、电话或配送时间。为保证信息安全，"
            "修改由人工客服核实办理，小二已为您转接，请稍候～",
        )
    elif status == "shipped":
        shipment = ctx.shipment(oid)
        where = f"（{tracking_sentence(ctx, shipment)}）" if shipment else ""
        offer_human(
            ctx,
            f"订单 {oid} 已经发货了{where}，订单信息无法在线修改，可以联系快递员协商改派。"
            "需要为您转人工协助吗？",
        )
    else:
        ctx.say(f"订单 {oid} {STATUS_LABELS.get(status, status)}，已经不能修改了哦。")


def answer_urge(ctx: Context, order: Json) -> None:
    remember_order(ctx, order, "urge_shipment")
    oid, status = order["order_id"], order["status"]
    if status == "created":
        ctx.say(
            f"订单 {oid} 还未付款哦，付款后{ctx.settings.ship_within_hours}小时内发货，付款越早发得越早～"
        )
    elif status == "paid":
        ctx.say(
            f"已经帮您催促仓库加急处理啦！订单 {oid} 于 {ctx.when(order.get('paid_at'))} 付款，"
            f"承诺 {ship_by(ctx, order)}发货，发货后会第一时间通知您。"
        )
    elif status == "shipped":
        shipment = ctx.shipment(oid)
        tail = f"{tracking_sentence(ctx, shipment)}，{eta_sentence(ctx, shipment)}。" if shipment else ""
        ctx.say(f"订单 {oid} 已经发货啦～{tail}")
    else:
        describe_status(ctx, order)


class ActionOrderStatus(StoreAction):
    action_name = "action_order_status"

    def answer(self, ctx: Context) -> None:
        order = resolve_order(ctx, "order_status")
        if order:
            answer_order_status(ctx, order)


class ActionCancelOrder(StoreAction):
    action_name = "action_cancel_order"

    def answer(self, ctx: Context) -> None:
        order = resolve_order(ctx, "cancel_order")
        if order:
            answer_cancel(ctx, order)


class ActionChangeOrder(StoreAction):
    action_name = "action_change_order"

    def answer(self, ctx: Context) -> None:
        order = resolve_order(ctx, "change_order")
        if order:
            answer_change(ctx, order)


class ActionUrgeShipment(StoreAction):
    action_name = "action_urge_shipment"

    def answer(self, ctx: Context) -> None:
        order = resolve_order(ctx, "urge_shipment")
        if order:
            answer_urge(ctx, order)
