"""Dialogue predictions without repeated work, with the same results.

Two wastes in Rasa 3.6, found in a profile of `make bench` (docs/scaling.md):

- Every policy rebuilds the conversation's states from its events (`past_states`, which replays the
  session event by event). MemoizationPolicy and TEDPolicy ask for exactly the same states, and
  RulePolicy for its own variant, on every prediction: 13 % of a message's time.
  `past_states` here keeps the last result on the tracker, keyed by the arguments, and hands out copies
  (callers edit the states they get). It is valid while the tracker holds the same events: events
  are only ever appended, so the count and the identity of the last event tell. A miss builds
  RulePolicy's variant and the other policies' (rule-only turns ignored) in one replay.
- TEDPolicy runs its TensorFlow graph for every prediction: 21 % of a message's time. Its input is
  only the last `max_history` states (intent, entities, slots, previous action) when it was not
  trained on texts, and conversations repeat those states all the time (a buyer asks where an order
  is; the bot answers and listens). `TedPredictions` keeps TED's answer per distinct input, bounded,
  and runs the graph only for inputs it has not seen. A model trained on story texts (end-to-end)
  is never cached: its input includes the message itself.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import OrderedDict
from typing import Any, Dict, List, Tuple

from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

_ORIGINAL_PAST_STATES = DialogueStateTracker.past_states
_ORIGINAL_TED_PREDICT = TEDPolicy.predict_action_probabilities

# Distinct TED inputs remembered per model. An entry is one prediction (a probability per action),
# a few kB; conversations in one store repeat a few hundred inputs.
TED_CACHE_SIZE = 4096


def copy_states(states: List[State]) -> List[State]:
    """A state is {"user": {...}, "prev_action": {...}, …} with immutable values: two levels to copy.

    Rasa shares one sub-state between turns in places (a rule-only turn takes the previous user
    input); the copy shares them the same way, so an edit through one reaches the other as before.
    """
    copies: Dict[int, Dict] = {}

    def copy(sub_state: Dict) -> Dict:
        copied = copies.get(id(sub_state))
        if copied is None:
            copied = copies[id(sub_state)] = dict(sub_state)
        return copied

    return [{name: copy(sub_state) for name, sub_state in state.items()} for state in states]


def frozen_states(states: List[State]) -> Tuple:
    return tuple(
        tuple(sorted((name, tuple(sorted(sub_state.items()))) for name, sub_state in state.items()))
        for state in states
    )


def _rule_only_key(rule_only_data: Any) -> str:
    return json.dumps(rule_only_data, sort_keys=True, default=str) if rule_only_data else ""


def _key(omit_unset_slots: bool, ignore_rule_only_turns: bool, rule_only_data: Any) -> Tuple:
    # Rasa reads rule_only_data only when it ignores rule-only turns.
    return (
        omit_unset_slots,
        ignore_rule_only_turns,
        _rule_only_key(rule_only_data) if ignore_rule_only_turns else "",
    )


def both_past_states(
    tracker: DialogueStateTracker,
    domain: Domain,
    omit_unset_slots: bool,
    rule_only_data: Dict[str, Any] | None,
) -> Tuple[List[State], List[State]]:
    """RulePolicy's states and the other policies' (rule-only turns ignored), from one replay.

    Rasa 3.6's `Domain.states_for_tracker_history`, run for both values of ignore_rule_only_turns
    at once: each asked for its own replay of the session (8 % of the Rasa process's time).
    """
    rule_states: List[State] = []
    ml_states: List[State] = []
    last_ml_action_sub_state = None
    turn_was_hidden = False
    for prior, hide_rule_turn in tracker.generate_all_prior_trackers():
        # remember the previous ML action of the last turn not hidden: it overrides the
        # previous action in the ML state
        if not turn_was_hidden:
            last_ml_action_sub_state = domain._get_prev_action_sub_state(prior)
        # a followup action or a loop's happy path keeps whether the turn is hidden
        if not prior.followup_action and not prior.latest_action_name == prior.active_loop_name:
            turn_was_hidden = hide_rule_turn
        state = domain.get_active_state(prior, omit_unset_slots=omit_unset_slots)
        if not turn_was_hidden:
            # Rasa edits the ML state (slots removed, user input replaced): a copy of its own.
            ml_state = {name: dict(sub_state) for name, sub_state in state.items()}
            domain._remove_rule_only_features(ml_state, rule_only_data)
            if ml_states:
                domain._substitute_rule_only_user_input(ml_state, ml_states[-1])
            if last_ml_action_sub_state:
                ml_state[PREVIOUS_ACTION] = last_ml_action_sub_state
            ml_states.append(domain._clean_state(ml_state))
        rule_states.append(domain._clean_state(state))
    return rule_states, ml_states


# On the tracker: (number of events, last event, domain, {arguments: states}).
_REMEMBERED = "_xiaoer_past_states"


@functools.wraps(_ORIGINAL_PAST_STATES)
def past_states(
    tracker: DialogueStateTracker,
    domain: Domain,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Dict[str, Any] | None = None,
) -> List[State]:
    """`DialogueStateTracker.past_states`, remembered on the tracker until its events change.

    A miss builds both variants (with and without rule-only turns) in one replay: RulePolicy asks
    for one, MemoizationPolicy and TEDPolicy for the other, on the same tracker.
    """
    events = tracker.events
    count, last = len(events), (events[-1] if events else None)
    remembered = tracker.__dict__.get(_REMEMBERED)
    # The last event and the domain themselves are kept, not their ids: an id can be reused once
    # its object is freed (a reloaded model brings a new domain).
    if (
        remembered is None
        or remembered[0] != count
        or remembered[1] is not last
        or remembered[2] is not domain
    ):
        remembered = (count, last, domain, {})
        tracker.__dict__[_REMEMBERED] = remembered
    key = _key(omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    states = remembered[3].get(key)
    if states is None:
        rule_states, ml_states = both_past_states(tracker, domain, omit_unset_slots, rule_only_data)
        remembered[3][_key(omit_unset_slots, False, None)] = copy_states(rule_states)
        remembered[3][_key(omit_unset_slots, True, rule_only_data)] = copy_states(ml_states)
        return ml_states if ignore_rule_only_turns else rule_states
    return copy_states(states)


class TedPredictions:
    """TED's predictions per distinct model input, least recently used dropped beyond `size`."""

    def __init__(self, size: int = TED_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[Tuple, PolicyPrediction] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Tuple) -> PolicyPrediction | None:
        with self._lock:
            prediction = self._entries.get(key)
            if prediction is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return copy_prediction(prediction)

    def put(self, key: Tuple, prediction: PolicyPrediction) -> None:
        with self._lock:
            self._entries[key] = copy_prediction(prediction)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def copy_prediction(prediction: PolicyPrediction) -> PolicyPrediction:
    # The ensemble zeroes the probability of a rejected action in place.
    return PolicyPrediction(
        list(prediction.probabilities),
        prediction.policy_name,
        prediction.policy_priority,
        list(prediction.events),
        list(prediction.optional_events),
        prediction.is_end_to_end_prediction,
        prediction.is_no_user_prediction,
        prediction.diagnostic_data,
        prediction.hide_rule_turn,
        prediction.action_metadata,
    )


def ted_input(
    policy: TEDPolicy,
    tracker: DialogueStateTracker,
    domain: Domain,
    rule_only_data: Any,
    precomputations: Any,
) -> Tuple | None:
    """What TED's graph sees for this tracker, as a key; None when it depends on the text itself.

    The precomputed features are derived from the same states (intent and action names), so only
    whether there are any tells two inputs apart.
    """
    if policy.model is None or policy.only_e2e or TEXT in policy.fake_features:
        return None
    # The states TED's featurizer reads (Rasa's own helper: rule-only turns and
    # action_unlikely_intent left out, sliced to max_history).
    states = policy._prediction_states(tracker, domain, rule_only_data=rule_only_data)
    return (id(domain), precomputations is None, frozen_states(states))


def ted_predictions(policy: TEDPolicy, size: int = TED_CACHE_SIZE) -> TedPredictions:
    """One cache per loaded policy, so a new model starts empty."""
    cache = policy.__dict__.get("_xiaoer_predictions")
    if cache is None:
        cache = policy.__dict__.setdefault("_xiaoer_predictions", TedPredictions(size))
    return cache


@functools.wraps(_ORIGINAL_TED_PREDICT)
def predict_action_probabilities(
    self: TEDPolicy,
    tracker: DialogueStateTracker,
    domain: Domain,
    rule_only_data: Dict[str, Any] | None = None,
    precomputations: Any = None,
    **kwargs: Any,
) -> PolicyPrediction:
    key = ted_input(self, tracker, domain, rule_only_data, precomputations)
    cache = ted_predictions(self)
    if key is not None:
        cached = cache.get(key)
        if cached is not None:
            return cached
    prediction = _ORIGINAL_TED_PREDICT(
        self, tracker, domain, rule_only_data=rule_only_data, precomputations=precomputations, **kwargs
    )
    # Entities predicted from text are events tied to this message: never replayed.
    if key is not None and not prediction.optional_events and not prediction.is_end_to_end_prediction:
        cache.put(key, prediction)
    return prediction


def install() -> None:
    DialogueStateTracker.past_states = past_states
    TEDPolicy.predict_action_probabilities = predict_action_probabilities


def uninstall() -> None:
    DialogueStateTracker.past_states = _ORIGINAL_PAST_STATES
    TEDPolicy.predict_action_probabilities = _ORIGINAL_TED_PREDICT
