"""Load over REST: sequential conversations, concurrent buyers, one long conversation."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List

import requests

# (buyer index, turn) -> (buyer id, headers, body)
Request = Callable[[int, int], tuple]


@dataclass
class Timings:
    ms: List[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def p(self, q: float) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))] if ordered else float("nan")

    @property
    def p50(self) -> float:
        return statistics.median(self.ms) if self.ms else float("nan")

    @property
    def p95(self) -> float:
        return self.p(0.95)

    @property
    def per_second(self) -> float:
        return len(self.ms) / self.seconds if self.seconds else float("nan")


def send(session: requests.Session, url: str, request: Request, buyer: int, turn: int, check: str) -> float:
    _, headers, body = request(buyer, turn)
    started = time.perf_counter()
    response = session.post(f"{url}/webhooks/rest/webhook", json=body, headers=headers, timeout=60)
    elapsed = (time.perf_counter() - started) * 1000
    said = " ".join(m.get("text") or "" for m in response.json()) if response.status_code == 200 else ""
    if check not in said:
        raise RuntimeError(f"unexpected answer {response.status_code}: {response.text[:300]}")
    return elapsed


def sequential(
    url: str, request: Request, buyers: int, turns: int, check: str, first_buyer: int = 0
) -> Timings:
    timings = Timings()
    session = requests.Session()
    started = time.perf_counter()
    for buyer in range(first_buyer, first_buyer + buyers):
        for turn in range(turns):
            timings.ms.append(send(session, url, request, buyer, turn, check))
    timings.seconds = time.perf_counter() - started
    return timings


def concurrent(
    url: str, request: Request, workers: int, seconds: float, check: str, first_buyer: int
) -> Timings:
    """`workers` buyers chatting at once, each sending as soon as it has its answer."""
    timings = Timings()
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def buyer(index: int) -> None:
        session = requests.Session()
        turn = 0
        while time.perf_counter() < stop:
            try:
                elapsed = send(session, url, request, first_buyer + index, turn, check)
            except (RuntimeError, requests.RequestException):
                with lock:
                    timings.errors += 1
                continue
            with lock:
                timings.ms.append(elapsed)
            turn += 1

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    timings.seconds = time.perf_counter() - started
    return timings


def long_conversations(
    url: str, request: Request, turns: int, check: str, conversations: int, first_buyer: int
) -> Dict[str, Timings]:
    """`conversations` buyers, one after another, `turns` messages each: their first ten turns
    pooled against their last ten (ten turns alone make a p95 of one slow message)."""
    session = requests.Session()
    first, last = Timings(), Timings()
    for buyer in range(first_buyer, first_buyer + conversations):
        ms = [send(session, url, request, buyer, turn, check) for turn in range(turns)]
        first.ms += ms[:10]
        last.ms += ms[-10:]
    return {"first": first, "last": last}
