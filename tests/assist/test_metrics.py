"""The metrics command on a scripted day: conversations in a real SQL tracker store, decisions in the log."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from xiaoer.assist.decisions import DecisionLog
from xiaoer.assist.metrics import main
from xiaoer.assist.suggest import Suggestion

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = timezone(timedelta(hours=8))
# 2026-11-24 in the store's clock runs from 2026-11-23 16:00 to 2026-11-24 16:00 UTC.
DAY_START = datetime(2026, 11, 24, 0, 0, tzinfo=SHANGHAI)


def at(minutes: float) -> float:
    return (DAY_START + timedelta(minutes=minutes)).timestamp()


class Script:
    """One buyer's conversation, event by event, as Rasa records it."""

    def __init__(self, sender: str) -> None:
        self.sender = sender
        self.events: list = []

    def buyer(self, minute: float, text: str, intent: str) -> Script:
        parse = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
        self.events += [
            UserUttered(text, parse["intent"], [], parse, timestamp=at(minute)),
        ]
        return self

    def bot(self, minute: float, action: str, text: str, response: str | None = None) -> Script:
        metadata = {"utter_action": response} if response else {}
        self.events += [
            ActionExecuted(action, timestamp=at(minute)),
            BotUttered(text, {}, metadata, timestamp=at(minute) + 0.01),
            ActionExecuted("action_listen", timestamp=at(minute) + 0.02),
        ]
        return self

    def hand_over(self, minute: float, action: str, response: str) -> Script:
        self.events += [
            ActionExecuted(action, timestamp=at(minute)),
            BotUttered("已为您转接人工客服", {}, {"utter_action": response}, timestamp=at(minute) + 0.01),
            ConversationPaused(timestamp=at(minute) + 0.02),
        ]
        return self

    def agent(self, minute: float, text: str) -> Script:
        self.events.append(BotUttered(text, {}, {"agent": "agent-li"}, timestamp=at(minute)))
        return self

    def hand_back(self, minute: float) -> Script:
        external = UserUttered.create_external("EXTERNAL_agent_handback", [], "socketio")
        external.timestamp = at(minute) + 0.01
        self.events += [ConversationResumed(timestamp=at(minute), metadata={"agent": "agent-li"}), external]
        return self.bot(minute + 0.02, "action_handback", "小二回来啦", "utter_handback")


def scripted_conversations() -> list[Script]:
    # buyer-a: two answers, then the bot is unsure, a human takes over, and hands back.
    a = (
        Script("buyer-a")
        .buyer(600, "你好", "greet")
        .bot(600.01, "utter_greet", "您好～", "utter_greet")
        .buyer(601, "我的冰箱到哪了", "query_logistics")
        .bot(601.01, "action_logistics", "顺丰速运，运单号 SF1234567890")
        .buyer(602, "那个东西弄一下", "nlu_fallback")
        .hand_over(602.01, "action_fallback", "utter_assist_pending")
        .buyer(603, "在吗", "greet")  # paused: logged, not answered by the bot
        .agent(604, "您好，我来帮您看看")
        .agent(605, "安装师傅明天上门")
        .hand_back(606)
    )
    # buyer-b: one answer, one out-of-scope reply; never handed over.
    b = (
        Script("buyer-b")
        .buyer(700, "能开专票吗", "ask_invoice")
        .bot(700.01, "utter_ask_invoice", "可以开增值税专用发票", "utter_ask_invoice")
        .buyer(701, "今天天气怎么样", "out_of_scope")
        .bot(701.01, "utter_out_of_scope", "这个问题小二暂时回答不了", "utter_out_of_scope")
    )
    # buyer-c: the store is down: an apology is not an answer.
    c = (
        Script("buyer-c")
        .buyer(-5, "昨晚的消息", "greet")  # 23:55 the day before: another day
        .bot(-4.99, "utter_greet", "您好～", "utter_greet")
        .buyer(30, "订单什么状态", "query_order_status")  # 00:30 in Shanghai, still 2026-11-23 in UTC
        .bot(30.01, "action_order_status", "抱歉，系统查询暂时出了点问题", "utter_backend_error")
    )
    # buyer-d: the next day only.
    d = (
        Script("buyer-d")
        .buyer(24 * 60 + 10, "你好", "greet")
        .bot(24 * 60 + 10.01, "utter_greet", "您好～", "utter_greet")
    )
    return [a, b, c, d]


def save_trackers(url_path: Path, scripts: list[Script]) -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(url_path))
    for script in scripts:
        tracker = DialogueStateTracker.from_events(script.sender, script.events, domain.slots)
        asyncio.run(store.save(tracker))


def record_decisions(log: DecisionLog) -> None:
    def shown(prefix: str, minute: float) -> None:
        batch = [
            Suggestion(f"{prefix}{i}", f"建议{prefix}{i}", 0.5, "query_logistics", "action")
            for i in (1, 2, 3)
        ]
        log.shown("buyer-a", "agent-li", "在吗", batch, at=DAY_START + timedelta(minutes=minute))

    shown("s", 603.5)
    shown("t", 604.5)
    shown("y", -30)  # the day before
    log.decided("s1", "accepted", "agent-li", seconds_to_send=12, at=DAY_START + timedelta(minutes=604))
    log.decided("s2", "rejected", "agent-li", at=DAY_START + timedelta(minutes=604))
    log.decided(
        "t1",
        "edited",
        "agent-li",
        final_text="改过的",
        seconds_to_send=30,
        at=DAY_START + timedelta(minutes=605),
    )
    log.decided("t3", "rejected", "agent-li", at=DAY_START + timedelta(minutes=605))
    log.decided("y1", "accepted", "agent-li", seconds_to_send=99, at=DAY_START - timedelta(minutes=29))
    sent = [("s1", 604), ("t1", 605), (None, 605.5), (None, 606)]
    for suggestion_id, minute in sent:
        log.agent_message(
            "buyer-a", "agent-li", "…", suggestion_id=suggestion_id, at=DAY_START + timedelta(minutes=minute)
        )
    log.agent_message(
        "buyer-a", "agent-li", "…", "y1", at=DAY_START - timedelta(minutes=29)
    )  # the day before
    log.agent_message("buyer-b", "agent-li", "…", at=DAY_START + timedelta(days=1, minutes=5))  # the next day


@pytest.fixture
def scripted_day(tmp_path, monkeypatch):
    save_trackers(tmp_path / "tracker.db", scripted_conversations())
    record_decisions(DecisionLog(f"sqlite:///{tmp_path / 'assist.db'}"))
    env = {
        "XIAOER_ASSIST_DATABASE_URL": f"sqlite:///{tmp_path / 'assist.db'}",
        "XIAOER_TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "XIAOER_STORE_TIMEZONE": "Asia/Shanghai",
    }

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield env


EXPECTED_DAY = """\
2026-11-24 (Asia/Shanghai)
  assisted-reply rate       50.0%  (2 of 4 agent messages sent from a suggestion)
  suggestions shown             6  (accepted 1, edited 1, rejected 2)
  median time to send      21.0 s  (accepted and edited suggestions)
  answer trigger rate       42.9%  (3 of 7 buyer messages got a substantive bot answer)
  hand-off rate             33.3%  (1 of 3 conversations handed to a human)
  auto-resolution rate      33.3%  (1 of 3 conversations answered by the bot alone)
"""


def test_a_scripted_day_prints_the_right_figures(scripted_day, capsys):
    assert main(["--day", "2026-11-24"]) == 0

    assert capsys.readouterr().out == EXPECTED_DAY


def test_a_range_prints_one_block_per_day_and_json_on_request(scripted_day, capsys):
    assert main(["--from", "2026-11-23", "--to", "2026-11-25", "--json"]) == 0

    days = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["day"] for d in days] == ["2026-11-23", "2026-11-24", "2026-11-25"]
    before, day, after = days
    assert (before["agent_messages"], before["assisted_reply_rate"], before["suggestions_shown"]) == (
        1,
        1.0,
        3,
    )
    assert (before["buyer_messages"], before["answered_messages"], before["median_seconds_to_send"]) == (
        1,
        1,
        99,
    )
    assert day["answer_trigger_rate"] == pytest.approx(3 / 7)
    assert (day["accepted"], day["edited"], day["rejected"]) == (1, 1, 2)
    assert (after["agent_messages"], after["assisted_reply_rate"], after["buyer_messages"]) == (1, 0.0, 1)


def test_the_command_runs_as_a_module(scripted_day):
    result = subprocess.run(
        [sys.executable, "-m", "xiaoer.assist.metrics", "--day", "2026-11-24"],
        cwd=ROOT,
        env={**os.environ, **scripted_day},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == EXPECTED_DAY


@pytest.mark.parametrize(
    "argv",
    [
        ["--day", "24/11/2026"],
        ["--day", "2026-11-24", "--from", "2026-11-01"],
        ["--from", "2026-11-02"],
        ["--from", "2026-11-05", "--to", "2026-11-01"],
    ],
)
def test_bad_arguments_are_refused_with_a_message(scripted_day, argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)

    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_no_tracker_database_yet_is_not_an_error(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "tracker.db"
    assert (
        main(
            [
                "--day",
                "2026-11-24",
                "--assist-db",
                f"sqlite:///{tmp_path / 'a.db'}",
                "--tracker-db",
                f"sqlite:///{missing}",
            ]
        )
        == 0
    )

    assert "0 of 0 buyer messages" in capsys.readouterr().out
    assert not missing.exists()
