"""Buyers chat with the running stack over REST; answers carry facts seeded through the store API."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.e2e.conftest import Stack
from xiaoer.rasa_ext.client import RasaClient

NOW = datetime.now(timezone.utc)
ALICE, BOB, ALICE_TWIN = "e2e_alice", "e2e_bob", "e2e_alice_twin"
TWIN_SHIPPED, TWIN_PAID, TWIN_TRACKING = "269900000011", "269900000012", "JD0099887766E2E"
SHIPPED_ORDER, PAID_ORDER, BOB_ORDER = "269900000001", "269900000002", "269900000003"
TRACKING_NO = "SF7788990011E2E"
LATEST_EVENT = "快件已到达【杭州余杭转运中心】，正在安排派送"
ETA = NOW + timedelta(days=2)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def texts(messages: list) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


@pytest.fixture(scope="module")
def seeded(stack: Stack) -> Stack:
    stack.put(
        "/api/products/E2E-TV-77Q9X",
        {
            "name": "海悦 77Q9X 77英寸 激光QD-Mini LED 240Hz 电视",
            "category": "电视",
            "price": 15999,
            "stock": 3,
            "aliases": ["77Q9X"],
            "attributes": {"屏幕尺寸": "77英寸", "刷新率": "240Hz", "能效等级": "二级能效"},
        },
    )
    for buyer in (ALICE, BOB, ALICE_TWIN):
        stack.put(f"/api/buyers/{buyer}", {"nickname": buyer})
    item = [{"sku": "E2E-TV-77Q9X", "qty": 1, "unit_price": 15999}]
    stack.put(
        f"/api/orders/{SHIPPED_ORDER}",
        {
            "buyer_id": ALICE,
            "items": item,
            "status": "shipped",
            "created_at": iso(NOW - timedelta(days=3)),
            "paid_at": iso(NOW - timedelta(days=3)),
        },
    )
    stack.put(
        f"/api/orders/{SHIPPED_ORDER}/shipment",
        {
            "carrier": "顺丰速运",
            "tracking_no": TRACKING_NO,
            "eta": iso(ETA),
            "events": [
                {"time": iso(NOW - timedelta(hours=5)), "location": "杭州", "description": LATEST_EVENT},
                {"time": iso(NOW - timedelta(days=2)), "location": "青岛", "description": "顺丰已揽收"},
                {"time": iso(NOW - timedelta(days=1)), "location": "济南", "description": "到达济南分拣中心"},
            ],
        },
    )
    stack.put(
        f"/api/orders/{PAID_ORDER}",
        {
            "buyer_id": ALICE,
            "items": item,
            "status": "paid",
            "created_at": iso(NOW - timedelta(days=1)),
            "paid_at": iso(NOW - timedelta(days=1)),
        },
    )
    stack.put(
        f"/api/orders/{BOB_ORDER}",
        {"buyer_id": BOB, "items": item, "status": "created", "created_at": iso(NOW)},
    )
    for order_id, status in ((TWIN_SHIPPED, "shipped"), (TWIN_PAID, "paid")):
        stack.put(
            f"/api/orders/{order_id}",
            {
                "buyer_id": ALICE_TWIN,
                "items": item,
                "status": status,
                "created_at": iso(NOW - timedelta(days=2)),
                "paid_at": iso(NOW - timedelta(days=2)),
            },
        )
    stack.put(
        f"/api/orders/{TWIN_SHIPPED}/shipment",
        {
            "carrier": "京东物流",
            "tracking_no": TWIN_TRACKING,
            "events": [
                {"time": iso(NOW - timedelta(hours=2)), "location": "北京", "description": "配送员正在派送"}
            ],
        },
    )
    return stack


def test_logistics_answer_carries_live_tracking_facts(seeded: Stack) -> None:
    reply = texts(seeded.chat(ALICE, f"我的订单{SHIPPED_ORDER}到哪了"))
    assert TRACKING_NO in reply
    assert "顺丰速运" in reply
    assert LATEST_EVENT in reply


def test_follow_up_in_context_gives_eta(seeded: Stack) -> None:
    seeded.chat(ALICE, f"查一下订单{SHIPPED_ORDER}")
    reply = texts(seeded.chat(ALICE, "那它什么时候到？"))
    eta_local = ETA.astimezone(timezone(timedelta(hours=8)))
    assert f"{eta_local.month}月{eta_local.day}日" in reply
    assert SHIPPED_ORDER in reply


def test_no_order_number_with_two_orders_asks_which(seeded: Stack) -> None:
    messages = seeded.chat(ALICE_TWIN, "我买的东西到哪了")
    payloads = [b["payload"] for m in messages for b in m.get("buttons") or []]
    assert any(TWIN_SHIPPED in p for p in payloads)
    assert any(TWIN_PAID in p for p in payloads)
    # Pressing a button answers that order.
    chosen = next(p for p in payloads if TWIN_SHIPPED in p)
    assert TWIN_TRACKING in texts(seeded.chat(ALICE_TWIN, chosen))


def test_another_buyer_learns_nothing_of_the_order(seeded: Stack) -> None:
    reply = texts(seeded.chat(BOB, f"帮我查下订单{SHIPPED_ORDER}的物流"))
    assert TRACKING_NO not in reply
    assert "顺丰" not in reply
    assert LATEST_EVENT not in reply
    unknown = texts(seeded.chat("e2e_carol", "帮我查下订单269999999999的物流"))
    assert reply.replace(SHIPPED_ORDER, "N") == unknown.replace("269999999999", "N")


def test_product_attribute_from_catalogue(seeded: Stack) -> None:
    reply = texts(seeded.chat(ALICE, "77Q9X的刷新率是多少"))
    assert "240Hz" in reply


def test_human_handoff_pauses_the_conversation(seeded: Stack) -> None:
    buyer = "e2e_handoff"
    reply = texts(seeded.chat(buyer, "转人工"))
    assert "人工" in reply
    tracker = requests.get(
        f"{seeded.rasa_url}/conversations/{buyer}/tracker", headers=seeded.rasa_headers(), timeout=10
    )
    assert tracker.status_code == 200
    assert tracker.json()["paused"] is True
    assert seeded.chat(buyer, "在吗") == []


def test_http_api_needs_a_jwt_signed_with_the_token(seeded: Stack) -> None:
    forged = RasaClient(seeded.rasa_url, "not-the-token")._authorization()
    for params, headers in (
        ({}, {}),
        ({"token": "wrong"}, {}),
        # The secret itself in the query string no longer opens the API: it never travels.
        ({"token": seeded.rasa_token}, {}),
        ({}, {"Authorization": forged}),
    ):
        response = requests.get(
            f"{seeded.rasa_url}/conversations/{ALICE}/tracker", params=params, headers=headers, timeout=10
        )
        assert response.status_code == 401, (params, headers)


def test_backend_down_gets_an_apology_and_offer_of_a_human(seeded: Stack) -> None:
    seeded.stop("store")
    try:
        messages = seeded.chat(ALICE, f"订单{SHIPPED_ORDER}到哪了")
        reply = texts(messages)
        assert "抱歉" in reply
        assert TRACKING_NO not in reply
        assert any(b["payload"] == "/request_human" for m in messages for b in m.get("buttons") or [])
    finally:
        seeded.start_store()


def test_socketio_channel_can_push_to_a_connected_buyer(seeded: Stack) -> None:
    """Proactive messages: trigger_intent with output_channel=socketio reaches the buyer's chat."""
    buyer = "e2e_push_buyer"
    received: list = []
    client = seeded.socketio_client(buyer)
    client.on("bot_uttered", lambda data: received.append(data))
    try:
        client.emit("session_request", {})
        client.sleep(1)
        response = requests.post(
            f"{seeded.rasa_url}/conversations/{buyer}/trigger_intent",
            params={"output_channel": "socketio"},
            headers=seeded.rasa_headers(),
            json={"name": "greet"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        deadline = time.monotonic() + 15
        while not received and time.monotonic() < deadline:
            client.sleep(0.2)
    finally:
        client.disconnect()
    assert any("小二" in (m.get("text") or "") for m in received), received


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "😂😂😂",
        "订单" * 5000,
        '{"order_id": "261105873012", "malformed": ',
        "<script>alert(1)</script>",
    ],
    ids=["empty", "blank", "emoji", "huge", "json-ish", "markup"],
)
def test_bad_input_gets_a_clear_answer(seeded: Stack, message: str) -> None:
    buyer = f"e2e_bad_input_{abs(hash(message)) % 10**8}"
    messages = seeded.chat(buyer, message)
    assert texts(messages).strip(), f"no reply to {message[:40]!r}"
    # The conversation goes on normally afterwards.
    assert "240Hz" in texts(seeded.chat(buyer, "77Q9X的刷新率是多少"))
