"""status=ended: promotions that are over, latest first (a reference-backend extension)."""

from __future__ import annotations

from tests.store.test_promotions import PROMO, active


def test_ended_lists_finished_promotions_latest_first(api) -> None:
    api.put("/api/promotions/p618", json=PROMO)  # ended 2024-06-19
    api.put(
        "/api/promotions/p1111",
        json={
            **PROMO,
            "title": "双十一",
            "starts_at": "2024-11-01T00:00:00+08:00",
            "ends_at": "2024-11-12T00:00:00+08:00",
        },
    )
    api.put(
        "/api/promotions/running",
        json={**PROMO, "starts_at": "2024-01-01T00:00:00+08:00", "ends_at": "2999-01-01T00:00:00+08:00"},
    )
    assert active(api, status="ended") == ["p1111", "p618"]
    assert active(api, status="ended", active_at="2024-07-01T00:00:00+08:00") == ["p618"]
    # The end is exclusive for "active", so at that instant the promotion counts as ended.
    assert active(api, status="ended", active_at="2024-06-19T00:00:00+08:00") == ["p618"]
    assert active(api) == ["running"]
    assert active(api, status="active") == ["running"]


def test_ended_honours_the_sku_filter_and_rejects_unknown_status(api) -> None:
    api.put("/api/promotions/tv", json=PROMO)
    api.put("/api/promotions/fridge", json={**PROMO, "skus": ["FRIDGE"]})
    api.put("/api/promotions/storewide", json={**PROMO, "skus": []})
    assert active(api, status="ended", sku="TV") == ["storewide", "tv"]
    response = api.get("/api/promotions", params={"status": "soon"})
    assert response.status_code == 400
    assert "status" in response.text
