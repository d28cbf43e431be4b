"""The follow-up engine on the running stack: an order left unpaid gets a 催付 in the buyer's
socket.io conversation once the engine's clock passes the delay, and the reply is answered in context."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import requests

from tests.e2e.conftest import Stack

BUYER = "e2e_followup_buyer"
ORDER = "2611999000777"
SKU = "E2E-FOLLOWUP-WASHER"
STORE_TZ = ZoneInfo("Asia/Shanghai")


def followup_db(stack: Stack, query: str, *args) -> list:
    path = stack.workdir / "followup.db"
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        try:
            return conn.execute(query, args).fetchall()
        except sqlite3.OperationalError:  # tables not created yet
            return []


def wait_for(check, timeout: float, what: str, pause: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(pause)
    raise AssertionError(f"timed out waiting for {what}")


def offset_past(due: datetime) -> float:
    """Seconds to add to now so the engine's clock is past due and outside marketing quiet hours."""
    target = due + timedelta(minutes=1)
    local = target.astimezone(STORE_TZ)
    if local.hour >= 22 or local.hour < 8:
        morning = local.replace(hour=8, minute=30, second=0, microsecond=0)
        target = morning if local.hour < 8 else morning + timedelta(days=1)
    return (target - datetime.now(timezone.utc)).total_seconds()


def test_unpaid_order_gets_a_payment_reminder_and_the_reply_is_answered_in_context(stack: Stack) -> None:
    stack.put(
        f"/api/products/{SKU}",
        {"name": "海悦 10公斤 滚筒洗衣机", "category": "洗衣机", "price": 2999, "stock": 5,
         "aliases": ["XQG100"], "attributes": {"洗涤容量": "10公斤"}},
    )  # fmt: skip
    stack.put(f"/api/buyers/{BUYER}", {"nickname": "dave"})
    stack.start_followup()
    wait_for(
        lambda: followup_db(stack, "SELECT value FROM fu_state WHERE key = 'feed_cursor'"), 60, "engine start"
    )

    received: list = []
    client = stack.socketio_client(BUYER)
    client.on("bot_uttered", lambda data: received.append(data))
    try:
        client.emit("session_request", {})
        client.sleep(1)
        created = datetime.now(timezone.utc)
        stack.put(
            f"/api/orders/{ORDER}",
            {"buyer_id": BUYER, "items": [{"sku": SKU, "qty": 1, "unit_price": 2999}], "status": "created",
             "created_at": created.isoformat()},
        )  # fmt: skip
        jobs = wait_for(
            lambda: followup_db(stack, "SELECT scenario, planned_at FROM fu_jobs WHERE order_id = ?", ORDER),
            30,
            "the engine to schedule the reminders",
        )
        assert sorted(j[0] for j in jobs) == ["payment_reminder_12h", "payment_reminder_30m"]
        time.sleep(2)
        assert received == [], "nothing is sent before the delay"

        planned = next(j[1] for j in jobs if j[0] == "payment_reminder_30m")
        stack.move_followup_clock(offset_past(datetime.fromisoformat(planned).replace(tzinfo=timezone.utc)))

        def reminder():
            return [m for m in received if ORDER in (m.get("text") or "")]

        (nudge,) = wait_for(reminder, 60, "the payment reminder over socket.io")
        assert "还没有付款" in nudge["text"] and "¥2999" in nudge["text"]
        state = followup_db(stack, "SELECT state FROM fu_jobs WHERE scenario = 'payment_reminder_30m'")
        assert state == [("sent",)]

        before = len(received)
        client.emit("user_uttered", {"message": "怎么付款"})
        wait_for(lambda: len(received) > before, 60, "the answer to 怎么付款")
        client.sleep(1)
        replies = received[before:]
    finally:
        client.disconnect()
        # The engine's moved clock would fire real follow-ups at the other tests' buyers in this
        # shared stack (an order confirmation puts that order in a buyer's context): stop it.
        stack.stop("followup")
        stack.move_followup_clock(0)
    # The payment answer for the unpaid order the reminder was about (knowledge/payment.yml,
    # payment_methods, its `created` answer), not the generic one.
    answer = "\n".join(m.get("text") or "" for m in replies)
    assert ORDER in answer and "去支付" in answer, answer
    tracker = requests.get(
        f"{stack.rasa_url}/conversations/{BUYER}/tracker", headers=stack.rasa_headers(), timeout=30
    ).json()
    intents = [e["parse_data"]["intent"]["name"] for e in tracker["events"] if e["event"] == "user"]
    assert intents[-2:] == ["EXTERNAL_payment_reminder", "ask_payment"], intents
    assert tracker["slots"]["order_id"] == ORDER  # the answer was given with the reminded order in context
    actions = [e["name"] for e in tracker["events"] if e["event"] == "action"]
    assert "action_followup_payment_reminder" in actions and actions[-2:] == ["action_faq", "action_listen"]
