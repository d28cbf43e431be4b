"""Bad input: 400 naming the field, 413 for big bodies, JSON errors everywhere, never a 500."""

from __future__ import annotations

import json

import pytest

MIB = 1024 * 1024
PRODUCT = {
    "name": "海信 65英寸 E7K",
    "category": "电视",
    "price": 3999.0,
    "stock": 5,
    "aliases": ["65E7K"],
    "attributes": {"刷新率": "144Hz"},
}


def put_raw(api, path: str, data, content_type: str | None = "application/json"):
    headers = {"Content-Type": content_type} if content_type else {}
    return api.put(path, data=data, headers=headers)


@pytest.mark.parametrize(
    "data",
    ['{"name": ', "{'name': 'x'}", "not json", b'{"name": "\xff"}'],
)
def test_malformed_json_is_400(api, data) -> None:
    response = put_raw(api, "/api/products/P1", data)
    assert response.status_code == 400
    body = response.json()
    assert body["field"] is None
    assert body["error"]


@pytest.mark.parametrize("data", ["[1, 2]", '"text"', "null", ""])
def test_body_that_is_not_an_object_is_400(api, data) -> None:
    response = put_raw(api, "/api/products/P1", data)
    assert response.status_code == 400
    assert response.json()["field"] is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ('"price": NaN', "price"),
        ('"price": Infinity', "price"),
        ('"attributes": {"刷新率": NaN}', "attributes.刷新率"),
    ],
)
def test_non_finite_numbers_are_rejected(api, data, field) -> None:
    # Python's JSON parser lets NaN through; it must not reach the database or a response.
    body = '{"name": "n", "category": "c", "price": 1, "stock": 1, "aliases": [], "attributes": {}, '
    response = put_raw(api, "/api/products/P1", body + data + "}")
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_json_without_content_type_is_accepted(api) -> None:
    response = put_raw(api, "/api/products/P1", json.dumps(PRODUCT), content_type=None)
    assert response.status_code == 201


def test_form_content_type_gets_a_helpful_400(api) -> None:
    response = put_raw(api, "/api/products/P1", json.dumps(PRODUCT), "application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "application/json" in response.json()["error"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"name": "   "}, "name"),
        ({"category": 5}, "category"),
        ({"price": -1}, "price"),
        ({"price": "3999"}, "price"),
        ({"price": 19.999}, "price"),
        ({"price": True}, "price"),
        ({"stock": -1}, "stock"),
        ({"stock": 1.5}, "stock"),
        ({"stock": "3"}, "stock"),
        ({"stock": 2**40}, "stock"),
        ({"aliases": "65E7K"}, "aliases"),
        ({"aliases": ["ok", 7]}, "aliases.1"),
        ({"attributes": []}, "attributes"),
        ({"attributes": {"刷新率": {"nested": 1}}}, "attributes.刷新率"),
        ({"attributes": {"刷新率": True}}, "attributes.刷新率"),
        ({"name": "bad\u0000name"}, "name"),
        ({"colour": "red"}, "colour"),
        ({"sku": "OTHER"}, "sku"),
    ],
)
def test_schema_breaks_name_the_field(api, change, field) -> None:
    body = {**PRODUCT, **change}
    response = api.put("/api/products/P1", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert api.get("/api/products/P1").status_code == 404


@pytest.mark.parametrize("missing", ["name", "category", "price", "stock", "aliases", "attributes"])
def test_missing_required_field_is_named(api, missing) -> None:
    body = {k: v for k, v in PRODUCT.items() if k != missing}
    response = api.put("/api/products/P1", json=body)
    assert response.status_code == 400
    assert response.json()["field"] == missing


def test_nested_order_fields_are_named_by_path(api) -> None:
    api.buyer("b1")
    api.product("P1")
    body = {
        "buyer_id": "b1",
        "items": [{"sku": "P1", "qty": 1, "unit_price": 10}, {"sku": "P1", "qty": 0, "unit_price": 10}],
        "status": "created",
        "created_at": "2024-06-01T10:00:00+08:00",
    }
    response = api.put("/api/orders/1001", json=body)
    assert response.status_code == 400
    assert response.json()["field"] == "items.1.qty"


@pytest.mark.parametrize(
    "value",
    ["2024-06-01T10:00:00", "2024-06-01", "yesterday", 1717200000, "2024-13-01T10:00:00+08:00"],
)
def test_times_need_iso_8601_with_an_offset(api, value) -> None:
    api.buyer("b1")
    api.product("P1")
    body = {
        "buyer_id": "b1",
        "items": [{"sku": "P1", "qty": 1, "unit_price": 10}],
        "status": "created",
        "created_at": value,
    }
    response = api.put("/api/orders/1001", json=body)
    assert response.status_code == 400
    assert response.json()["field"] == "created_at"
    assert "created_at" in response.json()["error"]


def test_bad_ids_in_the_path_are_400_not_500(api) -> None:
    response = api.get("/api/products/a%00b")
    assert response.status_code == 400
    assert response.json()["field"] == "sku"
    response = api.get("/api/orders/" + "9" * 129)
    assert response.status_code == 400
    assert response.json()["field"] == "order_id"


def test_bad_query_parameters_are_400(api) -> None:
    for params, field in [
        ({"limit": "many"}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": 0}, "limit"),
        ({"after": -1}, "after"),
        ({"after": 2**70}, "after"),
    ]:
        response = api.get("/api/events", params=params)
        assert response.status_code == 400, params
        assert response.json()["field"] == field


def test_body_over_one_mib_is_413(api) -> None:
    padding = "x" * (MIB + 10)
    response = api.put("/api/products/P1", json={**PRODUCT, "name": padding})
    assert response.status_code == 413
    assert response.json()["field"] is None


def test_streamed_body_over_one_mib_is_413(api) -> None:
    def chunks():  # a generator body goes out chunked, with no Content-Length
        for _ in range(17):
            yield b"x" * 65536

    response = api.put("/api/products/P1", data=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_body_just_under_one_mib_is_read(api) -> None:
    body = {**PRODUCT, "name": ""}
    room = MIB - len(json.dumps(body))
    body["name"] = "x" * room
    data = json.dumps(body)
    assert len(data) == MIB
    response = put_raw(api, "/api/products/P1", data)
    assert response.status_code == 201


def test_wrong_method_is_a_json_405(api) -> None:
    response = api.delete("/api/products/P1")
    assert response.status_code == 405
    assert response.json()["field"] is None
