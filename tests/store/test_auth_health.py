"""Bearer auth on /api/, and /health."""

from __future__ import annotations

import socket

import pytest
import requests

from xiaoer.store.app import create_app


def test_health_needs_no_token(api) -> None:
    response = requests.get(api.base_url + "/health", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", "Bearer ", "Basic dXNlcjpwYXNz", "wrong-token"],
)
def test_api_rejects_missing_or_wrong_token(api, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for method, path in [("GET", "/api/products"), ("PUT", "/api/buyers/b1"), ("GET", "/api/x")]:
        response = requests.request(method, api.base_url + path, headers=headers, timeout=5)
        assert response.status_code == 401, (method, path)
        assert response.json() == {"error": "missing or wrong bearer token", "field": None}
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_token_is_checked_before_the_body_is_read(api) -> None:
    response = requests.put(api.base_url + "/api/buyers/b1", data="{not json", timeout=5)
    assert response.status_code == 401


def test_right_token_any_scheme_case(api) -> None:
    token = api.headers["Authorization"].split(" ", 1)[1]
    response = requests.get(
        api.base_url + "/api/products", headers={"Authorization": f"bearer {token}"}, timeout=5
    )
    assert response.status_code == 200
    assert response.json() == []


def test_unknown_route_with_token_is_a_json_404(api) -> None:
    response = api.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["field"] is None


def test_database_down_gives_503_not_500(serve_app) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    app = create_app(f"postgresql://postgres@127.0.0.1:{closed_port}/none", "t0ken")
    with serve_app(app) as base_url:
        assert requests.get(base_url + "/health", timeout=10).status_code == 503
        auth = {"Authorization": "Bearer t0ken"}
        response = requests.get(base_url + "/api/products", headers=auth, timeout=10)
        assert response.status_code == 503
        assert "database" in response.json()["error"]


def test_create_app_refuses_an_empty_token() -> None:
    with pytest.raises(ValueError):
        create_app("sqlite:////tmp/unused.db", "")


def test_openapi_schema_renders_without_a_token(api) -> None:
    response = requests.get(api.base_url + "/openapi.json", timeout=5)
    assert response.status_code == 200
    assert "/api/orders/{order_id}" in response.json()["paths"]


def test_the_read_only_token_reads_and_never_writes(serve_app, tmp_path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'store.db'}", "rw-token", read_token="ro-token")
    buyer = {"nickname": "小王"}
    with serve_app(app) as base_url:
        reader = {"Authorization": "Bearer ro-token"}
        writer = {"Authorization": "Bearer rw-token"}
        assert (
            requests.put(base_url + "/api/buyers/b1", json=buyer, headers=reader, timeout=5).status_code
            == 401
        )
        assert (
            requests.put(base_url + "/api/buyers/b1", json=buyer, headers=writer, timeout=5).status_code
            == 201
        )
        assert (
            requests.get(base_url + "/api/buyers/b1", headers=reader, timeout=5).json()["nickname"] == "小王"
        )
        assert requests.post(base_url + "/api/events", json={}, headers=reader, timeout=5).status_code == 401


def test_the_read_only_token_must_differ_from_the_read_write_one() -> None:
    with pytest.raises(ValueError):
        create_app("sqlite:////tmp/unused.db", "same", read_token="same")
