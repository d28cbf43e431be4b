"""Rate limits on the buyer channels: 429 with Retry-After, per buyer and per client address."""

from __future__ import annotations

import asyncio

import pytest

from tests.channels.conftest import channel_settings
from xiaoer.rasa_ext.guard import BuyerGate
from xiaoer.ratelimit import RateLimiter


@pytest.fixture
def channel_overrides() -> dict:
    return {"buyer_burst": 3, "buyer_per_minute": 1}


def test_a_flooding_buyer_gets_429_and_other_buyers_are_unaffected(channels):
    statuses = [channels.rest("flood", {"message": f"第{i}条"}).status_code for i in range(5)]

    assert statuses == [200, 200, 200, 429, 429]
    refused = channels.rest("flood", {"message": "还在吗"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "稍等" in refused.json()["message"]
    assert channels.texts_for("flood") == ["第0条", "第1条", "第2条"]
    assert channels.rest("calm", {"message": "你好"}).status_code == 200


def test_the_marketplace_bridge_is_limited_per_buyer_too(channels):
    statuses = [
        channels.bridge({"message_id": f"m{i}", "buyer_id": "flood", "text": "在吗"}).status_code
        for i in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    # A throttled delivery was not answered: its retry later is processed, not replayed as a 429.
    assert channels.bridge({"message_id": "m9", "buyer_id": "calm", "text": "在吗"}).status_code == 200


def test_a_client_address_is_limited_across_buyers():
    gate = BuyerGate(channel_settings(address_burst=2, address_per_minute=1), RateLimiter())

    async def go():
        first = [await gate.throttle(f"buyer-{i}", "10.0.0.7") for i in range(3)]
        return first, await gate.throttle("buyer-x", "10.0.0.8")

    first, elsewhere = asyncio.run(go())

    assert first[:2] == [None, None]
    assert first[2].status == 429 and first[2].retry_after == "60"
    assert elsewhere is None
