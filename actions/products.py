"""Product attributes, stock and recommendations, from the live catalogue."""

from __future__ import annotations

import re
from typing import List

from actions.common import Context, StoreAction, short_name, yuan
from xiaoer.nlu import attributes as attribute_words
from xiaoer.nlu.attributes import category_in
from xiaoer.storeapi.contract import Json
from xiaoer.text import compact, normalize_text


def normalized_text(ctx: Context) -> str:
    """This turn's text as NLU saw it (xiaoer.text): simplified, half-width, upper-case."""
    message = ctx.tracker.latest_message or {}
    return message.get("text_normalized") or normalize_text(ctx.text)


def named_skus(ctx: Context) -> List[str]:
    """SKUs the catalogue matcher attached to this turn's product entities."""
    entities = (ctx.tracker.latest_message or {}).get("entities") or []
    return [e["sku"] for e in entities if e.get("entity") == "product" and e.get("sku")]


def resolve_product(ctx: Context, use_context: bool = True) -> Json | None:
    """The product the buyer means: named now, found in the text, or the one in context.

    The product in context is dropped when the buyer names another category
    ("这台冰箱多少升" right after talking about a TV).
    """
    for sku in named_skus(ctx):
        product = ctx.client.get_product(sku)
        if product:
            return product
    for name in ctx.entities("product"):
        hits = ctx.client.search_products(name)
        if hits:
            return hits[0]
    text = normalized_text(ctx)
    hits = ctx.client.search_products(text) if text.strip() else []
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
    folded = compact(asked)
    if not folded:
        return []
    exact = [k for k in attributes if compact(k) == folded]
    if exact:
        return exact
    candidates = attribute_words.candidates(asked)
    contained = [k for k in attributes if compact(k) in folded or folded in compact(k)]
    candidates += [k for k in contained if k not in candidates]
    return candidates


def asked_attribute(ctx: Context, product: Json | None = None) -> str | None:
    """The buyer's words for the attribute: this turn's entity unless it is vague, the product's
    own attribute name asked about in the text, a word from the synonym table, or the context."""
    text = normalized_text(ctx)
    entities = ctx.entities("attribute")
    specific = [e for e in entities if not attribute_words.is_vague(e)]
    if specific:
        return specific[0]
    if product:
        # "77Q9X的待机功耗多大": the product's own name for an attribute beats the vague "多大",
        # and covers names the synonym table has never seen.
        named = attribute_words.asked_names(text, product.get("attributes") or {})
        if named:
            return named[0]
    if entities:
        return entities[0]
    mentions = attribute_words.find_mentions(text)
    if mentions:
        start, end, _ = min(mentions, key=lambda m: len(m[2]))  # the most specific word
        return text[start:end]
    return ctx.tracker.get_slot("attribute")


def answer_attribute(ctx: Context, product: Json, overview: bool = False) -> None:
    """One attribute of the product, or its main parameters when none was asked."""
    remember_product(ctx, product, "product_attribute")
    attributes = product.get("attributes") or {}
    name = short_name(product)
    asked = None if overview else asked_attribute(ctx, product)
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


def not_in_category(ctx: Context, category: str, asked: str) -> bool:
    """Say so when no product of the category has the attribute ("冰箱的刷新率")."""
    products = [p for p in ctx.client.list_products() if p.get("category") == category]
    known: List[str] = []
    for product in products:
        known += [k for k in product.get("attributes") or {} if k not in known]
    if not known:
        return False  # the store sells none: let the buyer name the product
    wanted = set(attribute_words.candidates(asked)) | {asked}
    if wanted & set(known):
        return False
    ctx.say(f"{category}没有“{asked}”这项参数哦。{category}可以问我：{'、'.join(known[:12])}。")
    return True


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
        category = category_in(ctx.text)
        if not unknown and attribute and category and not_in_category(ctx, category, attribute):
            return
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
    for match in re.finditer(r"(?<![A-Z0-9.])(\d+(?:\.\d+)?)(W|万|K|千)?(?![A-Z0-9])", compact(text)):
        value = float(match.group(1))
        value *= {"W": 10000, "万": 10000, "K": 1000, "千": 1000}.get(match.group(2) or "", 1)
        # Small bare numbers are sizes or areas ("20平", "65寸"), not money.
        if value >= 500:
            return value
    return None


class ActionProductRecommendation(StoreAction):
    action_name = "action_product_recommendation"

    def answer(self, ctx: Context) -> None:
        named = [p for p in map(ctx.client.get_product, named_skus(ctx)) if p]
        if not named:
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
