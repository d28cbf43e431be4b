"""The socket.io channel wrapper: name, allowed origins and the shape of what buyers receive."""

from __future__ import annotations

import asyncio
from typing import Any, List

from xiaoer.rasa_ext.socketio import XiaoerSocketIOInput, XiaoerSocketIOOutput, allowed_origins
from xiaoer.settings import ChannelSettings

FOLDED = {"type": "folded", "text": "挂架安装免费", "summary": "挂架安装免费", "detail": "官方挂架免费安装……"}


class RecordingServer:
    """Stands in for socketio.AsyncServer: records emits."""

    def __init__(self) -> None:
        self.emitted: List[tuple] = []

    async def emit(self, event: str, data: Any = None, room: str | None = None, **kwargs: Any) -> None:
        assert not kwargs, f"payload leaked into keyword arguments: {kwargs}"
        self.emitted.append((event, data, room))


def send(message: dict) -> List[tuple]:
    server = RecordingServer()
    output = XiaoerSocketIOOutput(server, "bot_uttered")
    asyncio.run(output.send_response("buyer-1", dict(message)))
    return server.emitted


def test_custom_payload_is_emitted_whole_under_custom() -> None:
    assert send({"custom": FOLDED}) == [("bot_uttered", {"custom": FOLDED}, "buyer-1")]
    # Rasa's own channel would have called emit("bot_uttered", type=..., text=..., room=...).
    assert "room" not in FOLDED


def test_text_beside_a_custom_payload_is_not_sent_twice() -> None:
    buttons = [{"title": "转人工", "payload": "/request_human"}]
    emitted = send({"text": FOLDED["text"], "custom": FOLDED, "buttons": buttons})
    assert emitted == [("bot_uttered", {"custom": {**FOLDED, "buttons": buttons}}, "buyer-1")]


def test_text_and_buttons_are_quick_replies() -> None:
    emitted = send(
        {"text": "请选择订单", "buttons": [{"title": "订单A", "payload": '/inform{"order_id":"1"}'}]}
    )
    assert emitted == [
        (
            "bot_uttered",
            {
                "text": "请选择订单",
                "quick_replies": [
                    {"content_type": "text", "title": "订单A", "payload": '/inform{"order_id":"1"}'}
                ],
            },
            "buyer-1",
        )
    ]
    assert send({"text": "您好"}) == [("bot_uttered", {"text": "您好"}, "buyer-1")]


def test_channel_keeps_the_socketio_name_and_configures_origins(monkeypatch) -> None:
    assert XiaoerSocketIOInput.name() == "socketio"
    monkeypatch.delenv("XIAOER_CHAT_ORIGINS", raising=False)
    monkeypatch.setenv("XIAOER_CONSOLE_PORT", "8123")
    channel = XiaoerSocketIOInput.from_credentials({"session_persistence": True})
    assert channel.get_output_channel() is None  # not started yet

    async def on_message(message) -> None:
        return None

    channel.blueprint(on_message)
    assert channel.sio.eio.cors_allowed_origins == ["http://127.0.0.1:8123", "http://localhost:8123"]
    assert isinstance(channel.get_output_channel(), XiaoerSocketIOOutput)


def test_allowed_origins_from_env() -> None:
    assert allowed_origins(ChannelSettings(chat_origins="https://shop.example/ , http://127.0.0.1:9000")) == [
        "https://shop.example",
        "http://127.0.0.1:9000",
    ]
    assert allowed_origins(ChannelSettings(chat_origins="", console_port=8100)) == [
        "http://127.0.0.1:8100",
        "http://localhost:8100",
    ]
