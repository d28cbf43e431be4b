"""Where the parcel is: by the order's status, for the order the buyer means."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from actions.logistics import ActionLogistics
from tests.actions.fake_store import (
    ALICE,
    BOB,
    LATEST_EVENT,
    OLDER_EVENT,
    SHANGHAI,
    TRACKING_NO,
    FakeStore,
    ago,
    day,
    iso,
    now,
    parse,
    seed_shipped,
)
from tests.actions.harness import entity, payload_parts

ORDER = "3001000002"
OTHER_ORDER = "3001000003"
BOB_ORDER = "3002000001"


def ask(text: str, order_id: str) -> dict:
    return {"text": text, "entities": [entity("order_id", order_id, text, "RegexEntityExtractor")]}


@pytest.mark.parametrize("status", ["created", "paid"])
def test_no_logistics_before_shipping(store, tracker, run, status):
    store.put_order(ORDER, ALICE, status, created_at=ago(hours=20))

    outcome = run(ActionLogistics(store), tracker("logistics_no_number", **ask(f"订单{ORDER}到哪了", ORDER)))

    assert outcome.text.startswith(f"订单 {ORDER}")
    assert "还没有物流信息" in outcome.text or "还没有发货" in outcome.text
    assert "运单号" not in outcome.text
    assert store.called("get_shipment") == []
    assert outcome.slots == {
        "order_id": ORDER,
        "verified_order_id": ORDER,
        "last_topic": "logistics",
        "offered_human": False,
    }


def test_paid_order_says_when_it_ships(store, tracker, run):
    paid_at = now() - timedelta(hours=2)
    store.put_order(ORDER, ALICE, "paid", created_at=iso(paid_at), paid_at=iso(paid_at))
    deadline = paid_at + timedelta(hours=48)

    outcome = run(ActionLogistics(store), tracker("logistics_no_number", **ask(f"订单{ORDER}到哪了", ORDER)))

    assert f"预计 {day(deadline)} {deadline:%H:%M} 前发出" in outcome.text


def test_shipped_order_gives_latest_event_and_eta(store, tracker, run):
    eta = seed_shipped(store, ORDER)

    outcome = run(ActionLogistics(store), tracker("logistics_no_number", **ask(f"订单{ORDER}到哪了", ORDER)))

    latest = parse(store.shipments[ORDER]["events"][0]["time"]).astimezone(SHANGHAI)
    assert outcome.text == (
        f"订单 {ORDER} 正在运输中：顺丰速运，运单号 {TRACKING_NO}。"
        f"最新物流（{day(latest)} {latest:%H:%M}）：上海 {LATEST_EVENT}。"
        f"预计 {day(eta)} 送达。"
    )
    assert OLDER_EVENT not in outcome.text


def test_shipped_without_eta_says_so(store, tracker, run):
    seed_shipped(store, ORDER)
    store.shipments[ORDER]["eta"] = None

    outcome = run(ActionLogistics(store), tracker("logistics_no_number", **ask(f"订单{ORDER}到哪了", ORDER)))

    assert LATEST_EVENT in outcome.text
    assert "送达时间以物流更新为准" in outcome.text


def test_shipped_but_no_shipment_record_yet(store, tracker, run):
    store.put_order(ORDER, ALICE, "shipped")

    outcome = run(ActionLogistics(store), tracker("logistics_no_number", **ask(f"订单{ORDER}到哪了", ORDER)))

    assert outcome.text == f"订单 {ORDER} 暂时还没有物流信息，发货后会第一时间通知您。"


@pytest.mark.parametrize("status", ["delivered", "completed"])
def test_delivered_order_is_signed_for(store, tracker, run, status):
    seed_shipped(store, ORDER, status=status)

    outcome = run(ActionLogistics(store), tracker("logistics_no_number", **ask(f"订单{ORDER}到哪了", ORDER)))

    assert outcome.text.startswith(f"订单 {ORDER} 已签收：顺丰速运，运单号 {TRACKING_NO}")
    assert "预计" not in outcome.text


def test_cancelled_order_has_no_logistics(store, tracker, run):
    store.put_order(ORDER, ALICE, "cancelled")
    store.put_shipment(ORDER, tracking_no="SF9999999999999")

    outcome = run(ActionLogistics(store), tracker("logistics_no_number", **ask(f"订单{ORDER}到哪了", ORDER)))

    assert outcome.text == f"订单 {ORDER} 已取消，没有物流信息。"


def test_refunding_order_still_shows_the_parcel(store, tracker, run):
    seed_shipped(store, ORDER, status="refunding")

    outcome = run(ActionLogistics(store), tracker("logistics_no_number", **ask(f"订单{ORDER}到哪了", ORDER)))

    assert "售后退款" in outcome.text and TRACKING_NO in outcome.text


def test_follow_up_uses_the_order_in_context(store, tracker, run):
    """ "那它什么时候到？" names no order: the one just discussed is meant."""
    eta = seed_shipped(store, ORDER)
    seed_shipped(store, OTHER_ORDER)
    store.shipments[OTHER_ORDER]["tracking_no"] = "SF0000000000003"

    outcome = run(ActionLogistics(store), tracker("logistics_followup_eta"))

    assert outcome.text.startswith(f"订单 {ORDER} 正在运输中")
    assert f"预计 {day(eta)} 送达" in outcome.text
    assert "SF0000000000003" not in outcome.text
    assert store.called("get_order") == [(ORDER,)]
    assert store.called("buyer_orders") == []
    assert outcome.slot("last_topic") == "logistics"


def test_one_order_is_answered_directly(store, tracker, run):
    seed_shipped(store, ORDER)

    outcome = run(ActionLogistics(store), tracker("logistics_no_number"))

    assert outcome.text.startswith(f"订单 {ORDER} 正在运输中")
    assert outcome.slot("order_id") == ORDER


def test_no_orders(store, tracker, run):
    outcome = run(ActionLogistics(store), tracker("logistics_no_number"))

    assert outcome.text.startswith("您的账号下暂时没有查到订单")
    assert outcome.slots == {"last_topic": "logistics"}


def test_several_orders_give_at_most_five_logistics_buttons(store, tracker, run):
    ids = [f"30010001{n:02d}" for n in range(7)]
    for n, order_id in enumerate(ids):
        store.put_order(order_id, ALICE, "shipped", created_at=ago(days=n + 1))
    store.put_order(BOB_ORDER, BOB, "shipped", created_at=ago(hours=1))

    outcome = run(ActionLogistics(store), tracker("logistics_no_number"))

    assert outcome.text.startswith("您最近有 7 个订单，想查哪一个呢？")
    assert "最近的 5 个" in outcome.text and "订单号" in outcome.text  # says the list is cut
    assert len(outcome.buttons) == 5
    assert [payload_parts(b["payload"]) for b in outcome.buttons] == [
        ("query_logistics", {"order_id": order_id}) for order_id in ids[:5]
    ]
    for button, order_id in zip(outcome.buttons, ids[:5], strict=True):
        assert button["payload"] == f'/query_logistics{{"order_id":"{order_id}"}}'
        assert button["title"].startswith(order_id) and "已发货" in button["title"]
    assert BOB_ORDER not in str(outcome.messages)
    assert outcome.slots == {"last_topic": "logistics"}


def test_button_titles_name_the_first_item_and_count_the_rest(store, tracker, run):
    two_items = [
        {"sku": "RF-520W", "qty": 1, "unit_price": 3999},
        {"sku": "TV-65E7K", "qty": 1, "unit_price": 4999},
    ]
    store.put_order(ORDER, ALICE, "paid", items=two_items)
    store.put_order(
        OTHER_ORDER,
        ALICE,
        "paid",
        created_at=ago(days=5),
        items=[{"sku": "TV-GONE", "qty": 1, "unit_price": 999}],
    )

    outcome = run(ActionLogistics(store), tracker("logistics_no_number"))

    titles = [b["title"] for b in outcome.buttons]
    assert titles == [f"{ORDER} 520W等2件 已付款待发货", f"{OTHER_ORDER} TV-GONE 已付款待发货"]


def test_buttons_survive_a_failing_product_lookup(store, tracker, run):
    store.put_order(ORDER, ALICE, "paid")
    store.put_order(OTHER_ORDER, ALICE, "paid", created_at=ago(days=5))
    store.down_methods = {"get_product"}

    outcome = run(ActionLogistics(store), tracker("logistics_no_number"))

    assert outcome.responses == []
    assert [b["title"] for b in outcome.buttons] == [
        f"{ORDER} TV-65E7K 已付款待发货",
        f"{OTHER_ORDER} TV-65E7K 已付款待发货",
    ]


def test_another_buyers_order(store, tracker, run):
    seed_shipped(store, BOB_ORDER, buyer_id=BOB)

    outcome = run(
        ActionLogistics(store), tracker("logistics_no_number", **ask(f"订单{BOB_ORDER}到哪了", BOB_ORDER))
    )

    assert (
        outcome.text == f"没有查到订单号 {BOB_ORDER} 的订单，请核对一下订单号哦（可以在“我的订单”里复制）。"
    )
    assert TRACKING_NO not in str(outcome.messages)
    assert outcome.slot("order_id") is None
    assert store.called("get_shipment") == []


def test_unpaid_order_promise_follows_the_settings(store, tracker, run, configure):
    configure(ship_within_hours=72)
    store.put_order(ORDER, ALICE, "created")

    outcome = run(ActionLogistics(store), tracker("logistics_no_number"))

    assert outcome.text == f"订单 {ORDER} 还未付款，所以还没有物流信息哦。付款后72小时内发货～"


class OverlapStore(FakeStore):
    """Tells whether the shipment was asked for while the order was still being read: get_order
    waits (up to `wait` seconds) for get_shipment to start."""

    def __init__(self, wait: float) -> None:
        super().__init__()
        self.wait = wait
        self.shipment_started = threading.Event()
        self.overlapped: bool | None = None

    def get_order(self, order_id: str):
        self.overlapped = self.shipment_started.wait(self.wait)
        return super().get_order(order_id)

    def get_shipment(self, order_id: str):
        self.shipment_started.set()
        return super().get_shipment(order_id)


def test_a_verified_orders_shipment_is_read_alongside_the_order(tracker, run):
    store = OverlapStore(wait=5)
    seed_shipped(store, ORDER)

    outcome = run(
        ActionLogistics(store),
        tracker(
            "logistics_no_number", slots={"verified_order_id": ORDER}, **ask(f"订单{ORDER}到哪了", ORDER)
        ),
    )

    assert store.overlapped is True
    assert outcome.text.startswith(f"订单 {ORDER} 正在运输中：顺丰速运，运单号 {TRACKING_NO}")
    assert store.called("get_shipment") == [(ORDER,)]
    # Already verified: not set again.
    assert "verified_order_id" not in outcome.slots


def test_an_order_not_verified_before_is_checked_before_its_shipment_is_read(tracker, run):
    store = OverlapStore(wait=0.3)
    seed_shipped(store, ORDER)

    outcome = run(ActionLogistics(store), tracker("logistics_no_number", **ask(f"订单{ORDER}到哪了", ORDER)))

    assert store.overlapped is False
    assert TRACKING_NO in outcome.text
    assert outcome.slot("verified_order_id") == ORDER


def test_another_buyers_shipment_is_never_read_even_with_a_verified_order_in_context(store, tracker, run):
    seed_shipped(store, ORDER)
    seed_shipped(store, BOB_ORDER, buyer_id=BOB)

    outcome = run(
        ActionLogistics(store),
        tracker(
            "logistics_no_number",
            slots={"verified_order_id": ORDER},
            **ask(f"订单{BOB_ORDER}到哪了", BOB_ORDER),
        ),
    )

    assert outcome.text.startswith(f"没有查到订单号 {BOB_ORDER} 的订单")
    assert store.called("get_shipment") == []
    assert "verified_order_id" not in outcome.slots


def test_a_verified_order_not_yet_shipped_answers_from_the_order(store, tracker, run):
    store.put_order(ORDER, ALICE, "paid", created_at=ago(hours=2))

    outcome = run(
        ActionLogistics(store),
        tracker(
            "logistics_no_number", slots={"verified_order_id": ORDER}, **ask(f"订单{ORDER}到哪了", ORDER)
        ),
    )

    assert outcome.text.startswith(f"订单 {ORDER} 已付款，还没有发货")


def test_only_the_actions_can_mark_an_order_verified():
    domain = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8"))
    # No entity, intent or text fills it: a buyer cannot send a payload that claims an order.
    assert domain["slots"]["verified_order_id"]["mappings"] == [{"type": "custom"}]
