"""The buyer channels (REST, marketplace bridge) in a real Sanic app on loopback, in this process.

Rasa's message handling is replaced by an echo that records what reached it, so these tests see
exactly what a channel lets through to the bot; tests/e2e drives the same channels in the real
Rasa server.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, Iterator, List

import pytest
import requests
import uvicorn
from sanic import Sanic

from tests.support import free_port
from xiaoer import identity
from xiaoer.rasa_ext.guard import BuyerGate
from xiaoer.rasa_ext.marketplace import MarketplaceInput, sign
from xiaoer.rasa_ext.rest import SignedRestInput
from xiaoer.ratelimit import RateLimiter
from xiaoer.settings import ChannelSettings

BUYER_SECRET = "channels-test-buyer-secret-0123456789abcdef"
BRIDGE_SECRET = "channels-test-bridge-secret-0123456789abcdef"


@dataclass
class Received:
    sender: str
    text: str
    channel: str
    metadata: dict


class FakeTrackerStore:
    """Trackers with the buttons the bot offered, as Rasa's tracker store would return them."""

    def __init__(self) -> None:
        self.offered: Dict[str, List[str]] = {}

    async def retrieve(self, sender_id: str):
        from rasa.shared.core.events import BotUttered
        from rasa.shared.core.trackers import DialogueStateTracker

        tracker = DialogueStateTracker(sender_id, slots=[])
        for payload in self.offered.get(sender_id, []):
            tracker.update(BotUttered("请选择", {"buttons": [{"title": "选", "payload": payload}]}))
        return tracker


@dataclass
class Channels:
    url: str
    received: List[Received]
    trackers: FakeTrackerStore
    settings: ChannelSettings
    delay: Dict[str, float] = field(default_factory=dict)

    def token(self, buyer: str, **kwargs) -> str:
        return identity.mint(BUYER_SECRET, buyer, **kwargs)

    def rest(self, buyer: str | None, body=None, token: str | None = None, **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is None and buyer is not None:
            token = self.token(buyer)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if isinstance(body, (bytes, str)):
            return requests.post(f"{self.url}/webhooks/rest/webhook", data=body, headers=headers, timeout=30)
        return requests.post(f"{self.url}/webhooks/rest/webhook", json=body, headers=headers, timeout=30)

    def bridge(
        self, body: dict | bytes, secret: str = BRIDGE_SECRET, timestamp: int | None = None, **headers: str
    ) -> requests.Response:
        raw = body if isinstance(body, bytes) else __import__("json").dumps(body).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signed = {
            "X-Xiaoer-Timestamp": stamp,
            "X-Xiaoer-Signature": sign(secret, stamp, raw),
            "Content-Type": "application/json",
            **headers,
        }
        return requests.post(f"{self.url}/webhooks/marketplace/webhook", data=raw, headers=signed, timeout=60)

    def texts_for(self, sender: str) -> List[str]:
        return [r.text for r in self.received if r.sender == sender]


def serve_channels(settings: ChannelSettings, received: List[Received], trackers: FakeTrackerStore, delay):
    async def on_new_message(message) -> None:
        pause = delay.get(message.sender_id, 0.0)
        if pause:
            await asyncio.sleep(pause)
        received.append(Received(message.sender_id, message.text, message.input_channel, message.metadata))
        await message.output_channel.send_text_message(message.sender_id, f"echo:{message.text}")

    # Test mode lets Sanic start several apps in one process (its start-up rewrites run each time).
    Sanic.test_mode = True
    app = Sanic(f"channels_{free_port()}")
    gate = BuyerGate(settings, RateLimiter(settings.redis_url))
    app.blueprint(SignedRestInput(settings, gate).blueprint(on_new_message), url_prefix="/webhooks/rest")
    app.blueprint(
        MarketplaceInput(settings, gate).blueprint(on_new_message), url_prefix="/webhooks/marketplace"
    )

    class Agent:
        tracker_store = trackers

    app.ctx.agent = Agent()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on", ws="none")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "channel test server did not start"
    return server, thread, f"http://127.0.0.1:{port}"


def channel_settings(**overrides) -> ChannelSettings:
    values = dict(
        buyer_token_secret=BUYER_SECRET,
        marketplace_secret=BRIDGE_SECRET,
        max_message_chars=1000,
        buyer_burst=1000,
        buyer_per_minute=60000,
        address_burst=100000,
        address_per_minute=600000,
        redis_url="",
    )
    values.update(overrides)
    return ChannelSettings(**values)


@pytest.fixture
def channel_overrides() -> dict:
    """Modules override this to run the channels with other settings (small limits)."""
    return {}


@pytest.fixture
def channels(channel_overrides) -> Iterator[Channels]:
    received: List[Received] = []
    trackers = FakeTrackerStore()
    delay: Dict[str, float] = {}
    settings = channel_settings(**channel_overrides)
    server, thread, url = serve_channels(settings, received, trackers, delay)
    try:
        yield Channels(url, received, trackers, settings, delay)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
