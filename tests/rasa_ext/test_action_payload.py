"""The action server gets the recent events, and everything else Rasa sends, unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config
from rasa_sdk import Tracker

from actions.handoff import FALLBACKS_BEFORE_HANDOFF, consecutive_fallbacks
from xiaoer.rasa_ext import action_payload

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def conversation(turns: int, last_intents: tuple = ()) -> DialogueStateTracker:
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    intents = ["query_logistics"] * (turns - len(last_intents)) + list(last_intents)
    for turn, intent in enumerate(intents):
        events += [
            UserUttered(f"第{turn}句", {"name": intent, "confidence": 0.9}),
            ActionExecuted("action_logistics"),
            SlotSet("order_id", f"26980000000{turn % 10}"),
            BotUttered(f"回答{turn}"),
            ActionExecuted("action_listen"),
        ]
    return DialogueStateTracker.from_events("buyer_payload", events, slots=domain_slots())


def domain_slots():
    return Domain.load(str(ROOT / "domain.yml")).slots


def both(tracker: DialogueStateTracker, domain: Domain) -> tuple:
    action = RemoteAction("action_logistics", EndpointConfig("http://127.0.0.1:9/webhook"))
    return action_payload._ORIGINAL(action, tracker, domain), action_payload._action_call_format(
        action, tracker, domain
    )


def test_a_short_session_is_sent_whole(domain):
    theirs, ours = both(conversation(action_payload.ACTION_EVENT_TURNS - 1), domain)
    assert ours == theirs


def test_a_long_session_sends_its_last_turns_and_everything_else_unchanged(domain):
    tracker = conversation(12)
    theirs, ours = both(tracker, domain)
    events = ours["tracker"].pop("events")
    all_events = theirs["tracker"].pop("events")
    assert ours == theirs  # slots, latest message, paused, active loop, domain, version…
    assert events == all_events[-len(events) :]
    assert [e["text"] for e in events if e["event"] == "user"] == [f"第{t}句" for t in range(7, 12)]
    assert len(events) < len(all_events) / 2


def test_handoff_counts_the_same_fallbacks_from_the_recent_events(domain):
    assert action_payload.ACTION_EVENT_TURNS > FALLBACKS_BEFORE_HANDOFF
    tracker = conversation(12, last_intents=("nlu_fallback",) * 4)
    theirs, ours = both(tracker, domain)
    assert consecutive_fallbacks(Tracker.from_dict(ours["tracker"])) == 4
    assert consecutive_fallbacks(Tracker.from_dict(theirs["tracker"])) == 4


def test_install_replaces_the_method(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_action_call_format", action_payload._ORIGINAL)
    action_payload.install()
    assert RemoteAction._action_call_format is action_payload._action_call_format


def shipped_action_endpoints(tmp_path: Path) -> dict:
    from xiaoer.cluster.__main__ import ENDPOINTS

    cluster = tmp_path / "cluster-endpoints.yml"
    cluster.write_text(ENDPOINTS.format(action_front=5056, redis_port=6380, amqp_port=5673), encoding="utf-8")
    return {
        name: read_endpoint_config(str(path), "action_endpoint")
        for name, path in (("endpoints.yml", ROOT / "endpoints.yml"), ("make run-cluster", cluster))
    }


def test_no_shipped_configuration_sends_the_domain_to_our_actions(domain, tmp_path):
    """The domain is 32 kB of JSON in the trained model; no action of ours reads it (the action
    tests run every action with an empty one, as the server now receives)."""
    tracker = conversation(2)
    for name, endpoint in shipped_action_endpoints(tmp_path).items():
        assert endpoint is not None, name
        for action_name in domain.user_actions:
            call = action_payload._action_call_format(RemoteAction(action_name, endpoint), tracker, domain)
            assert "domain" not in call, (name, action_name)
            assert call["tracker"]["slots"]["order_id"] == "269800000001"


def test_an_action_marked_send_domain_still_gets_it():
    marked = Domain.from_dict({"actions": [{"action_needs_domain": {"send_domain": True}}, "action_plain"]})
    endpoint = read_endpoint_config(str(ROOT / "endpoints.yml"), "action_endpoint")
    tracker = DialogueStateTracker.from_events("buyer_payload", [ActionExecuted("action_listen")])
    calls = {
        name: action_payload._action_call_format(RemoteAction(name, endpoint), tracker, marked)
        for name in ("action_needs_domain", "action_plain")
    }
    assert calls["action_needs_domain"]["domain"] == marked.as_dict()
    assert "domain" not in calls["action_plain"]
