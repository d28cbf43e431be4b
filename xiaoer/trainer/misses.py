"""Which buyer messages the bot missed, and the signals that say so, from a tracker's events.

A buyer message is a miss when any of these hold:

    fallback         the bot fell back (nlu_fallback, or a fallback action answered)
    band:<name>      routing sent it to a band other than answer (unclear, suggest, handover)
    low_confidence   the top intent's confidence was under LOW_CONFIDENCE
    rephrased        the buyer's next message asks the same again in other words
    complained       the buyer's next message says the answer did not help (答非所问, 没用, 转人工…)
    agent_edited     an agent edited the suggestion drafted for it
    agent_rejected   an agent rejected it
    no_order         a pre-sale conversation that ended with no order from that buyer

Pure functions over event dicts (xiaoer.rasa_ext.trackers.TrackerReader.events_between's shape).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Set, Tuple

LOW_CONFIDENCE = 0.6
FALLBACK_ACTIONS = {"action_fallback", "action_default_fallback", "action_two_stage_fallback"}
# The buyer telling the bot its answer missed: said right after a bot answer.
COMPLAINT = re.compile(
    r"答非所问|没用|不是这个|不是问这个|听不懂|看不懂|你在说什么|牛头不对马嘴|转人工|人工客服|真人|机器人"
)
# Stages by intent (售前 before buying, 售中 while an order is under way, 售后 after delivery).
STAGES = {
    "售前": ("ask_presale", "ask_product", "ask_stock", "ask_promotion", "ask_membership", "ask_payment"),
    "售中": ("query_", "urge_shipment", "change_order", "cancel_order", "ask_delivery", "ask_invoice"),
    "售后": (
        "ask_return_refund",
        "ask_warranty_repair",
        "ask_installation",
        "ask_price_protection",
        "complain",
    ),
}
PRESALE = "售前"


def stage_of(intent: str | None) -> str:
    for stage, prefixes in STAGES.items():
        if intent and intent.startswith(prefixes):
            return stage
    return "其他"


def _bigrams(text: str) -> Set[str]:
    plain = re.sub(r"\W+", "", text)
    return {plain[i : i + 2] for i in range(len(plain) - 1)} or {plain}


def similar(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams (0..1)."""
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def reading(parse: Dict[str, Any]) -> Tuple[str | None, str | None, float, str | None]:
    """What the model made of a message, from its parse data: (intent before routing relabelled
    it, knowledge entry picked for that intent, confidence, routing band)."""
    routing = parse.get("routing") or {}
    intent = routing.get("intent") or (parse.get("intent") or {}).get("name")
    confidence = float(routing.get("confidence", (parse.get("intent") or {}).get("confidence") or 0.0))
    selector = (parse.get("response_selector") or {}).get(intent or "", {})
    key = (selector.get("response") or {}).get("intent_response_key") if selector else None
    return intent, key, confidence, routing.get("band")


@dataclass
class Miss:
    conversation_id: str
    text: str
    timestamp: float
    intent: str | None
    confidence: float
    answers: List[str] = field(default_factory=list)  # the bot's responses, by name or text
    signals: Set[str] = field(default_factory=set)
    knowledge: str | None = None  # the knowledge entry the bot answered from, if any

    @property
    def stage(self) -> str:
        return stage_of(self.intent)


@dataclass
class _Turn:
    event: Dict[str, Any]
    answers: List[str] = field(default_factory=list)
    actions: List[str] = field(default_factory=list)


def _external(event: Dict[str, Any]) -> bool:
    intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
    return intent.startswith("EXTERNAL_") or (event.get("text") or "").startswith("/EXTERNAL_")


def _turns(events: Iterable[Dict[str, Any]]) -> Dict[str, List[_Turn]]:
    """Per conversation, each buyer message with what the bot did before the next one."""
    turns: Dict[str, List[_Turn]] = defaultdict(list)
    for event in events:
        sender = event.get("sender_id") or ""
        kind = event.get("event")
        if kind == "user" and not _external(event) and (event.get("text") or "").strip():
            turns[sender].append(_Turn(event))
        elif turns[sender] and kind == "bot":
            data = event.get("metadata") or {}
            turns[sender][-1].answers.append(data.get("utter_action") or (event.get("text") or "")[:60])
        elif turns[sender] and kind == "action" and event.get("name"):
            turns[sender][-1].actions.append(event["name"])
    return turns


def find_misses(events: Iterable[Dict[str, Any]], ordered_buyers: Set[str] | None = None) -> List[Miss]:
    """Missed buyer messages with their signals. `ordered_buyers`, when given, are the buyers who
    ordered after the period's conversations: a pre-sale conversation of anyone else is a loss."""
    misses: List[Miss] = []
    for sender, turns in _turns(events).items():
        found: List[Miss] = []
        for i, turn in enumerate(turns):
            parse = turn.event.get("parse_data") or {}
            intent = (parse.get("intent") or {}).get("name")
            original, knowledge, confidence, band = reading(parse)
            miss = Miss(sender, turn.event["text"], float(turn.event.get("timestamp") or 0), original,
                        confidence, list(turn.answers), set(), knowledge)  # fmt: skip
            if intent == "nlu_fallback" or FALLBACK_ACTIONS & set(turn.actions):
                miss.signals.add("fallback")
            if band and band != "answer":
                miss.signals.add(f"band:{band}")
            if confidence < LOW_CONFIDENCE:
                miss.signals.add("low_confidence")
            following = turns[i + 1].event.get("text") or "" if i + 1 < len(turns) else ""
            if following and turn.answers:
                if COMPLAINT.search(following):
                    miss.signals.add("complained")
                elif similar(miss.text, following) >= 0.4 and miss.text.strip() != following.strip():
                    miss.signals.add("rephrased")
            found.append(miss)
        presale = any(m.stage == PRESALE for m in found)
        if ordered_buyers is not None and presale and sender not in ordered_buyers:
            for miss in found:
                if miss.stage == PRESALE:
                    miss.signals.add("no_order")
        misses += [m for m in found if m.signals]
    return misses


def decision_misses(decisions: Iterable[Dict[str, Any]]) -> List[Miss]:
    """Buyer messages whose drafted suggestion an agent edited or rejected (the decision log)."""
    misses = []
    for row in decisions:
        decision = row.get("decision")
        if decision not in ("edited", "rejected"):
            continue
        at = row.get("decided_at")
        misses.append(
            Miss(
                str(row.get("conversation_id") or ""),
                str(row.get("buyer_text") or ""),
                at.timestamp() if hasattr(at, "timestamp") else 0.0,
                row.get("intent"),
                float(row.get("confidence") or 0.0),
                [str(row.get("text") or "")[:60]],
                {f"agent_{decision}"},
            )
        )
    return misses


def merge(misses: Iterable[Miss]) -> List[Miss]:
    """One miss per (conversation, text): signals from the tracker and the decision log together."""
    merged: Dict[tuple, Miss] = {}
    for miss in misses:
        key = (miss.conversation_id, miss.text.strip())
        if key in merged:
            merged[key].signals |= miss.signals
        else:
            merged[key] = miss
    return list(merged.values())
