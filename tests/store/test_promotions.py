"""Promotions: validation, and which ones run for a SKU at a moment."""

from __future__ import annotations

import pytest

PROMO = {
    "title": "618 大促",
    "description": "指定电视立减 300 元",
    "kind": "discount",
    "starts_at": "2024-06-01T00:00:00+08:00",
    "ends_at": "2024-06-19T00:00:00+08:00",
    "skus": ["TV"],
}


def active(api, **params) -> list:
    response = api.get("/api/promotions", params=params)
    assert response.status_code == 200, response.text
    return [p["promo_id"] for p in response.json()]


def test_put_creates_then_replaces_and_get_by_id(api) -> None:
    first = api.put("/api/promotions/p618", json=PROMO)
    assert first.status_code == 201
    assert first.json() == {
        "promo_id": "p618",
        **PROMO,
        "starts_at": "2024-05-31T16:00:00+00:00",
        "ends_at": "2024-06-18T16:00:00+00:00",
    }
    second = api.put("/api/promotions/p618", json={**PROMO, "title": "618 狂欢"})
    assert second.status_code == 200
    assert api.get("/api/promotions/p618").json()["title"] == "618 狂欢"
    assert api.get("/api/promotions/nope").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "bogo"}, "kind"),
        ({"ends_at": "2024-05-01T00:00:00+08:00"}, "ends_at"),
        ({"ends_at": PROMO["starts_at"]}, "ends_at"),
        ({"starts_at": "2024-06-01 00:00:00"}, "starts_at"),
        ({"skus": "TV"}, "skus"),
        ({"title": ""}, "title"),
    ],
)
def test_promotion_validation(api, changes, field) -> None:
    response = api.put("/api/promotions/p1", json={**PROMO, **changes})
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_filter_by_time_and_sku_storewide_included(api) -> None:
    api.put("/api/promotions/tv", json=PROMO)
    api.put("/api/promotions/all", json={**PROMO, "kind": "coupon", "skus": []})
    api.put(
        "/api/promotions/later",
        json={**PROMO, "starts_at": "2024-07-01T00:00:00+08:00", "ends_at": "2024-07-02T00:00:00+08:00"},
    )
    api.put("/api/promotions/fridge", json={**PROMO, "kind": "gift", "skus": ["FRIDGE", "AC"]})
    during = "2024-06-10T12:00:00+08:00"
    assert active(api, active_at=during) == ["all", "fridge", "tv"]
    assert active(api, active_at=during, sku="TV") == ["all", "tv"]
    assert active(api, active_at=during, sku="AC") == ["all", "fridge"]
    assert active(api, active_at="2024-07-01T12:00:00+08:00", sku="TV") == ["later"]


def test_window_includes_start_and_excludes_end(api) -> None:
    api.put("/api/promotions/tv", json=PROMO)
    assert active(api, active_at="2024-06-01T00:00:00+08:00") == ["tv"]
    assert active(api, active_at="2024-05-31T23:59:59+08:00") == []
    assert active(api, active_at="2024-06-18T16:00:00Z") == []


def test_active_at_defaults_to_now(api) -> None:
    api.put("/api/promotions/old", json=PROMO)
    current = {**PROMO, "starts_at": "2000-01-01T00:00:00Z", "ends_at": "2999-01-01T00:00:00Z"}
    api.put("/api/promotions/current", json=current)
    assert active(api) == ["current"]


def test_active_at_must_have_an_offset(api) -> None:
    response = api.get("/api/promotions", params={"active_at": "2024-06-10T12:00:00"})
    assert response.status_code == 400
    assert response.json()["field"] == "active_at"
