"""Conversations persist in SQL chosen by one URL: SQLite by default, PostgreSQL when given."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ConversationPaused, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from xiaoer.rasa_ext.tracker_store import UrlSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def conversation(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen"),
            UserUttered("订单261105873012到哪了", {"name": "query_logistics", "confidence": 0.98}),
            SlotSet("order_id", "261105873012"),
            ActionExecuted("action_logistics"),
            ConversationPaused(),
        ],
    )


def round_trip(store: SQLTrackerStore, sender: str) -> DialogueStateTracker:
    async def go() -> DialogueStateTracker:
        await store.save(conversation(sender))
        return await store.retrieve(sender)

    return asyncio.run(go())


def test_sqlite_file_from_the_environment(domain, tmp_path, monkeypatch) -> None:
    db = tmp_path / "nested" / "tracker.db"
    monkeypatch.setenv("XIAOER_TRACKER_DATABASE_URL", f"sqlite:///{db}")
    store = UrlSQLTrackerStore(domain=domain)
    tracker = round_trip(store, "buyer_sqlite")
    assert db.exists()
    assert tracker.get_slot("order_id") == "261105873012"
    assert tracker.is_paused()
    # A second store on the same file sees the conversation: it survives a restart.
    again = asyncio.run(UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{db}").retrieve("buyer_sqlite"))
    assert again is not None and again.latest_message.text == "订单261105873012到哪了"


def test_postgresql_by_url(domain, postgres_url: str) -> None:
    store = UrlSQLTrackerStore(domain=domain, host=postgres_url)
    assert store.engine.dialect.name == "postgresql"
    tracker = round_trip(store, "buyer_pg")
    assert tracker.get_slot("order_id") == "261105873012"
    assert tracker.is_paused()
    assert "buyer_pg" in asyncio.run(store.keys())


def test_sqlite_runs_in_wal_mode_without_an_fsync_per_turn(domain, tmp_path) -> None:
    db = tmp_path / "tracker.db"
    store = UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{db}")
    round_trip(store, "buyer_wal")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_the_current_session_is_found_by_index(domain, tmp_path) -> None:
    from sqlalchemy import inspect, text

    from xiaoer.rasa_ext.tracker_store import SESSION_INDEXES

    db = tmp_path / "tracker.db"
    store = UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{db}")
    round_trip(store, "buyer_index")
    indexes = {i["name"]: tuple(i["column_names"]) for i in inspect(store.engine).get_indexes("events")}
    for name, columns in SESSION_INDEXES.items():
        assert indexes[name] == columns
    # SQLite's plan for Rasa's session-start lookup uses the index, not a scan of the buyer's rows.
    with store.engine.connect() as conn:
        plan = " ".join(
            str(row[-1])
            for row in conn.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT max(timestamp) FROM events "
                    "WHERE sender_id = 'b' AND type_name = 'session_started'"
                )
            )
        )
    assert "ix_events_sender_type_time" in plan, plan
    UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{db}")  # a restart finds them there
