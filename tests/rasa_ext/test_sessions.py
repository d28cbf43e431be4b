"""Sessions also end after a number of buyer turns: per-message cost stays flat."""

from __future__ import annotations

import time

import pytest
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


@pytest.fixture
def expired(monkeypatch):
    monkeypatch.setattr(MessageProcessor, "_has_session_expired", sessions._ORIGINAL)
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


def test_zero_turns_means_no_cap(monkeypatch):
    monkeypatch.setattr(MessageProcessor, "_has_session_expired", sessions._ORIGINAL)
    sessions.install(0)
    assert not MessageProcessor._has_session_expired(Processor(), tracker(50))
