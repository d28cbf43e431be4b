"""The marketplace bridge: POST /webhooks/marketplace/webhook (contract: docs/channels.md).

For platform bridges (a marketplace ISV app, WeCom, a store's own app backend) that already know
who the buyer is. Each request is signed by the bridge:

    X-Xiaoer-Timestamp: <unix seconds>
    X-Xiaoer-Signature: sha256=<hex HMAC-SHA256(XIAOER_MARKETPLACE_SECRET, "<timestamp>.<raw body>")>
    {"message_id": "…", "buyer_id": "…", "text": "…", "platform": "…"?, "metadata": {…}?}

A bad or missing signature, or a timestamp more than XIAOER_MARKETPLACE_SKEW_SECONDS off, gets 401.
The answer is the bot's messages, as the REST channel returns them. Platforms retry: a message_id
seen before is answered from its first result and not processed again (while the first is still
being answered, the retry waits for it).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from xiaoer import identity
from xiaoer.rasa_ext.guard import BuyerGate
from xiaoer.rasa_ext.rest import (
    MAX_BODY_BYTES,
    BodyTooLarge,
    answer,
    client_address,
    error,
    read_capped,
    refused,
)
from xiaoer.settings import ChannelSettings

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-xiaoer-signature"
TIMESTAMP_HEADER = "x-xiaoer-timestamp"
MAX_ID = 128
MAX_PLATFORM = 32
# How long a retry waits for the first delivery of its message_id to be answered.
WAIT_FOR_FIRST = 30.0

Messages = List[Dict[str, Any]]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def check_signature(
    secret: str, headers: Any, body: bytes, skew: int, now: float | None = None
) -> str | None:
    """Why the request is not the bridge's, or None when it is."""
    if not secret:
        return "the marketplace bridge is not configured (XIAOER_MARKETPLACE_SECRET)"
    timestamp = headers.get(TIMESTAMP_HEADER) or ""
    given = headers.get(SIGNATURE_HEADER) or ""
    if not timestamp.isdigit() or not given:
        return "missing X-Xiaoer-Timestamp or X-Xiaoer-Signature"
    if abs((now or time.time()) - int(timestamp)) > skew:
        return f"timestamp more than {skew} seconds off"
    if not hmac.compare_digest(given.encode(), sign(secret, timestamp, body).encode()):
        return "bad signature"
    return None


def _text_field(data: Dict[str, Any], name: str, limit: int, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValueError(f"{name}: a non-empty string of at most {limit} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(f"{name}: no control characters")
    return value


def parse_delivery(body: bytes) -> Tuple[str, str, str, str, Dict[str, Any]]:
    """(message_id, buyer_id, text, platform, metadata); ValueError names the bad field."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError("the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    message_id = _text_field(data, "message_id", MAX_ID)
    buyer_id = _text_field(data, "buyer_id", MAX_ID)
    if identity.is_anonymous(buyer_id):
        raise ValueError("buyer_id: anon- ids are Xiaoer's own")
    text = data.get("text")
    if not isinstance(text, str):
        raise ValueError("text: a string")
    platform = _text_field(data, "platform", MAX_PLATFORM, required=False) or "bridge"
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError("metadata: a JSON object")
    return message_id, buyer_id, text, platform, metadata or {}


class ReplayCache:
    """Answers by message_id, in this process or in Redis (shared by replicas) when configured."""

    def __init__(self, ttl: int, redis_url: str = "") -> None:
        self.ttl = ttl
        self.redis_url = redis_url
        self._redis = None
        self._done: Dict[str, Tuple[float, Messages]] = {}
        self._pending: Dict[str, asyncio.Event] = {}

    def _client(self):
        if self._redis is None:
            import redis.asyncio

            self._redis = redis.asyncio.Redis.from_url(
                self.redis_url, socket_timeout=1, socket_connect_timeout=1
            )
        return self._redis

    async def claim(self, key: str) -> Messages | None:
        """None: this delivery is the first and must be answered (then finish or release it).
        Otherwise the first delivery's answer (waiting for it while it is being answered)."""
        if self.redis_url:
            return await self._claim_redis(key)
        self._expire()
        deadline = time.monotonic() + WAIT_FOR_FIRST
        while True:
            if key in self._done:
                return self._done[key][1]
            pending = self._pending.get(key)
            if pending is None:
                self._pending[key] = asyncio.Event()
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(key)
            try:
                await asyncio.wait_for(pending.wait(), remaining)
            except asyncio.TimeoutError:
                raise TimeoutError(key) from None

    async def _claim_redis(self, key: str) -> Messages | None:
        client = self._client()
        name = f"xiaoer:marketplace:{key}"
        if await client.set(name, "", nx=True, ex=self.ttl):
            return None
        deadline = time.monotonic() + WAIT_FOR_FIRST
        while time.monotonic() < deadline:
            stored = await client.get(name)
            if stored is None:  # the first delivery failed and let go: take it over
                if await client.set(name, "", nx=True, ex=self.ttl):
                    return None
            elif stored:
                return json.loads(stored)
            await asyncio.sleep(0.1)
        raise TimeoutError(key)

    async def finish(self, key: str, messages: Messages) -> None:
        if self.redis_url:
            await self._client().set(f"xiaoer:marketplace:{key}", json.dumps(messages), ex=self.ttl)
            return
        self._done[key] = (time.monotonic() + self.ttl, messages)
        self._pending.pop(key, asyncio.Event()).set()

    async def release(self, key: str) -> None:
        """The first delivery failed: a retry may try again."""
        if self.redis_url:
            await self._client().delete(f"xiaoer:marketplace:{key}")
            return
        self._pending.pop(key, asyncio.Event()).set()

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, (until, _) in self._done.items() if until < now]:
            del self._done[key]


class MarketplaceInput(InputChannel):
    def __init__(self, settings: ChannelSettings | None = None, gate: BuyerGate | None = None) -> None:
        self.settings = settings or ChannelSettings()
        self.gate = gate or BuyerGate(self.settings)
        self.replays = ReplayCache(self.settings.marketplace_replay_ttl, self.settings.redis_url)

    @classmethod
    def name(cls) -> str:
        return "marketplace"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> MarketplaceInput:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("xiaoer_marketplace_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refusal = await self.gate.throttle(None, client_address(request))
            if refusal:
                return refused(refusal)
            try:
                body = await read_capped(request)
            except BodyTooLarge:
                return error(413, "too_large", f"the body is over {MAX_BODY_BYTES} bytes")
            problem = check_signature(
                self.settings.marketplace_secret, request.headers, body, self.settings.marketplace_skew
            )
            if problem:
                return error(401, "unauthorized", problem)
            try:
                message_id, buyer_id, text, platform, metadata = parse_delivery(body)
            except ValueError as exc:
                return error(400, "bad_request", str(exc))
            key = f"{platform}:{message_id}"
            try:
                first = await self.replays.claim(key)
            except TimeoutError:
                return error(409, "in_progress", "this message_id is still being answered; retry later")
            if first is not None:
                return response.json(first)
            try:
                messages = await self._answer(request, on_new_message, buyer_id, text, platform, metadata)
            except _Throttled as throttled:
                await self.replays.release(key)  # not answered: the platform's retry may be
                return refused(throttled.refusal)
            except Exception:
                await self.replays.release(key)
                logger.exception("marketplace: message %s failed", key)
                return error(500, "failed", "the message could not be answered; retry later")
            await self.replays.finish(key, messages)
            return response.json(messages)

        return webhook

    async def _answer(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        buyer_id: str,
        text: str,
        platform: str,
        metadata: Dict[str, Any],
    ) -> Messages:
        refusal = await self.gate.throttle(buyer_id, None)
        if refusal:
            raise _Throttled(refusal)
        collector = CollectingOutputChannel()
        # The bridge's own metadata is kept apart: it cannot set flags such as is_external.
        message_metadata = {"channel": "marketplace", "platform": platform, "bridge": metadata}
        await answer(
            self.gate, request, on_new_message, collector, text, buyer_id, self.name(), message_metadata
        )
        return collector.messages


class _Throttled(Exception):
    def __init__(self, refusal) -> None:
        super().__init__(refusal.text)
        self.refusal = refusal
