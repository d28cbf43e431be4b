"""What Rasa sends the action server for each action: the recent events, not the whole session.

Rasa 3.6 sends the tracker with every event of the session (`EventVerbosity.ALL`): at the tenth
turn of the bench's order question that is 95 events, 38 kB of JSON that Rasa writes and the
action server parses on every call (17 % of the action server's busy time, issue 12), growing
with the session. Our actions read the slots, the latest message and the sender, which Rasa sends
whole as before; only handoff's fallback count looks back through events, two buyer turns at most.
So the events sent start at the ACTION_EVENT_TURNS-th last buyer message (all of them when the
session is shorter), and the cost of a call no longer grows with the session.
"""

from __future__ import annotations

import itertools
from typing import Any, Dict, List, Sequence

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

# Buyer turns whose events the action server sees. actions/handoff.py counts consecutive fallbacks
# up to FALLBACKS_BEFORE_HANDOFF (2); tests/rasa_ext/test_action_payload.py keeps this above it.
ACTION_EVENT_TURNS = 5

_ORIGINAL = RemoteAction._action_call_format


def recent_events(events: Sequence[Event], turns: int = ACTION_EVENT_TURNS) -> List[Event]:
    """The events from the `turns`-th last buyer message on; all of them when there are fewer.
    `events` may be the tracker's deque, which indexes but does not slice."""
    seen = 0
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            seen += 1
            if seen == turns:
                return list(itertools.islice(events, index, None))
    return list(events)


def _action_call_format(self: RemoteAction, tracker: DialogueStateTracker, domain: Domain) -> Dict[str, Any]:
    """RemoteAction._action_call_format (Rasa 3.6) with the recent events only."""
    state = tracker.current_state(EventVerbosity.NONE)
    state["events"] = [event.as_dict() for event in recent_events(tracker.events)]
    result: Dict[str, Any] = {
        "next_action": self._name,
        "sender_id": tracker.sender_id,
        "tracker": state,
        "version": rasa.__version__,
    }
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(
        self.name()
    ):
        result["domain"] = domain.as_dict()
    return result


def install() -> None:
    RemoteAction._action_call_format = _action_call_format
