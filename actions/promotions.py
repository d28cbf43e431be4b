"""Active promotions and price protection, from the store's promotion system."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import List

from actions.common import (
    Context,
    StoreAction,
    order_number_in_turn,
    owned_order,
    short_name,
    unknown_order,
    yuan,
)
from actions.products import normalized_text, remember_product, resolve_product
from xiaoer.storeapi.client import StoreUnavailable
from xiaoer.storeapi.contract import Json
from xiaoer.text import compact, normalize_text

KIND_LABELS = {
    "discount": "直降",
    "coupon": "优惠券",
    "gift": "赠品",
    "trade_in": "以旧换新",
    "price_protection": "价保",
    "presale": "预售",
}


def promotion_line(ctx: Context, promo: Json) -> str:
    label = KIND_LABELS.get(promo.get("kind"), "活动")
    until = ctx.local(promo.get("ends_at"))
    ends = f"（截止 {ctx.day(until)} {until:%H:%M}）" if until else ""
    return f"• 【{label}】{promo.get('title', '')}：{promo.get('description', '')}{ends}"


# Names buyers give a sales event; each group is one event ("双11" is "双十一").
EVENT_NAMES = [
    ("双十一", "双11", "1111", "11.11"),
    ("双十二", "双12", "1212", "12.12"),
    ("618",),
    ("年货节",),
    ("春节",),
    ("元旦",),
    ("五一", "劳动节"),
    ("国庆",),
    ("中秋",),
    ("开学季", "开学"),
    ("周年庆",),
    ("会员日",),
    ("黑五", "黑色星期五"),
    ("以旧换新",),
]


def event_keys(text: str) -> set:
    """The sales events a text names, as the first name of each group."""
    folded = compact(text)
    return {group[0] for group in EVENT_NAMES if any(name in folded for name in group)}


def named_promotions(ctx: Context, promos: List[Json]) -> List[Json]:
    """Promotions the buyer names: by event ("双11的活动") or by a title word ("焕新")."""
    text = normalized_text(ctx).replace(" ", "")
    asked = event_keys(text)
    named = []
    for promo in promos:
        title = promo.get("title") or ""
        words = [w for w in re.split(r"[\s·，,:：!！]+", normalize_text(title)) if len(w) >= 2]
        if (asked and asked & event_keys(title)) or any(w in text for w in words):
            named.append(promo)
    return named


def has_ended(ctx: Context, promo: Json) -> bool:
    until = ctx.local(promo.get("ends_at"))
    return until is not None and until <= datetime.now(timezone.utc)


def answer_ended(ctx: Context, ended: List[Json], active: List[Json]) -> None:
    """The promotion asked about is over: say when it ended, and what runs instead."""
    parts = []
    for promo in ended[:2]:
        until = ctx.local(promo.get("ends_at"))
        when = f"（{ctx.day(until)} {until:%H:%M} 截止）" if until else ""
        parts.append(f"“{promo.get('title', '')}”活动已结束{when}")
    head = "，".join(parts) + "，现在不能再享受了哦。"
    ctx.set("last_topic", "promotion")
    if active:
        lines = "\n".join(promotion_line(ctx, p) for p in active[:6])
        ctx.say(f"{head}现在进行中的活动：\n{lines}")
    else:
        ctx.say(f"{head}店铺目前没有进行中的活动，大促前会提前预告，记得关注店铺哦～")


def answer_promotions(ctx: Context, product: Json | None) -> None:
    sku = product["sku"] if product else None
    promos = [p for p in ctx.client.active_promotions(sku) if p.get("kind") != "price_protection"]
    if not named_promotions(ctx, promos):
        try:
            over = [p for p in ctx.client.ended_promotions(sku) if has_ended(ctx, p)]
            ended = named_promotions(ctx, over)
        except StoreUnavailable:
            ended = []  # the running promotions are known; answer with those
        if ended:
            answer_ended(ctx, ended, promos)
            return
    if product:
        remember_product(ctx, product, "promotion")
        name = short_name(product)
        if not promos:
            ctx.say(
                f"{name} 目前没有进行中的优惠活动，现价 ¥{yuan(product.get('price'))}。有新活动会在商品页第一时间展示哦～"
            )
            return
        lines = "\n".join(promotion_line(ctx, p) for p in promos[:6])
        ctx.say(f"{name}（现价 ¥{yuan(product.get('price'))}）现在可以享受：\n{lines}")
        return
    ctx.set("last_topic", "promotion")
    if not promos:
        ctx.say("店铺目前没有进行中的活动，大促前会提前预告，记得关注店铺哦～")
        return
    storewide = [p for p in promos if not p.get("skus")]
    specific = [p for p in promos if p.get("skus")]
    lines = "\n".join(promotion_line(ctx, p) for p in (storewide + specific)[:6])
    ctx.say(f"店铺正在进行的活动：\n{lines}\n想看某款商品的优惠，告诉我型号就行～")


class ActionPromotions(StoreAction):
    action_name = "action_promotions"

    def answer(self, ctx: Context) -> None:
        answer_promotions(ctx, resolve_product(ctx))


def price_gaps(ctx: Context, order: Json) -> List[str]:
    gaps = []
    for item in order.get("items") or []:
        product = ctx.client.get_product(item["sku"])
        if not product:
            continue
        paid, now = float(item["unit_price"]), float(product.get("price") or 0)
        if now < paid:
            gaps.append(
                f"{short_name(product)} 成交价 ¥{yuan(paid)}，现价 ¥{yuan(now)}，可申请差价 ¥{yuan(paid - now)}"
            )
    return gaps


def answer_price_protection(ctx: Context, order: Json | None) -> None:
    rules = [p for p in ctx.client.active_promotions() if p.get("kind") == "price_protection"]
    policy = "；".join(f"{p.get('title')}：{p.get('description')}" for p in rules) or (
        "本店目前没有进行中的价保活动，具体以商品页价保标识为准"
    )
    ctx.set("last_topic", "price_protection")
    if order is None:
        ctx.say(f"价保政策——{policy}。把订单号发给小二，帮您核对能不能补差价～")
        return
    ctx.set("order_id", order["order_id"])
    if order.get("status") in ("created", "cancelled", "refunded"):
        ctx.say(f"订单 {order['order_id']} 当前不在价保范围内（未付款、已取消或已退款的订单不参与价保）。")
        return
    gaps = price_gaps(ctx, order)
    if gaps:
        ctx.say(
            f"帮您核对了订单 {order['order_id']}："
            + "；".join(gaps)
            + f"。价保政策——{policy}。在订单页点“价格保护”即可申请，差价原路退回。"
        )
    else:
        ctx.say(
            f"帮您核对了订单 {order['order_id']}：商品现价没有低于您的成交价，暂时不需要价保哦。价保政策——{policy}。"
        )


class ActionPriceProtection(StoreAction):
    action_name = "action_price_protection"

    def answer(self, ctx: Context) -> None:
        order_id = order_number_in_turn(ctx) or ctx.tracker.get_slot("order_id")
        order = None
        if order_id:
            order = owned_order(ctx, str(order_id))
            if order is None:
                unknown_order(ctx, str(order_id))
                ctx.set("last_topic", "price_protection")
                return
        answer_price_protection(ctx, order)
