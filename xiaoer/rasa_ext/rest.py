"""The REST channel with signed buyer identity: POST /webhooks/rest/webhook.

    Authorization: Bearer <buyer token>          (xiaoer.identity: HS256, sub = buyer id, exp)
    {"message": "我的订单到哪了"}                   a "sender" in the body is ignored

The sender is the token's `sub`. A missing, forged or expired token gets 401 with a JSON error and
nothing reaches the tracker. Then the limits of xiaoer.rasa_ext.guard apply: 429 with Retry-After
per client address and per buyer, 413 for a body over 1 MiB, 400 for a body that is not a JSON
object with a text `message`, a clear reply for a message over the length cap. The answer is the
bot's messages, as Rasa's own REST channel returns them.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from xiaoer import identity
from xiaoer.rasa_ext.guard import BuyerGate, Refusal
from xiaoer.settings import ChannelSettings

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1 << 20


class BodyTooLarge(Exception):
    pass


async def read_capped(request: Request, max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused over max_bytes (Sanic itself stops at REQUEST_MAX_SIZE, 100 MB)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise BodyTooLarge
    body = request.body or b""
    if len(body) > max_bytes:
        raise BodyTooLarge
    return body


def error(status: int, code: str, message: str, headers: Dict[str, str] | None = None) -> HTTPResponse:
    return response.json({"error": code, "message": message}, status=status, headers=headers)


def refused(refusal: Refusal) -> HTTPResponse:
    headers = {"Retry-After": refusal.retry_after} if refusal.retry_after else None
    code = "rate_limited" if refusal.status == 429 else "refused"
    return error(refusal.status, code, refusal.text, headers)


def client_address(request: Request) -> str:
    return request.remote_addr or request.ip or "unknown"


def parse_message(body: bytes) -> str | None:
    """The `message` of a JSON object body, or None when the body is not one."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        return None
    return data["message"]


def bot_reply(buyer_id: str, text: str) -> Dict[str, Any]:
    return {"recipient_id": buyer_id, "text": text}


async def answer(
    gate: BuyerGate,
    request: Request,
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    collector: CollectingOutputChannel,
    text: str,
    buyer_id: str,
    channel: str,
    metadata: Dict[str, Any],
) -> None:
    """What a channel that answers in its HTTP response does once it knows the buyer and has let
    them through its rate limits: the length cap (a reply, not NLU), typed slash syntax screened
    against the buttons the bot offered, then the bot's answer into `collector`."""
    refusal = gate.too_long(text)
    if refusal:
        collector.messages.append(bot_reply(buyer_id, refusal.text))
        return
    agent = getattr(request.app.ctx, "agent", None)
    text = await gate.screen(text, buyer_id, getattr(agent, "tracker_store", None))
    await on_new_message(UserMessage(text, collector, buyer_id, input_channel=channel, metadata=metadata))


class SignedRestInput(RestInput):
    """Rasa's REST channel, but the buyer is who the store's token says."""

    def __init__(self, settings: ChannelSettings | None = None, gate: BuyerGate | None = None) -> None:
        self.settings = settings or ChannelSettings()
        self.gate = gate or BuyerGate(self.settings)

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> SignedRestInput:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("xiaoer_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refusal = await self.gate.throttle(None, client_address(request))
            if refusal:
                return refused(refusal)
            try:
                buyer_id = identity.verify(
                    self.settings.buyer_token_secret, identity.bearer(request.headers.get("authorization"))
                )
            except identity.InvalidToken as exc:
                return error(401, "unauthorized", str(exc), {"WWW-Authenticate": "Bearer"})
            refusal = await self.gate.throttle(buyer_id, None)
            if refusal:
                return refused(refusal)
            try:
                body = await read_capped(request)
            except BodyTooLarge:
                return error(413, "too_large", f"the body is over {MAX_BODY_BYTES} bytes")
            text = parse_message(body)
            if text is None:
                return error(400, "bad_request", 'the body must be a JSON object with a text "message"')
            collector = CollectingOutputChannel()
            try:
                await answer(
                    self.gate,
                    request,
                    on_new_message,
                    collector,
                    text,
                    buyer_id,
                    self.name(),
                    {"channel": "rest"},
                )
            except Exception:  # what was said so far still goes back; the log has the rest
                logger.exception("rest: the message of %s failed", buyer_id)
            return response.json(collector.messages)

        return webhook
