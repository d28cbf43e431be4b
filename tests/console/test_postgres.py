"""Agents, sessions and the queue on a real PostgreSQL (the production database option)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.console.conftest import (
    PASSWORD,
    XSS,
    check_upgraded,
    database_of_the_first_release,
    waiting_conversation,
)
from xiaoer.console.auth import AgentStore, utcnow
from xiaoer.rasa_ext.trackers import TrackerReader


@pytest.fixture()
def database(postgres_url: str) -> str:
    """A fresh database on the shared server, so tables of other suites do not interfere."""
    name = f"console_{secrets.token_hex(4)}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return str(make_url(postgres_url).set(database=name))


def test_agents_and_sessions_on_postgresql(database: str) -> None:
    agents = AgentStore(database, session_ttl=timedelta(minutes=10))
    agent = agents.add_agent("haiyue", "alice", PASSWORD)
    assert agents.authenticate("alice", PASSWORD) == agent
    assert agents.authenticate("alice", "wrong password") is None
    session = agents.open_session(agent)
    assert agents.session(session.token).agent == agent
    assert agents.session(session.token, now=utcnow() + timedelta(minutes=11)) is None


def test_disabling_an_agent_on_postgresql(database: str) -> None:
    agents = AgentStore(database)
    agent = agents.add_agent("haiyue", "alice", PASSWORD)
    first, second = agents.open_session(agent), agents.open_session(agent)
    assert agents.set_disabled("alice") == 2
    assert agents.session(first.token) is None and agents.session(second.token) is None
    assert agents.authenticate("alice", PASSWORD) is None
    with pytest.raises(KeyError):
        agents.set_disabled("nobody")
    agents.set_disabled("alice", False)
    assert agents.authenticate("alice", PASSWORD) == agent


def test_a_postgresql_database_of_the_first_release_gets_the_disabled_column(database: str) -> None:
    database_of_the_first_release(database)
    check_upgraded(database)


def test_queue_and_transcript_from_a_postgresql_tracker_store(database: str) -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.slots import AnySlot
    from rasa.shared.core.trackers import DialogueStateTracker

    url = make_url(database)
    store = SQLTrackerStore(
        domain=Domain.empty(), dialect="postgresql", host=url.host, port=url.port,
        db=url.database, username=url.username,
    )  # fmt: skip
    for buyer, at in (("pg_late", 1_700_000_500.0), ("pg_early", 1_700_000_000.0)):
        tracker = DialogueStateTracker(buyer, slots=[AnySlot("order_id", mappings=[])])
        for event in waiting_conversation(buyer, at=at):
            tracker.update(event)
        asyncio.run(store.save(tracker))
    store.engine.dispose()
    reader = TrackerReader(database)
    assert [q.conversation_id for q in reader.waiting()] == ["pg_early", "pg_late"]
    conversation = reader.conversation("pg_late")
    assert conversation.paused and conversation.messages[-1].text == XSS
    assert reader.last_event_id("pg_late") == conversation.last_event_id
