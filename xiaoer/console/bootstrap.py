"""Wires the console's collaborators from settings: the one place that builds real clients."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any, Callable
from zoneinfo import ZoneInfo

from xiaoer.console.auth import AgentStore
from xiaoer.console.dashboard import Dashboard, Sources
from xiaoer.console.service import ConsoleService
from xiaoer.console.training import Project, TrainingDesk
from xiaoer.rasa_ext.trackers import TrackerReader
from xiaoer.ratelimit import RateLimiter
from xiaoer.settings import ConsoleSettings
from xiaoer.trainer.mining import MiningSources


def agent_store(settings: ConsoleSettings) -> AgentStore:
    return AgentStore(settings.database_url, session_ttl=timedelta(hours=settings.session_hours))


def build_service(settings: ConsoleSettings) -> ConsoleService:
    # Imported here: building the app in tests with fakes needs none of these clients.
    from xiaoer.assist.decisions import DecisionLog
    from xiaoer.assist.suggest import Suggester
    from xiaoer.rasa_ext.client import RasaClient
    from xiaoer.storeapi.client import StoreClient

    rasa = RasaClient(settings.rasa_url, settings.rasa_token)
    trackers = TrackerReader(settings.tracker_database_url)
    decisions = DecisionLog(settings.database_url)
    return ConsoleService(
        settings=settings,
        agents=agent_store(settings),
        trackers=trackers,
        rasa=rasa,
        suggester=Suggester(rasa, settings.action_url),
        decisions=decisions,
        store=StoreClient(settings.store_url, settings.reading_token, timeout=settings.store_timeout),
        # Login attempts; with XIAOER_REDIS_URL every replica counts in the same buckets.
        limiter=RateLimiter(settings.redis_url),
        dashboard=dashboard(settings, trackers, decisions),
        training=training_desk(settings, trackers, decisions, rasa),
    )


def training_desk(settings: ConsoleSettings, trackers: TrackerReader, decisions, rasa) -> TrainingDesk:
    from xiaoer.storeapi.client import StoreClient

    mining = MiningSources(
        trackers=trackers,
        decisions=decisions,
        store=StoreClient(settings.store_url, settings.reading_token, timeout=settings.store_timeout),
        nlu_data_dir=settings.nlu_data_dir,
        knowledge_dir=settings.knowledge_dir,
        parse=rasa.parse,
    )
    return TrainingDesk(mining, Project(settings.project_dir, settings.nlu_data_dir, settings.knowledge_dir))


def dashboard(settings: ConsoleSettings, trackers: TrackerReader, decisions) -> Dashboard:
    from xiaoer.followup.db import make_engine

    followups = OnFirstUse(lambda: make_engine(settings.followup_database_url))
    sources = Sources(trackers, decisions, followups, settings.nlu_data_dir, settings.knowledge_dir)
    return Dashboard(sources, ZoneInfo(settings.store_timezone))


class OnFirstUse:
    """Calls `make` once, on the first call, and returns that from then on."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._made: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        with self._lock:
            if self._made is None:
                self._made = self._make()
            return self._made
