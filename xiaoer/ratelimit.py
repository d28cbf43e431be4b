"""Rate limits: a token bucket per key (a buyer, a client address, a login).

Each key may spend `burst` requests at once, refilled at `per_minute`. With a Redis URL the
buckets live in Redis (one atomic script per request), so every replica enforces the same limit;
without one they live in this process. If Redis stops answering, this process's own buckets take
over until it is back (a limit per replica is better than none, or than refusing everybody).

Bottom layer: imports nothing of Xiaoer.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Tuple

logger = logging.getLogger(__name__)

# KEYS[1] bucket; ARGV: rate per second, burst, now (seconds). Returns {allowed, seconds to wait}.
_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return {allowed, tostring(wait)}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0  # seconds until one request would be allowed

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


@dataclass(frozen=True)
class Rule:
    name: str  # part of the key: "buyer", "address", "login"…
    burst: int
    per_minute: float

    @property
    def rate(self) -> float:
        return self.per_minute / 60.0


class MemoryBuckets:
    """Buckets in this process; the least recently used are dropped beyond `max_keys`."""

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._buckets: OrderedDict[str, Tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_keys = max_keys
        self._clock = clock

    def take(self, key: str, rule: Rule) -> Decision:
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (float(rule.burst), now))
            tokens = min(float(rule.burst), tokens + max(0.0, now - at) * rule.rate)
            if tokens >= 1:
                decision = Decision(True)
                tokens -= 1
            else:
                decision = Decision(False, (1 - tokens) / rule.rate)
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        return decision


class RateLimiter:
    """hit() for threads, ahit() for event loops; both fall back to memory when Redis fails."""

    def __init__(self, redis_url: str = "", prefix: str = "xiaoer:rl", memory: MemoryBuckets | None = None):
        self.redis_url = redis_url
        self.prefix = prefix
        self.memory = memory or MemoryBuckets()
        self._sync = None
        self._async = None
        self._redis_down_logged = False

    def _key(self, rule: Rule, key: str) -> str:
        return f"{self.prefix}:{rule.name}:{key}"

    def _redis_failed(self, exc: Exception) -> None:
        if not self._redis_down_logged:
            logger.warning("rate limits: Redis not answering (%s); limiting in this process", exc)
            self._redis_down_logged = True

    def hit(self, rule: Rule, key: str) -> Decision:
        if not self.redis_url:
            return self.memory.take(self._key(rule, key), rule)
        try:
            if self._sync is None:
                import redis

                self._sync = redis.Redis.from_url(
                    self.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
                )
            allowed, wait = self._sync.eval(
                _SCRIPT, 1, self._key(rule, key), rule.rate, rule.burst, time.time()
            )
        except Exception as exc:  # any Redis trouble: keep limiting, locally
            self._redis_failed(exc)
            return self.memory.take(self._key(rule, key), rule)
        self._redis_down_logged = False
        return Decision(bool(allowed), float(wait))

    async def ahit(self, rule: Rule, key: str) -> Decision:
        if not self.redis_url:
            return self.memory.take(self._key(rule, key), rule)
        try:
            if self._async is None:
                import redis.asyncio

                self._async = redis.asyncio.Redis.from_url(
                    self.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
                )
            allowed, wait = await self._async.eval(
                _SCRIPT, 1, self._key(rule, key), rule.rate, rule.burst, time.time()
            )
        except Exception as exc:
            self._redis_failed(exc)
            return self.memory.take(self._key(rule, key), rule)
        self._redis_down_logged = False
        return Decision(bool(allowed), float(wait))
