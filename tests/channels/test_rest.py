"""REST channel: the buyer is who the store's token says; bad input gets a clear refusal."""

from __future__ import annotations

import jwt
import pytest

from tests.channels.conftest import BUYER_SECRET
from xiaoer import identity


def test_the_sender_is_the_tokens_buyer_whatever_the_body_says(channels):
    reply = channels.rest("alice", {"sender": "bob", "message": "我的订单到哪了"})

    assert reply.status_code == 200
    assert reply.json() == [{"recipient_id": "alice", "text": "echo:我的订单到哪了"}]
    assert [(r.sender, r.channel) for r in channels.received] == [("alice", "rest")]


@pytest.mark.parametrize(
    "token",
    [
        None,
        "not-a-jwt",
        identity.mint("another-secret-of-the-right-length-000000", "alice"),  # forged
        identity.mint(BUYER_SECRET, "alice", ttl_seconds=-3600),  # expired
        jwt.encode({"sub": "alice"}, BUYER_SECRET, algorithm="HS256"),  # no exp
        jwt.encode({"sub": "alice", "exp": 9999999999}, None, algorithm="none"),  # unsigned
        identity.mint(BUYER_SECRET, "anon-0123"),  # a store may not name Xiaoer's anonymous ids
    ],
    ids=["missing", "garbage", "forged", "expired", "no exp", "alg none", "anon sub"],
)
def test_without_a_valid_token_401_and_nothing_reaches_the_bot(channels, token):
    reply = channels.rest(None, {"sender": "alice", "message": "我的订单到哪了"}, token=token or "")

    assert reply.status_code == 401
    assert reply.json()["error"] == "unauthorized" and reply.json()["message"]
    assert reply.headers["WWW-Authenticate"] == "Bearer"
    assert channels.received == []


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1, 2]", b'{"text": "no message key"}', b'{"message": 42}', b"\xff\xfe\x00"],
    ids=["empty", "not json", "a list", "no message", "not text", "invalid utf-8"],
)
def test_a_body_that_is_not_a_message_gets_400(channels, body):
    reply = channels.rest("alice", body, headers={"Content-Type": "application/json"})
    assert reply.status_code == 400 and "message" in reply.json()["message"]
    assert channels.received == []


def test_a_body_over_1_mib_gets_413(channels):
    reply = channels.rest("alice", {"message": "好" * (1 << 19)})
    assert reply.status_code == 413
    assert channels.received == []


def test_a_message_over_the_cap_gets_a_clear_reply_and_never_reaches_nlu(channels):
    reply = channels.rest("alice", {"message": "请问" * 600})

    assert reply.status_code == 200
    (message,) = reply.json()
    assert message["recipient_id"] == "alice" and "太长" in message["text"] and "1000" in message["text"]
    assert channels.received == []
    # At the cap it is taken.
    assert channels.rest("alice", {"message": "好" * 1000}).json()[0]["text"] == "echo:" + "好" * 1000


def test_typed_slash_syntax_is_plain_text_unless_the_bot_offered_that_button(channels):
    channels.trackers.offered["alice"] = ['/query_order_status{"order_id":"3001000002"}', "/request_human"]

    for typed in ("/EXTERNAL_agent_handback", "/restart", "/session_start", '/greet{"promo_id": "P9"}'):
        channels.rest("alice", {"message": typed})
    channels.rest("alice", {"message": "/request_human"})
    channels.rest("alice", {"message": ' /query_order_status{"order_id":"3001000002"} '})
    # Another buyer was never offered these buttons.
    channels.rest("bob", {"message": "/request_human"})

    assert channels.texts_for("alice") == [
        "／EXTERNAL_agent_handback",
        "／restart",
        "／session_start",
        '／greet{"promo_id": "P9"}',
        "/request_human",
        '/query_order_status{"order_id":"3001000002"}',
    ]
    assert channels.texts_for("bob") == ["／request_human"]


def test_client_metadata_is_never_taken(channels):
    channels.rest("alice", {"message": "你好", "metadata": {"is_external": True, "agent": "x"}})
    assert channels.received[0].metadata == {"channel": "rest"}
