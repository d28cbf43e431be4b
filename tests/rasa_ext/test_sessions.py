"""Sessions also end after a number of buyer turns: per-message cost stays flat."""

from __future__ import annotations

import asyncio
import time

import pytest
from rasa.core.actions.action import ActionSessionStart
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ConversationPaused,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from xiaoer.rasa_ext import sessions

DOMAIN = Domain.from_dict(
    {"session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True}}
)


class Processor:
    """What _has_session_expired reads of a MessageProcessor."""

    domain = DOMAIN


@pytest.fixture(autouse=True)
def rasas_own(monkeypatch):
    monkeypatch.setattr(MessageProcessor, "_has_session_expired", sessions._ORIGINAL)
    monkeypatch.setattr(
        ActionSessionStart, "_slot_set_events_from_tracker", staticmethod(sessions._ORIGINAL_CARRY_OVER)
    )


@pytest.fixture
def expired():
    sessions.install(3)
    return lambda tracker: MessageProcessor._has_session_expired(Processor(), tracker)


def tracker(turns: int, *extra) -> DialogueStateTracker:
    now = time.time()
    events = [ActionExecuted("action_session_start", timestamp=now), SessionStarted(timestamp=now)]
    events.append(SlotSet("order_id", "3001000002", timestamp=now))
    for i in range(turns):
        events += [
            ActionExecuted("action_listen", timestamp=now),
            UserUttered(f"第{i}条", {"name": "greet"}, timestamp=now),
        ]
    return DialogueStateTracker.from_events("buyer", [*events, *extra])


def test_a_session_ends_at_the_turn_cap(expired):
    assert not expired(tracker(2))
    assert expired(tracker(3))


def test_triggered_intents_are_not_buyer_turns(expired):
    external = UserUttered("EXTERNAL: x", {"name": "EXTERNAL_payment_reminder"}, timestamp=time.time())
    assert not expired(tracker(2, external))


def test_a_paused_conversation_waiting_for_an_agent_is_never_cut(expired):
    assert not expired(tracker(5, ConversationPaused()))


def test_idle_time_still_ends_a_session(expired):
    old = DialogueStateTracker.from_events(
        "buyer", [UserUttered("你好", {"name": "greet"}, timestamp=time.time() - 7200)]
    )
    assert expired(old)


def test_only_the_current_session_counts(expired):
    earlier = tracker(10)
    for event in [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        UserUttered("新的", {"name": "greet"}),
    ]:
        earlier.update(event)
    assert sessions.turns_in_session(earlier) == 1 and not expired(earlier)


def test_zero_turns_means_no_cap():
    sessions.install(0)
    assert not MessageProcessor._has_session_expired(Processor(), tracker(50))


def start_sessions(count: int, turns: int) -> DialogueStateTracker:
    """`count` sessions of `turns` turns, each setting two slots, started as Rasa starts them."""
    domain = Domain.from_dict(
        {
            "slots": {
                name: {"type": "text", "mappings": [{"type": "custom"}]}
                for name in ("order_id", "last_topic")
            },
            "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
        }
    )
    events = []
    for session in range(count):
        tracker = DialogueStateTracker.from_events("buyer", events, domain.slots)
        events += [ActionExecuted("action_session_start")]
        events += asyncio.run(ActionSessionStart().run(None, None, tracker, domain))
        for turn in range(turns):
            events += [
                UserUttered("到哪了", {"name": "query_logistics"}),
                SlotSet("order_id", f"{session}-{turn}"),
                SlotSet("last_topic", "logistics" if turn % 2 else None, metadata={"by": "action"}),
                ActionExecuted("action_listen"),
            ]
        # The tracker store reads the current session only.
        starts = [i for i, e in enumerate(events) if isinstance(e, SessionStarted)]
        events = events[starts[-1] :]
    return DialogueStateTracker.from_events("buyer", events, domain.slots)


def test_a_new_session_carries_each_slot_over_once_with_its_last_value():
    rasa = start_sessions(count=6, turns=5)
    sessions.install(3)
    ours = start_sessions(count=6, turns=5)
    assert ours.current_slot_values() == rasa.current_slot_values()
    assert ours.get_slot("order_id") == "5-4" and ours.get_slot("last_topic") is None

    def carried(tracker):
        events = list(tracker.events)
        first_turn = next(i for i, e in enumerate(events) if isinstance(e, UserUttered))
        return [e for e in events[:first_turn] if isinstance(e, SlotSet)]

    # Rasa re-carries every earlier session's SlotSets: 2 per turn, compounding. Here: one per slot.
    assert [(e.key, e.value, e.metadata) for e in carried(ours)] == [
        ("order_id", "4-4", {}),
        ("last_topic", None, {"by": "action"}),
    ]
    assert len(carried(rasa)) > 40
