"""Running an action the way the action server does, and reading what it did."""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from xiaoer.settings import ActionSettings

SETTINGS = ActionSettings(
    # Nothing listens on port 9: an action that bypasses the fake store gets no answer from it.
    store_url="http://127.0.0.1:9",
    store_token="test-token",
    store_timeout=0.5,
    store_timezone="Asia/Shanghai",
    recent_order_days=30,
    ship_within_hours=48,
)
TRACKERS = Path(__file__).parent / "fixtures" / "trackers"
_UNSET = object()


def tracker_state(name: str) -> Dict[str, Any]:
    return json.loads((TRACKERS / f"{name}.json").read_text(encoding="utf-8"))


def entity(name: str, value: str, text: str = "", extractor: str = "DIETClassifier") -> Dict[str, Any]:
    start = max(text.find(value), 0)
    return {"entity": name, "start": start, "end": start + len(value), "value": value, "extractor": extractor}


def build_tracker(
    name: str,
    *,
    text: str | None = None,
    intent: str | None = None,
    entities: List[Dict[str, Any]] | None = None,
    slots: Dict[str, Any] | None = None,
    sender_id: str | None = None,
) -> Tracker:
    """A saved tracker, optionally with this turn's message or slots changed.

    The latest user event is kept in step with latest_message, as Rasa keeps them.
    """
    state = copy.deepcopy(tracker_state(name))
    if sender_id is not None:
        state["sender_id"] = sender_id
    state["slots"].update(slots or {})
    message = state["latest_message"]
    if text is not None:
        message["text"] = text
    if intent is not None:
        message["intent"] = {"name": intent, "confidence": 0.96}
        message["intent_ranking"] = [dict(message["intent"])]
    if entities is not None:
        message["entities"] = entities
    for event in reversed(state["events"]):
        if event["event"] == "user":
            event["text"] = message["text"]
            event["parse_data"] = copy.deepcopy(message)
            break
    return Tracker.from_dict(state)


@dataclass
class Outcome:
    events: List[Dict[str, Any]]
    messages: List[Dict[str, Any]]

    @property
    def text(self) -> str:
        return "\n".join(m["text"] for m in self.messages if m.get("text"))

    @property
    def responses(self) -> List[str]:
        return [m["response"] for m in self.messages if m.get("response")]

    @property
    def buttons(self) -> List[Dict[str, Any]]:
        return [b for m in self.messages for b in m.get("buttons") or []]

    @property
    def slots(self) -> Dict[str, Any]:
        """Each slot the action set, with the last value it set."""
        return {e["name"]: e["value"] for e in self.events if e["event"] == "slot"}

    def slot(self, name: str, default: Any = _UNSET) -> Any:
        if name in self.slots:
            return self.slots[name]
        if default is _UNSET:
            raise AssertionError(f"slot {name!r} not set; events: {self.events}")
        return default

    @property
    def paused(self) -> bool:
        return any(e["event"] == "pause" for e in self.events)


def run_action(action: Action, tracker: Tracker, domain: Dict[str, Any]) -> Outcome:
    dispatcher = CollectingDispatcher()
    # What the action server receives: endpoints.yml enables Rasa's selective domain, so an action
    # gets no domain unless domain.yml marks it `send_domain: true` (none is).
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    outcome = Outcome(events=list(events), messages=dispatcher.messages)
    assert outcome.messages, f"{action.name()} left the buyer without an answer"
    for name in outcome.responses:
        assert name in domain["responses"], f"{action.name()} uttered {name}, which domain.yml lacks"
    for event in outcome.events:
        if event["event"] == "slot":
            assert event["name"] in domain["slots"], f"{action.name()} set unknown slot {event['name']}"
    return outcome


def payload_parts(payload: str) -> tuple[str, Dict[str, Any]]:
    """'/query_logistics{"order_id":"1"}' → ("query_logistics", {"order_id": "1"})."""
    assert payload.startswith("/"), payload
    intent, brace, rest = payload[1:].partition("{")
    return intent, json.loads(brace + rest) if brace else {}
