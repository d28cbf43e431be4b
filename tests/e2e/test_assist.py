"""Agent assist on the real stack: hand-over, suggestions with live facts, agent reply, hand-back."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest
import requests

from tests.e2e.conftest import BIN, ROOT, START_TIMEOUT, Stack
from tests.support import free_port, stop_process_group, wait_until_up
from xiaoer.assist.decisions import DecisionLog
from xiaoer.assist.suggest import Suggester
from xiaoer.rasa_ext.client import RasaClient

NOW = datetime.now(timezone.utc)
BUYER = "e2e_assist_carol"
ORDER = "269900000051"
TRACKING_NO = "YT5566778899ASSIST"
LATEST_EVENT = "快件已到达【苏州工业园区营业部】，快递员正在派送"


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def texts(messages: list) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


@pytest.fixture(scope="module")
def seeded(stack: Stack) -> Stack:
    stack.put(
        "/api/products/E2E-FRIDGE-521",
        {
            "name": "海悦 BCD-521 十字对开门冰箱",
            "category": "冰箱",
            "price": 4599,
            "stock": 8,
            "aliases": ["BCD-521"],
            "attributes": {"总容积": "521升"},
        },
    )
    stack.put(f"/api/buyers/{BUYER}", {"nickname": "carol"})
    stack.put(
        f"/api/orders/{ORDER}",
        {
            "buyer_id": BUYER,
            "items": [{"sku": "E2E-FRIDGE-521", "qty": 1, "unit_price": 4599}],
            "status": "shipped",
            "created_at": iso(NOW - timedelta(days=2)),
            "paid_at": iso(NOW - timedelta(days=2)),
        },
    )
    stack.put(
        f"/api/orders/{ORDER}/shipment",
        {
            "carrier": "圆通速递",
            "tracking_no": TRACKING_NO,
            "eta": iso(NOW + timedelta(days=1)),
            "events": [
                {"time": iso(NOW - timedelta(hours=1)), "location": "苏州", "description": LATEST_EVENT}
            ],
        },
    )
    return stack


def test_hand_over_suggest_reply_and_hand_back(seeded: Stack, tmp_path) -> None:
    rasa = RasaClient(seeded.rasa_url, seeded.rasa_token, timeout=30)
    suggester = Suggester(rasa, f"http://127.0.0.1:{seeded.action_port}", timeout=30)
    log = DecisionLog(f"sqlite:///{tmp_path / 'assist.db'}")

    # The buyer asks for a human: told so, and the bot pauses.
    assert "人工" in texts(seeded.chat(BUYER, "转人工"))
    tracker = rasa.tracker(BUYER)
    assert tracker["paused"] is True
    assert tracker["slots"]["handover_reason"] == "request_human"

    # While paused the bot stays silent; the message waits for the agent.
    assert seeded.chat(BUYER, f"我的订单{ORDER}到哪了") == []
    before = len(rasa.tracker(BUYER)["events"])

    suggestions = suggester.suggest(BUYER)

    assert 1 <= len(suggestions) <= 3
    best = suggestions[0]
    assert best.intent == "query_logistics" and best.source == "action"
    assert TRACKING_NO in best.text and LATEST_EVENT in best.text
    assert all(0 <= s.confidence <= 1 for s in suggestions)
    assert len({s.text for s in suggestions}) == len(suggestions)
    # Suggesting ran the actions on a copy: the real conversation is untouched.
    after = rasa.tracker(BUYER)
    assert len(after["events"]) == before and after["paused"] is True

    # The agent accepts the first suggestion; it is recorded in the conversation as an agent message.
    log.shown(BUYER, "agent-li", f"我的订单{ORDER}到哪了", suggestions)
    rasa.send_agent_message(BUYER, best.text, "agent-li", buttons=best.buttons)
    log.decided(best.suggestion_id, "accepted", "agent-li", final_text=best.text, seconds_to_send=4.2)
    log.agent_message(BUYER, "agent-li", best.text, suggestion_id=best.suggestion_id)
    agent_events = [e for e in rasa.tracker(BUYER)["events"] if (e.get("metadata") or {}).get("agent")]
    assert [(e["event"], e["text"]) for e in agent_events] == [("bot", best.text)]
    assert log.suggestion(best.suggestion_id)["decision"] == "accepted"

    # Hand back: the bot says it is back, and answers the next question itself.
    rasa.hand_back(BUYER, "agent-li")
    tracker = rasa.tracker(BUYER)
    assert tracker["paused"] is False
    assert tracker["slots"]["handover_reason"] is None
    bot_texts = [e.get("text") for e in tracker["events"] if e["event"] == "bot"]
    assert "小二继续为您服务" in bot_texts[-1]
    assert TRACKING_NO in texts(seeded.chat(BUYER, f"订单{ORDER}的物流到哪了"))


def test_hand_over_by_the_console_pauses_with_its_reason(seeded: Stack) -> None:
    rasa = RasaClient(seeded.rasa_url, seeded.rasa_token)
    buyer = "e2e_assist_dave"
    seeded.chat(buyer, "你好")

    rasa.hand_over(buyer, "agent_took_over")

    tracker = rasa.tracker(buyer)
    assert tracker["paused"] is True and tracker["slots"]["handover_reason"] == "agent_took_over"
    assert seeded.chat(buyer, "在吗") == []


def test_the_rasa_api_refuses_a_wrong_token(seeded: Stack) -> None:
    from xiaoer.rasa_ext.client import RasaUnavailable

    with pytest.raises(RasaUnavailable, match="401"):
        RasaClient(seeded.rasa_url, "not-the-token").tracker(BUYER)


@pytest.fixture(scope="module")
def cautious_rasa(seeded: Stack) -> Iterator[str]:
    """A second Rasa on the same model, told by the environment to answer nothing alone."""
    port = free_port()
    env = {
        **seeded.env,
        "XIAOER_ANSWER_THRESHOLD": "0.9999",
        "XIAOER_SUGGEST_THRESHOLD": "0",
        "XIAOER_TRACKER_DATABASE_URL": f"sqlite:///{seeded.workdir / 'cautious-tracker.db'}",
    }
    log = seeded.workdir / "cautious-rasa.log"
    process = subprocess.Popen(
        [str(BIN / "python"), "-m", "xiaoer.rasa_ext.serve"],
        cwd=ROOT, env={**env, "XIAOER_RASA_PORT": str(port)}, stdout=log.open("wb"),
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", process, log, timeout=START_TIMEOUT)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process_group(process)


def test_thresholds_from_the_environment_send_a_clear_question_to_an_agent_with_drafts(
    seeded: Stack, cautious_rasa: str
) -> None:
    rasa = RasaClient(cautious_rasa, seeded.rasa_token, timeout=30)
    response = requests.post(
        f"{cautious_rasa}/webhooks/rest/webhook",
        json={"message": f"我的订单{ORDER}到哪了"},
        headers={"Authorization": f"Bearer {seeded.buyer_token(BUYER)}"},
        timeout=60,
    )

    # Same model, no retraining: the middle band now covers it. The buyer is told a colleague checks.
    assert "请同事再确认" in texts(response.json())
    tracker = rasa.tracker(BUYER)
    assert tracker["paused"] is True and tracker["slots"]["handover_reason"] == "suggest"
    assert tracker["latest_message"]["intent"]["name"] == "nlu_fallback"
    assert tracker["latest_message"]["routing"]["band"] == "suggest"
    assert tracker["latest_message"]["routing"]["intent"] == "query_logistics"

    # The agent's drafts for that message carry the live facts.
    suggestions = Suggester(rasa, f"http://127.0.0.1:{seeded.action_port}", timeout=30).suggest(BUYER)
    assert suggestions[0].intent == "query_logistics"
    assert TRACKING_NO in suggestions[0].text
