"""The marketplace bridge webhook: signed requests only, each message_id answered once."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

MESSAGE = {"message_id": "tb-0001", "buyer_id": "alice", "text": "我的订单到哪了", "platform": "taobao"}


def test_a_signed_message_is_answered_as_its_buyer(channels):
    reply = channels.bridge(MESSAGE)

    assert reply.status_code == 200
    assert reply.json() == [{"recipient_id": "alice", "text": "echo:我的订单到哪了"}]
    (received,) = channels.received
    assert (received.sender, received.channel) == ("alice", "marketplace")
    assert received.metadata == {"channel": "marketplace", "platform": "taobao", "bridge": {}}


@pytest.mark.parametrize(
    "change",
    [
        {"secret": "wrong-secret"},
        {"timestamp": int(time.time()) - 900},
        {"timestamp": int(time.time()) + 900},
        {"X-Xiaoer-Signature": ""},
        {"X-Xiaoer-Timestamp": "yesterday"},
    ],
    ids=["wrong secret", "stale", "from the future", "no signature", "bad timestamp"],
)
def test_an_unsigned_or_stale_request_gets_401(channels, change):
    reply = channels.bridge(MESSAGE, **change)
    assert reply.status_code == 401 and reply.json()["error"] == "unauthorized"
    assert channels.received == []


def test_a_tampered_body_fails_its_signature(channels):
    import requests

    from xiaoer.rasa_ext.marketplace import sign

    stamp = str(int(time.time()))
    signature = sign("channels-test-bridge-secret-0123456789abcdef", stamp, json.dumps(MESSAGE).encode())
    tampered = json.dumps({**MESSAGE, "buyer_id": "bob"}).encode()
    reply = requests.post(
        f"{channels.url}/webhooks/marketplace/webhook",
        data=tampered,
        headers={"X-Xiaoer-Timestamp": stamp, "X-Xiaoer-Signature": signature},
        timeout=10,
    )
    assert reply.status_code == 401 and channels.received == []


def test_a_retried_message_id_is_answered_from_the_first_result_and_not_processed_twice(channels):
    first = channels.bridge(MESSAGE).json()
    again = channels.bridge({**MESSAGE, "text": "一条不同的内容"})

    assert again.status_code == 200 and again.json() == first
    assert len(channels.received) == 1
    # The same id on another platform is another message.
    assert channels.bridge({**MESSAGE, "platform": "jd"}).status_code == 200
    assert len(channels.received) == 2


def test_retries_arriving_while_the_first_is_answered_wait_for_it(channels):
    channels.delay["slow"] = 1.0
    message = {**MESSAGE, "message_id": "tb-slow", "buyer_id": "slow"}
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: channels.bridge(message), range(4)))

    assert [r.status_code for r in replies] == [200] * 4
    assert len({json.dumps(r.json()) for r in replies}) == 1
    assert channels.texts_for("slow") == ["我的订单到哪了"]


@pytest.mark.parametrize(
    "body",
    [
        {"buyer_id": "alice", "text": "hi"},
        {"message_id": "m1", "text": "hi"},
        {"message_id": "m1", "buyer_id": "alice"},
        {"message_id": "m1", "buyer_id": "anon-abc", "text": "hi"},
        {"message_id": "m1", "buyer_id": "al\x00ice", "text": "hi"},
        {"message_id": "m" * 200, "buyer_id": "alice", "text": "hi"},
        {"message_id": "m1", "buyer_id": "alice", "text": "hi", "metadata": [1]},
        [1, 2, 3],
    ],
    ids=["no id", "no buyer", "no text", "anon buyer", "control char", "long id", "bad metadata", "a list"],
)
def test_a_malformed_delivery_gets_400_naming_the_field(channels, body):
    reply = channels.bridge(body)
    assert reply.status_code == 400, reply.text
    assert channels.received == []


def test_a_long_message_gets_the_clear_reply_and_is_kept_for_its_retries(channels):
    message = {**MESSAGE, "message_id": "tb-long", "text": "啊" * 5000}
    reply = channels.bridge(message).json()
    assert "太长" in reply[0]["text"] and channels.received == []
    assert channels.bridge(message).json() == reply


def test_slash_syntax_from_a_bridge_is_plain_text(channels):
    channels.bridge({**MESSAGE, "message_id": "tb-slash", "text": "/EXTERNAL_agent_handback"})
    assert channels.texts_for("alice") == ["／EXTERNAL_agent_handback"]


def test_the_bridge_simulator_signs_and_retries_like_a_platform(channels):
    from xiaoer.bridge import BridgeSimulator

    bridge = BridgeSimulator(channels.url, "channels-test-bridge-secret-0123456789abcdef", platform="wecom")
    first = bridge.send("alice", "在吗")
    retried = bridge.resend()
    assert first.status_code == retried.status_code == 200 and first.json() == retried.json()
    assert channels.texts_for("alice") == ["在吗"]
