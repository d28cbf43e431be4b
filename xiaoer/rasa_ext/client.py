"""The one client for Rasa's HTTP API and the webhooks around it.

RasaClient: token auth, timeouts and clear errors for everything our services ask of a running Rasa
server — parse, trackers, the domain, appending events, trigger_intent (follow-ups, hand-back), an
agent's message, the REST channel's webhook (the chat CLI, benchmarks) and health.
ActionServerClient: the action server's /webhook, which agent assist calls with a synthetic tracker.

Importing this module does not import Rasa: the console and the follow-up engine use it.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List
from urllib.parse import quote

import jwt
import requests

# Triggered after a resume so the bot itself tells the buyer it is back (rule in data/rules/handoff.yml).
HANDBACK_INTENT = "EXTERNAL_agent_handback"
# Slot that records why a conversation waits for a human (see domain.yml).
HANDOVER_REASON_SLOT = "handover_reason"
# Rasa's HTTP API is called with admin JWTs this long-lived, signed with XIAOER_RASA_TOKEN.
JWT_SECONDS = 300
SERVICE_USER = "xiaoer-service"
# Rasa ignores this header; receivers standing in for Rasa in benchmarks use it to spot duplicates.
JOB_HEADER = "X-Xiaoer-Followup-Job"


class RasaUnavailable(Exception):
    """Rasa did not answer in time, or answered with an error."""


class RasaClient:
    def __init__(
        self, base_url: str, token: str, timeout: float = 10.0, session: requests.Session | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._session = session or requests.Session()
        self._jwt: str | None = None
        self._jwt_renew_at = 0.0

    # --- plumbing ---------------------------------------------------------------

    def _authorization(self) -> str:
        """A short-lived admin JWT signed with the shared secret (the secret itself never travels)."""
        now = time.time()
        if self._jwt is None or now > self._jwt_renew_at:
            claims = {
                "user": {"username": SERVICE_USER, "role": "admin"},
                "iat": int(now),
                "exp": int(now) + JWT_SECONDS,
            }
            self._jwt = jwt.encode(claims, self.token, algorithm="HS256")
            self._jwt_renew_at = now + JWT_SECONDS / 2
        return f"Bearer {self._jwt}"

    def _request(
        self, method: str, path: str, timeout: float | None = None, authorization: str = "", **kwargs: Any
    ) -> Any:
        headers = dict(kwargs.pop("headers", None) or {})
        if authorization:
            headers["Authorization"] = authorization
        elif self.token:
            headers["Authorization"] = self._authorization()
        try:
            response = self._session.request(
                method, f"{self.base_url}{path}", timeout=timeout or self.timeout, headers=headers, **kwargs
            )
        except requests.RequestException as exc:
            raise RasaUnavailable(f"{method} {path}: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise RasaUnavailable(f"{method} {path}: HTTP {response.status_code} {response.text[:300]}")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise RasaUnavailable(f"{method} {path}: not JSON: {response.text[:300]}") from exc

    @staticmethod
    def _conversation(conversation_id: str) -> str:
        return f"/conversations/{quote(conversation_id, safe='')}"

    # --- health ------------------------------------------------------------------

    def healthy(self) -> bool:
        """Rasa answers and has a model loaded (/status is 409 without one, when / is still 200)."""
        try:
            self._request("GET", "/status", timeout=2)
        except RasaUnavailable:
            return False
        return True

    # --- reading -----------------------------------------------------------------

    def tracker(self, conversation_id: str) -> dict:
        return self._request("GET", f"{self._conversation(conversation_id)}/tracker")

    def parse(self, text: str) -> dict:
        return self._request("POST", "/model/parse", json={"text": text})

    def domain(self) -> dict:
        return self._request("GET", "/domain", headers={"Accept": "application/json"})

    # --- writing -----------------------------------------------------------------

    def append_events(
        self, conversation_id: str, events: List[Dict[str, Any]], push: bool = False
    ) -> Dict[str, Any]:
        """Append events; with push, bot events also reach the buyer's latest channel."""
        params = {"output_channel": "latest", "execute_side_effects": "true"} if push else {}
        return self._request(
            "POST", f"{self._conversation(conversation_id)}/tracker/events", json=events, params=params
        )

    def trigger_intent(
        self,
        conversation_id: str,
        intent: str,
        entities: Dict[str, Any] | None = None,
        output_channel: str = "latest",
        job: str | None = None,
    ) -> Dict[str, Any]:
        """Run the bot as if the buyer had said `intent`; its answer goes out on `output_channel`."""
        return self._request(
            "POST",
            f"{self._conversation(conversation_id)}/trigger_intent",
            params={"output_channel": output_channel},
            json={"name": intent, "entities": entities or {}},
            headers={JOB_HEADER: job} if job else None,
        )

    def send_agent_message(
        self,
        conversation_id: str,
        text: str,
        agent_id: str,
        buttons: list | None = None,
        custom: dict | None = None,
    ) -> None:
        data: Dict[str, Any] = {}
        if buttons:
            data["buttons"] = buttons
        if custom:
            data["custom"] = custom
        event = {
            "event": "bot",
            "text": text,
            "data": data,
            "metadata": {"agent": agent_id},
            "timestamp": time.time(),
        }
        self.append_events(conversation_id, [event], push=True)

    def hand_over(self, conversation_id: str, reason: str) -> None:
        """Pause the bot: an agent takes the conversation over."""
        now = time.time()
        self.append_events(
            conversation_id,
            [
                {"event": "slot", "name": HANDOVER_REASON_SLOT, "value": reason, "timestamp": now},
                {"event": "pause", "timestamp": now},
            ],
        )

    def hand_back(self, conversation_id: str, agent_id: str) -> None:
        """Resume the bot, then let it tell the buyer it is back (action_handback)."""
        now = time.time()
        resume = {"event": "resume", "timestamp": now, "metadata": {"agent": agent_id}}
        # The pause stopped the bot before its usual action_listen; without one the rules, which
        # expect "listening, then a user intent", would not match the hand-back intent.
        listen = {"event": "action", "name": "action_listen", "timestamp": now}
        self.append_events(conversation_id, [resume, listen])
        self.trigger_intent(conversation_id, HANDBACK_INTENT)

    # --- channels ------------------------------------------------------------------

    def rest_message(self, buyer_token: str, text: str) -> List[Dict[str, Any]]:
        """A buyer's message through the REST channel, as the buyer the token names; the answers."""
        answer = self._request(
            "POST", "/webhooks/rest/webhook", authorization=f"Bearer {buyer_token}", json={"message": text}
        )
        return answer if isinstance(answer, list) else []


class ActionServerClient:
    """The action server's /webhook: runs one action on a tracker it is given (stateless)."""

    def __init__(self, base_url: str, timeout: float = 10.0, session: requests.Session | None = None) -> None:
        self.webhook_url = base_url.rstrip("/") + "/webhook"
        self.timeout = timeout
        self._session = session or requests.Session()

    def run(self, payload: Dict[str, Any]) -> Dict[str, Any]:
        """The action's events and responses; RasaUnavailable when the server fails or refuses."""
        try:
            response = self._session.post(self.webhook_url, json=payload, timeout=self.timeout)
        except requests.RequestException as exc:
            raise RasaUnavailable(f"action server: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"action server: HTTP {response.status_code} {response.text[:300]}")
        try:
            result = response.json()
        except ValueError as exc:
            raise RasaUnavailable(f"action server: not JSON: {response.text[:300]}") from exc
        if not isinstance(result, dict):
            raise RasaUnavailable("action server: not a JSON object")
        return result
