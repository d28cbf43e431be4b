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
