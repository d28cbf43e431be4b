"""Rasa's socket.io channel, fixed for the buyer web chat.

Rasa 3.6's stock channel (a) disables CORS (``cors_allowed_origins=[]``), so the chat page,
served by the console on another port, cannot poll it; and (b) emits custom payloads as
``emit(event, **payload)``, which turns our rich answers into keyword arguments. This channel
keeps the name ``socketio`` (so ``output_channel=socketio`` still finds it), allows the
origins in ``XIAOER_CHAT_ORIGINS`` (comma-separated; default the console's own origin) and
emits every custom payload as ``{"custom": PAYLOAD}``.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, List

import rasa.shared.utils.io
from rasa.core.channels.channel import UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from xiaoer.settings import ChannelSettings

logger = logging.getLogger(__name__)


def allowed_origins(settings: ChannelSettings | None = None) -> List[str]:
    """Origins the web chat may be served from; read when the channel starts, not at import."""
    return (settings or ChannelSettings()).allowed_origins


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
    """socket.io input channel with configured CORS origins and whole custom payloads."""

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
        # Mirrors SocketIOInput.blueprint (Rasa 3.6.21); only the server's origins and the
        # output channel class differ.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=allowed_origins())
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Dict, auth: Dict | None) -> bool:
            if not self.jwt_key:
                return True
            payload = None
            if auth and auth.get("token"):
                payload = decode_bearer_token(auth.get("token"), self.jwt_key, self.jwt_algorithm)
            return bool(payload)

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str) -> None:
            logger.debug("socket.io client %s disconnected", sid)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Dict | None) -> None:
            data = data if isinstance(data, dict) else {}
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                # python-socketio 5.8: enter_room is synchronous (see requirements.in).
                sio.enter_room(sid, data["session_id"])
            await sio.emit("session_confirm", data["session_id"], room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Dict) -> None:
            if not isinstance(data, dict):
                return
            output_channel = XiaoerSocketIOOutput(sio, self.bot_message_evt)
            if self.session_persistence:
                if not data.get("session_id"):
                    rasa.shared.utils.io.raise_warning(
                        "A socket.io message without a session_id was ignored; send `session_request` first."
                    )
                    return
                sender_id = data["session_id"]
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            message = UserMessage(
                str(data.get("message") or ""),
                output_channel,
                sender_id,
                input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else {},
            )
            await on_new_message(message)

        return socketio_webhook
