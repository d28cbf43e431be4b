"""Buyers, orders, the status machine and the order events it emits."""

from __future__ import annotations

import pytest

from xiaoer.storeapi.lifecycle import TRANSITIONS

ORDER = {
    "buyer_id": "b1",
    "items": [
        {"sku": "TV", "qty": 2, "unit_price": 0.1},
        {"sku": "FRIDGE", "qty": 1, "unit_price": 0.2},
    ],
    "status": "created",
    "created_at": "2024-06-01T10:00:00+08:00",
    "address": "浙江省杭州市西湖区文三路 1 号",
}


@pytest.fixture
def shop(api):
    api.buyer("b1")
    api.buyer("b2")
    api.product("TV")
    api.product("FRIDGE")
    return api


def put_order(api, order_id: str = "1001", /, **changes):
    return api.put(f"/api/orders/{order_id}", json={**ORDER, **changes})


def event_ids(api) -> list:
    return [e["event_id"] for e in api.get("/api/events").json()]


def test_buyer_put_get_and_replace(api) -> None:
    first = api.put("/api/buyers/b1", json={"nickname": "小王", "phone": "138****0000"})
    assert first.status_code == 201
    assert first.json() == {
        "buyer_id": "b1",
        "nickname": "小王",
        "phone": "138****0000",
        "marketing_opt_out": False,
    }
    second = api.put("/api/buyers/b1", json={"nickname": "小王", "marketing_opt_out": True})
    assert second.status_code == 200
    assert api.get("/api/buyers/b1").json() == {
        "buyer_id": "b1",
        "nickname": "小王",
        "phone": None,
        "marketing_opt_out": True,
    }
    assert api.get("/api/buyers/nobody").status_code == 404


def test_buyer_validation(api) -> None:
    for body, field in [
        ({}, "nickname"),
        ({"nickname": ""}, "nickname"),
        ({"nickname": "x", "marketing_opt_out": "yes"}, "marketing_opt_out"),
        ({"nickname": "x", "buyer_id": "b2"}, "buyer_id"),
    ]:
        response = api.put("/api/buyers/b1", json=body)
        assert response.status_code == 400, body
        assert response.json()["field"] == field


def test_order_created_with_total_utc_times_and_one_event(shop) -> None:
    response = put_order(shop)
    assert response.status_code == 201
    order = response.json()
    updated_at = order.pop("updated_at")
    assert updated_at.endswith("+00:00")
    assert order == {
        "order_id": "1001",
        **ORDER,
        "created_at": "2024-06-01T02:00:00+00:00",
        "paid_at": None,
        "total": 0.4,  # 2 * 0.1 + 0.2, exact
    }
    assert shop.get("/api/orders/1001").json() == response.json()
    events = shop.get("/api/events").json()
    assert [(e["event_id"], e["type"], e["buyer_id"], e["order_id"]) for e in events] == [
        ("order:1001:created", "order_created", "b1", "1001")
    ]


def test_same_put_twice_is_one_order_and_one_event(shop) -> None:
    assert put_order(shop).status_code == 201
    again = put_order(shop)
    assert again.status_code == 200
    assert [o["order_id"] for o in shop.get("/api/buyers/b1/orders").json()] == ["1001"]
    assert event_ids(shop) == ["order:1001:created"]


def test_a_get_can_be_put_back(shop) -> None:
    order = put_order(shop).json()
    order["status"] = "paid"
    order["paid_at"] = "2024-06-01T10:05:00+08:00"
    response = shop.put("/api/orders/1001", json=order)  # total and updated_at are ignored
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "paid"


def test_status_changes_emit_events_and_paid_at_is_the_event_time(shop) -> None:
    put_order(shop)
    paid_at = "2024-06-01T10:05:00+08:00"
    for status in ["paid", "shipped", "delivered", "completed"]:
        response = put_order(shop, status=status, paid_at=paid_at)
        assert response.status_code == 200, response.text
    events = shop.get("/api/events").json()
    assert [e["type"] for e in events] == [
        "order_created",
        "order_paid",
        "order_shipped",
        "order_delivered",
        "order_completed",
    ]
    assert events[1]["at"] == "2024-06-01T02:05:00+00:00"
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_refunds_emit_nothing_and_a_withdrawn_refund_does_not_repeat_events(shop) -> None:
    put_order(shop, status="paid", paid_at="2024-06-01T10:05:00+08:00")
    for status in ["refunding", "paid", "refunding", "refunded"]:
        assert put_order(shop, status=status).status_code == 200, status
    assert event_ids(shop) == ["order:1001:paid"]


def test_an_order_created_in_a_later_status_emits_that_status_event(shop) -> None:
    put_order(shop, status="delivered")
    assert event_ids(shop) == ["order:1001:delivered"]


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (start, target)
        for start in TRANSITIONS
        for target in TRANSITIONS
        if target != start and target not in TRANSITIONS[start]
    ],
)
def test_forbidden_transitions_are_409_and_change_nothing(shop, start, target) -> None:
    put_order(shop, status=start)
    response = put_order(shop, status=target)
    assert response.status_code == 409
    assert response.json()["field"] == "status"
    assert shop.get("/api/orders/1001").json()["status"] == start


def test_allowed_transitions_table() -> None:
    assert TRANSITIONS["created"] == {"paid", "cancelled"}
    assert TRANSITIONS["cancelled"] == TRANSITIONS["refunded"] == set()
    assert TRANSITIONS["refunding"] == {"refunded", "paid", "shipped", "delivered", "completed"}


def test_moving_an_order_to_another_buyer_is_409(shop) -> None:
    put_order(shop)
    response = put_order(shop, buyer_id="b2")
    assert response.status_code == 409
    assert response.json()["field"] == "buyer_id"


def test_unknown_buyer_or_sku_is_400_naming_the_field(shop) -> None:
    response = put_order(shop, buyer_id="ghost")
    assert response.status_code == 400
    assert response.json()["field"] == "buyer_id"
    items = [ORDER["items"][0], {"sku": "GHOST", "qty": 1, "unit_price": 1}]
    response = put_order(shop, items=items)
    assert response.status_code == 400
    assert response.json()["field"] == "items.1.sku"
    assert shop.get("/api/orders/1001").status_code == 404
    assert event_ids(shop) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"items": []}, "items"),
        ({"items": [{"sku": "TV", "qty": 1}]}, "items.0.unit_price"),
        ({"items": [[["sku", "TV"], ["qty", 1], ["unit_price", 1]]]}, "items.0"),
        ({"status": "lost"}, "status"),
        ({"paid_at": "2024-06-01T09:00:00+08:00"}, "paid_at"),
        ({"address": 12}, "address"),
        ({"total": 5, "order_id": "999"}, "order_id"),
    ],
)
def test_order_validation(shop, changes, field) -> None:
    response = put_order(shop, **changes)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field


def test_unknown_order_is_404(api) -> None:
    assert api.get("/api/orders/404404").status_code == 404


def test_buyer_orders_newest_first_and_only_theirs(shop) -> None:
    put_order(shop, "1", created_at="2024-06-01T10:00:00+08:00")
    put_order(shop, "2", created_at="2024-06-03T10:00:00+08:00")
    # Earlier in UTC than order 2, though its local clock time reads later.
    put_order(shop, "3", created_at="2024-06-03T10:30:00+09:00")
    put_order(shop, "4", buyer_id="b2")
    assert [o["order_id"] for o in shop.get("/api/buyers/b1/orders").json()] == ["2", "3", "1"]
    assert [o["order_id"] for o in shop.get("/api/buyers/b2/orders").json()] == ["4"]
    shop.buyer("b3")
    assert shop.get("/api/buyers/b3/orders").json() == []
    response = shop.get("/api/buyers/ghost/orders")
    assert response.status_code == 404
