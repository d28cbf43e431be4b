"""A long conversation: the session ends after XIAOER_SESSION_MAX_TURNS buyer messages (20 here, as by
default), the order in context carries over, and Rasa works on the current session only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import requests

from tests.e2e.conftest import Stack

NOW = datetime.now(timezone.utc)
BUYER, ORDER, TRACKING_NO = "e2e_long_talker", "269900008001", "SF0000LONG0001"


def texts(messages: list) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def test_the_order_in_context_survives_a_session_cut(stack: Stack) -> None:
    stack.put(
        "/api/products/E2E-LONG-TV",
        {
            "name": "海悦 长谈电视",
            "category": "电视",
            "price": 2999,
            "stock": 3,
            "aliases": ["长谈1"],
            "attributes": {},
        },
    )
    stack.put(f"/api/buyers/{BUYER}", {"nickname": BUYER})
    stack.put(
        f"/api/orders/{ORDER}",
        {"buyer_id": BUYER, "items": [{"sku": "E2E-LONG-TV", "qty": 1, "unit_price": 2999}], "status": "shipped",
         "created_at": (NOW - timedelta(days=2)).isoformat(), "paid_at": (NOW - timedelta(days=2)).isoformat()},
    )  # fmt: skip
    stack.put(
        f"/api/orders/{ORDER}/shipment",
        {"carrier": "顺丰速运", "tracking_no": TRACKING_NO, "eta": (NOW + timedelta(days=1)).isoformat(),
         "events": [{"time": (NOW - timedelta(hours=2)).isoformat(), "location": "上海", "description": "运输中"}]},
    )  # fmt: skip

    assert TRACKING_NO in texts(stack.chat(BUYER, f"订单{ORDER}到哪了"))
    for _ in range(21):
        stack.chat(BUYER, "好的")
    reply = texts(stack.chat(BUYER, "那它什么时候到？"))

    assert TRACKING_NO in reply or "预计" in reply, reply
    tracker = requests.get(
        f"{stack.rasa_url}/conversations/{BUYER}/tracker", headers=stack.rasa_headers(), timeout=30
    )
    events = tracker.json()["events"]  # the full tracker: every session
    last_start = max(i for i, e in enumerate(events) if e["event"] == "session_started")
    assert sum(e["event"] == "user" for e in events) == 23
    assert sum(e["event"] == "user" for e in events[last_start:]) == 3  # cut after 20 turns
    assert tracker.json()["slots"]["order_id"] == ORDER
