"""The one client for Rasa's HTTP API: token auth, timeouts, clear errors."""

from __future__ import annotations

import time
from typing import Any, Dict, List
from urllib.parse import quote

import requests

# Triggered after a resume so the bot itself tells the buyer it is back (rule in data/rules/handoff.yml).
HANDBACK_INTENT = "EXTERNAL_agent_handback"
# Slot that records why a conversation waits for a human (see domain.yml).
HANDOVER_REASON_SLOT = "handover_reason"


class RasaUnavailable(Exception):
    """Rasa did not answer in time, or answered with an error."""


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._session = requests.Session()

    # --- plumbing ---------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        params = dict(kwargs.pop("params", None) or {})
        if self.token:
            params["token"] = self.token
        try:
            response = self._session.request(
                method, f"{self.base_url}{path}", params=params, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise RasaUnavailable(f"{method} {path}: {exc}") from exc
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

    def append_events(
        self, conversation_id: str, events: List[Dict[str, Any]], push: bool = False
    ) -> Dict[str, Any]:
        """Append events; with push, bot events also reach the buyer's latest channel."""
        params = {"output_channel": "latest", "execute_side_effects": "true"} if push else {}
        return self._request(
            "POST", f"{self._conversation(conversation_id)}/tracker/events", json=events, params=params
        )

    # --- the contract -------------------------------------------------------------

    def tracker(self, conversation_id: str) -> dict:
        return self._request("GET", f"{self._conversation(conversation_id)}/tracker")

    def parse(self, text: str) -> dict:
        return self._request("POST", "/model/parse", json={"text": text})

    def domain(self) -> dict:
        return self._request("GET", "/domain", headers={"Accept": "application/json"})

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
        self._request(
            "POST",
            f"{self._conversation(conversation_id)}/trigger_intent",
            params={"output_channel": "latest"},
            json={"name": HANDBACK_INTENT, "entities": {}},
        )
