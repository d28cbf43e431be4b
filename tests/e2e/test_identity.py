"""Impersonation and abuse on the real stack: an order's facts reach only a request that carries
that buyer's valid token, on every channel (REST, socket.io, the marketplace bridge)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
import socketio

from tests.e2e.conftest import Stack
from xiaoer import identity
from xiaoer.bridge import BridgeSimulator

NOW = datetime.now(timezone.utc)
VICTIM, MALLORY = "e2e_id_victim", "e2e_id_mallory"
VICTIM_ORDER, TRACKING_NO = "269900007001", "SF0000VICTIM01"


def texts(messages: list) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


@pytest.fixture(scope="module")
def victim(stack: Stack) -> Stack:
    stack.put(
        "/api/products/E2E-ID-FRIDGE",
        {
            "name": "海悦 冰箱",
            "category": "冰箱",
            "price": 3999,
            "stock": 5,
            "aliases": ["ID冰箱"],
            "attributes": {},
        },
    )
    for buyer in (VICTIM, MALLORY):
        stack.put(f"/api/buyers/{buyer}", {"nickname": buyer, "phone": "13812345678"})
    stack.put(
        f"/api/orders/{VICTIM_ORDER}",
        {"buyer_id": VICTIM, "items": [{"sku": "E2E-ID-FRIDGE", "qty": 1, "unit_price": 3999}],
         "status": "shipped", "created_at": (NOW - timedelta(days=2)).isoformat(),
         "paid_at": (NOW - timedelta(days=2)).isoformat(), "address": "浙江省杭州市西湖区文三路100号"},
    )  # fmt: skip
    stack.put(
        f"/api/orders/{VICTIM_ORDER}/shipment",
        {"carrier": "顺丰速运", "tracking_no": TRACKING_NO, "events": [
            {"time": (NOW - timedelta(hours=3)).isoformat(), "location": "杭州", "description": "派送中"}]},
    )  # fmt: skip
    return stack


# --- REST -------------------------------------------------------------------------------------------


def test_rest_without_a_valid_token_reads_nothing(victim: Stack):
    url = f"{victim.rasa_url}/webhooks/rest/webhook"
    forged = identity.mint("not-the-store-secret-0123456789abcdef01", VICTIM)
    expired = identity.mint(victim.buyer_secret, VICTIM, ttl_seconds=-3600)
    for headers in ({}, {"Authorization": f"Bearer {forged}"}, {"Authorization": f"Bearer {expired}"}):
        response = requests.post(
            url, json={"sender": VICTIM, "message": "我的订单到哪了"}, headers=headers, timeout=30
        )
        assert response.status_code == 401 and response.json()["error"] == "unauthorized"
        assert TRACKING_NO not in response.text
    tracker = requests.get(
        f"{victim.rasa_url}/conversations/{VICTIM}/tracker", headers=victim.rasa_headers(), timeout=30
    )
    assert not [e for e in tracker.json()["events"] if e["event"] == "user"]  # nothing reached the tracker


def test_a_body_sender_is_ignored_the_token_decides(victim: Stack):
    response = requests.post(
        f"{victim.rasa_url}/webhooks/rest/webhook",
        json={"sender": VICTIM, "message": f"订单{VICTIM_ORDER}到哪了"},
        headers={"Authorization": f"Bearer {victim.buyer_token(MALLORY)}"},
        timeout=60,
    )
    assert response.status_code == 200
    reply = texts(response.json())
    assert TRACKING_NO not in reply and "没有查到" in reply  # another buyer's order: like an unknown one
    assert all(m["recipient_id"] == MALLORY for m in response.json())


def test_typed_control_intents_are_plain_text(victim: Stack):
    buyer = "e2e_id_typist"
    for typed in (
        "/EXTERNAL_agent_handback",
        '/EXTERNAL_followup_presale_campaign{"promo_id": "x"}',
        "/restart",
    ):
        reply = texts(victim.chat(buyer, typed))
        assert "人工客服已处理完毕" not in reply
    tracker = requests.get(
        f"{victim.rasa_url}/conversations/{buyer}/tracker", headers=victim.rasa_headers(), timeout=30
    )
    intents = [e["parse_data"]["intent"]["name"] for e in tracker.json()["events"] if e["event"] == "user"]
    assert not [i for i in intents if i.startswith("EXTERNAL_")], intents
    assert not [e for e in tracker.json()["events"] if e["event"] == "restart"]


def test_a_button_the_bot_offered_still_works(victim: Stack):
    # Two orders: the bot asks which one, with a button per order.
    victim.put(
        "/api/orders/269900007002",
        {"buyer_id": VICTIM, "items": [{"sku": "E2E-ID-FRIDGE", "qty": 1, "unit_price": 3999}],
         "status": "paid", "created_at": (NOW - timedelta(days=1)).isoformat(),
         "paid_at": (NOW - timedelta(days=1)).isoformat()},
    )  # fmt: skip
    buttons = [b for m in victim.chat(VICTIM, "我的快递到哪了") for b in m.get("buttons") or []]
    chosen = next(b["payload"] for b in buttons if VICTIM_ORDER in b["payload"])
    assert chosen.startswith("/")
    assert TRACKING_NO in texts(victim.chat(VICTIM, chosen))
    # The same payload from a buyer who was never offered it is plain text.
    assert TRACKING_NO not in texts(victim.chat(MALLORY, chosen))


def test_a_huge_message_gets_a_clear_reply_at_once(victim: Stack):
    started = time.monotonic()
    reply = victim.chat("e2e_id_huge", "我的订单" * 37_500)  # 150,000 characters
    assert "太长" in texts(reply) and time.monotonic() - started < 10
    # 200,000 characters are over a megabyte of JSON: refused before they are even parsed.
    refused = victim.post_chat("e2e_id_huge", "我的订单" * 50_000)
    assert refused.status_code == 413 and time.monotonic() - started < 20


def test_client_metadata_cannot_hide_a_message_from_agents(victim: Stack):
    buyer = "e2e_id_hider"
    requests.post(
        f"{victim.rasa_url}/webhooks/rest/webhook",
        json={"message": "你好", "metadata": {"is_external": True}},
        headers={"Authorization": f"Bearer {victim.buyer_token(buyer)}"},
        timeout=60,
    )
    tracker = requests.get(
        f"{victim.rasa_url}/conversations/{buyer}/tracker", headers=victim.rasa_headers(), timeout=30
    )
    (said,) = [e for e in tracker.json()["events"] if e["event"] == "user"]
    assert said["metadata"]["channel"] == "rest" and "is_external" not in said["metadata"]


def test_an_anonymous_unsubscribe_creates_no_buyer(victim: Stack):
    client = victim.socketio_client(None)
    confirmed: list = []
    client.on("session_confirm", confirmed.append)
    try:
        client.emit("session_request", {"session_id": VICTIM})
        deadline = time.monotonic() + 15
        while not confirmed and time.monotonic() < deadline:
            client.sleep(0.1)
        client.emit("user_uttered", {"message": "退订"})
        client.sleep(3)
    finally:
        client.disconnect()
    (anonymous,) = confirmed
    assert identity.is_anonymous(anonymous)
    response = requests.get(
        f"{victim.store_url}/api/buyers/{anonymous}",
        headers={"Authorization": f"Bearer {victim.store_token}"},
        timeout=10,
    )
    assert response.status_code == 404


# --- socket.io --------------------------------------------------------------------------------------


def collect(client) -> list:
    received: list = []
    client.on("bot_uttered", received.append)
    return received


def confirm(client, session_id: str | None = None) -> str:
    confirmed: list = []
    client.on("session_confirm", confirmed.append)
    client.emit("session_request", {"session_id": session_id} if session_id else {})
    deadline = time.monotonic() + 15
    while not confirmed and time.monotonic() < deadline:
        client.sleep(0.1)
    assert confirmed, "no session_confirm"
    return confirmed[0]


def test_a_second_client_claiming_a_session_id_gets_its_own_session_only(victim: Stack):
    owner, intruder = victim.socketio_client(VICTIM), victim.socketio_client(MALLORY)
    owner_got, intruder_got = collect(owner), collect(intruder)
    try:
        assert confirm(owner) == VICTIM
        assert confirm(intruder, session_id=VICTIM) == MALLORY  # its claim is ignored
        response = requests.post(
            f"{victim.rasa_url}/conversations/{VICTIM}/trigger_intent",
            params={"output_channel": "socketio"},
            headers=victim.rasa_headers(),
            json={"name": "greet"},
            timeout=30,
        )
        assert response.status_code == 200
        deadline = time.monotonic() + 15
        while not owner_got and time.monotonic() < deadline:
            owner.sleep(0.2)
        intruder.sleep(1)
        assert owner_got and intruder_got == []
        intruder.emit("user_uttered", {"message": f"订单{VICTIM_ORDER}到哪了", "session_id": VICTIM})
        deadline = time.monotonic() + 30
        while not intruder_got and time.monotonic() < deadline:
            intruder.sleep(0.2)
        assert TRACKING_NO not in str(intruder_got) and "没有查到" in str(intruder_got)
    finally:
        owner.disconnect()
        intruder.disconnect()


def test_an_anonymous_visitor_owns_no_orders(victim: Stack):
    client = victim.socketio_client(None)
    received = collect(client)
    try:
        visitor = confirm(client)
        assert identity.is_anonymous(visitor)
        client.emit("user_uttered", {"message": f"订单{VICTIM_ORDER}到哪了"})
        deadline = time.monotonic() + 30
        while not received and time.monotonic() < deadline:
            client.sleep(0.2)
    finally:
        client.disconnect()
    assert received and TRACKING_NO not in str(received)


def test_a_bad_token_is_refused_at_connect(victim: Stack):
    forged = identity.mint("not-the-store-secret-0123456789abcdef01", VICTIM)
    client = socketio.Client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(
            victim.rasa_url, transports=["polling"], socketio_path="/socket.io", auth={"token": forged}
        )


# --- the marketplace bridge --------------------------------------------------------------------------


def test_the_signed_bridge_answers_as_its_buyer_once_per_message_id(victim: Stack):
    bridge = BridgeSimulator(victim.rasa_url, victim.marketplace_secret, platform="e2e")
    question = f"帮我看看订单{VICTIM_ORDER}的物流"
    first = bridge.send(VICTIM, question)
    assert first.status_code == 200 and TRACKING_NO in texts(first.json())
    again = bridge.resend()
    assert again.status_code == 200 and again.json() == first.json()
    tracker = requests.get(
        f"{victim.rasa_url}/conversations/{VICTIM}/tracker", headers=victim.rasa_headers(), timeout=30
    )
    asked = [e for e in tracker.json()["events"] if e["event"] == "user" and e.get("text") == question]
    assert len(asked) == 1  # the retry was not processed again
    forged = BridgeSimulator(victim.rasa_url, "not-the-bridge-secret", platform="e2e").send(
        VICTIM, "我的订单到哪了"
    )
    assert forged.status_code == 401 and TRACKING_NO not in forged.text


def test_a_flood_over_socketio_gets_a_polite_message_and_other_buyers_are_answered(victim: Stack):
    flooder, calm = victim.socketio_client("e2e_id_flooder"), victim.socketio_client("e2e_id_calm")
    flood_got, calm_got = collect(flooder), collect(calm)
    try:
        confirm(flooder)
        confirm(calm)
        # Over the cap: each is refused before NLU, so the flood costs the bot next to nothing.
        for _ in range(60):  # the stack allows a burst of 40, then 2 a second
            flooder.emit("user_uttered", {"message": "快" * 1100})
            flooder.sleep(0.03)  # engine.io itself drops a poll carrying more than 16 packets
        calm.emit("user_uttered", {"message": "你好"})
        deadline = time.monotonic() + 30
        while (not calm_got or not any("稍等" in (m.get("text") or "") for m in flood_got)) and (
            time.monotonic() < deadline
        ):
            flooder.sleep(0.2)
    finally:
        flooder.disconnect()
        calm.disconnect()
    assert any("稍等" in (m.get("text") or "") for m in flood_got)
    assert sum("太长" in (m.get("text") or "") for m in flood_got) < 60  # not all were taken
    assert calm_got and not any("稍等" in (m.get("text") or "") for m in calm_got)
