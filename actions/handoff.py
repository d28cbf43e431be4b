"""Hand-over to a human, fallbacks, and what "好的" / "不用了" mean in context."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

# Consecutive messages the bot did not understand before a person takes over.
FALLBACKS_BEFORE_HANDOFF = 2


def hand_over_events() -> List[EventType]:
    # Pausing stops the bot from answering until an agent hands the conversation back.
    return [SlotSet("offered_human", False), ConversationPaused()]


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        response = "utter_complain_handoff" if intent == "complain" else "utter_handoff"
        dispatcher.utter_message(response=response)
        return hand_over_events()


def consecutive_fallbacks(tracker: Tracker) -> int:
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") in ("resume", "session_started"):
            break  # an agent handed the conversation back, or a new session began: start afresh
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != "nlu_fallback":
            break
        count += 1
    return count


class ActionFallback(Action):
    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        if consecutive_fallbacks(tracker) >= FALLBACKS_BEFORE_HANDOFF:
            dispatcher.utter_message(text="抱歉，小二连续没能理解您的问题😥 已为您转接人工客服，请稍候～")
            return hand_over_events()
        dispatcher.utter_message(response="utter_default")
        return []


class ActionAffirm(Action):
    def name(self) -> str:
        return "action_affirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        if tracker.get_slot("offered_human"):
            dispatcher.utter_message(response="utter_handoff")
            return hand_over_events()
        dispatcher.utter_message(response="utter_anything_else")
        return []


class ActionDeny(Action):
    def name(self) -> str:
        return "action_deny"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        if tracker.get_slot("offered_human"):
            dispatcher.utter_message(text="好的，那小二继续为您服务～有问题随时问我。")
            return [SlotSet("offered_human", False)]
        dispatcher.utter_message(response="utter_anything_else")
        return []
