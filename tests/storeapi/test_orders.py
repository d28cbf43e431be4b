"""The order rules every part of Xiaoer uses: which order a buyer means, and the latest tracking event."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.actions.fake_store import ALICE, BOB, LATEST_EVENT, FakeStore, ago, seed_shipped
from xiaoer.storeapi.orders import current_order, latest_tracking, newest_first, owned_order, recent_orders


@pytest.fixture
def store() -> FakeStore:
    store = FakeStore()
    store.put_order("3001000001", ALICE, "completed", created_at=ago(days=60))
    store.put_order("3001000002", ALICE, "shipped", created_at=ago(days=3))
    store.put_order("3001000003", ALICE, "paid", created_at=ago(hours=2))
    store.put_order("3002000001", BOB, "paid", created_at=ago(hours=1))
    return store


def test_owned_order_is_only_ever_the_buyers_own(store):
    assert owned_order(store, ALICE, "3001000002")["order_id"] == "3001000002"
    assert owned_order(store, ALICE, "3002000001") is None  # Bob's
    assert owned_order(store, ALICE, "3999999999") is None
    assert owned_order(store, ALICE, None) is None
    del store.orders["3001000002"]["buyer_id"]
    assert owned_order(store, ALICE, "3001000002") is None  # nobody's is nobody's to see


def test_current_order_is_the_one_in_context_else_the_most_recent(store):
    assert current_order(store, ALICE, "3001000001")["order_id"] == "3001000001"
    assert current_order(store, ALICE)["order_id"] == "3001000003"
    assert current_order(store, ALICE, "3002000001")["order_id"] == "3001000003"
    assert current_order(store, "buyer-nobody") is None


def test_recent_orders_are_newest_first_within_the_window(store):
    assert [o["order_id"] for o in recent_orders(store, ALICE, days=30)] == ["3001000003", "3001000002"]
    # None that recent: every order, newest first.
    long_ago = datetime.now(timezone.utc) + timedelta(days=365)
    assert [o["order_id"] for o in recent_orders(store, ALICE, days=30, now=long_ago)] == [
        "3001000003",
        "3001000002",
        "3001000001",
    ]


def test_newest_first_compares_instants_not_text():
    orders = [
        {"order_id": "a", "created_at": "2026-11-24T09:00:00+08:00"},  # 01:00 UTC
        {"order_id": "b", "created_at": "2026-11-24T02:00:00+00:00"},  # later, sorts first as text
        {"order_id": "c", "created_at": None},
    ]
    assert [o["order_id"] for o in newest_first(orders)] == ["b", "a", "c"]


def test_latest_tracking_is_by_instant(store):
    seed_shipped(store, "3001000002")
    assert latest_tracking(store.get_shipment("3001000002"))["description"] == LATEST_EVENT
    assert latest_tracking({"events": []}) is None
    assert latest_tracking(None) is None


def test_an_unreadable_tracking_time_is_an_error_not_a_guess():
    with pytest.raises(ValueError):
        latest_tracking({"events": [{"time": "昨天下午", "description": "x"}]})
