"""Product attributes, stock and recommendations, from the live catalogue."""

from __future__ import annotations

import re
import unicodedata
from typing import Dict, List

from actions.api.store import Json
from actions.common import Context, StoreAction, short_name, yuan

# Buyers' words for an attribute → the catalogue's display names, most likely first.
# The first name a product actually has wins, so "多大" is a TV's screen and a fridge's volume.
ATTRIBUTE_SYNONYMS: Dict[str, List[str]] = {
    "多大": ["屏幕尺寸", "总容积", "洗涤容量", "适用面积", "容量", "产品尺寸"],
    "几寸": ["屏幕尺寸"],
    "寸": ["屏幕尺寸"],
    "英寸": ["屏幕尺寸"],
    "屏幕": ["屏幕尺寸"],
    "尺寸": ["屏幕尺寸", "产品尺寸", "室内机尺寸"],
    "长宽高": ["产品尺寸", "室内机尺寸"],
    "体积": ["产品尺寸"],
    "多宽": ["产品尺寸"],
    "多高": ["产品尺寸"],
    "升": ["总容积", "容量"],
    "容积": ["总容积", "容量"],
    "容量": ["总容积", "洗涤容量", "容量", "存储容量"],
    "冷藏": ["冷藏室容积"],
    "冷冻": ["冷冻室容积"],
    "能效": ["能效等级"],
    "几级": ["能效等级"],
    "省电": ["能效等级"],
    "耗电": ["能效等级"],
    "刷新": ["刷新率"],
    "hz": ["刷新率"],
    "高刷": ["刷新率"],
    "分辨率": ["分辨率"],
    "4k": ["分辨率"],
    "清晰": ["分辨率"],
    "背光": ["背光类型"],
    "miniled": ["背光类型"],
    "系统": ["操作系统"],
    "内存": ["运行内存", "存储容量"],
    "运存": ["运行内存"],
    "存储": ["存储容量"],
    "hdmi": ["HDMI接口"],
    "接口": ["HDMI接口"],
    "音响": ["音响功率"],
    "音质": ["音响功率"],
    "喇叭": ["音响功率"],
    "重": ["整机重量"],
    "重量": ["整机重量"],
    "斤": ["整机重量"],
    "上市": ["上市时间"],
    "什么时候出": ["上市时间"],
    "新款": ["上市时间"],
    "门": ["门款式"],
    "开门": ["门款式"],
    "风冷": ["制冷方式"],
    "直冷": ["制冷方式"],
    "结霜": ["制冷方式"],
    "制冷方式": ["制冷方式"],
    "变频": ["变频"],
    "定频": ["变频"],
    "噪音": ["噪音"],
    "噪声": ["噪音"],
    "声音": ["噪音"],
    "吵": ["噪音"],
    "静音": ["噪音"],
    "分贝": ["噪音"],
    "颜色": ["颜色"],
    "色": ["颜色"],
    "匹": ["匹数"],
    "面积": ["适用面积"],
    "平米": ["适用面积"],
    "平方": ["适用面积"],
    "冷暖": ["冷暖类型"],
    "制热": ["制热量", "冷暖类型"],
    "制冷量": ["制冷量"],
    "制冷": ["制冷量", "制冷方式"],
    "外机": ["室外机尺寸"],
    "内机": ["室内机尺寸"],
    "自清洁": ["自清洁"],
    "清洁": ["自清洁"],
    "公斤": ["洗涤容量"],
    "kg": ["洗涤容量"],
    "洗涤": ["洗涤容量"],
    "烘干": ["烘干容量", "烘干方式"],
    "滚筒": ["类型"],
    "波轮": ["类型"],
    "类型": ["类型"],
    "电机": ["电机"],
    "转速": ["最高转速"],
    "脱水": ["最高转速"],
    "除菌": ["除菌"],
    "杀菌": ["除菌"],
    "功率": ["额定功率", "音响功率"],
    "瓦": ["额定功率"],
    "吸力": ["吸力"],
    "风量": ["风量"],
    "热负荷": ["热负荷"],
    "火力": ["热负荷"],
    "灶眼": ["灶眼数"],
    "套": ["套数"],
}

CATEGORY_WORDS = {
    "电视": ["电视", "tv", "电視", "显示器", "屏"],
    "冰箱": ["冰箱", "冰柜"],
    "空调": ["空调", "空調", "挂机", "柜机"],
    "洗衣机": ["洗衣机", "洗衣機", "滚筒", "波轮", "洗烘"],
    "厨房电器": ["油烟机", "烟机", "燃气灶", "灶", "洗碗机", "微波炉", "厨房", "烤箱"],
}


def fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).casefold()


def resolve_product(ctx: Context, use_context: bool = True) -> Json | None:
    """The product the buyer means: named now, found in the text, or the one in context.

    The product in context is dropped when the buyer names another category
    ("这台冰箱多少升" right after talking about a TV).
    """
    for name in ctx.entities("product"):
        hits = ctx.client.search_products(name)
        if hits:
            return hits[0]
    hits = ctx.client.search_products(ctx.text) if ctx.text.strip() else []
    if hits:
        return hits[0]
    sku = ctx.tracker.get_slot("product_sku") if use_context else None
    if not sku or named_but_unknown(ctx):
        return None
    product = ctx.client.get_product(sku)
    mentioned = category_in(ctx.text)
    if product and mentioned and mentioned != product.get("category"):
        return None
    return product


def named_but_unknown(ctx: Context) -> str | None:
    names = ctx.entities("product")
    return names[0] if names else None


def remember_product(ctx: Context, product: Json, topic: str) -> None:
    ctx.set("product_sku", product["sku"])
    ctx.set("product", short_name(product))
    ctx.set("last_topic", topic)


def attribute_names(product: Json, asked: str) -> List[str]:
    """Catalogue attribute names matching the buyer's words, best first."""
    attributes = product.get("attributes") or {}
    folded = fold(asked)
    if not folded:
        return []
    exact = [k for k in attributes if fold(k) == folded]
    if exact:
        return exact
    candidates: List[str] = []
    for word in sorted(ATTRIBUTE_SYNONYMS, key=len, reverse=True):
        if word in folded:
            candidates += [n for n in ATTRIBUTE_SYNONYMS[word] if n not in candidates]
    contained = [k for k in attributes if fold(k) in folded or folded in fold(k)]
    candidates += [k for k in contained if k not in candidates]
    return candidates


def asked_attribute(ctx: Context) -> str | None:
    """The buyer's words for the attribute: this turn's entity, the text, or the context."""
    entities = ctx.entities("attribute")
    if entities:
        return entities[0]
    folded = fold(ctx.text)
    for word in sorted(ATTRIBUTE_SYNONYMS, key=len, reverse=True):
        # One-character words ("升", "匹", "重") only right after a question word: "多少升", "几匹".
        if word in folded and (len(word) > 1 or re.search(f"(多少|几|多){re.escape(word)}", folded)):
            return word
    return ctx.tracker.get_slot("attribute")


def answer_attribute(ctx: Context, product: Json, overview: bool = False) -> None:
    """One attribute of the product, or its main parameters when none was asked."""
    remember_product(ctx, product, "product_attribute")
    attributes = product.get("attributes") or {}
    name = short_name(product)
    asked = None if overview else asked_attribute(ctx)
    if not attributes:
        ctx.say(f"{name} 暂时还没有登记参数信息，可以转人工客服帮您确认哦。")
        return
    if not asked:
        top = "；".join(f"{k}：{v}" for k, v in list(attributes.items())[:6])
        ctx.say(
            f"{product['name']}（¥{yuan(product.get('price'))}）的主要参数——{top}。想了解哪一项可以直接问我～"
        )
        return
    ctx.set("attribute", asked)
    for key in attribute_names(product, asked):
        if key in attributes:
            ctx.say(f"{name} 的{key}是 {attributes[key]}。")
            return
    known = "、".join(attributes)
    ctx.say(f"{name}（{product.get('category', '')}）没有“{asked}”这项参数哦。已登记的参数有：{known}。")


def answer_stock(ctx: Context, product: Json) -> None:
    remember_product(ctx, product, "stock")
    name, stock, price = short_name(product), int(product.get("stock") or 0), product.get("price")
    if stock <= 0:
        ctx.say(f"{name} 暂时缺货😥 补货后商品页会恢复购买，可以先点“到货通知”；也可以问我同类有货的型号～")
    elif stock <= 10:
        ctx.say(f"{name} 有现货，库存仅剩 {stock} 台，现价 ¥{yuan(price)}，喜欢的话尽快下单哦～")
    else:
        ctx.say(
            f"{name} 有现货，库存充足，现价 ¥{yuan(price)}，付款后{ctx.settings.ship_within_hours}小时内发货。"
        )


class ActionProductAttribute(StoreAction):
    action_name = "action_product_attribute"

    def answer(self, ctx: Context) -> None:
        product = resolve_product(ctx)
        if product:
            answer_attribute(ctx, product)
            return
        attribute = asked_attribute(ctx)
        if attribute:
            ctx.set("attribute", attribute)
        unknown = named_but_unknown(ctx)
        ctx.set("last_topic", "product_attribute")
        if unknown:
            ctx.say(f"没有找到“{unknown}”这款商品，请核对一下型号，或者发商品链接/名称给我～")
        else:
            ctx.dispatcher.utter_message(response="utter_ask_which_product")


class ActionStock(StoreAction):
    action_name = "action_stock"

    def answer(self, ctx: Context) -> None:
        product = resolve_product(ctx)
        if product:
            answer_stock(ctx, product)
            return
        ctx.set("last_topic", "stock")
        unknown = named_but_unknown(ctx)
        if unknown:
            ctx.say(f"没有找到“{unknown}”这款商品，请核对一下型号～")
        else:
            ctx.dispatcher.utter_message(response="utter_ask_which_product")


def budget_in(text: str) -> float | None:
    # Numbers glued to letters are model numbers ("65E7K"), not money.
    for match in re.finditer(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)(w|万|k|千)?(?![a-z0-9])", fold(text)):
        value = float(match.group(1))
        value *= {"w": 10000, "万": 10000, "k": 1000, "千": 1000}.get(match.group(2) or "", 1)
        # Small bare numbers are sizes or areas ("20平", "65寸"), not money.
        if value >= 500:
            return value
    return None


def category_in(text: str) -> str | None:
    folded = fold(text)
    for category, words in CATEGORY_WORDS.items():
        if any(w in folded for w in words):
            return category
    return None


class ActionProductRecommendation(StoreAction):
    action_name = "action_product_recommendation"

    def answer(self, ctx: Context) -> None:
        named = [p for n in ctx.entities("product") for p in ctx.client.search_products(n)[:1]]
        unique = {p["sku"]: p for p in named}
        if len(unique) >= 2:
            self.compare(ctx, list(unique.values()))
            return
        catalogue = ctx.client.list_products()
        category = category_in(ctx.text)
        if category is None and unique:
            category = next(iter(unique.values())).get("category")
        if category is None:
            ctx.say(
                "想买哪一类家电呢？告诉小二品类和预算（比如“预算5000的电视”），帮您挑～",
                [{"title": c, "payload": f"推荐一款{c}"} for c in ("电视", "冰箱", "空调", "洗衣机")],
            )
            ctx.set("last_topic", "recommendation")
            return
        budget = budget_in(ctx.text)
        pool = [p for p in catalogue if p.get("category") == category and int(p.get("stock") or 0) > 0]
        if budget:
            within = [p for p in pool if float(p.get("price") or 0) <= budget]
            pool = within or sorted(pool, key=lambda p: float(p.get("price") or 0))[:3]
        picks = sorted(pool, key=lambda p: float(p.get("price") or 0), reverse=True)[:3]
        if not picks:
            ctx.say(f"{category}暂时没有合适的有货型号，可以转人工客服帮您看看～")
            return
        lines = [
            f"{i}. {short_name(p)}：{p['name']}，¥{yuan(p.get('price'))}" for i, p in enumerate(picks, 1)
        ]
        budget_note = f"预算 {budget:g} 元左右，" if budget else ""
        ctx.say(
            f"{budget_note}小二为您推荐这几款有货的{category}：\n"
            + "\n".join(lines)
            + "\n想看哪款的参数可以直接问我～"
        )
        ctx.set("last_topic", "recommendation")

    @staticmethod
    def compare(ctx: Context, products: List[Json]) -> None:
        lines = []
        for p in products[:3]:
            attrs = "，".join(f"{k}{v}" for k, v in list((p.get("attributes") or {}).items())[:4])
            lines.append(f"• {short_name(p)}：¥{yuan(p.get('price'))}，{attrs}")
        ctx.say("帮您对比一下：\n" + "\n".join(lines) + "\n更看重哪方面（画质、价格、能耗）可以告诉小二～")
        ctx.set("last_topic", "recommendation")
