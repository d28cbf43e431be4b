"""Dialogue predictions without repeated work, with the same results.

Two wastes in Rasa 3.6, found in a profile of `make bench` (docs/scaling.md):

- Every policy rebuilds the conversation's states from its events (`past_states`, which replays the
  session event by event). MemoizationPolicy and TEDPolicy ask for exactly the same states, and
  RulePolicy for its own variant, on every prediction: 13 % of a message's time. Here one replay
  (`StatesReplay`) builds both variants, is kept on the tracker, and is carried on over the events
  appended since the last call: a prediction replays only the new events, not the session. It
  starts again from the session's start when the tracker holds other events than the ones replayed
  or a new event rewinds earlier ones (a restart, a new session, an undo, a form). Callers get
  copies (they edit the states they get).
- TEDPolicy runs its TensorFlow graph for every prediction: 21 % of a message's time. Its input is
  only the last `max_history` states (intent, entities, slots, previous action) when it was not
  trained on texts, and conversations repeat those states all the time (a buyer asks where an order
  is; the bot answers and listens). `TedPredictions` keeps TED's answer per distinct input, bounded,
  and runs the graph only for inputs it has not seen. A model trained on story texts (end-to-end)
  is never cached: its input includes the message itself.
"""

from __future__ import annotations

import functools
import itertools
import json
import threading
from collections import OrderedDict
from typing import Any, Dict, List, Tuple

from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
)
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


# RulePolicy and the featurizer pass the same rule_only_data object on every call: its key is
# kept with the object itself (not its id, which a freed object's successor can reuse).
_rule_only_memo: List[Any] = [None, ""]


def _rule_only_key(rule_only_data: Any) -> str:
    if not rule_only_data:
        return ""
    if _rule_only_memo[0] is not rule_only_data:
        _rule_only_memo[:] = [rule_only_data, json.dumps(rule_only_data, sort_keys=True, default=str)]
    return _rule_only_memo[1]


# Events after which a fresh replay differs from one carried on: Rasa's `applied_events` drops or
# undoes earlier events for them, and treats a loop's earlier actions differently once a loop is
# active (xiaoer has no forms; a model that has them replays from the start).
_REWINDING = (Restarted, SessionStarted, ActionReverted, UserUtteranceReverted, ActiveLoop)


class StatesReplay:
    """Rasa 3.6's replay of a session for the policies' states, both variants at once, kept so
    that the next call replays only the events appended since.

    `Domain.states_for_tracker_history` replays the whole session for every prediction, three
    or more per message, for RulePolicy's variant and again for the other policies' (rule-only
    turns ignored): 8 % of the Rasa process's time, growing with the session. Here the states of
    the turns replayed stay as they are (each is computed from the events before it); the last
    state, the tracker as it now is, is computed on every change.
    """

    def __init__(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        omit_unset_slots: bool,
        rule_only_data: Dict[str, Any] | None,
    ) -> None:
        self.domain = domain
        self.omit_unset_slots = omit_unset_slots
        self.rule_only_data = rule_only_data
        self.rule_states: List[State] = []
        self.ml_states: List[State] = []
        # The previous ML action of the last turn not hidden: it overrides the previous action in
        # the ML state.
        self._last_ml_action: Dict[str, Any] | None = None
        self._turn_was_hidden = False
        self._running = tracker.init_copy()
        self._result: Tuple[List[State], List[State]] | None = None
        self.extendable = not any(isinstance(event, ActiveLoop) for event in tracker.events)
        for event in tracker.applied_events():
            self._apply(event)
        self._mark(tracker)

    def _mark(self, tracker: DialogueStateTracker) -> None:
        # The last event itself is kept, not its id: an id can be reused once its object is freed.
        self.count = len(tracker.events)
        self.last = tracker.events[-1] if tracker.events else None

    def _apply(self, event: Event) -> None:
        """`generate_all_prior_trackers`: the tracker before each action is a turn's state."""
        if isinstance(event, ActionExecuted):
            self._turn(event.hide_rule_turn)
        self._running.update(event)

    def _turn(self, hide_rule_turn: bool) -> None:
        prior, domain = self._running, self.domain
        if not self._turn_was_hidden:
            self._last_ml_action = domain._get_prev_action_sub_state(prior)
        # a followup action or a loop's happy path keeps whether the turn is hidden
        if not prior.followup_action and not prior.latest_action_name == prior.active_loop_name:
            self._turn_was_hidden = hide_rule_turn
        state = domain.get_active_state(prior, omit_unset_slots=self.omit_unset_slots)
        if not self._turn_was_hidden:
            # Rasa edits the ML state (slots removed, user input replaced): a copy of its own.
            ml_state = {name: dict(sub_state) for name, sub_state in state.items()}
            domain._remove_rule_only_features(ml_state, self.rule_only_data)
            if self.ml_states:
                domain._substitute_rule_only_user_input(ml_state, self.ml_states[-1])
            if self._last_ml_action:
                ml_state[PREVIOUS_ACTION] = self._last_ml_action
            self.ml_states.append(domain._clean_state(ml_state))
        self.rule_states.append(domain._clean_state(state))

    def catch_up(self, tracker: DialogueStateTracker) -> bool:
        """Replays the events the tracker has gained since; False when this replay cannot become
        the tracker's: it holds other events before them, or one of them rewinds earlier ones."""
        events = tracker.events
        if len(events) < self.count or (self.count and events[self.count - 1] is not self.last):
            return False
        if len(events) == self.count:
            return True
        appended = list(itertools.islice(events, self.count, None))
        if not self.extendable or any(isinstance(event, _REWINDING) for event in appended):
            return False
        for event in appended:
            self._apply(event)
        self._mark(tracker)
        self._result = None
        return True

    def states(self) -> Tuple[List[State], List[State]]:
        """RulePolicy's states and the other policies', the last one the tracker as it now is.
        Shared with later calls: callers get copies (copy_states)."""
        if self._result is None:
            rule_count, ml_count = len(self.rule_states), len(self.ml_states)
            carried = self._last_ml_action, self._turn_was_hidden
            self._turn(hide_rule_turn=False)
            self._result = self.rule_states[:], self.ml_states[:]
            # The last state is not a turn yet: the next events decide what the turn holds.
            del self.rule_states[rule_count:], self.ml_states[ml_count:]
            self._last_ml_action, self._turn_was_hidden = carried
        return self._result


# On the tracker: {(omit_unset_slots, rule-only data's key): StatesReplay}.
_REPLAYS = "_xiaoer_states_replays"


@functools.wraps(_ORIGINAL_PAST_STATES)
def past_states(
    tracker: DialogueStateTracker,
    domain: Domain,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Dict[str, Any] | None = None,
) -> List[State]:
    """`DialogueStateTracker.past_states` from a replay kept on the tracker and carried on as
    events are appended. RulePolicy's variant ignores rule_only_data (as Rasa does), so any
    replay with the same omit_unset_slots serves it."""
    replays: Dict[Tuple[bool, str], StatesReplay] = tracker.__dict__.setdefault(_REPLAYS, {})
    key = (omit_unset_slots, _rule_only_key(rule_only_data))
    replay = replays.get(key)
    if replay is None and not ignore_rule_only_turns:
        replay = next((r for (omit, _), r in replays.items() if omit == omit_unset_slots), None)
    if replay is None or replay.domain is not domain or not replay.catch_up(tracker):
        replay = replays[key] = StatesReplay(tracker, domain, omit_unset_slots, rule_only_data)
    rule_states, ml_states = replay.states()
    return copy_states(ml_states if ignore_rule_only_turns else rule_states)


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
