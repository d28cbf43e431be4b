"""Identical writes racing each other: one resource, one 201, no 500."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

WRITERS = 8


def race(api, method: str, path: str, body: dict) -> list:
    token = api.headers["Authorization"]

    def one(_):
        with requests.Session() as session:
            session.headers["Authorization"] = token
            return session.request(method, api.base_url + path, json=body, timeout=30)

    with ThreadPoolExecutor(WRITERS) as pool:
        return list(pool.map(one, range(WRITERS)))


def test_identical_product_puts(api) -> None:
    body = {"name": "n", "category": "c", "price": 1, "stock": 1, "aliases": [], "attributes": {}}
    codes = sorted(r.status_code for r in race(api, "PUT", "/api/products/RACE", body))
    assert codes == [200] * (WRITERS - 1) + [201]
    assert len(api.get("/api/products").json()) == 1


def test_identical_order_puts_emit_one_event(api) -> None:
    api.buyer("b1")
    api.product("TV")
    body = {
        "buyer_id": "b1",
        "items": [{"sku": "TV", "qty": 1, "unit_price": 1}],
        "status": "paid",
        "created_at": "2024-06-01T10:00:00+08:00",
    }
    codes = sorted(r.status_code for r in race(api, "PUT", "/api/orders/1001", body))
    assert codes == [200] * (WRITERS - 1) + [201]
    assert [e["event_id"] for e in api.get("/api/events").json()] == ["order:1001:paid"]


def test_identical_events(api) -> None:
    api.buyer("b1")
    body = {
        "event_id": "once",
        "type": "inquiry_without_order",
        "buyer_id": "b1",
        "at": "2024-06-01T10:00:00+08:00",
    }
    responses = race(api, "POST", "/api/events", body)
    assert sorted(r.status_code for r in responses) == [200] * (WRITERS - 1) + [201]
    assert sum(not r.json()["duplicate"] for r in responses) == 1
    assert len(api.get("/api/events").json()) == 1


def test_reads_on_kept_connections_see_every_finished_write(api) -> None:
    # SQLite connections are kept between requests (a pool): none may answer from an old
    # snapshot once a write has been acknowledged.
    api.buyer("b1")
    api.product("TV")
    for status in ("created", "paid", "shipped", "delivered", "completed"):
        api.order("1001", "b1", "TV", status=status)  # asserts the write was acknowledged
        seen = {r.json()["status"] for r in race(api, "GET", "/api/orders/1001", {})}
        assert seen == {status}
