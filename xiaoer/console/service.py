"""What an agent can do with a conversation: read it, get suggestions, answer, hand it back.

Routers stay thin over this class; its collaborators (Rasa client, suggester, decision log,
store client, tracker reader, agent store) are wired in one place, `bootstrap.py`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Protocol

from xiaoer.console.auth import Agent, AgentStore
from xiaoer.console.dashboard import Dashboard
from xiaoer.console.training import TrainingDesk
from xiaoer.rasa_ext.trackers import TrackerReader
from xiaoer.ratelimit import Decision, RateLimiter, Rule
from xiaoer.settings import ConsoleSettings
from xiaoer.storeapi.client import StoreClient, StoreUnavailable
from xiaoer.storeapi.contract import SHIPPED_STATUSES, STATUS_LABELS
from xiaoer.storeapi.orders import current_order, latest_tracking, newest_first

logger = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 2000


class RasaLike(Protocol):
    def send_agent_message(
        self,
        conversation_id: str,
        text: str,
        agent_id: str,
        buttons: list | None = None,
        custom: dict | None = None,
    ) -> None: ...

    def hand_back(self, conversation_id: str, agent_id: str) -> None: ...


class SuggesterLike(Protocol):
    def suggest(self, conversation_id: str, text: str | None = None, limit: int = 3) -> list: ...


class DecisionLogLike(Protocol):
    def shown(self, conversation_id, agent_id, buyer_text, suggestions, at=None) -> None: ...
    def decided(self, suggestion_id, decision, agent_id, final_text=None, seconds_to_send=None, at=None) -> None: ...  # fmt: skip
    def agent_message(self, conversation_id, agent_id, text, suggestion_id=None, at=None) -> None: ...  # fmt: skip


class NotFound(Exception):
    """Unknown conversation or suggestion, or one of another store: the agent gets a 404."""


class Conflict(Exception):
    """A suggestion already decided."""


class BadInput(Exception):
    """The agent's text is empty or too long."""


class Unavailable(Exception):
    """Rasa, the action server or the store did not answer in time."""


@dataclass
class _Shown:
    conversation_id: str
    agent_login: str
    suggestion: Any
    shown_at: float
    decided: bool = False


class ConsoleService:
    def __init__(
        self,
        settings: ConsoleSettings,
        agents: AgentStore,
        trackers: TrackerReader,
        rasa: RasaLike,
        suggester: SuggesterLike,
        decisions: DecisionLogLike,
        store: StoreClient,
        limiter: RateLimiter | None = None,
        dashboard: Dashboard | None = None,
        training: TrainingDesk | None = None,
    ) -> None:
        self.settings = settings
        self.agents = agents
        self.trackers = trackers
        self.rasa = rasa
        self.suggester = suggester
        self.decisions = decisions
        self.store = store
        # The metrics dashboard (None: the page says it is not configured).
        self.dashboard = dashboard
        # The 训练师 pages (None: not configured).
        self.training = training
        # One limiter per service: Redis-backed (shared by replicas) when settings name one.
        self.limiter = limiter or RateLimiter(settings.redis_url)
        self.login_rule = Rule("console-login", settings.login_burst, settings.login_per_minute)
        self.address_rule = Rule(
            "console-login-address", settings.login_address_burst, settings.login_address_per_minute
        )
        # Suggestions shown to agents, by id, until decided (one console process per deployment).
        self._shown: Dict[str, _Shown] = {}
        self._lock = threading.Lock()

    # --- login attempts ---------------------------------------------------------

    def login_attempt(self, login: str, address: str) -> Decision:
        """Count one login attempt against its login and its client address; refused when
        either is spent (then with the longer wait). Asked before the password is checked.

        The login is normalised (stripped, case-folded) and hashed: "Alice " and "alice" share a
        budget, and neither Redis nor memory holds logins people typed (or a megabyte of one).
        """
        normalised = login.strip().casefold().encode("utf-8")
        by_login = self.limiter.hit(self.login_rule, hashlib.sha256(normalised).hexdigest()[:32])
        by_address = self.limiter.hit(self.address_rule, address or "unknown")
        refused = [d for d in (by_login, by_address) if not d.allowed]
        return max(refused, key=lambda d: d.retry_after) if refused else by_login

    # --- visibility ------------------------------------------------------------

    def serves(self, agent: Agent) -> bool:
        """Conversations of this deployment belong to its store; other stores' agents see none."""
        return agent.store_id == self.settings.store_id

    def queue(self, agent: Agent) -> List[dict]:
        if not self.serves(agent):
            return []
        return [asdict(item) for item in self.trackers.waiting()]

    def conversation(self, agent: Agent, conversation_id: str) -> dict:
        if not self.serves(agent):
            raise NotFound(conversation_id)
        conversation = self.trackers.conversation(conversation_id)
        if conversation is None:
            raise NotFound(conversation_id)
        return conversation.as_dict()

    def _check(self, agent: Agent, conversation_id: str) -> None:
        if not self.serves(agent) or not self.trackers.exists(conversation_id):
            raise NotFound(conversation_id)

    # --- the panel: the buyer's orders, shipment and product in context ----------

    def panel(self, agent: Agent, conversation_id: str) -> dict:
        """The buyer's recent orders, and the order, shipment and product the conversation is about.

        The order is chosen as the bot chooses it (xiaoer.storeapi.orders): the one in context when it
        is this buyer's, else their most recent; its latest tracking event is the one the bot quotes.
        """
        conversation = self.conversation(agent, conversation_id)
        slots = conversation["slots"]
        panel: Dict[str, Any] = {"orders": [], "order": None, "shipment": None, "product": None}
        try:
            orders = newest_first(self.store.buyer_orders(conversation_id))[:5]
            panel["orders"] = [
                {
                    "order_id": order.get("order_id"),
                    "status": order.get("status"),
                    "status_label": STATUS_LABELS.get(order.get("status"), order.get("status")),
                    "total": order.get("total"),
                    "created_at": order.get("created_at"),
                    "items": [
                        f"{item.get('name') or item.get('sku')} ×{item.get('qty', 1)}"
                        for item in order.get("items") or []
                    ],
                }
                for order in orders
            ]
            order = current_order(self.store, conversation_id, slots.get("order_id"))
            if order:
                panel["order"] = {
                    "order_id": order.get("order_id"),
                    "status_label": STATUS_LABELS.get(order.get("status"), order.get("status")),
                }
                if order.get("status") in SHIPPED_STATUSES:
                    shipment = self.store.get_shipment(str(order.get("order_id")))
                    if shipment:
                        panel["shipment"] = {
                            "carrier": shipment.get("carrier"),
                            "tracking_no": shipment.get("tracking_no"),
                            "eta": shipment.get("eta"),
                            "latest": latest_tracking(shipment),
                        }
            sku = slots.get("product_sku")
            if sku:
                product = self.store.get_product(str(sku))
                if product:
                    panel["product"] = {
                        "sku": product.get("sku") or sku,
                        "name": product.get("name"),
                        "price": product.get("price"),
                        "stock": product.get("stock"),
                        "attributes": product.get("attributes") or {},
                    }
        except (StoreUnavailable, ValueError) as exc:  # down, or data it cannot read: show, do not fail
            logger.warning("store unavailable for the console panel: %s", exc)
            panel["error"] = "商店系统暂时无法访问，订单信息稍后再看。"
        return panel

    # --- suggestions and decisions ---------------------------------------------

    def suggestions(self, agent: Agent, conversation_id: str, limit: int = 3) -> List[dict]:
        conversation = self.conversation(agent, conversation_id)
        buyer_texts = [m["text"] for m in conversation["messages"] if m["role"] == "buyer"]
        if not buyer_texts:
            return []
        try:
            suggestions = self.suggester.suggest(conversation_id, limit=limit)
        except Exception as exc:  # Rasa or the action server down or slow
            logger.warning("suggestions failed for %s: %s", conversation_id, exc)
            raise Unavailable("suggestions") from exc
        now = time.time()
        with self._lock:
            for suggestion in suggestions:
                self._shown[suggestion.suggestion_id] = _Shown(conversation_id, agent.login, suggestion, now)
        self.decisions.shown(conversation_id, agent.login, buyer_texts[-1], suggestions)
        return [
            {
                "suggestion_id": s.suggestion_id,
                "text": s.text,
                "confidence": s.confidence,
                "intent": s.intent,
                "source": s.source,
                "buttons": list(s.buttons or []),
                "custom": s.custom,
            }
            for s in suggestions
        ]

    def _take(self, agent: Agent, conversation_id: str, suggestion_id: str) -> _Shown:
        self._check(agent, conversation_id)
        with self._lock:
            shown = self._shown.get(suggestion_id)
            if shown is None or shown.conversation_id != conversation_id:
                raise NotFound(suggestion_id)
            if shown.decided:
                raise Conflict(suggestion_id)
            shown.decided = True
        return shown

    def _send(self, agent: Agent, conversation_id: str, text: str, **rich: Any) -> None:
        try:
            self.rasa.send_agent_message(conversation_id, text, agent.login, **rich)
        except Exception as exc:
            raise Unavailable("rasa") from exc

    def accept(self, agent: Agent, conversation_id: str, suggestion_id: str) -> None:
        shown = self._take(agent, conversation_id, suggestion_id)
        suggestion = shown.suggestion
        try:
            self._send(
                agent,
                conversation_id,
                suggestion.text,
                buttons=list(suggestion.buttons or []) or None,
                custom=suggestion.custom,
            )
        except Unavailable:
            shown.decided = False  # nothing reached the buyer: the agent may try again
            raise
        self.decisions.decided(
            suggestion_id, "accepted", agent.login, final_text=suggestion.text,
            seconds_to_send=time.time() - shown.shown_at,
        )  # fmt: skip
        self.decisions.agent_message(
            conversation_id, agent.login, suggestion.text, suggestion_id=suggestion_id
        )

    def edit(self, agent: Agent, conversation_id: str, suggestion_id: str, text: str) -> None:
        text = self._clean(text)
        shown = self._take(agent, conversation_id, suggestion_id)
        try:
            # An edited text replaces the suggestion; its quick replies still fit the question.
            self._send(agent, conversation_id, text, buttons=list(shown.suggestion.buttons or []) or None)
        except Unavailable:
            shown.decided = False
            raise
        self.decisions.decided(
            suggestion_id, "edited", agent.login, final_text=text,
            seconds_to_send=time.time() - shown.shown_at,
        )  # fmt: skip
        self.decisions.agent_message(conversation_id, agent.login, text, suggestion_id=suggestion_id)

    def reject(self, agent: Agent, conversation_id: str, suggestion_id: str) -> None:
        self._take(agent, conversation_id, suggestion_id)
        self.decisions.decided(suggestion_id, "rejected", agent.login)

    def send(self, agent: Agent, conversation_id: str, text: str) -> None:
        text = self._clean(text)
        self._check(agent, conversation_id)
        self._send(agent, conversation_id, text)
        self.decisions.agent_message(conversation_id, agent.login, text)

    def hand_back(self, agent: Agent, conversation_id: str) -> None:
        self._check(agent, conversation_id)
        try:
            self.rasa.hand_back(conversation_id, agent.login)
        except Exception as exc:
            raise Unavailable("rasa") from exc
        with self._lock:
            for shown in self._shown.values():
                if shown.conversation_id == conversation_id:
                    shown.decided = True

    @staticmethod
    def _clean(text: str | None) -> str:
        text = (text or "").strip()
        if not text:
            raise BadInput("消息不能为空")
        if len(text) > MAX_MESSAGE_LENGTH:
            raise BadInput(f"消息太长（最多 {MAX_MESSAGE_LENGTH} 字）")
        return text
