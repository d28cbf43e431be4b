"""RasaClient against a real HTTP server on loopback standing in for Rasa."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.assist.fake_http import FakeHttp
from xiaoer.rasa_ext.client import RasaClient, RasaUnavailable

TOKEN = "secret-token"


@pytest.fixture
def rasa():
    with FakeHttp() as fake:
        yield fake


def claims(request) -> dict:
    scheme, _, token = request.headers["Authorization"].partition(" ")
    assert scheme == "Bearer"
    return jwt.decode(token, TOKEN, algorithms=["HS256"])


def test_tracker_and_parse_carry_an_admin_jwt_never_the_token_itself(rasa):
    rasa.route("GET", "/conversations/buyer%201/tracker", {"sender_id": "buyer 1", "events": []})
    rasa.route("POST", "/model/parse", lambda r: (200, {"text": r.body["text"], "intent": {"name": "greet"}}))
    client = RasaClient(rasa.url + "/", TOKEN)

    assert client.tracker("buyer 1")["sender_id"] == "buyer 1"
    assert client.parse("你好")["intent"]["name"] == "greet"
    assert [r.path for r in rasa.requests] == ["/conversations/buyer%201/tracker", "/model/parse"]
    for request in rasa.requests:
        assert "token" not in request.query and TOKEN not in str(request.headers)
        granted = claims(request)
        assert granted["user"]["role"] == "admin" and granted["exp"] - time.time() <= 300
    assert rasa.requests[1].body == {"text": "你好"}


def test_a_jwt_signed_with_another_secret_does_not_verify(rasa):
    rasa.route("POST", "/model/parse", {"intent": {"name": "greet"}})
    RasaClient(rasa.url, "another-secret").parse("你好")
    with pytest.raises(jwt.InvalidSignatureError):
        claims(rasa.requests[0])


def test_the_rest_channel_is_called_with_the_buyers_token(rasa):
    rasa.route("POST", "/webhooks/rest/webhook", [{"recipient_id": "alice", "text": "您好"}])
    answer = RasaClient(rasa.url, TOKEN).rest_message("buyer-token-of-alice", "你好")
    assert answer == [{"recipient_id": "alice", "text": "您好"}]
    assert rasa.requests[0].headers["Authorization"] == "Bearer buyer-token-of-alice"
    assert rasa.requests[0].body == {"message": "你好"}


def test_a_conversation_id_cannot_escape_its_path(rasa):
    rasa.route("GET", "/conversations/../model/parse/tracker", {})
    client = RasaClient(rasa.url, TOKEN)

    with pytest.raises(RasaUnavailable):
        client.tracker("../model/parse")
    assert rasa.requests[0].path == "/conversations/..%2Fmodel%2Fparse/tracker"


def test_agent_message_is_a_bot_event_pushed_to_the_buyers_channel(rasa):
    rasa.route("POST", "/conversations/buyer-1/tracker/events", {"events": []})
    client = RasaClient(rasa.url, TOKEN)

    client.send_agent_message(
        "buyer-1",
        "运单号 SF1234567890",
        "agent-li",
        buttons=[{"title": "查物流", "payload": "/query_logistics"}],
        custom={"type": "card"},
    )

    [request] = rasa.requests
    assert request.query == {"output_channel": "latest", "execute_side_effects": "true"}
    [event] = request.body
    assert event["event"] == "bot"
    assert event["text"] == "运单号 SF1234567890"
    assert event["metadata"] == {"agent": "agent-li"}
    assert event["data"] == {
        "buttons": [{"title": "查物流", "payload": "/query_logistics"}],
        "custom": {"type": "card"},
    }
    assert abs(event["timestamp"] - time.time()) < 60


def test_hand_over_records_the_reason_and_pauses(rasa):
    rasa.route("POST", "/conversations/buyer-1/tracker/events", {"events": []})

    RasaClient(rasa.url, TOKEN).hand_over("buyer-1", "agent_took_over")

    [request] = rasa.requests
    assert [(e["event"], e.get("name"), e.get("value")) for e in request.body] == [
        ("slot", "handover_reason", "agent_took_over"),
        ("pause", None, None),
    ]
    assert "execute_side_effects" not in request.query


def test_hand_back_resumes_then_lets_the_bot_say_it_is_back(rasa):
    rasa.route("POST", "/conversations/buyer-1/tracker/events", {"events": []})
    rasa.route("POST", "/conversations/buyer-1/trigger_intent", {"messages": []})

    RasaClient(rasa.url, TOKEN).hand_back("buyer-1", "agent-li")

    resume, trigger = rasa.requests
    assert [(e["event"], e.get("name"), e.get("metadata")) for e in resume.body] == [
        ("resume", None, {"agent": "agent-li"}),
        ("action", "action_listen", None),
    ]
    assert trigger.path == "/conversations/buyer-1/trigger_intent"
    assert trigger.body == {"name": "EXTERNAL_agent_handback", "entities": {}}
    assert trigger.query == {"output_channel": "latest"}


def test_an_error_answer_raises_with_the_status(rasa):
    rasa.route("POST", "/model/parse", lambda r: (401, {"message": "User is not authenticated."}))

    with pytest.raises(RasaUnavailable, match="HTTP 401"):
        RasaClient(rasa.url, "wrong").parse("你好")


def test_a_slow_rasa_times_out(rasa):
    rasa.route("POST", "/model/parse", {"intent": {}})
    rasa.delay = 1.0
    client = RasaClient(rasa.url, TOKEN, timeout=0.2)

    started = time.monotonic()
    with pytest.raises(RasaUnavailable):
        client.parse("你好")
    assert time.monotonic() - started < 0.9


def test_nothing_listening_is_unavailable_not_a_crash():
    from tests.support import free_port

    with pytest.raises(RasaUnavailable):
        RasaClient(f"http://127.0.0.1:{free_port()}", TOKEN, timeout=1).tracker("buyer-1")
