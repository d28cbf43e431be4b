"""A scripted day in the store's clock (2026-11-24, Asia/Shanghai): four buyers' conversations
written through Rasa's own SQL tracker store, and the agents' decisions on suggestions. Shared by
the metrics command's tests, the dashboard's and the dashboard's browser test."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

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


def record_followups(engine) -> None:
    """Follow-up jobs of the scripted day: three nudges sent in the morning, one bought at 15:00
    (¥3,999), and one sent the day before."""
    from xiaoer.followup import db

    db.create_schema(engine)

    def job(key: str, sent_minute: float, converted_minute: float | None = None, gmv: float | None = None):
        sent = db.to_db(DAY_START + timedelta(minutes=sent_minute))
        converted = (
            db.to_db(DAY_START + timedelta(minutes=converted_minute))
            if converted_minute is not None
            else None
        )
        return {
            "job_key": key,
            "scenario": "cart_reminder",
            "kind": "nudge",
            "buyer_id": f"buyer-{key}",
            "trigger_at": sent,
            "planned_at": sent,
            "due_at": sent,
            "state": "sent",
            "attempts": 1,
            "postponed": False,
            "created_at": sent,
            "finished_at": sent,
            "sent_at": sent,
            "converted_at": converted,
            "converted_gmv": gmv,
        }

    with engine.begin() as conn:
        conn.execute(
            db.jobs.insert(),
            [
                job("m1", 9 * 60 + 10),
                job("m2", 9 * 60 + 15, converted_minute=15 * 60, gmv=3999.0),
                job("m3", 10 * 60 + 20),
                job("y1", -60),  # the day before
            ],
        )
