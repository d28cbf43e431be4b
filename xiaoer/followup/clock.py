"""Where the engine gets the time: the real clock in production, one the tests drive otherwise."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from xiaoer.storeapi.values import utc_now


class Clock(Protocol):
    """What every part of the engine asks for the time."""

    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return utc_now()


class ManualClock:
    """A clock that moves only when the test says so."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment


class OffsetFileClock:
    """Real time plus a number of seconds read from a file (test-only: e2e tests move a running engine).

    A missing or unreadable file means no offset.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def offset(self) -> timedelta:
        try:
            return timedelta(seconds=float(self.path.read_text().strip() or 0))
        except (OSError, ValueError):
            return timedelta(0)

    def now(self) -> datetime:
        return utc_now() + self.offset()


class OffsetClock:
    """Real time plus an offset held in memory (the benchmark jumps ahead with it)."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def now(self) -> datetime:
        return utc_now() + self.shift
