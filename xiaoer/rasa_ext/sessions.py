"""Conversation sessions that also end after a number of buyer turns, not only after idle time.

Rasa's per-message cost grows with the current session: the tracker store loads every event
since the session started, the policies rebuild a state per past turn (`past_states`), and the
action server is sent the whole tracker. Rasa ends a session only after `session_expiration_time`
of silence, so a buyer chatting all afternoon makes every message slower than the last.

Here a session also ends once it holds XIAOER_SESSION_MAX_TURNS buyer messages: Rasa then runs
`action_session_start`, which carries the slots over (domain.yml: carry_over_slots_to_new_session),
so the order or product in context is kept and only the old events drop out of the working set
(the tracker store keeps them; agents still see the whole transcript). A paused conversation
(waiting for an agent) is never cut: a new session would resume the bot.

Rasa 3.6 carries slots over by copying *every* SlotSet of the ending session, the ones it carried
over itself included, so each session starts with all the slot events of every session before it:
after ten sessions a buyer's session held a few hundred stale SlotSets, which every message then
read, replayed and sent to the action server (`make bench`'s 200-turn conversation got slower
turn by turn). Here a new session starts with one SlotSet per slot, its last value and metadata:
the same slot values.
"""

from __future__ import annotations

import functools
import logging
from typing import Dict, List

from rasa.core.actions.action import ActionSessionStart
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

_ORIGINAL = MessageProcessor._has_session_expired
_ORIGINAL_CARRY_OVER = ActionSessionStart._slot_set_events_from_tracker


def turns_in_session(tracker: DialogueStateTracker) -> int:
    """Buyer messages since the session started (triggered EXTERNAL_* intents not counted)."""
    turns = 0
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            break
        if isinstance(event, UserUttered) and not (event.intent_name or "").startswith("EXTERNAL_"):
            turns += 1
    return turns


def carried_over_slots(tracker: DialogueStateTracker) -> List[SlotSet]:
    """One SlotSet per slot set in the session: its last value and metadata."""
    last: Dict[str, SlotSet] = {}
    for event in tracker.applied_events():
        if isinstance(event, SlotSet):
            last.pop(event.key, None)  # kept in the order of the last assignments
            last[event.key] = event
    return [SlotSet(key=e.key, value=e.value, metadata=e.metadata) for e in last.values()]


def install(max_turns: int) -> None:
    """Make every MessageProcessor in this process end a session after max_turns buyer messages."""

    @functools.wraps(_ORIGINAL)
    def has_session_expired(self: MessageProcessor, tracker: DialogueStateTracker) -> bool:
        if _ORIGINAL(self, tracker):
            return True
        if max_turns <= 0 or tracker.is_paused():
            return False
        if turns_in_session(tracker) >= max_turns:
            logger.debug("session of %s ends after %d turns", tracker.sender_id, max_turns)
            return True
        return False

    MessageProcessor._has_session_expired = has_session_expired
    ActionSessionStart._slot_set_events_from_tracker = staticmethod(carried_over_slots)
