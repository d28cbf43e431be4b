"""Hand-over to a person and back, routing bands, fallbacks, and "好的" / "不用了" after an offer."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker

from actions.handoff import ActionAffirm, ActionDeny, ActionFallback, ActionHandback, ActionHandoff
from tests.actions.harness import tracker_state

PAUSE = {"event": "pause", "timestamp": None}
HUMAN_OFF = {"event": "slot", "timestamp": None, "name": "offered_human", "value": False}


def reason(value):
    return {"event": "slot", "timestamp": None, "name": "handover_reason", "value": value}


FALLBACK_HANDOFF = "抱歉，小二连续没能理解您的问题😥 已为您转接人工客服，请稍候～"


def test_request_human_hands_over_and_pauses(tracker, run):
    outcome = run(ActionHandoff(), tracker("request_human"))

    assert outcome.responses == ["utter_handoff"]
    assert outcome.events == [HUMAN_OFF, reason("request_human"), PAUSE]


def test_complaint_gets_the_apologetic_handoff(tracker, run):
    outcome = run(ActionHandoff(), tracker("complain"))

    assert outcome.responses == ["utter_complain_handoff"]
    assert outcome.events == [HUMAN_OFF, reason("complain"), PAUSE]


def test_middle_band_tells_the_buyer_a_colleague_checks_and_queues_for_an_agent(tracker, run):
    outcome = run(ActionFallback(), tracker("routing_suggest_band"))

    assert outcome.responses == ["utter_assist_pending"]
    assert outcome.events == [HUMAN_OFF, reason("suggest"), PAUSE]


def test_low_band_hands_over_at_once(tracker, run):
    outcome = run(ActionFallback(), tracker("routing_handover_band"))

    assert outcome.responses == ["utter_low_confidence_handoff"]
    assert outcome.events == [HUMAN_OFF, reason("low_confidence"), PAUSE]


def test_the_band_decides_even_on_a_first_fallback(run):
    # The same first-time fallback that asks to rephrase without a band goes to an agent with one.
    state = tracker_state("fallback_once")
    band = {"band": "suggest", "intent": "out_of_scope", "confidence": 0.31}
    state["latest_message"]["routing"] = band
    state["events"][-2]["parse_data"]["routing"] = band

    outcome = run(ActionFallback(), Tracker.from_dict(state))

    assert outcome.responses == ["utter_assist_pending"]
    assert outcome.paused


def test_a_message_with_nothing_to_act_on_asks_to_rephrase_and_keeps_the_bot(run):
    state = tracker_state("fallback_once")
    band = {"band": "unclear", "intent": "bot_challenge", "confidence": 0.44}
    state["latest_message"].update(text="<script>alert(1)</script>", routing=band)
    state["events"][-2]["parse_data"]["routing"] = band

    outcome = run(ActionFallback(), Tracker.from_dict(state))

    assert outcome.responses == ["utter_default"]
    assert outcome.events == [] and not outcome.paused


def test_unclear_messages_in_a_row_still_reach_a_human(run):
    state = tracker_state("fallback_twice")
    band = {"band": "unclear", "intent": "out_of_scope", "confidence": 0.2}
    state["latest_message"]["routing"] = band

    outcome = run(ActionFallback(), Tracker.from_dict(state))

    assert outcome.text == FALLBACK_HANDOFF
    assert outcome.events == [HUMAN_OFF, reason("repeated_fallback"), PAUSE]


def test_handback_tells_the_buyer_the_bot_is_back_and_clears_the_reason(tracker, run):
    outcome = run(ActionHandback(), tracker("agent_handback"))

    assert outcome.responses == ["utter_handback"]
    assert outcome.events == [reason(None), HUMAN_OFF]
    assert not outcome.paused


def test_first_fallback_asks_to_rephrase(tracker, run):
    outcome = run(ActionFallback(), tracker("fallback_once"))

    assert outcome.responses == ["utter_default"]
    assert outcome.events == []


def test_second_fallback_in_a_row_hands_over(tracker, run):
    outcome = run(ActionFallback(), tracker("fallback_twice"))

    assert outcome.text == FALLBACK_HANDOFF
    assert outcome.responses == []
    assert outcome.events == [HUMAN_OFF, reason("repeated_fallback"), PAUSE]


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
    assert outcome.events == [HUMAN_OFF, reason("accepted_offer"), PAUSE]


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
    for action in (ActionHandoff(), ActionFallback(), ActionAffirm(), ActionDeny(), ActionHandback()):
        assert action.name() in domain["actions"]
    for response in ("utter_assist_pending", "utter_low_confidence_handoff", "utter_handback"):
        assert response in domain["responses"]
    assert "handover_reason" in domain["slots"]
    assert "EXTERNAL_agent_handback" in domain["intents"]


def test_two_close_store_intents_get_one_question_with_both_as_buttons(tracker, run):
    outcome = run(ActionFallback(), tracker("routing_clarify_band"))

    assert outcome.text == "小二想确认一下，您想问的是哪一个呢？"
    assert outcome.buttons == [
        {"title": "查物流、几时送到", "payload": '/query_logistics{"order_id":"261120001234"}'},
        {"title": "配送规则（快递、运费、时效）", "payload": '/ask_delivery{"order_id":"261120001234"}'},
        {"title": "都不是，找人工", "payload": "/request_human"},
    ]
    assert outcome.events == [] and not outcome.paused  # the bot keeps the conversation


def test_a_clarify_band_without_usable_options_goes_to_an_agent(run):
    state = tracker_state("routing_clarify_band")
    state["latest_message"]["routing"]["options"] = ["query_logistics", "EXTERNAL_unknown"]

    outcome = run(ActionFallback(), Tracker.from_dict(state))

    assert outcome.responses == ["utter_assist_pending"]
    assert outcome.events == [HUMAN_OFF, reason("suggest"), PAUSE]
