"""Products: idempotent PUT, GET, listing, and search ranking."""

from __future__ import annotations

import pytest

from xiaoer.store.search import ALIAS_IN_TEXT, EXACT, TEXT_IN_NAME, score
from xiaoer.text import compact

TV = {
    "name": "海信 65英寸 E7K ULED 144Hz 液晶电视",
    "category": "电视",
    "price": 4299.0,
    "stock": 12,
    "aliases": ["65E7K", "E7K 65寸"],
    "attributes": {"屏幕尺寸": "65英寸", "刷新率": "144Hz", "能效等级": 1},
    "image_url": "https://img.example.com/65e7k.jpg",
    "video_url": None,
    "detail_image_url": "https://img.example.com/65e7k-detail.jpg",
}


def test_put_twice_creates_then_replaces_one_product(api) -> None:
    first = api.put("/api/products/HS-65E7K", json=TV)
    assert first.status_code == 201
    assert first.json() == {"sku": "HS-65E7K", **TV}
    again = api.put("/api/products/HS-65E7K", json=TV)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert [p["sku"] for p in api.get("/api/products").json()] == ["HS-65E7K"]


def test_replace_changes_fields_and_get_returns_the_same_shape(api) -> None:
    api.put("/api/products/HS-65E7K", json=TV)
    changed = {**TV, "price": 3999.99, "stock": 0, "aliases": ["65E7K"], "image_url": None}
    put = api.put("/api/products/HS-65E7K", json=changed)
    assert put.status_code == 200
    got = api.get("/api/products/HS-65E7K")
    assert got.status_code == 200
    assert got.json() == put.json() == {"sku": "HS-65E7K", **changed}


def test_optional_fields_default_to_null_and_body_may_echo_the_sku(api) -> None:
    body = {k: v for k, v in TV.items() if not k.endswith("_url")}
    response = api.put("/api/products/P1", json={**body, "sku": "P1"})
    assert response.status_code == 201
    got = response.json()
    assert got["image_url"] is None and got["video_url"] is None
    assert got["detail_image_url"] is None


def test_attribute_order_and_unicode_survive(api) -> None:
    attributes = {"能效等级": "一级", "屏幕尺寸": 65, "刷新率": "144Hz", "重量": 18.5}
    api.product("P1", attributes=attributes)
    got = api.get("/api/products/P1").json()["attributes"]
    assert list(got.items()) == list(attributes.items())


def test_unknown_product_is_404(api) -> None:
    response = api.get("/api/products/NOPE")
    assert response.status_code == 404
    assert response.json()["field"] is None


def test_list_without_q_returns_the_whole_catalogue_by_sku(api) -> None:
    for sku in ["C", "A", "B"]:
        api.product(sku)
    assert [p["sku"] for p in api.get("/api/products").json()] == ["A", "B", "C"]


@pytest.fixture
def catalogue(api):
    api.product("TV-65E7K", name="海信 65英寸 E7K 液晶电视", aliases=["65E7K", "E7K 65寸"])
    api.product("TV-65E7", name="海信 65英寸 E7 液晶电视", aliases=["65E7"])
    api.product("TV-75E7K", name="海信 75英寸 E7K 液晶电视", aliases=["75E7K"])
    api.product("FR-BCD", name="海信 食神 冰箱 BCD-501", category="冰箱", aliases=["BCD-501", "食神冰箱"])
    return api


def search(api, q: str) -> list:
    response = api.get("/api/products", params={"q": q})
    assert response.status_code == 200
    return [p["sku"] for p in response.json()]


def test_exact_alias_ranks_first(catalogue) -> None:
    assert search(catalogue, "65E7")[0] == "TV-65E7"


def test_alias_inside_a_question_finds_the_product_and_longer_alias_wins(catalogue) -> None:
    # "65E7K的刷新率是多少" holds both "65E7K" and "65E7" (and "E7"): the longest wins.
    assert search(catalogue, "65E7K的刷新率是多少") == ["TV-65E7K", "TV-65E7"]


def test_query_inside_an_alias_or_name(catalogue) -> None:
    assert search(catalogue, "食神") == ["FR-BCD"]
    assert set(search(catalogue, "E7K")) == {"TV-65E7K", "TV-75E7K"}


def test_tiers_rank_before_lengths(api) -> None:
    # The contract's order: an alias inside the text beats the text inside an alias.
    api.product("LONG", name="x", aliases=["E7K Pro"])
    api.product("SHORT", name="y", aliases=["E7"])
    assert search(api, "E7K") == ["SHORT", "LONG"]


def test_every_part_found_somewhere(catalogue) -> None:
    assert search(catalogue, "海信 75英寸") == ["TV-75E7K"]
    assert search(catalogue, "冰箱 501") == ["FR-BCD"]


def test_normalisation_of_width_case_and_spaces(catalogue) -> None:
    assert search(catalogue, "６５ｅ７ｋ")[0] == "TV-65E7K"
    assert search(catalogue, "e7k 65 寸")[0] == "TV-65E7K"


def test_no_match_and_blank_query_give_an_empty_list(catalogue) -> None:
    assert search(catalogue, "洗衣机") == []
    assert search(catalogue, "   ") == []


def test_search_returns_at_most_20(api) -> None:
    for n in range(25):
        api.product(f"P{n:02d}", name=f"空调 {n}")
    assert len(search(api, "空调")) == 20


def test_score_tiers() -> None:
    assert compact(" ６５Ｅ７Ｋ 寸 ") == "65E7K寸"
    assert score("６５ｅ７ｋ 電視", "x", ["65E7K电视"])[0] == EXACT  # width, case, script, spaces
    assert score("65E7K", "x", ["65E7K"])[0] == EXACT
    assert score("海信 65E7K 多大", "x", ["65E7K"]) == (ALIAS_IN_TEXT, 5)
    assert score("E7", "x", ["65E7K"]) == (TEXT_IN_NAME, -5)
    assert score("anything", "x", ["", "  "]) is None
    assert score("", "x", ["65E7K"]) is None
