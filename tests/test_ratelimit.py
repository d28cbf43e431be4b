"""Token buckets in this process and in a real Redis shared by replicas."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import pytest

from tests.support import free_port
from xiaoer.ratelimit import MemoryBuckets, RateLimiter, Rule

RULE = Rule("buyer", burst=3, per_minute=60)  # one a second once the burst is spent


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_refill_rate():
    clock = Clock()
    limiter = RateLimiter(memory=MemoryBuckets(clock=clock))
    assert [limiter.hit(RULE, "alice").allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.hit(RULE, "alice")
    assert refused.retry_after == pytest.approx(1.0) and refused.retry_after_header == "1"
    assert limiter.hit(RULE, "bob").allowed  # another key has its own bucket
    clock.now += 1.0
    assert limiter.hit(RULE, "alice").allowed and not limiter.hit(RULE, "alice").allowed


def test_the_least_recently_used_buckets_are_dropped_beyond_the_cap():
    buckets = MemoryBuckets(max_keys=2)
    for key in ("a", "b", "c"):
        buckets.take(key, RULE)
    assert list(buckets._buckets) == ["b", "c"]


@pytest.fixture(scope="module")
def redis_url():
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not shutil.os.path.exists(binary):
        pytest.fail("redis-server is missing: scripts/setup.sh --test installs it")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


def test_replicas_sharing_redis_share_one_budget(redis_url):
    first, second = RateLimiter(redis_url, prefix="t1"), RateLimiter(redis_url, prefix="t1")
    allowed = [limiter.hit(RULE, "alice").allowed for limiter in (first, second, first, second)]
    assert allowed == [True, True, True, False]
    assert 0 < second.hit(RULE, "alice").retry_after <= 1.0


def test_the_event_loop_api_uses_the_same_buckets(redis_url):
    limiter = RateLimiter(redis_url, prefix="t2")

    async def go():
        return [(await limiter.ahit(RULE, "bob")).allowed for _ in range(4)]

    assert asyncio.run(go()) == [True, True, True, False]
    assert not limiter.hit(RULE, "bob").allowed


def test_redis_down_still_limits_in_this_process():
    limiter = RateLimiter(f"redis://127.0.0.1:{free_port()}/0", prefix="t3")
    assert [limiter.hit(RULE, "carol").allowed for _ in range(4)] == [True, True, True, False]
