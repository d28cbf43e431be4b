"""Shipments: only for orders that can ship; tracking events come back sorted by time."""

from __future__ import annotations

import pytest

SHIPMENT = {
    "carrier": "顺丰速运",
    "tracking_no": "SF1234567890",
    "eta": "2024-06-04T18:00:00+08:00",
    "events": [
        {"time": "2024-06-03T08:00:00+08:00", "location": "杭州转运中心", "description": "已发出"},
        {"time": "2024-06-02T20:00:00+08:00", "location": "杭州", "description": "已揽收"},
        {"time": "2024-06-03T01:30:00+00:00", "location": "上海", "description": "到达"},
    ],
}


@pytest.fixture
def paid_order(api):
    api.buyer("b1")
    api.product("TV")
    api.order("1001", "b1", "TV", status="paid")
    return api


def test_no_shipment_before_it_ships(paid_order) -> None:
    response = paid_order.get("/api/orders/1001/shipment")
    assert response.status_code == 404
    assert paid_order.get("/api/orders/9999/shipment").status_code == 404


def test_put_creates_then_replaces_and_events_are_sorted(paid_order) -> None:
    first = paid_order.put("/api/orders/1001/shipment", json=SHIPMENT)
    assert first.status_code == 201, first.text
    shipment = first.json()
    assert shipment["order_id"] == "1001"
    assert shipment["eta"] == "2024-06-04T10:00:00+00:00"
    assert [e["time"] for e in shipment["events"]] == [
        "2024-06-02T12:00:00+00:00",
        "2024-06-03T00:00:00+00:00",
        "2024-06-03T01:30:00+00:00",
    ]
    assert [e["description"] for e in shipment["events"]] == ["已揽收", "已发出", "到达"]
    assert paid_order.get("/api/orders/1001/shipment").json() == shipment

    delivering = {"time": "2024-06-04T09:00:00+08:00", "location": "", "description": "派送中"}
    more = {**SHIPMENT, "events": [*SHIPMENT["events"], delivering]}
    again = paid_order.put("/api/orders/1001/shipment", json=more)
    assert again.status_code == 200
    assert len(paid_order.get("/api/orders/1001/shipment").json()["events"]) == 4


def test_eta_is_optional(paid_order) -> None:
    body = {k: v for k, v in SHIPMENT.items() if k != "eta"}
    response = paid_order.put("/api/orders/1001/shipment", json=body)
    assert response.status_code == 201
    assert response.json()["eta"] is None


def test_unknown_order_is_404(api) -> None:
    response = api.put("/api/orders/9999/shipment", json=SHIPMENT)
    assert response.status_code == 404


@pytest.mark.parametrize("status", ["created", "cancelled"])
def test_unshippable_orders_are_409(api, status) -> None:
    api.buyer("b1")
    api.product("TV")
    api.order("1001", "b1", "TV", status=status)
    response = api.put("/api/orders/1001/shipment", json=SHIPMENT)
    assert response.status_code == 409
    assert api.get("/api/orders/1001/shipment").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"carrier": ""}, "carrier"),
        ({"tracking_no": None}, "tracking_no"),
        ({"eta": "2024-06-04"}, "eta"),
        (
            {"events": [{"time": "2024-06-03T08:00:00", "location": "x", "description": "y"}]},
            "events.0.time",
        ),
        ({"events": [{"time": "2024-06-03T08:00:00Z", "location": "x"}]}, "events.0.description"),
    ],
)
def test_shipment_validation(paid_order, changes, field) -> None:
    response = paid_order.put("/api/orders/1001/shipment", json={**SHIPMENT, **changes})
    assert response.status_code == 400
    assert response.json()["field"] == field
