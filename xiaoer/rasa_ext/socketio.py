"""Rasa's socket.io channel, fixed for the buyer web chat.

Rasa 3.6's stock channel takes the buyer from the client's `session_id`: a second client that
sends `session_id: demo` receives every message sent to demo. Here the buyer is the `sub` of the
token in the connect `auth` ({"token": <buyer token>}, xiaoer.identity); a connection without a
token is an anonymous visitor (`anon-…`, no orders; it is sent a `visitor_token` to come back
as the same visitor), and a bad token is refused. The session's room is the buyer id, so pushed
messages reach only that buyer. Every message passes the buyer-channel limits
(xiaoer.rasa_ext.guard): rate, length and slash syntax; client metadata is ignored.

It also (a) allows CORS for the chat page's origins (XIAOER_CHAT_ORIGINS; default the console's
own), and (b) emits rich answers whole as ``{"custom": PAYLOAD}`` (the stock channel turns them
into keyword arguments). It keeps the name ``socketio``, so ``output_channel=socketio`` finds it.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List

import rasa.shared.utils.io
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from xiaoer import identity
from xiaoer.rasa_ext.guard import EMPTY_REPLY, BuyerGate
from xiaoer.settings import ChannelSettings

logger = logging.getLogger(__name__)

# Largest socket.io payload accepted: a polling client batches its messages into one, so this is
# not the message cap (that is the guard's, far below); bigger payloads drop the connection.
MAX_FRAME = 1 << 20


def client_address(environ: Dict) -> str:
    request = environ.get("sanic.request")
    return (
        getattr(request, "remote_addr", "")
        or getattr(request, "ip", "")
        or environ.get("REMOTE_ADDR")
        or "unknown"
    )


def allowed_origins(settings: ChannelSettings | None = None) -> List[str]:
    """Origins the web chat may be served from; read when the channel starts, not at import."""
    return (settings or ChannelSettings()).allowed_origins


class _AppAwareBlueprint(SocketBlueprint):
    """Tells the channel which app it joined: the tracker store is reached through the app."""

    def __init__(self, channel: XiaoerSocketIOInput, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx.channel = channel

    def register(self, app: Any, options: Dict[str, Any]) -> None:
        self.ctx.channel._app = app
        super().register(app, options)


class XiaoerSocketIOOutput(SocketIOOutput):
    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        custom = message.get("custom")
        if isinstance(custom, dict):
            # A rich answer carries its own fallback text; a bot event with text *and* custom (an
            # agent sending a suggestion) would otherwise reach the buyer twice.
            payload = dict(custom)
            if message.get("buttons") and not payload.get("buttons"):
                payload["buttons"] = message["buttons"]
            await self.send_custom_json(recipient_id, payload)
            return
        await super().send_response(recipient_id, message)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        # One argument, as the web chat expects: {"custom": PAYLOAD}.
        await self._send_message(recipient_id, {"custom": json_message})


class XiaoerSocketIOInput(SocketIOInput):
    """socket.io input channel: signed buyer identity, limits, CORS origins, whole custom payloads."""

    _app: Any = None

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def get_output_channel(self) -> XiaoerSocketIOOutput | None:
        if self.sio is None:
            rasa.shared.utils.io.raise_warning(
                "SocketIO output channel cannot be recreated before the server started."
            )
            return None
        return XiaoerSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # Mirrors SocketIOInput.blueprint (Rasa 3.6.21), with who the buyer is taken from the
        # connection's token instead of the client's session_id, and the buyer-channel limits.
        settings = ChannelSettings()
        gate = BuyerGate(settings)
        # Replicas share rooms through Redis: a message for a buyer reaches them on whichever
        # replica their connection lives.
        manager = AsyncRedisManager(settings.redis_url) if settings.redis_url else None
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=allowed_origins(settings),
            max_http_buffer_size=MAX_FRAME,
            client_manager=manager,
        )
        socketio_webhook = _AppAwareBlueprint(self, sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Dict, auth: Dict | None) -> bool:
            token = auth.get("token") if isinstance(auth, dict) else None
            address = client_address(environ)
            if token:
                try:
                    buyer_id = identity.verify(settings.buyer_token_secret, str(token))
                except identity.InvalidToken as exc:
                    # A token that does not check out is refused, not quietly made anonymous: the
                    # page should know its buyer is not signed in.
                    raise ConnectionRefusedError(str(exc)) from None
            else:
                buyer_id = identity.anonymous_id()
            await sio.save_session(sid, {"buyer_id": buyer_id, "address": address}, namespace=self.namespace)
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str) -> None:
            logger.debug("socket.io client %s disconnected", sid)

        async def buyer_of(sid: str) -> Dict[str, str]:
            return await sio.get_session(sid, namespace=self.namespace)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            # Whatever session_id the client sends, its session is its buyer's: the room that
            # proactive messages (trigger_intent) and agents' replies are sent to.
            session = await buyer_of(sid)
            buyer_id = session["buyer_id"]
            if self.session_persistence:
                # python-socketio 5.8: enter_room is synchronous (see requirements.in).
                sio.enter_room(sid, buyer_id, namespace=self.namespace)
            await sio.emit("session_confirm", buyer_id, room=sid, namespace=self.namespace)
            if identity.is_anonymous(buyer_id) and settings.buyer_token_secret:
                # The page keeps this to come back as the same visitor after a reload.
                visitor = identity.mint(settings.buyer_token_secret, buyer_id, anonymous=True)
                await sio.emit("visitor_token", visitor, room=sid, namespace=self.namespace)

        async def say(sid: str, text: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            session = await buyer_of(sid)
            buyer_id = session["buyer_id"]
            refusal = await gate.throttle(buyer_id, session.get("address"))
            if refusal:
                await say(sid, refusal.text)
                return
            raw = data.get("message") if isinstance(data, dict) else None
            if not isinstance(raw, str):
                await say(sid, EMPTY_REPLY)
                return
            refusal = gate.too_long(raw)
            if refusal:
                await say(sid, refusal.text)
                return
            text = await gate.screen(raw, buyer_id, self._tracker_store())
            # Answers go to the buyer's room (every tab of theirs), or to this connection alone.
            output_channel = XiaoerSocketIOOutput(sio, self.bot_message_evt)
            recipient = buyer_id if self.session_persistence else sid
            message = UserMessage(
                text, output_channel, recipient, input_channel=self.name(), metadata={"channel": "socketio"}
            )
            await on_new_message(message)

        return socketio_webhook

    def _tracker_store(self) -> Any:
        agent = getattr(getattr(self._app, "ctx", None), "agent", None) if self._app else None
        return getattr(agent, "tracker_store", None)
