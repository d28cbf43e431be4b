"""The fake store answers as the Store API does, or the action tests prove nothing."""

from __future__ import annotations

import pytest

from tests.actions.fake_store import ALICE, BOB, FakeStore, ago, ahead
from xiaoer.storeapi.client import StoreClient, StoreUnavailable


def skus(products: list) -> list:
    return [p["sku"] for p in products]


def test_same_public_methods_as_the_real_client():
    public = {name for name in vars(StoreClient) if not name.startswith("_")}
    assert public <= set(dir(FakeStore))


@pytest.mark.parametrize(
    "query, expected",
    [
        ("65E7K", ["TV-65E7K"]),  # exact alias
        ("６５ｅ７ｋ", ["TV-65E7K"]),  # NFKC and case
        ("e7k 65 寸", ["TV-65E7K"]),  # whitespace ignored: alias "E7K 65寸"
        ("65E7K的刷新率是多少", ["TV-65E7K"]),  # alias inside the query
        ("E7K", ["TV-65E7K", "TV-75E7K"]),  # query inside aliases
        ("对开门", ["RF-520W"]),  # query inside a name
        ("冰淇淋机", []),
        ("   ", []),
    ],
)
def test_search_ranking(store, query, expected):
    assert skus(store.search_products(query)) == expected


def test_exact_beats_contained_and_longer_contained_alias_wins(store):
    store.put_product("TV-65E7K-PRO", "海悦 65E7K Pro 电视", "电视", 5999, 3, ["65E7K Pro"])
    store.put_product("TV-E7K", "海悦 E7K 系列", "电视", 0, 0, ["E7K"])

    assert skus(store.search_products("65E7K Pro的参数"))[:2] == ["TV-65E7K-PRO", "TV-65E7K"]
    assert skus(store.search_products("e7k"))[0] == "TV-E7K"
    assert skus(store.search_products("65e7k pro")) == ["TV-65E7K-PRO", "TV-65E7K", "TV-E7K"]


def test_buyer_orders_newest_first_across_offsets():
    store = FakeStore()
    store.put_order("1", ALICE, created_at="2024-05-18T09:00:00+08:00")  # 01:00 UTC
    store.put_order("2", ALICE, created_at="2024-05-18T02:00:00+00:00")  # 02:00 UTC, newest
    store.put_order("3", BOB, created_at="2024-05-19T00:00:00+00:00")

    assert [o["order_id"] for o in store.buyer_orders(ALICE)] == ["2", "1"]


def test_active_promotions_by_time_and_sku():
    store = FakeStore()
    store.put_promotion("own", "t", "d", skus=["A"])
    store.put_promotion("other", "t", "d", skus=["B"])
    store.put_promotion("all", "t", "d")
    store.put_promotion("over", "t", "d", starts_at=ago(days=9), ends_at=ago(days=1))
    store.put_promotion("soon", "t", "d", starts_at=ahead(days=1), ends_at=ahead(days=9))

    assert {p["promo_id"] for p in store.active_promotions("A")} == {"own", "all"}
    assert {p["promo_id"] for p in store.active_promotions()} == {"own", "other", "all"}


def test_answers_are_copies():
    store = FakeStore()
    store.put_order("1", ALICE)
    store.get_order("1")["status"] = "cancelled"
    assert store.get_order("1")["status"] == "paid"


def test_down_store_raises_on_every_call(store):
    store.down = True
    calls = [
        lambda: store.get_order("1"),
        lambda: store.buyer_orders(ALICE),
        lambda: store.get_shipment("1"),
        lambda: store.get_product("TV-65E7K"),
        lambda: store.search_products("65E7K"),
        lambda: store.list_products(),
        lambda: store.active_promotions(),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailable):
            call()
