"""Suggested replies for an agent, produced by the bot's own pipeline.

For the buyer's message: Rasa parses it (intent ranking, and the response
selector's ranking for FAQ retrieval intents); for each candidate intent the
Suggester runs what the bot would run for it — the rule's custom action on the
action server's /webhook with a synthetic copy of the real tracker (the action
server is stateless and nothing is written to the real conversation), or the
domain response for an ``utter_*`` action. So a logistics question's suggestion
carries the live tracking facts, exactly as the bot would have said them.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Tuple

import yaml

from xiaoer.rasa_ext.client import ActionServerClient, RasaClient, RasaUnavailable
from xiaoer.settings import REPO_ROOT

logger = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
# Actions that hand over or ask the buyer to rephrase: never a reply an agent would send.
NOT_A_REPLY_ACTIONS = {"action_handoff", "action_fallback", "action_default_fallback", "action_listen"}
# Responses that say "I cannot answer": a suggestion made of these helps nobody.
NOT_A_REPLY_RESPONSES = {"utter_default", "utter_backend_error", "utter_handoff", "utter_complain_handoff"}
# Intents below this confidence are not worth running.
MIN_CONFIDENCE = 0.01


@dataclass
class Suggestion:
    suggestion_id: str  # unique, stable for the decision log
    text: str  # plain text (for a rich payload: its fallback text)
    confidence: float  # 0..1
    intent: str  # e.g. query_logistics or ask_installation/wall_mount_fee
    source: str  # "action" | "faq" | "response"
    buttons: list = field(default_factory=list)
    custom: dict | None = None  # rich payload per docs/answer-payload.md, if any


@dataclass
class _Candidate:
    intent: str  # the intent the bot would act on
    label: str  # what the suggestion reports (retrieval intents: intent/response_key)
    confidence: float
    parse: Dict[str, Any]  # the parse data the action sees as latest_message
    faq: bool = False


def rule_actions(rules_dir: Path) -> Dict[str, str]:
    """intent -> the action its rule runs, read from the rule files the model is trained on.

    A rule without a condition wins over a conditional one for the same intent.
    """
    unconditional: Dict[str, str] = {}
    conditional: Dict[str, str] = {}
    for path in sorted(rules_dir.rglob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for rule in content.get("rules") or []:
            target = conditional if rule.get("condition") else unconditional
            steps = rule.get("steps") or []
            for step, following in zip(steps, steps[1:], strict=False):
                intent, action = step.get("intent"), following.get("action")
                if intent and action:
                    target.setdefault(intent, action)
    return {**conditional, **unconditional}


def _first_variation(domain: Dict[str, Any], name: str) -> Dict[str, Any] | None:
    variations = (domain.get("responses") or {}).get(name) or []
    # Variations tied to a channel or condition are skipped: the agent sends plain ones.
    plain = [v for v in variations if not v.get("channel") and not v.get("condition")]
    return copy.deepcopy((plain or variations or [None])[0])


def _custom_text(custom: Dict[str, Any]) -> str:
    for key in ("fallback_text", "text", "title"):
        if isinstance(custom.get(key), str) and custom[key].strip():
            return custom[key].strip()
    return ""


def _fill(text: str, slots: Dict[str, Any]) -> str:
    # Domain responses may mention slots as {slot}; fill what is known, keep the rest.
    for name, value in slots.items():
        if value is not None:
            text = text.replace("{" + name + "}", str(value))
    return text


class Suggester:
    def __init__(
        self,
        rasa: RasaClient,
        action_url: str,
        timeout: float = 10.0,
        rules_dir: Path | str | None = None,
        candidates: int = 5,
        domain_ttl: float = 300.0,
    ) -> None:
        self.rasa = rasa
        self.actions = ActionServerClient(action_url, timeout)
        self.timeout = timeout
        self.rules_dir = Path(rules_dir) if rules_dir else REPO_ROOT / "data" / "rules"
        self.candidates = candidates
        self.domain_ttl = domain_ttl
        self._lock = threading.Lock()
        self._domain: Dict[str, Any] | None = None
        self._domain_at = 0.0
        self._rules: Dict[str, str] | None = None

    # --- what the bot knows -------------------------------------------------------

    def domain(self) -> Dict[str, Any]:
        with self._lock:
            if self._domain is None or time.monotonic() - self._domain_at > self.domain_ttl:
                self._domain = self.rasa.domain()
                self._domain_at = time.monotonic()
            return self._domain

    def rules(self) -> Dict[str, str]:
        with self._lock:
            if self._rules is None:
                self._rules = rule_actions(self.rules_dir)
            return self._rules

    # --- the contract ---------------------------------------------------------------

    def suggest(self, conversation_id: str, text: str | None = None, limit: int = 3) -> List[Suggestion]:
        tracker = self.rasa.tracker(conversation_id)
        if text is None:
            text = latest_buyer_text(tracker)
        if not text or not text.strip():
            return []
        parse = self.rasa.parse(text)
        domain = self.domain()
        candidates = list(self._candidates(parse, domain))
        if not candidates:
            return []
        with ThreadPoolExecutor(max_workers=min(4, len(candidates))) as pool:
            produced = list(pool.map(lambda c: self._produce(c, tracker, domain), candidates))
        suggestions = [s for s in produced if s is not None]
        suggestions.sort(key=lambda s: s.confidence, reverse=True)
        unique: List[Suggestion] = []
        seen = set()
        for suggestion in suggestions:
            key = "".join(suggestion.text.split())
            if key in seen:
                continue
            seen.add(key)
            unique.append(suggestion)
        return unique[:limit]

    # --- candidates -------------------------------------------------------------------

    def _candidates(self, parse: Dict[str, Any], domain: Dict[str, Any]) -> Iterable[_Candidate]:
        ranking = [
            item
            for item in parse.get("intent_ranking") or [parse.get("intent") or {}]
            if item.get("name") and item.get("name") != FALLBACK_INTENT
        ]
        selector = parse.get("response_selector") or {}
        retrieval = set(selector.get("all_retrieval_intents") or [])
        for item in ranking[: self.candidates]:
            intent, confidence = item["name"], float(item.get("confidence") or 0.0)
            if confidence < MIN_CONFIDENCE:
                continue
            base = {
                **{k: v for k, v in parse.items() if k not in ("intent", "intent_ranking")},
                "intent": {"name": intent, "confidence": confidence},
                "intent_ranking": ranking,
            }
            if intent in retrieval and selector.get(intent):
                yield from self._faq_candidates(intent, confidence, base, selector[intent], domain)
            else:
                yield _Candidate(intent=intent, label=intent, confidence=confidence, parse=base)

    def _faq_candidates(
        self,
        intent: str,
        confidence: float,
        base: Dict[str, Any],
        prediction: Dict[str, Any],
        domain: Dict[str, Any],
    ) -> Iterable[_Candidate]:
        ranking = prediction.get("ranking") or [prediction.get("response") or {}]
        for entry in ranking[:2]:
            key = entry.get("intent_response_key")
            if not key:
                continue
            utter = f"utter_{key}"
            answer = {
                "id": entry.get("id"),
                "responses": (domain.get("responses") or {}).get(utter) or [],
                # As if the selector were sure of this entry: the action then gives the entry's
                # answer, not a "did you mean" list; the agent judges it by the real confidence.
                "confidence": 1.0,
                "intent_response_key": key,
                "utter_action": utter,
            }
            parse = copy.deepcopy(base)
            selector = parse.setdefault("response_selector", {})
            selector[intent] = {**prediction, "response": answer}
            parse["intent"]["full_retrieval_intent_name"] = key
            joint = confidence * float(entry.get("confidence") or 0.0)
            yield _Candidate(intent=intent, label=key, confidence=joint, parse=parse, faq=True)

    # --- running what the bot would run --------------------------------------------

    def _action_for(self, candidate: _Candidate, domain: Dict[str, Any]) -> str | None:
        action = self.rules().get(candidate.intent)
        if action:
            return action
        # Retrieval intents answered by their default response action, or a same-named response.
        default = f"utter_{candidate.intent}"
        return default if default in (domain.get("responses") or {}) else None

    def _produce(
        self, candidate: _Candidate, tracker: Dict[str, Any], domain: Dict[str, Any]
    ) -> Suggestion | None:
        action = self._action_for(candidate, domain)
        if not action or action in NOT_A_REPLY_ACTIONS:
            return None
        try:
            if action.startswith("utter_"):
                name = f"utter_{candidate.label}" if candidate.faq else action
                messages = [{"response": name}]
                source = "faq" if candidate.faq else "response"
            else:
                messages = self._run_action(action, candidate, tracker, domain)
                if messages is None:
                    return None
                source = "faq" if candidate.faq else "action"
        except (RasaUnavailable, ValueError) as exc:
            logger.warning("suggestion for %s via %s failed: %s", candidate.label, action, exc)
            return None
        return self._suggestion(candidate, messages, source, tracker, domain)

    def _run_action(
        self, action: str, candidate: _Candidate, tracker: Dict[str, Any], domain: Dict[str, Any]
    ) -> List[Dict[str, Any]] | None:
        payload = {
            "next_action": action,
            "sender_id": tracker.get("sender_id"),
            "tracker": synthetic_tracker(tracker, candidate.parse, domain),
            "domain": domain,
            "version": "3.6.2",
        }
        try:
            result = self.actions.run(payload)
        except RasaUnavailable as exc:
            logger.warning("action %s failed: %s", action, exc)
            return None
        if any(e.get("event") == "pause" for e in result.get("events") or []):
            return None  # the action would hand over: not a reply
        return result.get("responses") or []

    def _suggestion(
        self,
        candidate: _Candidate,
        messages: List[Dict[str, Any]],
        source: str,
        tracker: Dict[str, Any],
        domain: Dict[str, Any],
    ) -> Suggestion | None:
        texts: List[str] = []
        buttons: List[Any] = []
        custom: Dict[str, Any] | None = None
        slots = tracker.get("slots") or {}
        for message in messages:
            message = dict(message)
            name = message.get("response") or message.get("template")
            if name:
                if name in NOT_A_REPLY_RESPONSES:
                    return None
                rendered = _first_variation(domain, name) or {}
                message = {**rendered, **{k: v for k, v in message.items() if v}}
            text = _fill(str(message.get("text") or ""), slots).strip()
            if message.get("custom") and custom is None:
                custom = message["custom"]
                text = text or _custom_text(custom)
            if message.get("image") and not text:
                text = str(message["image"])
            if text:
                texts.append(text)
            buttons.extend(message.get("buttons") or [])
        if not texts:
            return None
        return Suggestion(
            suggestion_id=uuid.uuid4().hex,
            text="\n".join(texts),
            confidence=round(max(0.0, min(1.0, candidate.confidence)), 4),
            intent=candidate.label,
            source=source,
            buttons=buttons,
            custom=custom,
        )


def latest_buyer_text(tracker: Dict[str, Any]) -> str | None:
    for event in reversed(tracker.get("events") or []):
        if event.get("event") != "user":
            continue
        if (event.get("metadata") or {}).get("is_external"):
            continue
        text = event.get("text")
        if text and not text.startswith("/"):
            return text
    return None


def _entity_slots(parse: Dict[str, Any], domain: Dict[str, Any]) -> List[Tuple[str, Any]]:
    """Slots Rasa would fill from this message's entities (from_entity mappings)."""
    values = {e.get("entity"): e.get("value") for e in parse.get("entities") or [] if e.get("value")}
    filled = []
    for slot, spec in (domain.get("slots") or {}).items():
        for mapping in spec.get("mappings") or []:
            if mapping.get("type") == "from_entity" and mapping.get("entity") in values:
                filled.append((slot, values[mapping["entity"]]))
                break
    return filled


def synthetic_tracker(
    tracker: Dict[str, Any], parse: Dict[str, Any], domain: Dict[str, Any]
) -> Dict[str, Any]:
    """A copy of the real tracker in which the bot has just heard `parse` and may answer."""
    copied = copy.deepcopy(tracker)
    latest = {**copy.deepcopy(parse), "text": parse.get("text")}
    events = copied.get("events") or []
    last_user = next(
        (
            i
            for i in range(len(events) - 1, -1, -1)
            if events[i].get("event") == "user" and not (events[i].get("metadata") or {}).get("is_external")
        ),
        None,
    )
    user_event = {
        "event": "user",
        "timestamp": time.time(),
        "text": latest.get("text"),
        "parse_data": latest,
        "input_channel": None,
        "message_id": uuid.uuid4().hex,
        "metadata": {},
    }
    if last_user is not None and events[last_user].get("text") == latest.get("text"):
        user_event = {**events[last_user], "parse_data": latest}
        events[last_user] = user_event
    else:
        events.append(user_event)
    slots = dict(copied.get("slots") or {})
    for slot, value in _entity_slots(parse, domain):
        slots[slot] = value
        events.append({"event": "slot", "name": slot, "value": value, "timestamp": time.time()})
    copied.update(
        events=events,
        slots=slots,
        latest_message=latest,
        latest_action_name="action_listen",
        latest_action={"action_name": "action_listen"},
        paused=False,
    )
    return copied
