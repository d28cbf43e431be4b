"""A bare order number, product or "换成另一个订单呢": continue the buyer's last question."""

from __future__ import annotations

import re
from typing import Callable, Dict

from actions.common import (
    Context,
    StoreAction,
    ask_which_order,
    order_number_in_turn,
    owned_order,
    recent_orders,
    unknown_order,
)
from actions.logistics import answer_logistics
from actions.orders import answer_cancel, answer_change, answer_order_status, answer_urge
from actions.products import answer_attribute, answer_stock, resolve_product
from actions.promotions import answer_price_protection, answer_promotions
from xiaoer.storeapi.contract import Json

ORDER_TOPICS: Dict[str, Callable[[Context, Json], None]] = {
    "order_status": answer_order_status,
    "logistics": answer_logistics,
    "urge_shipment": answer_urge,
    "change_order": answer_change,
    "cancel_order": answer_cancel,
    "price_protection": answer_price_protection,
}
PRODUCT_TOPICS: Dict[str, Callable[[Context, Json], None]] = {
    "product_attribute": answer_attribute,
    "stock": answer_stock,
    "promotion": answer_promotions,
}
ANOTHER = re.compile(r"另|别的|换|其他|其它|上一|下一")


class ActionInform(StoreAction):
    action_name = "action_inform"

    def answer(self, ctx: Context) -> None:
        topic = ctx.tracker.get_slot("last_topic")
        order_id = order_number_in_turn(ctx)
        if order_id:
            order = owned_order(ctx, order_id)
            if order is None:
                unknown_order(ctx, order_id)
                return
            ORDER_TOPICS.get(topic, answer_order_status)(ctx, order)
            return
        if ANOTHER.search(ctx.text) and (topic in ORDER_TOPICS or topic is None):
            self.another_order(ctx, topic or "order_status")
            return
        product = resolve_product(ctx, use_context=False)
        if product:
            if topic in PRODUCT_TOPICS:
                PRODUCT_TOPICS[topic](ctx, product)
            else:
                answer_attribute(ctx, product, overview=True)
            return
        if ctx.entities("product"):
            ctx.say(f"没有找到“{ctx.entities('product')[0]}”这款商品，请核对一下型号～")
            return
        ctx.say("收到～请问想了解哪方面呢？可以发订单号查订单和物流，或者发型号问参数和优惠。")

    @staticmethod
    def another_order(ctx: Context, topic: str) -> None:
        current = ctx.tracker.get_slot("order_id")
        others = [o for o in recent_orders(ctx) if o["order_id"] != current]
        if not others:
            ctx.say("您的账号下没有其他订单了哦。")
            return
        if len(others) == 1:
            ORDER_TOPICS.get(topic, answer_order_status)(ctx, others[0])
            return
        ask_which_order(ctx, others, topic, "好的，您想查哪个订单呢？")
