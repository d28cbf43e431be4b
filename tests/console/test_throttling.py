"""Login limits (per login, per client address, shared through Redis) and the constant-time path."""

from __future__ import annotations

import hashlib
import statistics
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest
import redis

from tests.console.conftest import PASSWORD, Console
from xiaoer.console import auth
from xiaoer.console.auth import AgentStore
from xiaoer.console.deps import SESSION_COOKIE
from xiaoer.console.service import ConsoleService
from xiaoer.ratelimit import MemoryBuckets, RateLimiter
from xiaoer.settings import ConsoleSettings

# Small budgets: 3 attempts per login, 6 per address, each refilled by one a minute.
SMALL_LIMITS = {
    "login_burst": 3,
    "login_per_minute": 1.0,
    "login_address_burst": 6,
    "login_address_per_minute": 1.0,
}


@pytest.fixture()
def console_overrides(request) -> Dict[str, Any]:
    """The console fixture runs with small limits; `{"redis": True}` as a parameter adds the
    test Redis (emptied first)."""
    overrides: Dict[str, Any] = dict(SMALL_LIMITS)
    if getattr(request, "param", {}).get("redis"):
        url = request.getfixturevalue("redis_url")
        redis.Redis.from_url(url).flushdb()
        overrides["redis_url"] = url
    return overrides


@pytest.fixture()
def scrypt_calls(monkeypatch) -> List[tuple]:
    """Every scrypt computed from now on, as (salt, n, r, p): the spy counts hashes."""
    calls: List[tuple] = []
    real = hashlib.scrypt

    def spy(password, *, salt, n, r, p, dklen=64, **kwargs):
        calls.append((salt, n, r, p))
        return real(password, salt=salt, n=n, r=r, p=p, dklen=dklen, **kwargs)

    monkeypatch.setattr(auth.hashlib, "scrypt", spy)
    return calls


def service_for(settings: ConsoleSettings, limiter: RateLimiter | None = None) -> ConsoleService:
    """A console service for limits only (collaborators it does not touch left out)."""
    return ConsoleService(
        settings=settings,
        agents=None,
        trackers=None,
        rasa=None,
        suggester=None,
        decisions=None,
        store=None,
        limiter=limiter,
    )  # type: ignore[arg-type]


def refused(response, seconds_at_most: int = 60) -> int:
    """Asserts a 429 with Retry-After and the login page saying how long to wait; the seconds."""
    assert response.status_code == 429, response.status_code
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= seconds_at_most
    assert f"尝试次数过多，请 {wait} 秒后再试。" in response.text
    assert 'name="csrf_token"' in response.text  # the form, to try again later
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    return wait


# --- per login, per address, over HTTP ---------------------------------------------------------


def test_a_login_is_refused_with_429_after_its_burst_other_logins_still_get_in(console: Console) -> None:
    for _ in range(3):
        assert console.login(password="wrong password").status_code == 401
    # The right password now changes nothing: the attempt is refused before it is checked.
    refused(console.login())
    # The same login however typed, and from another address: the login's own budget is spent.
    refused(console.login(" ALICE ", "wrong password"))
    refused(console.login(address="10.0.0.2"))
    assert console.client.get("/api/queue").status_code == 401
    # Another agent on the same address still gets in (5 of the address's 6 attempts used).
    assert console.login("mallory").status_code == 303
    assert console.client.get("/api/queue").status_code == 200


def test_an_address_is_refused_after_its_burst_whatever_the_logins(console: Console, scrypt_calls) -> None:
    for n in range(6):
        assert console.login(f"guess{n}", "wrong password", address="10.0.0.1").status_code == 401
    hashed = len(scrypt_calls)
    # Fresh logins, even a real one with its password: the address has spent its budget.
    refused(console.login("guess-new", "wrong password", address="10.0.0.1"))
    refused(console.login(address="10.0.0.1"))
    assert len(scrypt_calls) == hashed  # a refused attempt computes no hash
    # Another address is not affected: alice logs in.
    assert console.login(address="10.0.0.2").status_code == 303


def test_refused_attempts_count_and_forms_without_csrf_count_too(console: Console) -> None:
    """Every POST /login counts, even one the CSRF check would turn away."""
    for _ in range(3):
        response = console.client.post(
            "/login", data={"login": "alice", "password": "x", "csrf_token": "forged"}
        )
        assert response.status_code == 403
    refused(console.login())


def test_the_budget_refills_after_retry_after(tmp_path: Path) -> None:
    now = [1000.0]
    settings = ConsoleSettings(database_url=f"sqlite:///{tmp_path / 'a.db'}", **SMALL_LIMITS)
    service = service_for(settings, RateLimiter("", memory=MemoryBuckets(clock=lambda: now[0])))
    assert all(service.login_attempt("alice", "10.0.0.1").allowed for _ in range(3))
    decision = service.login_attempt("alice", "10.0.0.1")
    assert not decision.allowed and decision.retry_after_header == "60"
    now[0] += 59
    assert not service.login_attempt("alice", "10.0.0.1").allowed
    now[0] += 2  # past the minute: one attempt back, for the login however typed
    assert service.login_attempt(" Alice", "10.0.0.1").allowed
    assert not service.login_attempt("alice", "10.0.0.1").allowed


def test_the_service_builds_one_limiter_from_its_settings(tmp_path: Path) -> None:
    settings = ConsoleSettings(database_url=f"sqlite:///{tmp_path / 'a.db'}", **SMALL_LIMITS)
    service = service_for(settings)
    assert isinstance(service.limiter, RateLimiter) and service.limiter.redis_url == ""
    assert (service.login_rule.burst, service.address_rule.burst) == (3, 6)


# --- shared by replicas through Redis ------------------------------------------------------------


def test_two_replicas_sharing_redis_share_the_login_budget(redis_url: str, tmp_path: Path) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    settings = ConsoleSettings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}", redis_url=redis_url, **SMALL_LIMITS
    )
    first, second = service_for(settings), service_for(settings)
    assert first.limiter is not second.limiter
    # 3 attempts for one login, alternating replicas and addresses: then both refuse it.
    assert first.login_attempt("alice", "10.0.0.1").allowed
    assert second.login_attempt("alice", "10.0.0.2").allowed
    assert first.login_attempt("ALICE", "10.0.0.3").allowed
    for replica in (first, second):
        decision = replica.login_attempt("alice", "10.0.0.4")
        assert not decision.allowed and 1 <= int(decision.retry_after_header) <= 60
    # An address's budget too: 6 attempts for other logins from one address, over both replicas.
    for n in range(6):
        assert (first, second)[n % 2].login_attempt(f"user{n}", "10.0.0.9").allowed
    assert not second.login_attempt("user-new", "10.0.0.9").allowed
    # Without Redis, the same two replicas would each have given alice her 3 attempts.
    local = settings.copy(update={"redis_url": ""})
    alone, other = service_for(local), service_for(local)
    for _ in range(3):
        assert alone.login_attempt("alice", "10.0.0.1").allowed
    assert other.login_attempt("alice", "10.0.0.1").allowed
    # The buckets live in Redis under a hash of the login, never the login itself.
    keys = [key.decode() for key in redis.Redis.from_url(redis_url).keys("xiaoer:rl:console-login*")]
    assert keys and not any("alice" in key.lower() for key in keys)


@pytest.mark.parametrize("console_overrides", [{"redis": True}], indirect=True)
def test_the_console_refuses_a_login_whose_budget_another_replica_spent(console: Console) -> None:
    assert console.service.limiter.redis_url.startswith("redis://")
    replica = service_for(console.service.settings)  # another console process, same Redis
    assert replica.login_attempt("alice", "10.0.0.7").allowed
    assert replica.login_attempt("alice", "10.0.0.7").allowed
    assert console.login(password="wrong password").status_code == 401
    refused(console.login())


# --- the constant-time path ----------------------------------------------------------------------


def test_every_login_path_computes_exactly_one_hash_with_the_same_parameters(
    tmp_path: Path, scrypt_calls: List[tuple]
) -> None:
    agents = AgentStore(f"sqlite:///{tmp_path / 'a.db'}")
    agents.add_agent("haiyue", "bob", PASSWORD)
    agents.add_agent("haiyue", "eve", PASSWORD)
    agents.set_disabled("eve")
    scrypt_calls.clear()
    outcomes = {}
    for name, login, password in (
        ("right", "bob", PASSWORD),
        ("wrong password", "bob", "wrong password"),
        ("unknown login", "nobody", PASSWORD),
        ("unknown again", "somebody-else", "wrong password"),
        ("disabled", "eve", PASSWORD),
    ):
        before = len(scrypt_calls)
        outcomes[name] = agents.authenticate(login, password)
        assert len(scrypt_calls) - before == 1, name
    assert outcomes["right"] is not None
    assert [name for name, agent in outcomes.items() if agent is None] == list(outcomes)[1:]
    # The same work each time: one scrypt with the real parameters (the dummy hash is made once).
    assert {call[1:] for call in scrypt_calls} == {(auth.SCRYPT_N, auth.SCRYPT_R, auth.SCRYPT_P)}
    assert scrypt_calls[2][0] == scrypt_calls[3][0] == scrypt_calls[4][0]  # one dummy salt


def test_unknown_logins_take_about_as_long_as_wrong_passwords(tmp_path: Path) -> None:
    """Loose: medians within 50% of each other (the hash count above is the real check)."""
    agents = AgentStore(f"sqlite:///{tmp_path / 'a.db'}")
    agents.add_agent("haiyue", "bob", PASSWORD)

    def median(login: str) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            assert agents.authenticate(login, "wrong password") is None
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    median("bob")  # warm-up: connections, caches
    known, unknown = median("bob"), median("nobody")
    assert 0.5 <= unknown / known <= 1.5, (unknown, known)
