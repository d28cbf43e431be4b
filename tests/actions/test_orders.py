"""Order status, cancel, change and urge: worded from the order's state, for its owner only."""

from __future__ import annotations

import json
from datetime import timedelta, timezone

import pytest

from actions.orders import ActionCancelOrder, ActionChangeOrder, ActionOrderStatus, ActionUrgeShipment
from tests.actions.fake_store import (
    ALICE,
    BOB,
    LATEST_EVENT,
    OLDER_EVENT,
    SHANGHAI,
    TRACKING_NO,
    ago,
    day,
    iso,
    now,
    seed_shipped,
)
from tests.actions.harness import entity, payload_parts

ORDER = "3001000002"
OTHER_ORDER = "3001000003"
BOB_ORDER = "3002000001"
UNKNOWN = "3009999999"
UNKNOWN_TEXT = f"没有查到订单号 {UNKNOWN} 的订单，请核对一下订单号哦（可以在“我的订单”里复制）。"


# --- status wording -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, expected",
    [
        ("created", ["还未付款", "待付款", "实付 ¥4999"]),
        ("paid", ["已付款", "备货", "发货"]),
        ("shipped", ["已发货", "顺丰速运", TRACKING_NO]),
        ("delivered", ["已签收", "预约安装"]),
        ("completed", ["已完成", "预约安装"]),
        ("cancelled", ["已取消", "重新下单"]),
        ("refunding", ["正在退款中", "原路退回"]),
        ("refunded", ["已退款完成", "原路退回"]),
    ],
)
def test_order_status_is_worded_by_status(store, tracker, run, status, expected):
    if status in ("shipped", "delivered", "completed"):
        seed_shipped(store, ORDER, status=status)
    else:
        store.put_order(ORDER, ALICE, status)

    outcome = run(ActionOrderStatus(store), tracker("order_status_by_number"))

    assert outcome.text.startswith(f"订单 {ORDER}")
    for fragment in expected:
        assert fragment in outcome.text
    others = {"created": "还未付款", "cancelled": "已取消", "refunded": "已退款完成", "shipped": "已发货。"}
    for other, fragment in others.items():
        if other != status:
            assert fragment not in outcome.text
    assert outcome.slots == {
        "order_id": ORDER,
        "verified_order_id": ORDER,
        "last_topic": "order_status",
        "offered_human": False,
    }
    assert not outcome.paused


def test_shipped_status_names_carrier_tracking_latest_event_and_eta(store, tracker, run):
    eta = seed_shipped(store, ORDER)

    outcome = run(ActionOrderStatus(store), tracker("order_status_by_number"))

    assert "顺丰速运" in outcome.text
    assert f"运单号 {TRACKING_NO}" in outcome.text
    # The latest event by time, though an older one sorts later as text (+08:00 vs +00:00).
    assert LATEST_EVENT in outcome.text
    assert OLDER_EVENT not in outcome.text
    # The ETA is a date in the store's timezone (20:00 UTC is the next morning in Shanghai).
    assert f"预计 {day(eta)} 送达" in outcome.text
    assert day(eta) != f"{eta.month}月{eta.day}日"


def test_paid_status_promises_ship_by_time(store, tracker, run):
    paid_at = (now() - timedelta(hours=5)).astimezone(timezone.utc)
    store.put_order(ORDER, ALICE, "paid", created_at=ago(hours=6), paid_at=iso(paid_at))
    deadline = (paid_at + timedelta(hours=48)).astimezone(SHANGHAI)

    outcome = run(ActionOrderStatus(store), tracker("order_status_by_number"))

    assert outcome.text == (
        f"订单 {ORDER} 已付款，仓库正在备货，预计 {day(deadline)} {deadline:%H:%M} 前发货。"
    )


# --- which order ------------------------------------------------------------------------------------


def test_order_number_from_regex_entity_beats_a_diet_guess(store, tracker, run):
    store.put_order(ORDER, ALICE, "cancelled")
    store.put_order(OTHER_ORDER, ALICE, "refunded")
    text = f"订单{OTHER_ORDER}怎么样了"
    entities = [
        entity("order_id", ORDER, text, "DIETClassifier"),
        entity("order_id", OTHER_ORDER, text, "RegexEntityExtractor"),
    ]

    outcome = run(ActionOrderStatus(store), tracker("order_status_by_number", text=text, entities=entities))

    assert outcome.text.startswith(f"订单 {OTHER_ORDER} 已退款完成")
    assert outcome.slot("order_id") == OTHER_ORDER


def test_order_number_from_text_when_nlu_missed_it(store, tracker, run):
    store.put_order(ORDER, ALICE, "cancelled")
    store.put_order(OTHER_ORDER, ALICE, "refunding")

    outcome = run(
        ActionOrderStatus(store),
        tracker("order_status_no_number", text=f"订单号是 {OTHER_ORDER} 帮我看看", entities=[]),
    )

    assert outcome.text.startswith(f"订单 {OTHER_ORDER} 正在退款中")
    assert store.called("buyer_orders") == []


def test_order_number_in_message_beats_order_in_context(store, tracker, run):
    store.put_order(ORDER, ALICE, "cancelled")
    store.put_order(OTHER_ORDER, ALICE, "refunding")
    text = f"那{OTHER_ORDER}呢"

    outcome = run(
        ActionOrderStatus(store),
        tracker(
            "order_status_by_number",
            text=text,
            entities=[entity("order_id", OTHER_ORDER, text, "RegexEntityExtractor")],
            slots={"order_id": ORDER},
        ),
    )

    assert outcome.text.startswith(f"订单 {OTHER_ORDER}")
    assert ORDER not in outcome.text


def test_no_orders_at_all(store, tracker, run):
    store.put_order(BOB_ORDER, BOB, "paid")

    outcome = run(ActionOrderStatus(store), tracker("order_status_no_number"))

    assert "暂时没有查到订单" in outcome.text
    assert BOB_ORDER not in outcome.text
    assert outcome.buttons == []
    assert outcome.slots == {"last_topic": "order_status"}
    assert store.called("buyer_orders") == [(ALICE,)]


def test_one_recent_order_is_answered_without_asking(store, tracker, run):
    store.put_order(ORDER, ALICE, "refunding", created_at=ago(days=3))
    store.put_order("3001000090", ALICE, "completed", created_at=ago(days=45))
    store.put_order("3001000091", ALICE, "completed", created_at=ago(days=90))

    outcome = run(ActionOrderStatus(store), tracker("order_status_no_number"))

    assert outcome.text.startswith(f"订单 {ORDER} 正在退款中")
    assert outcome.buttons == []
    assert outcome.slot("order_id") == ORDER


def test_several_recent_orders_are_offered_as_buttons(store, tracker, run):
    store.put_order(ORDER, ALICE, "shipped", created_at=ago(days=3))
    store.put_order(OTHER_ORDER, ALICE, "created", created_at=ago(hours=2))
    store.put_order("3001000090", ALICE, "completed", created_at=ago(days=45))

    outcome = run(ActionOrderStatus(store), tracker("order_status_no_number"))

    assert outcome.text == "您最近有 2 个订单，想查哪一个呢？"
    assert [b["payload"] for b in outcome.buttons] == [
        f'/query_order_status{{"order_id":"{OTHER_ORDER}"}}',
        f'/query_order_status{{"order_id":"{ORDER}"}}',
    ]
    assert outcome.buttons[0]["title"] == f"{OTHER_ORDER} 65E7K 待付款"
    assert outcome.buttons[1]["title"] == f"{ORDER} 65E7K 已发货"
    assert outcome.slots == {"last_topic": "order_status"}


def test_only_old_orders_are_still_offered(store, tracker, run):
    store.put_order("3001000090", ALICE, "completed", created_at=ago(days=45))
    store.put_order("3001000091", ALICE, "completed", created_at=ago(days=90))

    outcome = run(ActionOrderStatus(store), tracker("order_status_no_number"))

    assert outcome.text == "您最近有 2 个订单，想查哪一个呢？"
    assert [payload_parts(b["payload"]) for b in outcome.buttons] == [
        ("query_order_status", {"order_id": "3001000090"}),
        ("query_order_status", {"order_id": "3001000091"}),
    ]


# --- ownership ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action_class, fixture",
    [
        (ActionOrderStatus, "order_status_by_number"),
        (ActionCancelOrder, "cancel_order"),
        (ActionChangeOrder, "change_order"),
        (ActionUrgeShipment, "urge_shipment"),
    ],
)
def test_another_buyers_order_reads_exactly_like_an_unknown_number(
    store, tracker, run, action_class, fixture
):
    text = f"订单{UNKNOWN}怎么样了"
    turn = {"text": text, "entities": [entity("order_id", UNKNOWN, text, "RegexEntityExtractor")]}
    unknown = run(action_class(store), tracker(fixture, **turn, slots={"order_id": UNKNOWN}))

    seed_shipped(store, UNKNOWN, buyer_id=BOB)
    store.orders[UNKNOWN]["address"] = "北京市朝阳区望京街1号 李四 139****0000"
    foreign = run(action_class(store), tracker(fixture, **turn, slots={"order_id": UNKNOWN}))

    assert foreign.messages == unknown.messages
    assert foreign.events == unknown.events
    assert foreign.text == UNKNOWN_TEXT
    assert foreign.slot("order_id") is None
    for secret in ("顺丰", TRACKING_NO, LATEST_EVENT, "65E7K", "望京", "李四", "已发货", "4999"):
        assert secret not in json.dumps(foreign.messages, ensure_ascii=False)
    assert store.called("get_shipment") == []
    assert store.called("get_product") == []


def test_another_buyers_order_in_context_is_not_followed(store, tracker, run):
    seed_shipped(store, BOB_ORDER, buyer_id=BOB)

    outcome = run(
        ActionOrderStatus(store),
        tracker("logistics_followup_eta", text="它现在什么状态", slots={"order_id": BOB_ORDER}),
    )

    assert outcome.text == UNKNOWN_TEXT.replace(UNKNOWN, BOB_ORDER)
    assert outcome.slot("order_id") is None


# --- cancel ---------------------------------------------------------------------------------------------


def test_cancel_paid_order_hands_over_to_a_human(store, tracker, run):
    store.put_order(ORDER, ALICE, "paid")

    outcome = run(ActionCancelOrder(store), tracker("cancel_order"))

    assert "全额退款" in outcome.text and "转接人工客服" in outcome.text
    assert outcome.paused
    assert outcome.events[-1] == {"event": "pause", "timestamp": None}
    assert outcome.slots == {
        "order_id": ORDER,
        "verified_order_id": ORDER,
        "last_topic": "cancel_order",
        "offered_human": False,
    }


def test_cancel_shipped_order_offers_a_human(store, tracker, run):
    seed_shipped(store, ORDER)

    outcome = run(ActionCancelOrder(store), tracker("cancel_order"))

    assert "已经发货了" in outcome.text and "无法直接取消" in outcome.text
    assert TRACKING_NO in outcome.text
    assert outcome.buttons == [
        {"title": "转人工", "payload": "/request_human"},
        {"title": "不用了", "payload": "/deny"},
    ]
    assert outcome.slot("offered_human") is True
    assert not outcome.paused


def test_cancel_unpaid_order_explains_how(store, tracker, run):
    store.put_order(ORDER, ALICE, "created", created_at=ago(hours=1))

    outcome = run(ActionCancelOrder(store), tracker("cancel_order"))

    assert "“取消订单”" in outcome.text and "不会扣款" in outcome.text
    assert not outcome.paused
    assert outcome.buttons == []
    assert outcome.slot("offered_human") is False


@pytest.mark.parametrize(
    "status, fragment",
    [
        ("delivered", "无理由退货"),
        ("completed", "无理由退货"),
        ("cancelled", "已经是取消状态"),
        ("refunded", "不需要再取消"),
    ],
)
def test_cancel_after_the_fact(store, tracker, run, status, fragment):
    store.put_order(ORDER, ALICE, status)

    outcome = run(ActionCancelOrder(store), tracker("cancel_order"))

    assert fragment in outcome.text
    assert not outcome.paused


# --- change ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["created", "paid"])
def test_change_before_shipping_hands_over(store, tracker, run, status):
    store.put_order(ORDER, ALICE, status)

    outcome = run(ActionChangeOrder(store), tracker("change_order"))

    assert "还没发货" in outcome.text and "人工客服" in outcome.text
    assert outcome.paused
    assert outcome.slots == {
        "order_id": ORDER,
        "verified_order_id": ORDER,
        "last_topic": "change_order",
        "offered_human": False,
    }


def test_change_after_shipping_offers_a_human(store, tracker, run):
    seed_shipped(store, ORDER)

    outcome = run(ActionChangeOrder(store), tracker("change_order"))

    assert "已经发货了" in outcome.text and "无法在线修改" in outcome.text
    assert [b["payload"] for b in outcome.buttons] == ["/request_human", "/deny"]
    assert outcome.slot("offered_human") is True
    assert not outcome.paused


def test_change_completed_order_is_refused(store, tracker, run):
    store.put_order(ORDER, ALICE, "completed")

    outcome = run(ActionChangeOrder(store), tracker("change_order"))

    assert outcome.text == f"订单 {ORDER} 已完成，已经不能修改了哦。"
    assert not outcome.paused


# --- urge --------------------------------------------------------------------------------------------------


def test_urge_unpaid_order(store, tracker, run):
    store.put_order(ORDER, ALICE, "created")

    outcome = run(ActionUrgeShipment(store), tracker("urge_shipment"))

    assert "还未付款" in outcome.text
    assert outcome.slot("last_topic") == "urge_shipment"


def test_urge_paid_order_gives_the_promise(store, tracker, run):
    paid_at = now() - timedelta(hours=30)
    store.put_order(
        ORDER, ALICE, "paid", created_at=iso(paid_at - timedelta(minutes=3)), paid_at=iso(paid_at)
    )
    deadline = paid_at + timedelta(hours=48)

    outcome = run(ActionUrgeShipment(store), tracker("urge_shipment"))

    assert "催促仓库加急" in outcome.text
    assert f"于 {day(paid_at)} {paid_at:%H:%M} 付款" in outcome.text
    assert f"承诺 {day(deadline)} {deadline:%H:%M} 前发货" in outcome.text


def test_urge_shipped_order_shows_where_it_is(store, tracker, run):
    eta = seed_shipped(store, ORDER)

    outcome = run(ActionUrgeShipment(store), tracker("urge_shipment"))

    assert "已经发货啦" in outcome.text
    assert LATEST_EVENT in outcome.text and f"预计 {day(eta)} 送达" in outcome.text


def test_urge_delivered_order_describes_it(store, tracker, run):
    seed_shipped(store, ORDER, status="delivered")

    outcome = run(ActionUrgeShipment(store), tracker("urge_shipment"))

    assert outcome.text.startswith(f"订单 {ORDER} 已签收")


def test_the_shipping_promise_follows_the_settings(store, tracker, run, configure):
    configure(ship_within_hours=24)
    paid_at = now() - timedelta(hours=1)
    store.put_order(ORDER, ALICE, "created")
    store.put_order(OTHER_ORDER, ALICE, "paid", created_at=iso(paid_at), paid_at=iso(paid_at))
    deadline = paid_at + timedelta(hours=24)

    unpaid = run(ActionUrgeShipment(store), tracker("urge_shipment"))
    text = f"订单{OTHER_ORDER}什么时候发货"
    paid = run(
        ActionOrderStatus(store),
        tracker("order_status_by_number", text=text, entities=[entity("order_id", OTHER_ORDER, text)]),
    )

    assert "付款后24小时内发货" in unpaid.text
    assert f"预计 {day(deadline)} {deadline:%H:%M} 前发货" in paid.text
