"""Product attributes, stock and recommendations, answered from the catalogue."""

from __future__ import annotations

import re

import pytest

from actions.products import ActionProductAttribute, ActionProductRecommendation, ActionStock
from tests.actions.harness import entity

TV_ATTRIBUTES = "屏幕尺寸、刷新率、分辨率、背光类型、能效等级、运行内存、存储容量"


def product_turn(text: str, product: str | None = None, attribute: str | None = None) -> dict:
    entities = []
    if product:
        entities.append(entity("product", product, text))
    if attribute:
        entities.append(entity("attribute", attribute, text))
    return {"text": text, "intent": "ask_product_attribute", "entities": entities}


# --- attributes ----------------------------------------------------------------------------------


def test_attribute_of_a_named_product(store, tracker, run):
    outcome = run(ActionProductAttribute(store), tracker("attribute_refresh_rate"))

    assert outcome.text == "65E7K 的刷新率是 144Hz。"
    assert outcome.slots == {
        "product_sku": "TV-65E7K",
        "product": "65E7K",
        "last_topic": "product_attribute",
        "attribute": "刷新率",
    }


def test_follow_up_attribute_of_the_same_product(store, tracker, run):
    """ "那它的能效呢": only the attribute is named; the product is the one in context."""
    outcome = run(ActionProductAttribute(store), tracker("attribute_energy_followup"))

    assert outcome.text == "65E7K 的能效等级是 一级能效。"
    assert outcome.slot("product_sku") == "TV-65E7K"
    assert store.called("get_product") == [("TV-65E7K",)]


@pytest.mark.parametrize(
    "entities",
    [[], [entity("attribute", "升", "这台冰箱多少升")]],
    ids=["words-only", "attribute-entity"],
)
def test_fridge_in_context_how_many_litres(store, tracker, run, entities):
    outcome = run(ActionProductAttribute(store), tracker("fridge_volume_followup", entities=entities))

    assert outcome.text == "520W 的总容积是 520升。"
    assert outcome.slot("product_sku") == "RF-520W"


def test_fridge_question_with_a_tv_in_context_asks_which_product(store, tracker, run):
    outcome = run(
        ActionProductAttribute(store),
        tracker("fridge_volume_followup", slots={"product_sku": "TV-65E7K", "product": "65E7K"}),
    )

    assert outcome.responses == ["utter_ask_which_product"]
    assert outcome.text == ""
    assert "product_sku" not in outcome.slots
    assert outcome.slot("last_topic") == "product_attribute"


def test_unknown_attribute_lists_the_known_ones(store, tracker, run):
    outcome = run(
        ActionProductAttribute(store),
        tracker("attribute_refresh_rate", **product_turn("65E7K的保修期是多久", "65E7K", "保修期")),
    )

    assert outcome.text == f"65E7K（电视）没有“保修期”这项参数哦。已登记的参数有：{TV_ATTRIBUTES}。"
    assert outcome.slot("attribute") == "保修期"


@pytest.mark.parametrize(
    "entities",
    [[], [entity("attribute", "多大", "77Q9X的噪音多大")]],
    ids=["no-entity", "vague-entity"],
)
def test_an_attribute_name_only_the_catalogue_has_is_answered(store, tracker, run, entities):
    """A new product's new attribute (no synonym table entry) is named in the text; it beats "多大"."""
    store.put_product(
        "TV-77Q9X",
        "海悦 77Q9X 电视",
        "电视",
        15999,
        3,
        ["77Q9X"],
        {"屏幕尺寸": "77英寸", "待机功耗": "0.5W"},
    )
    turn = {"text": "77Q9X的待机功耗多大", "intent": "ask_product_attribute", "entities": entities}

    outcome = run(ActionProductAttribute(store), tracker("attribute_refresh_rate", **turn))

    assert outcome.text == "77Q9X 的待机功耗是 0.5W。"
    assert outcome.slot("attribute") == "待机功耗"


@pytest.mark.parametrize(
    "text, entities, expected",
    [
        ("JSQ25-13WT零冷水款能效几级", [], "JSQ25-13WT 的能效等级是 一级能效。"),
        (
            "JSQ25-13WT零冷水款能效几级",
            [entity("attribute", "能效", "JSQ25-13WT零冷水款能效几级")],
            "JSQ25-13WT 的能效等级是 一级能效。",
        ),
        ("JSQ25-13WT有零冷水吗", [], "JSQ25-13WT 的零冷水是 支持（需预留回水管）。"),
    ],
    ids=["descriptor-words-only", "descriptor-with-entity", "asked"],
)
def test_an_attribute_name_describing_the_product_is_not_the_question(
    store, tracker, run, text, entities, expected
):
    store.put_product(
        "HY-KC-JSQ25-13WT",
        "海悦 JSQ25-13WT 13升 燃气热水器 零冷水 一级能效",
        "厨房电器",
        2899,
        9,
        ["JSQ25-13WT"],
        {"能效等级": "一级能效", "零冷水": "支持（需预留回水管）"},
    )
    turn = {"text": text, "intent": "ask_product_attribute", "entities": entities}

    outcome = run(ActionProductAttribute(store), tracker("attribute_refresh_rate", **turn))

    assert outcome.text == expected


def test_product_without_attributes(store, tracker, run):
    outcome = run(
        ActionProductAttribute(store),
        tracker("attribute_refresh_rate", **product_turn("XQG100的转速是多少", "XQG100", "转速")),
    )

    assert outcome.text == "XQG100 暂时还没有登记参数信息，可以转人工客服帮您确认哦。"
    assert outcome.slot("product_sku") == "WM-XQG100"


def test_unknown_product_is_named_back(store, tracker, run):
    outcome = run(
        ActionProductAttribute(store),
        tracker(
            "attribute_energy_followup",
            **product_turn("65X99的刷新率是多少", "65X99", "刷新率"),
            # A product in context must not stand in for the one the buyer named.
        ),
    )

    assert outcome.text.startswith("没有找到“65X99”这款商品")
    assert "144Hz" not in outcome.text
    assert "product_sku" not in outcome.slots
    assert outcome.slot("attribute") == "刷新率"


def test_product_found_in_the_text_without_any_entity(store, tracker, run):
    outcome = run(
        ActionProductAttribute(store),
        tracker("attribute_refresh_rate", text="请问 75e7k 的屏幕多大", entities=[]),
    )

    assert outcome.text == "75E7K 的屏幕尺寸是 75英寸。"
    assert outcome.slot("product_sku") == "TV-75E7K"


def test_longest_alias_in_the_text_wins(store, tracker, run):
    store.put_product(
        "TV-65E7K-PRO", "海悦 65E7K Pro 电视", "电视", 5999, 3, ["65E7K Pro"], {"刷新率": "240Hz"}
    )

    outcome = run(
        ActionProductAttribute(store),
        tracker("attribute_refresh_rate", text="65E7K Pro刷新率多少", entities=[]),
    )

    assert outcome.text == "65E7K Pro 的刷新率是 240Hz。"


def test_no_attribute_asked_gives_the_main_parameters(store, tracker, run):
    outcome = run(
        ActionProductAttribute(store),
        tracker("new_conversation", **product_turn("介绍一下65E7K", "65E7K")),
    )

    assert outcome.text.startswith("海悦 65E7K 65英寸 Mini LED 144Hz 液晶电视（¥4999）的主要参数——")
    assert "刷新率：144Hz" in outcome.text and "运行内存：4GB" in outcome.text
    assert "存储容量" not in outcome.text  # the seventh is left out
    assert "attribute" not in outcome.slots


def test_no_product_at_all_asks_which(store, tracker, run):
    outcome = run(
        ActionProductAttribute(store),
        tracker("new_conversation", **product_turn("刷新率是多少", attribute="刷新率")),
    )

    assert outcome.responses == ["utter_ask_which_product"]
    assert outcome.slots == {"attribute": "刷新率", "last_topic": "product_attribute"}


# --- stock -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stock, expected",
    [
        (120, "65E7K 有现货，库存充足，现价 ¥4999，付款后48小时内发货。"),
        (11, "65E7K 有现货，库存充足，现价 ¥4999，付款后48小时内发货。"),
        (10, "65E7K 有现货，库存仅剩 10 台，现价 ¥4999，喜欢的话尽快下单哦～"),
        (1, "65E7K 有现货，库存仅剩 1 台，现价 ¥4999，喜欢的话尽快下单哦～"),
        (0, "65E7K 暂时缺货"),
    ],
)
def test_stock_levels(store, tracker, run, stock, expected):
    store.products["TV-65E7K"]["stock"] = stock

    outcome = run(ActionStock(store), tracker("stock_question"))

    assert outcome.text.startswith(expected)
    assert ("缺货" in outcome.text) == (stock == 0)
    assert outcome.slots == {"product_sku": "TV-65E7K", "product": "65E7K", "last_topic": "stock"}


def test_stock_promise_follows_the_settings(store, tracker, run, configure):
    configure(ship_within_hours=24)

    outcome = run(ActionStock(store), tracker("stock_question"))

    assert outcome.text == "65E7K 有现货，库存充足，现价 ¥4999，付款后24小时内发货。"


def test_stock_without_a_product_asks_which(store, tracker, run):
    outcome = run(ActionStock(store), tracker("new_conversation", text="有货吗", intent="ask_stock"))

    assert outcome.responses == ["utter_ask_which_product"]
    assert outcome.slots == {"last_topic": "stock"}


def test_stock_of_the_product_in_context(store, tracker, run):
    outcome = run(
        ActionStock(store),
        tracker("attribute_energy_followup", text="这个还有货吗", intent="ask_stock", entities=[]),
    )

    assert outcome.text.startswith("65E7K 有现货，库存充足")


def test_stock_of_an_unknown_product(store, tracker, run):
    text = "65X99有货吗"
    outcome = run(
        ActionStock(store), tracker("stock_question", text=text, entities=[entity("product", "65X99", text)])
    )

    assert outcome.text == "没有找到“65X99”这款商品，请核对一下型号～"


# --- recommendation ----------------------------------------------------------------------------------


def picks(text: str) -> list:
    return re.findall(r"^\d\. (\S+)：", text, flags=re.MULTILINE)


def test_budget_and_category_pick_in_stock_products_within_budget(store, tracker, run):
    outcome = run(ActionProductRecommendation(store), tracker("recommend_tv_budget"))

    # 55E3N (¥2799) fits the budget but is out of stock; 75E7K (¥6999) is over it.
    assert picks(outcome.text) == ["65E7K", "55E5N", "50E3N"]
    assert outcome.text.startswith("预算 5000 元左右，小二为您推荐这几款有货的电视：")
    assert "1. 65E7K：海悦 65E7K 65英寸 Mini LED 144Hz 液晶电视，¥4999" in outcome.text
    assert outcome.slots == {"last_topic": "recommendation"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("65寸的电视，预算5000", ["65E7K", "55E5N", "50E3N"]),
        ("预算3500左右的电视", ["55E5N", "50E3N", "43E2F"]),
        ("电视 5k以内", ["65E7K", "55E5N", "50E3N"]),
        ("和65E7K差不多的电视，预算3500", ["55E5N", "50E3N", "43E2F"]),
        ("电视1.5万以内", ["75E7K", "65E7K", "55E5N"]),
        ("两千块以内的电视，预算2千", ["50E3N", "43E2F"]),
        ("电视推荐一下", ["75E7K", "65E7K", "55E5N"]),
    ],
)
def test_budget_wordings(store, tracker, run, text, expected):
    outcome = run(ActionProductRecommendation(store), tracker("recommend_tv_budget", text=text))

    assert picks(outcome.text) == expected


def test_budget_below_every_product_offers_the_cheapest(store, tracker, run):
    outcome = run(ActionProductRecommendation(store), tracker("recommend_tv_budget", text="预算800的电视"))

    assert picks(outcome.text) == ["55E5N", "50E3N", "43E2F"]


def test_category_of_a_named_product(store, tracker, run):
    text = "有没有和520W差不多的推荐"
    outcome = run(
        ActionProductRecommendation(store),
        tracker("recommend_tv_budget", text=text, entities=[entity("product", "520W", text)]),
    )

    assert picks(outcome.text) == ["520W"]
    assert "有货的冰箱" in outcome.text


def test_two_named_products_are_compared(store, tracker, run):
    text = "65E7K和55E5N哪个好"
    entities = [entity("product", "65E7K", text), entity("product", "55E5N", text)]

    outcome = run(
        ActionProductRecommendation(store), tracker("recommend_tv_budget", text=text, entities=entities)
    )

    assert outcome.text.startswith("帮您对比一下：")
    assert "• 65E7K：¥4999，屏幕尺寸65英寸，刷新率144Hz" in outcome.text
    assert "• 55E5N：¥3299，屏幕尺寸55英寸，刷新率120Hz" in outcome.text
    assert "75E7K" not in outcome.text
    assert outcome.slots == {"last_topic": "recommendation"}


def test_no_category_offers_category_buttons(store, tracker, run):
    outcome = run(
        ActionProductRecommendation(store), tracker("recommend_tv_budget", text="有什么好东西推荐吗")
    )

    assert [b["title"] for b in outcome.buttons] == ["电视", "冰箱", "空调", "洗衣机"]
    assert outcome.buttons[0]["payload"] == "推荐一款电视"
    assert outcome.slots == {"last_topic": "recommendation"}


def test_category_with_nothing_in_stock(store, tracker, run):
    store.put_product("AC-35GW", "海悦 KFR-35GW 1.5匹 空调", "空调", 2899, 0, ["35GW"], {"匹数": "1.5匹"})

    outcome = run(ActionProductRecommendation(store), tracker("recommend_tv_budget", text="推荐个空调"))

    assert outcome.text == "空调暂时没有合适的有货型号，可以转人工客服帮您看看～"


# --- catalogue entities, normalised text, wrong category ------------------------------------------

FRIDGE_ATTRIBUTES = "门款式、制冷方式、冷藏室容积、冷冻室容积、能效等级、产品尺寸、总容积"


def test_catalogue_entity_is_resolved_by_its_sku(store, tracker, run):
    """The NLU catalogue matcher names the SKU: no search, even for a fuzzy mention."""
    text = "65寸的E7K几级能效"
    product = entity("product", "65寸的E7K", text, extractor="CatalogueEntityExtractor")
    product.update(value="65E7K", sku="TV-65E7K")
    turn = {"text": text, "entities": [product, entity("attribute", "几级能效", text)]}
    turn["entities"][1]["value"] = "能效等级"
    outcome = run(ActionProductAttribute(store), tracker("attribute_refresh_rate", **turn))

    assert outcome.text == "65E7K 的能效等级是 一级能效。"
    assert store.called("get_product") == [("TV-65E7K",)]
    assert store.called("search_products") == []


def test_traditional_full_width_text_without_entities(store, tracker, run):
    outcome = run(
        ActionProductAttribute(store),
        tracker("attribute_refresh_rate", text="這台６５ｅ７ｋ的解析度是多少", entities=[]),
    )

    assert outcome.text == "65E7K 的分辨率是 3840×2160（4K）。"


def test_normalised_text_from_nlu_is_used(store, tracker, run):
    state = tracker("attribute_refresh_rate", text="這台６５ｅ７ｋ的刷新率", entities=[])
    state.latest_message["text_normalized"] = "这台65E7K的刷新率"
    outcome = run(ActionProductAttribute(store), state)

    assert outcome.text == "65E7K 的刷新率是 144Hz。"
    assert store.called("search_products") == [("这台65E7K的刷新率",)]


@pytest.mark.parametrize("slots", [{}, {"product_sku": "TV-65E7K", "product": "65E7K"}])
def test_attribute_of_the_wrong_category(store, tracker, run, slots):
    """ "冰箱的刷新率": fridges have none; say so and list what can be asked."""
    outcome = run(
        ActionProductAttribute(store),
        tracker(
            "attribute_refresh_rate",
            text="冰箱的刷新率是多少",
            entities=[entity("attribute", "刷新率", "冰箱的刷新率是多少")],
            slots=slots,
        ),
    )

    assert outcome.text == f"冰箱没有“刷新率”这项参数哦。冰箱可以问我：{FRIDGE_ATTRIBUTES}。"
    assert "product_sku" not in outcome.slots
    assert outcome.slot("last_topic") == "product_attribute"


def test_attribute_the_category_has_still_asks_which_product(store, tracker, run):
    outcome = run(
        ActionProductAttribute(store),
        tracker(
            "attribute_refresh_rate",
            text="冰箱的能效等级是多少",
            entities=[entity("attribute", "能效等级", "冰箱的能效等级是多少")],
        ),
    )

    assert outcome.responses == ["utter_ask_which_product"]


def test_wrong_category_of_a_named_product_lists_its_attributes(store, tracker, run):
    outcome = run(
        ActionProductAttribute(store),
        tracker("attribute_refresh_rate", **product_turn("520W冰箱的刷新率", "520W", "刷新率")),
    )

    assert outcome.text == f"520W（冰箱）没有“刷新率”这项参数哦。已登记的参数有：{FRIDGE_ATTRIBUTES}。"


def test_two_catalogue_entities_are_compared_by_sku(store, tracker, run):
    text = "65寸的E7K和75E7K哪个好"
    first = entity("product", "65寸的E7K", text, extractor="CatalogueEntityExtractor")
    second = entity("product", "75E7K", text, extractor="CatalogueEntityExtractor")
    first.update(value="65E7K", sku="TV-65E7K")
    second.update(sku="TV-75E7K")
    outcome = run(
        ActionProductRecommendation(store),
        tracker("recommend_tv_budget", text=text, entities=[first, second]),
    )

    assert outcome.text.startswith("帮您对比一下：\n• 65E7K：¥4999")
    assert "• 75E7K：¥6999" in outcome.text
    assert store.called("search_products") == []
