"""Hand-over to a person, fallbacks, and what "好的" / "不用了" mean after an offer."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker

from actions.handoff import ActionAffirm, ActionDeny, ActionFallback, ActionHandoff
from tests.actions.harness import tracker_state

PAUSE = {"event": "pause", "timestamp": None}
HUMAN_OFF = {"event": "slot", "timestamp": None, "name": "offered_human", "value": False}
FALLBACK_HANDOFF = "抱歉，小二连续没能理解您的问题😥 已为您转接人工客服，请稍候～"


def test_request_human_hands_over_and_pauses(tracker, run):
    outcome = run(ActionHandoff(), tracker("request_human"))

    assert outcome.responses == ["utter_handoff"]
    assert outcome.events == [HUMAN_OFF, PAUSE]


def test_complaint_gets_the_apologetic_handoff(tracker, run):
    outcome = run(ActionHandoff(), tracker("complain"))

    assert outcome.responses == ["utter_complain_handoff"]
    assert outcome.paused


def test_first_fallback_asks_to_rephrase(tracker, run):
    outcome = run(ActionFallback(), tracker("fallback_once"))

    assert outcome.responses == ["utter_default"]
    assert outcome.events == []


def test_second_fallback_in_a_row_hands_over(tracker, run):
    outcome = run(ActionFallback(), tracker("fallback_twice"))

    assert outcome.text == FALLBACK_HANDOFF
    assert outcome.responses == []
    assert outcome.events == [HUMAN_OFF, PAUSE]


def with_events_before_last_turn(name: str, extra: list) -> Tracker:
    """The saved tracker with `extra` events inserted just before its last user message."""
    state = tracker_state(name)
    events = state["events"]
    last_user = max(i for i, e in enumerate(events) if e["event"] == "user")
    state["events"] = events[:last_user] + extra + events[last_user:]
    return Tracker.from_dict(state)


def user_event(text: str, intent: str) -> dict:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    return {"event": "user", "timestamp": 1716008500.0, "text": text, "parse_data": parse}


def test_fallbacks_separated_by_an_understood_message_do_not_add_up(run):
    tracker = with_events_before_last_turn(
        "fallback_twice",
        [user_event("你好", "greet"), {"event": "action", "name": "utter_greet"}],
    )

    outcome = run(ActionFallback(), tracker)

    assert outcome.responses == ["utter_default"]
    assert not outcome.paused


@pytest.mark.parametrize(
    "boundary",
    [
        [{"event": "pause"}, {"event": "resume"}, {"event": "action", "name": "action_listen"}],
        [
            {"event": "action", "name": "action_session_start"},
            {"event": "session_started"},
            {"event": "action", "name": "action_listen"},
        ],
    ],
    ids=["agent-handed-back", "new-session"],
)
def test_fallbacks_before_a_handback_or_new_session_do_not_count(run, boundary):
    tracker = with_events_before_last_turn("fallback_twice", boundary)

    outcome = run(ActionFallback(), tracker)

    assert outcome.responses == ["utter_default"]
    assert not outcome.paused


def test_affirm_after_an_offer_hands_over(tracker, run):
    outcome = run(ActionAffirm(), tracker("affirm_after_offer"))

    assert outcome.responses == ["utter_handoff"]
    assert outcome.events == [HUMAN_OFF, PAUSE]


def test_affirm_without_an_offer(tracker, run):
    outcome = run(ActionAffirm(), tracker("affirm_after_offer", slots={"offered_human": False}))

    assert outcome.responses == ["utter_anything_else"]
    assert outcome.events == []


def test_deny_after_an_offer_withdraws_it(tracker, run):
    outcome = run(ActionDeny(), tracker("deny_after_offer"))

    assert outcome.text == "好的，那小二继续为您服务～有问题随时问我。"
    assert outcome.events == [HUMAN_OFF]
    assert not outcome.paused


def test_deny_without_an_offer(tracker, run):
    outcome = run(ActionDeny(), tracker("deny_after_offer", slots={"offered_human": False}))

    assert outcome.responses == ["utter_anything_else"]
    assert outcome.events == []


def test_handoff_actions_are_in_the_domain(domain):
    for action in (ActionHandoff(), ActionFallback(), ActionAffirm(), ActionDeny()):
        assert action.name() in domain["actions"]
