"""The live catalogue through the real stack: a product PUT into the store is answered in the very
next message after the catalogue refresh (a second; no retrain, no restart), and buyer text in any
width, script or case is understood."""

from __future__ import annotations

import requests

from tests.e2e.conftest import Stack

NEW_SKU = "E2E-AC-XH9"
NEW_PRODUCT = {
    "name": "海悦 星河XH9 新风 1.5匹 一级能效 变频空调挂机",
    "category": "空调",
    "price": 3699,
    "stock": 20,
    # A series name no training example, lookup table or jieba dictionary has ever seen.
    "aliases": ["星河XH9", "XH9新风"],
    "attributes": {"匹数": "1.5匹", "能效等级": "新一级能效", "适用面积": "16-22㎡"},
}


def texts(messages: list) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def parse(stack: Stack, text: str) -> dict:
    response = requests.post(
        f"{stack.rasa_url}/model/parse",
        headers=stack.rasa_headers(),
        json={"text": text},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_product_put_now_is_answered_by_attribute_in_the_next_message(stack: Stack) -> None:
    before = parse(stack, "星河XH9的能效等级是多少")
    assert not [e for e in before["entities"] if e.get("sku") == NEW_SKU]

    stack.put(f"/api/products/{NEW_SKU}", NEW_PRODUCT)
    reply = texts(stack.chat("e2e_catalogue_new", "星河XH9的能效等级是多少"))

    assert reply == "星河XH9 的能效等级是 新一级能效。"


def test_a_changed_attribute_and_a_new_alias_are_live_too(stack: Stack) -> None:
    stack.put(
        f"/api/products/{NEW_SKU}",
        {
            **NEW_PRODUCT,
            "aliases": [*NEW_PRODUCT["aliases"], "XH9-PRO"],
            "attributes": {**NEW_PRODUCT["attributes"], "能效等级": "一级能效（2025新标）"},
        },
    )
    reply = texts(stack.chat("e2e_catalogue_changed", "请问xh9-pro几级能效"))

    assert reply == "星河XH9 的能效等级是 一级能效（2025新标）。"


def test_a_new_attribute_name_is_live_too(stack: Stack) -> None:
    """An attribute name no synonym table or training example has: tagged and answered at once."""
    stack.put(
        f"/api/products/{NEW_SKU}",
        {**NEW_PRODUCT, "attributes": {**NEW_PRODUCT["attributes"], "新风换气量": "40m³/h"}},
    )
    parsed = parse(stack, "星河XH9的新风换气量多大")
    attributes = [e["value"] for e in parsed["entities"] if e["entity"] == "attribute"]
    assert "新风换气量" in attributes

    reply = texts(stack.chat("e2e_catalogue_new_attribute", "星河XH9的新风换气量多大"))
    assert reply == "星河XH9 的新风换气量是 40m³/h。"


def test_traditional_full_width_and_emoji_reach_nlu_alike(stack: Stack) -> None:
    stack.put(f"/api/products/{NEW_SKU}", NEW_PRODUCT)
    typed = "請問　星河ｘｈ９🤔的能效等級是多少"
    parsed = parse(stack, typed)

    assert parsed["text"] == typed  # the buyer's own words are kept
    assert parsed["text_normalized"] == "请问 星河XH9 的能效等级是多少"
    assert parsed["intent"]["name"] == "ask_product_attribute"
    by_type = {e["entity"]: e for e in parsed["entities"]}
    product = by_type["product"]
    assert (product["value"], product["sku"]) == ("星河XH9", NEW_SKU)
    # Positions point into what the buyer typed, though the emoji and a space were dropped.
    assert typed[product["start"] : product["end"]] == "星河ｘｈ９"
    attribute = by_type["attribute"]
    assert attribute["value"] == "能效等级"
    assert typed[attribute["start"] : attribute["end"]].startswith("能效等級")

    reply = texts(stack.chat("e2e_catalogue_traditional", typed))
    assert reply == "星河XH9 的能效等级是 新一级能效。"


def test_wrong_category_question_through_the_stack(stack: Stack) -> None:
    stack.put(f"/api/products/{NEW_SKU}", NEW_PRODUCT)
    reply = texts(stack.chat("e2e_catalogue_wrong_category", "空调的刷新率是多少"))

    assert reply.startswith("空调没有“刷新率”这项参数哦。空调可以问我：")
    assert "能效等级" in reply
