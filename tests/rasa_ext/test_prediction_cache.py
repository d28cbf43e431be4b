"""Remembered past states and TED predictions give the policies exactly what Rasa would."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import List, Tuple

import pytest
from rasa.core.agent import Agent
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from xiaoer.rasa_ext import prediction_cache

ROOT = Path(__file__).resolve().parents[2]
# CI trains models/xiaoer.tar.gz before pytest (as for tests/e2e); a developer may point elsewhere.
MODEL = Path(os.environ.get("XIAOER_TEST_MODEL") or ROOT / "models" / "xiaoer.tar.gz")
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(autouse=True)
def original_rasa():
    prediction_cache.uninstall()
    yield
    prediction_cache.uninstall()


def user(intent: str, entities: Tuple[str, ...] = ()) -> UserUttered:
    found = [{"entity": e, "value": f"{e}-value", "start": 0, "end": 1} for e in entities]
    return UserUttered(f"({intent})", {"name": intent, "confidence": 0.9}, found)


def conversation() -> DialogueStateTracker:
    events = [
        ActionExecuted(ACTION_SESSION_START_NAME),
        SessionStarted(),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("query_logistics", ("order_id",)),
        ActionExecuted("action_logistics"),
        SlotSet("order_id", "JD1"),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("greet"),
        ActionExecuted("utter_greet"),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("ask_installation", ("product",)),
    ]
    return DialogueStateTracker.from_events("buyer", events, DOMAIN.slots)


def all_past_states(tracker: DialogueStateTracker) -> list:
    return [
        tracker.past_states(DOMAIN),
        tracker.past_states(DOMAIN, omit_unset_slots=True),
        tracker.past_states(DOMAIN, ignore_rule_only_turns=True, rule_only_data={"slots": [], "loops": []}),
    ]


def test_remembered_past_states_equal_rasas_own_as_the_conversation_grows() -> None:
    tracker = conversation()
    expected = all_past_states(tracker)
    prediction_cache.install()
    assert all_past_states(tracker) == expected
    assert all_past_states(tracker) == expected  # the second time from memory

    tracker.update(ActionExecuted("action_faq"))
    remembered = all_past_states(tracker)
    prediction_cache.uninstall()
    assert remembered == all_past_states(tracker)
    assert len(remembered[0]) == len(expected[0]) + 1


def counting_replays(monkeypatch) -> list:
    """The domain of every replay made from the start of a session."""
    built = []
    original = prediction_cache.StatesReplay.__init__

    def counting(self, tracker, domain, *args):
        built.append(domain)
        original(self, tracker, domain, *args)

    monkeypatch.setattr(prediction_cache.StatesReplay, "__init__", counting)
    return built


def test_states_are_rebuilt_for_another_domain_object(monkeypatch) -> None:
    built = counting_replays(monkeypatch)
    prediction_cache.install()
    tracker = conversation()
    reloaded = Domain.load(str(ROOT / "domain.yml"))  # what a new model brings: an equal domain
    tracker.past_states(DOMAIN)
    tracker.past_states(DOMAIN)
    # One replay serves RulePolicy's variant and the other policies' alike.
    tracker.past_states(DOMAIN, ignore_rule_only_turns=True)
    assert built == [DOMAIN]
    tracker.past_states(reloaded)
    assert len(built) == 2 and built[1] is reloaded


def with_rule_turns() -> DialogueStateTracker:
    """Rule-only turns (hidden from the ML policies), a rule-only slot and a paused handoff."""
    events = [
        ActionExecuted(ACTION_SESSION_START_NAME),
        SessionStarted(),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("greet"),
        ActionExecuted("utter_greet", hide_rule_turn=True),
        ActionExecuted(ACTION_LISTEN_NAME, hide_rule_turn=True),
        user("query_logistics", ("order_id",)),
        ActionExecuted("action_logistics"),
        SlotSet("order_id", "JD1"),
        SlotSet("offered_human", True),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("request_human"),
        ActionExecuted("action_handoff", hide_rule_turn=True),
        ActionExecuted(ACTION_LISTEN_NAME, hide_rule_turn=True),
        user("nlu_fallback"),
        ActionExecuted("action_fallback"),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("deny"),
    ]
    return DialogueStateTracker.from_events("buyer", events, DOMAIN.slots)


@pytest.mark.parametrize("rule_only_data", [None, {"slots": ["offered_human"], "loops": []}])
@pytest.mark.parametrize("omit_unset_slots", [False, True])
def test_one_replay_gives_both_variants_as_rasa_does(rule_only_data, omit_unset_slots) -> None:
    for tracker in (conversation(), with_rule_turns()):
        for upto in range(1, len(tracker.events) + 1):
            prefix = DialogueStateTracker.from_events("buyer", list(tracker.events)[:upto], DOMAIN.slots)
            rule, ml = prediction_cache.StatesReplay(
                prefix, DOMAIN, omit_unset_slots, rule_only_data
            ).states()
            assert rule == prediction_cache._ORIGINAL_PAST_STATES(
                prefix, DOMAIN, omit_unset_slots=omit_unset_slots, rule_only_data=rule_only_data
            )
            assert ml == prediction_cache._ORIGINAL_PAST_STATES(
                prefix,
                DOMAIN,
                omit_unset_slots=omit_unset_slots,
                ignore_rule_only_turns=True,
                rule_only_data=rule_only_data,
            )
    rule, ml = prediction_cache.StatesReplay(
        with_rule_turns(), DOMAIN, omit_unset_slots, rule_only_data
    ).states()
    assert len(ml) < len(rule)  # the hidden rule turns were left out of one variant only


def rewinding() -> list:
    """Every event that makes Rasa drop or undo earlier ones, between ordinary turns."""
    turn = [
        ActionExecuted(ACTION_LISTEN_NAME),
        user("query_logistics", ("order_id",)),
        ActionExecuted("action_logistics"),
        SlotSet("order_id", "JD2"),
        BotUttered("在路上"),
    ]
    return [
        *list(with_rule_turns().events),
        ActionExecuted("action_fallback"),
        *turn,
        UserUtteranceReverted(),
        *turn,
        ActionReverted(),
        ActionExecuted("utter_greet", hide_rule_turn=True),
        *turn,
        ActionExecuted(ACTION_SESSION_START_NAME),
        SessionStarted(),
        SlotSet("order_id", "JD2"),
        *turn,
        Restarted(),
        *turn,
        ActiveLoop("some_form"),
        ActionExecuted("some_form"),
        ActiveLoop(None),
        *turn,
    ]


@pytest.mark.parametrize(
    "events", [lambda: list(conversation().events), lambda: list(with_rule_turns().events), rewinding]
)
def test_a_replay_carried_on_event_by_event_equals_rasas_own(events, monkeypatch) -> None:
    """The tracker grows as in a conversation, every policy's variant asked after each event."""
    built = counting_replays(monkeypatch)
    variants = [
        {},
        {"omit_unset_slots": True},
        {"ignore_rule_only_turns": True, "rule_only_data": {"slots": ["offered_human"], "loops": []}},
        {"omit_unset_slots": True, "ignore_rule_only_turns": True, "rule_only_data": None},
    ]
    events = events()
    tracker = DialogueStateTracker.from_events("buyer", [], DOMAIN.slots)
    for event in events:
        tracker.update(event)
        prediction_cache.install()
        ours = [tracker.past_states(DOMAIN, **variant) for variant in variants]
        prediction_cache.uninstall()
        assert ours == [tracker.past_states(DOMAIN, **variant) for variant in variants], event
    # Carried on, not replayed from the start: one replay per variant key (three here), made again
    # only after a rewinding event, and for every event once a form's loop was seen.
    expected, form = 0, False
    for index, event in enumerate(events):
        form = form or isinstance(event, ActiveLoop)
        if index == 0 or form or isinstance(event, prediction_cache._REWINDING):
            expected += 3
    assert len(built) == expected


def test_a_replay_is_not_carried_on_to_another_tracker_history() -> None:
    prediction_cache.install()
    tracker = conversation()
    tracker.past_states(DOMAIN)
    other = DialogueStateTracker.from_events("buyer", list(tracker.events)[:-2], DOMAIN.slots)
    other.__dict__.update(tracker.__dict__)  # a tracker object reused for other events
    for event in [ActionExecuted("action_faq"), BotUttered("好的"), ActionExecuted(ACTION_LISTEN_NAME)]:
        other.update(event)
    remembered = other.past_states(DOMAIN)
    prediction_cache.uninstall()
    assert remembered == other.past_states(DOMAIN)


def test_an_edit_to_the_states_handed_out_does_not_reach_the_next_caller() -> None:
    prediction_cache.install()
    tracker = conversation()
    first = tracker.past_states(DOMAIN)
    pristine = prediction_cache.copy_states(first)
    first[-1]["user"].clear()
    first.pop(0)
    assert tracker.past_states(DOMAIN) == pristine
    second = tracker.past_states(DOMAIN)
    second[-1]["user"]["intent"] = "changed"
    assert tracker.past_states(DOMAIN) == pristine


def test_a_copy_shares_sub_states_where_rasas_states_did() -> None:
    shared = {"intent": "greet"}
    states = [{"user": shared, "prev_action": {"action_name": "action_listen"}}, {"user": shared}]
    copied = prediction_cache.copy_states(states)
    assert copied == states
    assert copied[0]["user"] is copied[1]["user"]
    assert copied[0]["user"] is not shared


def test_the_ted_cache_is_bounded_and_hands_out_copies() -> None:
    from rasa.core.policies.policy import PolicyPrediction

    cache = prediction_cache.TedPredictions(size=2)
    for key in ("a", "b", "c"):
        cache.put((key,), PolicyPrediction([0.25, 0.75], "TEDPolicy"))
    assert len(cache) == 2
    assert cache.get(("a",)) is None
    handed = cache.get(("c",))
    handed.probabilities[1] = 0.0  # what the ensemble does to a rejected action
    assert cache.get(("c",)).probabilities == [0.25, 0.75]
    assert (cache.hits, cache.misses) == (2, 1)


def load_agent() -> Agent:
    assert MODEL.is_file(), f"no model at {MODEL}: run `make train` (CI trains it before pytest)"
    return Agent.load(str(MODEL))


def ted_of(agent: Agent) -> TEDPolicy:
    nodes = agent.processor.graph_runner._instantiated_nodes
    return next(node._component for node in nodes.values() if isinstance(node._component, TEDPolicy))


def simulate(agent: Agent, seed: int, turns: int) -> List[Tuple[str, str, List[float]]]:
    """A random conversation driven by the trained policies alone: each turn a random intent, then
    the predicted actions until the bot listens. Returns every prediction (action, policy, TED's)."""
    rng = random.Random(seed)
    intents = [i for i in agent.domain.intents if not i.startswith("EXTERNAL_")]
    entities = list(agent.domain.entities)
    tracker = DialogueStateTracker.from_events(
        f"sim-{seed}",
        [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME)],
        agent.domain.slots,
    )
    ted = ted_of(agent)
    seen = []
    for _ in range(turns):
        tracker.update(user(rng.choice(intents), tuple(rng.sample(entities, rng.randint(0, 2)))))
        for _ in range(5):
            prediction = agent.processor._predict_next_with_tracker(tracker)
            action = agent.domain.action_names_or_texts[prediction.max_confidence_index]
            ted_alone = ted.predict_action_probabilities(tracker, agent.domain)
            seen.append((action, prediction.policy_name, ted_alone.probabilities))
            tracker.update(ActionExecuted(action, prediction.policy_name, prediction.max_confidence))
            if action == ACTION_LISTEN_NAME:
                break
    return seen


def test_the_trained_policies_predict_the_same_with_the_caches() -> None:
    plain = load_agent()
    expected = [simulate(plain, seed, turns=12) for seed in range(4)]
    del plain
    # Installed before the model loads, as xiaoer.rasa_ext.serve does: graph nodes keep the method.
    prediction_cache.install()
    agent = load_agent()
    first = [simulate(agent, seed, turns=12) for seed in range(4)]
    again = [simulate(agent, seed, turns=12) for seed in range(4)]
    cache = prediction_cache.ted_predictions(ted_of(agent))
    assert first == expected
    assert again == expected
    # The second pass asked TED only what the first had asked: every call answered from memory.
    assert cache.hits >= 2 * sum(len(run) for run in again)
    assert len(cache) > 0
