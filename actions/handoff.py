"""Hand-over to a human and back, routing by confidence, and what "好的" / "不用了" mean in context.

The NLU routing component (xiaoer/nlu/routing.py) turns an uncertain prediction into
``nlu_fallback`` and records its band in the parse data (``routing.band``); ``action_fallback``
acts on it: ``suggest`` → a colleague checks (paused, suggestions drafted for the agent),
``handover`` → a human takes over at once, ``clarify`` (two store intents too close to call) →
one short question with both as buttons, ``unclear`` (nothing to act on) → please rephrase.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

# Consecutive messages the bot did not understand before a person takes over (band "unclear",
# or fallbacks without a band: a model trained without the routing component).
FALLBACKS_BEFORE_HANDOFF = 2

# Why a conversation waits for a human; the agent console shows it (slot handover_reason).
REASON_REQUEST_HUMAN = "request_human"
REASON_COMPLAIN = "complain"
REASON_SUGGEST = "suggest"  # middle confidence band: suggestions drafted for the agent
REASON_LOW_CONFIDENCE = "low_confidence"
REASON_REPEATED_FALLBACK = "repeated_fallback"
REASON_ACCEPTED_OFFER = "accepted_offer"


def hand_over_events(reason: str = REASON_REQUEST_HUMAN) -> List[EventType]:
    # Pausing stops the bot from answering until an agent hands the conversation back.
    return [SlotSet("offered_human", False), SlotSet("handover_reason", reason), ConversationPaused()]


# What a clarifying question offers for each store intent, as the buyer would say it.
INTENT_CHOICES = {
    "query_order_status": "查订单状态",
    "query_logistics": "查物流、几时送到",
    "urge_shipment": "催发货",
    "change_order": "改订单（地址、时间）",
    "cancel_order": "取消订单",
    "ask_promotion": "优惠活动",
    "ask_price_protection": "降价补差（价保）",
    "ask_product_attribute": "商品参数",
    "ask_product_recommendation": "帮我推荐商品",
    "ask_stock": "有没有货",
    "ask_installation": "安装",
    "ask_return_refund": "退换货、退款",
    "ask_warranty_repair": "保修、维修",
    "ask_invoice": "发票",
    "ask_payment": "付款",
    "ask_presale": "售前咨询",
    "ask_delivery": "配送规则（快递、运费、时效）",
    "ask_membership": "会员和积分",
    "unsubscribe": "不再接收消息",
}
CLARIFY_TEXT = "小二想确认一下，您想问的是哪一个呢？"
HUMAN_CHOICE = {"title": "都不是，找人工", "payload": "/request_human"}


def clarifying_buttons(tracker: Tracker) -> List[Dict[str, str]]:
    """One button per intent the routing component could not decide between, carrying the
    message's own entities (an order number, a product) so the choice loses nothing."""
    message = tracker.latest_message or {}
    options = (message.get("routing") or {}).get("options") or []
    entities = {
        e["entity"]: e["value"]
        for e in message.get("entities") or []
        if e.get("extractor") != "DIETClassifier" and e.get("entity") and isinstance(e.get("value"), str)
    }
    suffix = json.dumps(entities, ensure_ascii=False, separators=(",", ":")) if entities else ""
    buttons = [
        {"title": INTENT_CHOICES[o], "payload": f"/{o}{suffix}"} for o in options[:2] if o in INTENT_CHOICES
    ]
    return [*buttons, HUMAN_CHOICE] if len(buttons) == 2 else []


def routing_band(tracker: Tracker) -> str | None:
    """The routing component's band for the latest message (answer, suggest, handover, unclear)."""
    return ((tracker.latest_message or {}).get("routing") or {}).get("band")


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "complain":
            dispatcher.utter_message(response="utter_complain_handoff")
            return hand_over_events(REASON_COMPLAIN)
        dispatcher.utter_message(response="utter_handoff")
        return hand_over_events(REASON_REQUEST_HUMAN)


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
        band = routing_band(tracker)
        buttons = clarifying_buttons(tracker) if band == "clarify" else []
        if buttons:
            # Two store intents too close to call: one short question, not an agent's time.
            dispatcher.utter_message(text=CLARIFY_TEXT, buttons=buttons)
            return []
        if band in ("suggest", "clarify"):
            # Unsure: rather than guess, a colleague answers with the bot's drafts in hand.
            dispatcher.utter_message(response="utter_assist_pending")
            return hand_over_events(REASON_SUGGEST)
        if band == "handover":
            dispatcher.utter_message(response="utter_low_confidence_handoff")
            return hand_over_events(REASON_LOW_CONFIDENCE)
        # band "unclear" (blank, emoji or markup only) falls through: ask to rephrase, and only
        # repeated fallbacks reach a human.
        if consecutive_fallbacks(tracker) >= FALLBACKS_BEFORE_HANDOFF:
            dispatcher.utter_message(text="抱歉，小二连续没能理解您的问题😥 已为您转接人工客服，请稍候～")
            return hand_over_events(REASON_REPEATED_FALLBACK)
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
            return hand_over_events(REASON_ACCEPTED_OFFER)
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


class ActionHandback(Action):
    """An agent handed the conversation back (EXTERNAL_agent_handback after the resume)."""

    def name(self) -> str:
        return "action_handback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_handback")
        return [SlotSet("handover_reason", None), SlotSet("offered_human", False)]
