"""Events: accepted once per event_id, listed in recorded order."""

from __future__ import annotations

import pytest

EVENT = {
    "event_id": "inq-1",
    "type": "inquiry_without_order",
    "buyer_id": "b1",
    "sku": "TV",
    "at": "2024-06-01T10:00:00+08:00",
}


@pytest.fixture
def shop(api):
    api.buyer("b1")
    api.buyer("b2")
    api.product("TV")
    return api


def test_new_event_then_duplicate(shop) -> None:
    first = shop.post("/api/events", json=EVENT)
    assert first.status_code == 201
    assert first.json() == {"event_id": "inq-1", "duplicate": False}
    # A replay, even with other content, is accepted once and changes nothing.
    again = shop.post("/api/events", json={**EVENT, "at": "2024-06-02T10:00:00+08:00"})
    assert again.status_code == 200
    assert again.json() == {"event_id": "inq-1", "duplicate": True}
    events = shop.get("/api/events").json()
    assert len(events) == 1
    assert events[0] == {
        "seq": events[0]["seq"],
        "event_id": "inq-1",
        "type": "inquiry_without_order",
        "buyer_id": "b1",
        "order_id": None,
        "sku": "TV",
        "at": "2024-06-01T02:00:00+00:00",
    }


def test_event_with_an_order(shop) -> None:
    shop.order("1001", "b1", "TV")
    body = {**EVENT, "event_id": "e-2", "type": "order_paid", "order_id": "1001"}
    assert shop.post("/api/events", json=body).status_code == 201


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"type": "order_refunded"}, 400, "type"),
        ({"at": "2024-06-01T10:00:00"}, 400, "at"),
        ({"event_id": ""}, 400, "event_id"),
        ({"buyer_id": "ghost"}, 404, "buyer_id"),
        ({"sku": "GHOST"}, 404, "sku"),
        ({"order_id": "404404"}, 404, "order_id"),
        ({"order_id": "2002"}, 400, "order_id"),  # another buyer's order
    ],
)
def test_event_validation(shop, changes, status, field) -> None:
    shop.order("2002", "b2", "TV")
    before = shop.get("/api/events").json()
    response = shop.post("/api/events", json={**EVENT, **changes})
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    assert shop.get("/api/events").json() == before


def test_paging_with_after_and_limit(shop) -> None:
    for n in range(5):
        shop.post("/api/events", json={**EVENT, "event_id": f"e{n}"})
    everything = shop.get("/api/events").json()
    assert [e["event_id"] for e in everything] == [f"e{n}" for n in range(5)]
    first_two = shop.get("/api/events", params={"limit": 2}).json()
    assert [e["event_id"] for e in first_two] == ["e0", "e1"]
    rest = shop.get("/api/events", params={"after": first_two[-1]["seq"]}).json()
    assert [e["event_id"] for e in rest] == ["e2", "e3", "e4"]
    assert shop.get("/api/events", params={"after": rest[-1]["seq"]}).json() == []


def test_default_limit_is_100(shop) -> None:
    for n in range(105):
        shop.post("/api/events", json={**EVENT, "event_id": f"e{n}"})
    assert len(shop.get("/api/events").json()) == 100
    assert len(shop.get("/api/events", params={"limit": 1000}).json()) == 105
