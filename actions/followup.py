"""Messages the follow-up engine triggers (EXTERNAL_* intents), worded from live store facts.

Each puts what it talked about in context (order_id, product), so the buyer's reply ("怎么付款",
"到哪了") is answered about it. A fact that no longer holds (the order was paid meanwhile, the order
is not this buyer's) means saying nothing: a stale nudge is worse than none. The store being down
means a shorter message without the live facts, never an unprompted apology.
"""

from __future__ import annotations

import abc
import logging
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.common import Context, StoreAction, item_summary, owned_order, remember_order, ship_by, yuan
from actions.products import remember_product
from xiaoer.storeapi.contract import Json

logger = logging.getLogger(__name__)

# Categories delivered by truck and installed at home: the delivery notice offers to book it.
LARGE_APPLIANCES = {"电视", "空调", "洗衣机", "冰箱"}
UNSUBSCRIBE_HINT = "（回复“退订”不再接收此类消息）"


def entity_value(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def order_total(order: Json) -> str:
    if order.get("total") is not None:
        return yuan(order["total"])
    return yuan(sum(float(i.get("unit_price", 0)) * int(i.get("qty", 0)) for i in order.get("items") or []))


class FollowupAction(StoreAction, metaclass=abc.ABCMeta):
    """Runs compose(ctx); the store down → fallback(ctx), the plain message without live facts."""

    def answer(self, ctx: Context) -> None:
        self.compose(ctx)

    def store_unavailable(self, ctx: Context) -> List[Dict[str, Any]]:
        logger.warning("%s: sending the plain message without live facts", self.name())
        ctx.events.clear()
        self.fallback(ctx)
        return ctx.events

    def failed(self, ctx: Context) -> List[Dict[str, Any]]:
        return []  # a bug: better silence than a broken proactive message

    @abc.abstractmethod
    def compose(self, ctx: Context) -> None:
        """Say the message through ctx.say / ctx.set."""

    def fallback(self, ctx: Context) -> None:
        """Without the store: nothing by default."""


class OrderFollowup(FollowupAction):
    """A message about the order in the order_id entity, sent only while the order is in `statuses`."""

    statuses: tuple = ()
    topic = "order_status"

    def compose(self, ctx: Context) -> None:
        order_id = entity_value(ctx.tracker, "order_id")
        if not order_id:
            return
        order = owned_order(ctx, order_id)
        if order is None:
            logger.info("%s: order %s is not this buyer's; nothing sent", self.name(), order_id)
            return
        if self.statuses and order.get("status") not in self.statuses:
            logger.info("%s: order %s is %s now; nothing sent", self.name(), order_id, order.get("status"))
            return
        remember_order(ctx, order, self.topic)
        self.say_about(ctx, order)

    def fallback(self, ctx: Context) -> None:
        order_id = entity_value(ctx.tracker, "order_id")
        text = self.plain(order_id) if order_id else None
        if text:
            ctx.say(text)
            ctx.set("order_id", order_id)
            ctx.set("last_topic", self.topic)

    @abc.abstractmethod
    def say_about(self, ctx: Context, order: Json) -> None:
        """Word the message about this order."""

    def plain(self, order_id: str) -> str | None:
        return None


class ActionPaymentReminder(OrderFollowup):
    action_name = "action_followup_payment_reminder"
    statuses = ("created",)

    def say_about(self, ctx: Context, order: Json) -> None:
        ctx.say(
            f"亲，您的订单 {order['order_id']}（{item_summary(ctx, order)}，¥{order_total(order)}）还没有付款哦～"
            f"付款后{ctx.settings.ship_within_hours}小时内发货。付款遇到问题直接问小二就好。{UNSUBSCRIBE_HINT}",
            [{"title": "怎么付款", "payload": "/ask_payment"}],
        )

    def plain(self, order_id: str) -> str | None:
        return f"亲，您的订单 {order_id} 还没有付款哦～付款遇到问题直接问小二就好。{UNSUBSCRIBE_HINT}"


class ActionOrderConfirmation(OrderFollowup):
    action_name = "action_followup_order_confirmation"
    statuses = ("paid",)

    def say_about(self, ctx: Context, order: Json) -> None:
        ctx.say(
            f"已收到您订单 {order['order_id']} 的付款 ¥{order_total(order)}（{item_summary(ctx, order)}），"
            f"仓库正在备货，预计 {ship_by(ctx, order)}发出，发货后会通知您～"
        )

    def plain(self, order_id: str) -> str | None:
        return f"已收到您订单 {order_id} 的付款，仓库正在备货，发货后会通知您～"


class ActionShippingNotice(OrderFollowup):
    action_name = "action_followup_shipping_notice"
    statuses = ("shipped",)
    topic = "logistics"

    def say_about(self, ctx: Context, order: Json) -> None:
        shipment = ctx.shipment(order["order_id"])
        if shipment is None:
            ctx.say(f"您的订单 {order['order_id']} 已发货，物流信息稍后更新，可以随时问小二“到哪了”。")
            return
        eta = ctx.local(shipment.get("eta"))
        eta_text = f"预计 {ctx.day(eta)} 送达。" if eta else ""
        ctx.say(
            f"您的订单 {order['order_id']} 已发货：{shipment.get('carrier', '')}，"
            f"运单号 {shipment.get('tracking_no', '')}。{eta_text}想知道到哪了随时问小二～"
        )
        ctx.set("carrier", shipment.get("carrier"))

    def plain(self, order_id: str) -> str | None:
        return f"您的订单 {order_id} 已发货，想知道到哪了随时问小二～"


class ActionDeliveryNotice(OrderFollowup):
    action_name = "action_followup_delivery_notice"
    statuses = ("delivered",)

    def say_about(self, ctx: Context, order: Json) -> None:
        categories = set()
        for item in order.get("items") or []:
            product = ctx.client.get_product(item["sku"])
            if product:
                categories.add(product.get("category"))
        text = f"您的订单 {order['order_id']}（{item_summary(ctx, order)}）已签收～"
        buttons = None
        if categories & LARGE_APPLIANCES:
            text += "大家电可预约免费上门安装，告诉小二您方便的时间，帮您安排师傅。"
            buttons = [{"title": "预约安装", "payload": "/ask_installation"}]
        else:
            text += "使用中有任何问题随时找小二。"
        ctx.say(text, buttons)

    def plain(self, order_id: str) -> str | None:
        return f"您的订单 {order_id} 已签收～如需预约安装或有任何问题，随时找小二。"


class ActionReviewInvitation(OrderFollowup):
    action_name = "action_followup_review_invitation"
    statuses = ("delivered", "completed")

    def say_about(self, ctx: Context, order: Json) -> None:
        ctx.say(
            f"您的{item_summary(ctx, order)}用了几天，还满意吗？欢迎给订单 {order['order_id']} 写个评价，"
            f"有问题也可以直接告诉小二～{UNSUBSCRIBE_HINT}"
        )


class ActionInquiryNudge(FollowupAction):
    action_name = "action_followup_inquiry_nudge"

    def compose(self, ctx: Context) -> None:
        sku = entity_value(ctx.tracker, "sku")
        product = ctx.client.get_product(sku) if sku else None
        if product is None:
            return
        if int(product.get("stock") or 0) <= 0:
            return  # nothing to nudge towards
        promotions = ctx.client.active_promotions(product["sku"])
        deal = f"现在参加“{promotions[0]['title']}”，" if promotions else ""
        remember_product(ctx, product, "product_attribute")
        ctx.say(
            f"亲，您之前看的 {product.get('name', product['sku'])} 还有货哦，{deal}到手价 ¥{yuan(product.get('price'))}。"
            f"参数、安装、优惠有疑问都可以问小二～{UNSUBSCRIBE_HINT}"
        )


class ActionPresaleCampaign(FollowupAction):
    action_name = "action_followup_presale_campaign"

    def compose(self, ctx: Context) -> None:
        promo_id = entity_value(ctx.tracker, "promo_id")
        promotion = ctx.client.get_promotion(promo_id) if promo_id else None
        if promotion is None:
            return
        ends = ctx.local(promotion.get("ends_at"))
        until = f"，{ctx.day(ends)} {ends:%H:%M} 截止" if ends else ""
        ctx.say(
            f"【{promotion.get('title', '')}】{promotion.get('description', '')}{until}。{UNSUBSCRIBE_HINT}"
        )
        ctx.set("last_topic", "promotion")


class ActionUnsubscribe(StoreAction):
    action_name = "action_unsubscribe"

    def answer(self, ctx: Context) -> None:
        ctx.client.set_marketing_opt_out(ctx.buyer_id, True)
        ctx.say(
            "好的，已为您退订，之后不会再给您推送活动、催付和评价邀请；"
            "付款确认、发货和签收等订单通知仍会照常发送。"
        )
        ctx.events.append(SlotSet("offered_human", False))
