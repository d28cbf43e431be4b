"""Wiring (one place) and the engine's loops: feed polling, promotion scans, delivery."""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from xiaoer.followup.clock import Clock, OffsetFileClock, SystemClock
from xiaoer.followup.db import make_engine
from xiaoer.followup.engine import FollowupEngine
from xiaoer.followup.scenarios import load_book
from xiaoer.rasa_ext.client import RasaClient
from xiaoer.settings import FollowupSettings
from xiaoer.storeapi.client import StoreClient, StoreUnavailable

logger = logging.getLogger("xiaoer.followup")


def build_engine(settings: FollowupSettings, clock: Clock | None = None) -> FollowupEngine:
    if clock is None:
        clock = OffsetFileClock(settings.test_clock_file) if settings.test_clock_file else SystemClock()
    return FollowupEngine(
        make_engine(settings.database_url),
        load_book(settings.scenarios_file),
        clock,
        RasaClient(settings.rasa_url, settings.rasa_token, timeout=settings.rasa_timeout),
        StoreClient(settings.store_url, settings.reading_token, timeout=settings.store_timeout),
        settings.store_timezone,
        output_channel=settings.output_channel,
    )


class Quiet:
    """Logs a failing dependency once when it starts failing and once when it is back."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.down = False

    def failed(self, reason: object) -> None:
        if not self.down:
            logger.warning("followup: %s not answering (%s); retrying quietly", self.name, reason)
        self.down = True

    def ok(self) -> None:
        if self.down:
            logger.info("followup: %s answers again", self.name)
        self.down = False


class Worker:
    def __init__(
        self,
        engine: FollowupEngine,
        poll_interval: float = 2.0,
        start_from: str = "latest",
        promotion_interval: float = 60.0,
        batch: int = 200,
    ) -> None:
        self.engine = engine
        self.poll_interval = poll_interval
        self.start_from = start_from
        self.promotion_interval = promotion_interval
        self.batch = batch
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def _loop(self, name: str, step: Callable[[], bool], interval: float) -> None:
        """Run step until stopped; sleep only when it found nothing to do."""
        quiet = Quiet(name)
        while not self.stop.is_set():
            try:
                busy = step()
                quiet.ok()
            except StoreUnavailable as exc:
                quiet.failed(exc)
                busy = False
            except Exception:  # keep the engine up; the next round tries again
                logger.exception("followup: %s round failed", name)
                busy = False
            if not busy:
                self.stop.wait(interval)

    def _ingest_step(self) -> bool:
        if self.engine.cursor() is None:
            if not self.engine.rasa_healthy():
                # First start: wait for the whole stack (make run loads the demo store meanwhile), so
                # "latest" means after the history, and the first notices have somewhere to go.
                raise StoreUnavailable("Rasa (first start waits for it)")
            if self.start_from == "latest":
                cursor = self.engine.skip_to_feed_end()
                logger.info("followup: first start, the store's past events skipped (cursor %s)", cursor)
            else:
                self.engine.set_cursor(0)
        return self.engine.poll_feed() > 0

    def _promotion_step(self) -> bool:
        added = self.engine.scan_promotions()
        if added:
            logger.info("followup: %s promotion follow-ups scheduled", added)
        return False

    def _deliver_step(self) -> bool:
        if not self.engine.rasa_healthy():
            raise StoreUnavailable("Rasa")  # same quiet wait-and-retry as for the store
        return self.engine.run_due(self.batch) > 0

    def start(self) -> None:
        loops = [
            ("store feed", self._ingest_step, self.poll_interval),
            ("store promotions", self._promotion_step, self.promotion_interval),
            ("Rasa", self._deliver_step, min(self.poll_interval, 1.0)),
        ]
        for name, step, interval in loops:
            thread = threading.Thread(target=self._loop, args=(name, step, interval), name=name, daemon=True)
            thread.start()
            self.threads.append(thread)

    def shutdown(self, timeout: float = 10) -> None:
        self.stop.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
