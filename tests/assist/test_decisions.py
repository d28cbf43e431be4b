"""The decision log: what was shown, what the agent did with it, every agent message."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from xiaoer.assist.decisions import DecisionLog, UnknownSuggestion
from xiaoer.assist.suggest import Suggestion

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)


def suggestions(prefix: str) -> list[Suggestion]:
    return [
        Suggestion(
            f"{prefix}-1", "您的订单已由顺丰发出，运单号 SF1234567890。", 0.81, "query_logistics", "action"
        ),
        Suggestion(f"{prefix}-2", "订单已付款，48小时内发货。", 0.12, "query_order_status", "action"),
        Suggestion(f"{prefix}-3", "挂架按官方标准收费。", 0.05, "ask_installation/wall_mount_fee", "faq"),
    ]


def test_nothing_is_created_before_first_use(tmp_path):
    DecisionLog(f"sqlite:///{tmp_path / 'never' / 'assist.db'}")

    assert not (tmp_path / "never").exists()


def test_shown_records_each_suggestion_with_its_rank(log):
    log.shown("buyer-1", "agent-li", "我的冰箱到哪了", suggestions("a"), at=T0)

    rows = sorted(log.suggestions_between(T0, T0 + timedelta(seconds=1)), key=lambda r: r["rank"])
    assert [(r["suggestion_id"], r["rank"], r["intent"], r["source"]) for r in rows] == [
        ("a-1", 1, "query_logistics", "action"),
        ("a-2", 2, "query_order_status", "action"),
        ("a-3", 3, "ask_installation/wall_mount_fee", "faq"),
    ]
    assert rows[0]["buyer_text"] == "我的冰箱到哪了"
    assert rows[0]["text"] == "您的订单已由顺丰发出，运单号 SF1234567890。"
    assert rows[0]["confidence"] == pytest.approx(0.81)
    assert rows[0]["decision"] is None


def test_showing_the_same_suggestions_again_does_not_count_twice(log):
    log.shown("buyer-1", "agent-li", "我的冰箱到哪了", suggestions("a"), at=T0)
    log.shown("buyer-1", "agent-li", "我的冰箱到哪了", suggestions("a"), at=T0 + timedelta(seconds=5))

    assert len(log.suggestions_between(T0, T0 + timedelta(minutes=1))) == 3


def test_decisions_are_recorded_with_time_to_send(log):
    log.shown("buyer-1", "agent-li", "我的冰箱到哪了", suggestions("a"), at=T0)
    log.decided(
        "a-1",
        "edited",
        "agent-li",
        final_text="亲，顺丰运单号 SF1234567890～",
        seconds_to_send=14.5,
        at=T0 + timedelta(seconds=15),
    )
    log.decided("a-2", "rejected", "agent-li", at=T0 + timedelta(seconds=16))

    decided = {r["suggestion_id"]: r for r in log.decisions_between(T0, T0 + timedelta(minutes=1))}
    assert set(decided) == {"a-1", "a-2"}
    assert decided["a-1"]["decision"] == "edited"
    assert decided["a-1"]["final_text"] == "亲，顺丰运单号 SF1234567890～"
    assert decided["a-1"]["seconds_to_send"] == pytest.approx(14.5)
    assert decided["a-2"]["decision"] == "rejected"
    assert log.suggestion("a-3")["decision"] is None


def test_a_decision_needs_a_known_suggestion_and_a_known_kind(log):
    log.shown("buyer-1", "agent-li", "在吗", suggestions("a"), at=T0)

    with pytest.raises(UnknownSuggestion):
        log.decided("never-shown", "accepted", "agent-li")
    with pytest.raises(ValueError):
        log.decided("a-1", "liked", "agent-li")


def test_agent_messages_keep_the_suggestion_they_came_from(log):
    log.shown("buyer-1", "agent-li", "在吗", suggestions("a"), at=T0)
    log.agent_message(
        "buyer-1", "agent-li", "您的订单已由顺丰发出", suggestion_id="a-1", at=T0 + timedelta(seconds=3)
    )
    log.agent_message("buyer-1", "agent-li", "还有别的问题吗？", at=T0 + timedelta(seconds=9))

    messages = log.agent_messages_between(T0, T0 + timedelta(minutes=1))
    assert [(m["text"], m["suggestion_id"]) for m in messages] == [
        ("您的订单已由顺丰发出", "a-1"),
        ("还有别的问题吗？", None),
    ]


def test_times_are_compared_as_instants_whatever_the_zone(log):
    shanghai = timezone(timedelta(hours=8))
    log.agent_message("buyer-1", "agent-li", "早上好", at=datetime(2026, 11, 24, 8, 30, tzinfo=shanghai))

    assert (
        len(
            log.agent_messages_between(
                datetime(2026, 11, 24, 0, 0, tzinfo=timezone.utc),
                datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc),
            )
        )
        == 1
    )
