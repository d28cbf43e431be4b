"""Marketplace order and product cards: fields found, taken out of what the classifiers see, and
given back as entities on the buyer's text."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from xiaoer.nlu.cards import find_cards
from xiaoer.nlu.normalizer import CARD_EXTRACTOR, TEXT_NORMALIZED, OriginalTextRestorer, TextNormalizer

ORDER_CARD = "咨询订单号:261105873012 订单金额:3999.00 下单时间:2026-11-11 00:01:02"


def parse(text: str) -> Message:
    """The normaliser and the restorer, as the pipeline runs them around the classifiers."""
    message = Message(data={TEXT: text})
    TextNormalizer.create({}, None, None, None).process([message])
    OriginalTextRestorer.create({}, None, None, None).process([message])
    return message


def fields(text: str) -> list:
    return [(f.label, f.kind, f.value) for f in find_cards(text)]


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        (f"{ORDER_CARD} 今天能到吗", "今天能到吗"),
        (f"今天能到吗\n{ORDER_CARD}", "今天能到吗"),
        (f"{ORDER_CARD}\n买了隔天就降价怎么处理", "买了隔天就降价怎么处理"),
        ("商品编号:100012345 商品名称:海信 65E7K 65英寸 有货吗", "有货吗"),
        ("訂單號：{訂單號} 訂單金額：{金額} 下單時間：{時間}\n快遞怎麼還沒到", "快递怎么还没到"),
        ("我想问下 订单号：261105873012 到哪了", "我想问下 到哪了"),
    ],
)
def test_the_classifiers_see_the_buyers_words_only(typed: str, words: str) -> None:
    message = parse(typed)
    assert message.get(TEXT_NORMALIZED) == words
    assert message.get(TEXT) == typed  # the tracker keeps what the buyer sent


def test_an_order_card_gives_its_order_number_on_the_buyers_text() -> None:
    typed = f"{ORDER_CARD} 今天能到吗"
    (entity,) = parse(typed).get(ENTITIES)
    assert entity["entity"] == "order_id" and entity["value"] == "261105873012"
    assert typed[entity["start"] : entity["end"]] == "261105873012"
    assert entity["extractor"] == CARD_EXTRACTOR


def test_a_product_card_gives_its_sku_and_keeps_a_name_without_one() -> None:
    (product,) = parse("商品编号:100012345 商品名称:海信 65E7K 65英寸 有货吗").get(ENTITIES)
    assert product["entity"] == "product" and product["sku"] == "100012345"
    # No SKU: the name stays, for the catalogue matcher to find the product in.
    assert parse("商品名称:海信65E7K电视\n这个有赠品吗").get(TEXT_NORMALIZED) == "海信65E7K电视 这个有赠品吗"


def test_a_card_alone_asks_about_its_order_or_product() -> None:
    assert parse(ORDER_CARD).get(TEXT_NORMALIZED) == "这个订单"
    assert parse("商品编号:100012345").get(TEXT_NORMALIZED) == "这个商品"


def test_placeholders_are_not_order_numbers() -> None:
    message = parse("订单号:{order_id} 订单金额:[金额]\n到哪了")
    assert message.get(TEXT_NORMALIZED) == "到哪了"
    assert not message.get(ENTITIES)


@pytest.mark.parametrize(
    "typed",
    ["价格:多少钱", "在么 带数据线么?", "订单号是多少", "帮我转3号客服", "规格：", "下单时间:昨天"],
)
def test_a_buyer_asking_is_not_a_card(typed: str) -> None:
    assert fields(typed) == []
    assert parse(typed).get(TEXT_NORMALIZED) != ""


def test_fields_in_traditional_characters_and_full_width_colons() -> None:
    assert fields("訂單編號：261105873012 實付款：¥3999") == [
        ("订单编号", "order", "261105873012"),
        ("实付款", "info", "¥3999"),
    ]


def test_a_button_payload_passed_on_as_text_reads_as_the_order_it_points_at() -> None:
    # The channels turn a payload the bot never offered into plain text with a full-width slash.
    typed = '／choose_order{"order_id":"269900007001"}'
    message = parse(typed)
    assert message.get(TEXT_NORMALIZED) == "这个订单"
    (entity,) = message.get(ENTITIES)
    assert entity["entity"] == "order_id" and entity["value"] == "269900007001"
    assert typed[entity["start"] : entity["end"]] == "269900007001"
    assert parse('/choose_order{"order_id": "269900007001"} 到哪了').get(TEXT_NORMALIZED) == "到哪了"


@pytest.mark.parametrize("typed", ["／greet", "／restart", '／inform{"name":"x"}', "我想问/怎么退货"])
def test_slash_text_without_an_order_or_sku_is_left_to_the_classifiers(typed: str) -> None:
    assert fields(typed) == []
