"""What every buyer channel checks before a message reaches Rasa (REST, socket.io, marketplace).

- Length: a message longer than XIAOER_MAX_MESSAGE_CHARS after normalisation gets a clear reply
  and never reaches NLU (a megabyte of text would hold the event loop for minutes).
- Rate: per buyer and per client address (xiaoer.ratelimit; shared through Redis when configured).
- Slash syntax: Rasa reads "/intent{…}" as a parsed intent, skipping NLU. A buyer may send one only
  when it is a button payload the bot offered in this conversation; anything else ("/restart",
  "/EXTERNAL_agent_handback", "/greet") is kept as plain text the buyer typed: its slash becomes
  the full-width "／", which Rasa does not parse and the normaliser still reads as "/".
- Metadata: never taken from the client; the channel writes its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Set

from xiaoer.ratelimit import Decision, RateLimiter, Rule
from xiaoer.settings import ChannelSettings
from xiaoer.text import normalize_text

TOO_LONG_REPLY = "您的消息太长了（超过{limit}字），小二读不过来😅 请简要描述您的问题，或分几条发送～"
THROTTLED_REPLY = "您发送得太快啦，请稍等{seconds}秒再发～"
EMPTY_REPLY = "您好像没有输入内容哦，请问有什么可以帮您？"
# Normalisation at most quadruples a character ("㍿" → 株式会社): longer raw text is too long anyway.
_MAX_EXPANSION = 4
FULL_WIDTH_SLASH = "／"


@dataclass(frozen=True)
class Refusal:
    status: int  # HTTP status for HTTP channels
    text: str  # what the buyer reads
    retry_after: str | None = None  # seconds, for a 429


class BuyerGate:
    def __init__(self, settings: ChannelSettings, limiter: RateLimiter | None = None) -> None:
        self.settings = settings
        self.limiter = limiter or RateLimiter(settings.redis_url, prefix="xiaoer:rl:channel")
        self.buyer_rule = Rule("buyer", settings.buyer_burst, settings.buyer_per_minute)
        self.address_rule = Rule("address", settings.address_burst, settings.address_per_minute)

    # --- limits ----------------------------------------------------------------------------------

    def too_long(self, text: str) -> Refusal | None:
        limit = self.settings.max_message_chars
        if len(text) > limit * _MAX_EXPANSION or len(normalize_text(text)) > limit:
            return Refusal(413, TOO_LONG_REPLY.format(limit=limit))
        return None

    async def throttle(self, buyer_id: str | None, address: str | None) -> Refusal | None:
        """A refusal when the address or the buyer has spent their budget, else None."""
        decisions: list[Decision] = []
        if address:
            decisions.append(await self.limiter.ahit(self.address_rule, address))
        if buyer_id and all(d.allowed for d in decisions):
            decisions.append(await self.limiter.ahit(self.buyer_rule, buyer_id))
        refused = next((d for d in decisions if not d.allowed), None)
        if refused is None:
            return None
        seconds = refused.retry_after_header
        return Refusal(429, THROTTLED_REPLY.format(seconds=seconds), retry_after=seconds)

    # --- slash syntax ----------------------------------------------------------------------------

    async def screen(self, text: str, buyer_id: str, tracker_store: Any) -> str:
        """The text as Rasa should read it: an offered button payload as is, other slash text inert."""
        stripped = text.strip()
        if not stripped.startswith("/"):
            return text
        if tracker_store is not None and stripped in await offered_payloads(tracker_store, buyer_id):
            return stripped
        return FULL_WIDTH_SLASH + stripped[1:]


async def offered_payloads(tracker_store: Any, buyer_id: str) -> Set[str]:
    """Button payloads the bot (or an agent) sent in the buyer's current conversation session."""
    tracker = await tracker_store.retrieve(buyer_id)
    if tracker is None:
        return set()
    payloads: Set[str] = set()
    for event in reversed(list(tracker.events)):
        name = getattr(event, "type_name", "")
        if name == "session_started":
            break
        if name == "bot":
            data = getattr(event, "data", None) or {}
            payloads.update(_button_payloads(data.get("buttons")))
            custom = data.get("custom")
            if isinstance(custom, dict):
                payloads.update(_button_payloads(custom.get("buttons")))
                for message in custom.get("messages") or []:
                    if isinstance(message, dict):
                        payloads.update(_button_payloads(message.get("buttons")))
    return payloads


def _button_payloads(buttons: Iterable[Any] | None) -> Set[str]:
    return {
        b["payload"].strip()
        for b in buttons or []
        if isinstance(b, dict) and isinstance(b.get("payload"), str) and b["payload"].strip()
    }
