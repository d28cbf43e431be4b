"""Wires the console's collaborators from settings: the one place that builds real clients."""

from __future__ import annotations

from datetime import timedelta

from xiaoer.console.auth import AgentStore
from xiaoer.console.service import ConsoleService
from xiaoer.rasa_ext.trackers import TrackerReader
from xiaoer.ratelimit import RateLimiter
from xiaoer.settings import ConsoleSettings


def agent_store(settings: ConsoleSettings) -> AgentStore:
    return AgentStore(settings.database_url, session_ttl=timedelta(hours=settings.session_hours))


def build_service(settings: ConsoleSettings) -> ConsoleService:
    # Imported here: building the app in tests with fakes needs none of these clients.
    from xiaoer.assist.decisions import DecisionLog
    from xiaoer.assist.suggest import Suggester
    from xiaoer.rasa_ext.client import RasaClient
    from xiaoer.storeapi.client import StoreClient

    rasa = RasaClient(settings.rasa_url, settings.rasa_token)
    return ConsoleService(
        settings=settings,
        agents=agent_store(settings),
        trackers=TrackerReader(settings.tracker_database_url),
        rasa=rasa,
        suggester=Suggester(rasa, settings.action_url),
        decisions=DecisionLog(settings.database_url),
        store=StoreClient(settings.store_url, settings.reading_token, timeout=settings.store_timeout),
        # Login attempts; with XIAOER_REDIS_URL every replica counts in the same buckets.
        limiter=RateLimiter(settings.redis_url),
    )
