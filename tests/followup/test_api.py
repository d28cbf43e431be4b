"""POST /events for stores that push: auth, malformed JSON, validation, exactly once per event_id."""

from __future__ import annotations

import pytest
import requests

from tests.followup.conftest import BUYER, iso, jobs
from tests.store.conftest import serve
from xiaoer.followup.api import create_app

TOKEN = "push-token"


@pytest.fixture
def api(engine):
    with serve(create_app(engine, TOKEN)) as base_url:
        yield base_url


def post(api: str, body, token: str | None = TOKEN, raw: bytes | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if raw is not None:
        return requests.post(f"{api}/events", data=raw, headers=headers, timeout=10)
    return requests.post(f"{api}/events", json=body, headers=headers, timeout=10)


def test_health_needs_no_token(api):
    assert requests.get(f"{api}/health", timeout=5).json() == {"status": "ok"}


@pytest.mark.parametrize("token", [None, "wrong"])
def test_missing_or_wrong_token_is_401(api, engine, token, order_event):
    response = post(api, order_event("order_created", "O1"), token=token)
    assert response.status_code == 401
    assert jobs(engine) == []


def test_an_event_is_taken_once(api, engine, order_event):
    event = order_event("order_created", "O1")
    first = post(api, event)
    assert first.status_code == 201
    assert first.json() == {"event_id": "order:O1:created", "outcome": "accepted", "reason": None, "jobs": 2}
    again = post(api, event)
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert len(jobs(engine)) == 2


@pytest.mark.parametrize("raw", [b'{"event_id": "e1", ', b"\xff\xfe", b"", b"null"])
def test_malformed_json_is_400(api, engine, raw):
    response = post(api, None, raw=raw)
    assert response.status_code == 400
    assert response.json()["error"].startswith("body")


def test_schema_error_names_the_field(api, clock):
    response = post(api, {"event_id": "e1", "type": "order_paid", "buyer_id": BUYER, "at": "soon"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("at:")


def test_unknown_type_and_unknown_order_are_recorded_and_skipped(api, clock):
    unknown = post(
        api, {"event_id": "e1", "type": "cart_abandoned", "buyer_id": BUYER, "at": iso(clock.now())}
    )
    assert unknown.status_code == 201
    assert unknown.json()["outcome"] == "skipped" and "unknown event type" in unknown.json()["reason"]
    ghost = {
        "event_id": "e2",
        "type": "order_paid",
        "buyer_id": BUYER,
        "order_id": "NOPE",
        "at": iso(clock.now()),
    }
    assert post(api, ghost).json()["reason"] == "unknown order NOPE"


def test_store_down_while_checking_is_503_and_nothing_recorded(api, engine, store, order_event):
    store.down = True
    response = post(api, order_event("order_created", "O1"))
    assert response.status_code == 503
    store.down = False
    assert post(api, order_event("order_created", "O1")).status_code == 201  # the retry is taken


def test_body_over_a_mebibyte_is_413(api):
    assert post(api, None, raw=b"{" + b" " * (1 << 20) + b"}").status_code == 413
