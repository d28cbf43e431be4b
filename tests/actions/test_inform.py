"""A bare order number, a product, or "换成另一个订单呢": the last question goes on."""

from __future__ import annotations

import pytest

from actions.inform import ActionInform
from tests.actions.fake_store import ALICE, BOB, LATEST_EVENT, TRACKING_NO, ago, seed_shipped
from tests.actions.harness import entity, payload_parts

ORDER = "3001000002"  # in context in inform_another_order
PICKED = "3001000003"  # typed in inform_order_number
BOB_ORDER = "3002000001"


def test_bare_order_number_continues_the_logistics_question(store, tracker, run):
    seed_shipped(store, PICKED)
    store.put_order(ORDER, ALICE, "paid")

    outcome = run(ActionInform(store), tracker("inform_order_number"))

    assert outcome.text.startswith(f"订单 {PICKED} 正在运输中：顺丰速运，运单号 {TRACKING_NO}")
    assert LATEST_EVENT in outcome.text
    assert outcome.slots == {
        "order_id": PICKED,
        "verified_order_id": PICKED,
        "last_topic": "logistics",
        "offered_human": False,
    }


@pytest.mark.parametrize(
    "topic, expected",
    [
        (None, f"订单 {PICKED} 已付款，仓库正在备货"),
        ("order_status", f"订单 {PICKED} 已付款，仓库正在备货"),
        ("urge_shipment", "已经帮您催促仓库加急处理啦"),
        ("price_protection", f"帮您核对了订单 {PICKED}"),
        ("stock", f"订单 {PICKED} 已付款，仓库正在备货"),
    ],
)
def test_bare_order_number_by_topic(store, tracker, run, topic, expected):
    store.put_order(PICKED, ALICE, "paid")

    outcome = run(ActionInform(store), tracker("inform_order_number", slots={"last_topic": topic}))

    assert outcome.text.startswith(expected)
    assert not outcome.paused


def test_bare_order_number_after_a_cancel_question_hands_over(store, tracker, run):
    store.put_order(PICKED, ALICE, "paid")

    outcome = run(ActionInform(store), tracker("inform_order_number", slots={"last_topic": "cancel_order"}))

    assert "可以取消并全额退款" in outcome.text
    assert outcome.paused


def test_bare_number_of_another_buyers_order(store, tracker, run):
    seed_shipped(store, BOB_ORDER, buyer_id=BOB)
    text = BOB_ORDER

    outcome = run(
        ActionInform(store),
        tracker(
            "inform_order_number",
            text=text,
            entities=[entity("order_id", text, text, "RegexEntityExtractor")],
        ),
    )

    assert (
        outcome.text == f"没有查到订单号 {BOB_ORDER} 的订单，请核对一下订单号哦（可以在“我的订单”里复制）。"
    )
    assert TRACKING_NO not in outcome.text
    assert outcome.slots == {"order_id": None}


def test_another_order_when_there_is_exactly_one_other(store, tracker, run):
    seed_shipped(store, ORDER)
    store.put_order(PICKED, ALICE, "paid", created_at=ago(days=6))

    outcome = run(ActionInform(store), tracker("inform_another_order"))

    assert outcome.text.startswith(f"订单 {PICKED} 已付款，还没有发货")
    assert outcome.buttons == []
    assert outcome.slots == {
        "order_id": PICKED,
        "verified_order_id": PICKED,
        "last_topic": "logistics",
        "offered_human": False,
    }


def test_another_order_when_there_are_several_others(store, tracker, run):
    seed_shipped(store, ORDER)
    others = ["3001000005", "3001000004", PICKED]
    for n, order_id in enumerate(others):
        store.put_order(order_id, ALICE, "paid", created_at=ago(days=n + 1))
    store.put_order(BOB_ORDER, BOB, "paid", created_at=ago(hours=1))

    outcome = run(ActionInform(store), tracker("inform_another_order"))

    assert outcome.text == "好的，您想查哪个订单呢？"
    assert [payload_parts(b["payload"]) for b in outcome.buttons] == [
        ("query_logistics", {"order_id": order_id}) for order_id in others
    ]
    assert ORDER not in str(outcome.buttons) and BOB_ORDER not in str(outcome.buttons)
    assert outcome.slots == {"last_topic": "logistics"}


def test_another_order_when_there_is_none(store, tracker, run):
    seed_shipped(store, ORDER)

    outcome = run(ActionInform(store), tracker("inform_another_order"))

    assert outcome.text == "您的账号下没有其他订单了哦。"


def test_product_continues_the_stock_question(store, tracker, run):
    outcome = run(ActionInform(store), tracker("inform_product_after_stock"))

    assert outcome.text == "75E7K 有现货，库存仅剩 8 台，现价 ¥6999，喜欢的话尽快下单哦～"
    assert outcome.slots == {"product_sku": "TV-75E7K", "product": "75E7K", "last_topic": "stock"}


def test_product_continues_the_attribute_question(store, tracker, run):
    outcome = run(
        ActionInform(store),
        tracker("inform_product_after_stock", slots={"last_topic": "product_attribute", "attribute": "能效"}),
    )

    assert outcome.text == "75E7K 的能效等级是 二级能效。"


def test_product_continues_the_promotion_question(store, tracker, run):
    store.put_promotion("P-E7K", "E7K 限时直降", "立减500元", "discount", skus=["TV-75E7K"])

    outcome = run(
        ActionInform(store), tracker("inform_product_after_stock", slots={"last_topic": "promotion"})
    )

    assert outcome.text.startswith("75E7K（现价 ¥6999）现在可以享受：\n• 【直降】E7K 限时直降：立减500元")


def test_product_without_a_topic_gives_an_overview(store, tracker, run):
    outcome = run(ActionInform(store), tracker("inform_product_after_stock", slots={"last_topic": None}))

    assert outcome.text.startswith(
        "海悦 75E7K 75英寸 Mini LED 144Hz 液晶电视（¥6999）的主要参数——屏幕尺寸：75英寸"
    )


def test_unknown_product(store, tracker, run):
    text = "那75X99呢"

    outcome = run(
        ActionInform(store),
        tracker("inform_product_after_stock", text=text, entities=[entity("product", "75X99", text)]),
    )

    assert outcome.text == "没有找到“75X99”这款商品，请核对一下型号～"
    # The product in context is not answered in its place.
    assert "65E7K" not in outcome.text and outcome.slots == {}


def test_nothing_recognisable(store, tracker, run):
    outcome = run(ActionInform(store), tracker("new_conversation", text="嗯嗯", intent="inform"))

    assert outcome.text.startswith("收到～请问想了解哪方面呢？")
    assert outcome.slots == {}
