"""The metrics' event log fed by Rasa's broker: each event kept once, read back per conversation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from xiaoer.assist.events import EventLog
from xiaoer.assist.metrics import DayFigures, add_conversations

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)


def event(sender: str, kind: str, seconds: float, **data) -> dict:
    return {
        "sender_id": sender,
        "event": kind,
        "timestamp": (NOW + timedelta(seconds=seconds)).timestamp(),
        **data,
    }


def test_events_are_kept_once_and_read_in_conversation_order(tmp_path):
    log = EventLog(f"sqlite:///{tmp_path / 'assist.db'}")
    batch = [
        event("b", "user", 2, text="在吗"),
        event("a", "user", 1, text="我的订单到哪了"),
        event("a", "action", 1.5, name="action_logistics"),
        event("a", "bot", 1.6, text="已发货"),
        {"event": "user"},  # no sender: not a conversation event
    ]
    assert log.add(batch) == 4
    assert log.add(batch[:2]) == 0  # redelivered by the broker: already kept
    read = list(log.events_between(NOW, NOW + timedelta(minutes=1)))
    assert [(e["sender_id"], e["event"]) for e in read] == [
        ("a", "user"),
        ("a", "action"),
        ("a", "bot"),
        ("b", "user"),
    ]
    assert read[1]["name"] == "action_logistics"
    assert list(log.events_between(NOW + timedelta(hours=1), NOW + timedelta(hours=2))) == []


def test_the_metrics_count_a_day_from_it(tmp_path):
    log = EventLog(f"sqlite:///{tmp_path / 'assist.db'}")
    log.add(
        [
            event("a", "user", 1, text="我的订单到哪了"),
            event("a", "action", 1.5, name="action_logistics"),
            event("a", "bot", 1.6, text="已发货"),
        ]
    )
    figures = DayFigures(day="2026-12-05")
    add_conversations(figures, log.events_between(NOW, NOW + timedelta(minutes=1)))
    assert (figures.buyer_messages, figures.answered_messages, figures.conversations) == (1, 1, 1)
