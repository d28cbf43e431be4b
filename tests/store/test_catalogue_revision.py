"""The catalogue's ETag: a cheap "has anything changed?" before every NLU message."""

from __future__ import annotations

from tests.store.conftest import Api
from tests.store.test_products import TV


def test_unchanged_catalogue_answers_304_without_a_body(api) -> None:
    api.put("/api/products/HS-65E7K", json=TV)
    first = api.get("/api/products")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    again = api.get("/api/products", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag


def test_every_put_changes_the_etag_even_with_the_same_body(api) -> None:
    api.put("/api/products/HS-65E7K", json=TV)
    etag = api.get("/api/products").headers["ETag"]
    api.put("/api/products/HS-65E7K", json={**TV, "aliases": ["65E7K", "新别名"]})
    changed = api.get("/api/products", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.json()[0]["aliases"] == ["65E7K", "新别名"]
    second = changed.headers["ETag"]
    api.put("/api/products/HS-NEW", json={**TV, "aliases": ["NEW1"]})
    added = api.get("/api/products", headers={"If-None-Match": second})
    assert added.status_code == 200
    assert [p["sku"] for p in added.json()] == ["HS-65E7K", "HS-NEW"]


def test_empty_catalogue_has_an_etag_and_a_stale_one_gets_the_list(api) -> None:
    empty = api.get("/api/products")
    assert empty.status_code == 200 and empty.json() == []
    assert api.get("/api/products", headers={"If-None-Match": empty.headers["ETag"]}).status_code == 304
    stale = api.get("/api/products", headers={"If-None-Match": '"not-the-etag", W/"x"'})
    assert stale.status_code == 200 and stale.json() == []


def test_search_is_not_affected_and_needs_the_token(api) -> None:
    api.put("/api/products/HS-65E7K", json=TV)
    etag = api.get("/api/products").headers["ETag"]
    search = api.get("/api/products", params={"q": "65E7K"}, headers={"If-None-Match": etag})
    assert search.status_code == 200 and search.json()[0]["sku"] == "HS-65E7K"
    with Api(api.base_url, token=None) as anonymous:
        assert anonymous.get("/api/products", headers={"If-None-Match": etag}).status_code == 401
