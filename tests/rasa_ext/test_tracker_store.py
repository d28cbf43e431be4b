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


def test_sqlite_connections_are_kept_between_turns_and_see_other_writers(domain, tmp_path) -> None:
    from sqlalchemy import event

    db = tmp_path / "tracker.db"
    store = UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{db}")
    opened, used = [], []
    event.listen(store.engine, "connect", lambda *_: opened.append(1))
    event.listen(store.engine, "checkout", lambda *_: used.append(1))
    for turn in range(3):
        round_trip(store, f"buyer_pool_{turn}")
    assert len(used) >= 6
    assert len(opened) <= 1  # the one made at start-up is reused
    # Another process's write (the console, a second store) is seen by the pooled connection.
    other = UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{db}")
    asyncio.run(other.save(conversation("buyer_elsewhere")))
    seen = asyncio.run(store.retrieve("buyer_elsewhere"))
    assert seen is not None and seen.latest_message.text == "订单261105873012到哪了"
    assert store.last_event_id("buyer_elsewhere") == other.last_event_id("buyer_elsewhere")


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


# --- the tracker a turn saved, kept for the buyer's next message -----------------------------------


def session(sender: str, *texts: str) -> DialogueStateTracker:
    """A tracker as Rasa reads one back: the current session's SessionStarted first."""
    from rasa.shared.core.events import SessionStarted

    events = [SessionStarted(), ActionExecuted("action_listen")]
    for text in texts:
        events += [
            UserUttered(text, {"name": "query_logistics", "confidence": 0.9}),
            ActionExecuted("action_listen"),
        ]
    return DialogueStateTracker.from_events(sender, events)


def dumped(tracker: DialogueStateTracker) -> list:
    return [e.as_dict() for e in tracker.events]


def test_the_next_message_gets_the_tracker_the_last_turn_saved(domain, tmp_path) -> None:
    store = UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'tracker.db'}")
    tracker = session("buyer_recent", "到哪了")

    async def go():
        await store.save(tracker)
        return await store.retrieve("buyer_recent"), await store.retrieve("buyer_recent")

    first, second = asyncio.run(go())
    assert first is tracker  # no database read and replay
    # Handed out once: the next read is the database's, and it holds the same conversation.
    assert second is not tracker and dumped(second) == dumped(tracker)


def test_another_writer_since_the_save_means_a_read_from_the_database(domain, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    mine, other_replica = (
        UrlSQLTrackerStore(domain=domain, host=url),
        UrlSQLTrackerStore(domain=domain, host=url),
    )

    async def go():
        await mine.save(session("buyer_two", "到哪了"))
        # The buyer's next message lands on another replica.
        elsewhere = await other_replica.retrieve("buyer_two")
        elsewhere.update(UserUttered("还没到", {"name": "urge_shipment", "confidence": 0.9}))
        await other_replica.save(elsewhere)
        return await mine.retrieve("buyer_two")

    back = asyncio.run(go())
    assert back.latest_message.text == "还没到"


def database_reads(monkeypatch) -> list:
    reads = []
    original = SQLTrackerStore.retrieve

    async def counting(self, sender_id):
        reads.append(sender_id)
        return await original(self, sender_id)

    monkeypatch.setattr(SQLTrackerStore, "retrieve", counting)
    return reads


def first_turn(sender: str) -> DialogueStateTracker:
    """A buyer's first message as Rasa's processor leaves the tracker: the session start's
    metadata slot and action before SessionStarted."""
    from rasa.shared.core.events import SessionStarted

    return DialogueStateTracker.from_events(
        sender,
        [
            SlotSet("session_started_metadata", None),
            ActionExecuted("action_session_start"),
            SessionStarted(),
            SlotSet("session_started_metadata", None),
            ActionExecuted("action_listen"),
            UserUttered("订单261105873012到哪了", {"name": "query_logistics", "confidence": 0.9}),
            ActionExecuted("action_logistics"),
            SlotSet("order_id", "261105873012"),
            ActionExecuted("action_listen"),
        ],
    )


def test_a_turn_that_started_a_session_leaves_the_next_message_the_session_alone(
    domain, tmp_path, monkeypatch
) -> None:
    from rasa.shared.core.events import SessionStarted

    store = UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'tracker.db'}")
    reads = database_reads(monkeypatch)
    started_over = session("buyer_new_session", "到哪了")
    started_over.update(ActionExecuted("action_session_start"))
    started_over.update(SessionStarted())
    started_over.update(SlotSet("order_id", "261105873012"))  # carried over
    started_over.update(UserUttered("你好", {"name": "greet", "confidence": 0.9}))

    for tracker in (first_turn("buyer_first"), started_over):
        kept = asyncio.run(_save_and_retrieve(store, tracker))
        assert reads == []  # no database read and replay
        assert kept is not tracker  # the tracker also holds events Rasa does not read back
        store.recent.take(tracker.sender_id)
        read = asyncio.run(store.retrieve(tracker.sender_id))
        assert reads == [tracker.sender_id]
        reads.clear()
        # What the database gives, event for event, and the same state.
        assert dumped(kept) == dumped(read)
        assert isinstance(kept.events[0], SessionStarted)
        assert kept.current_slot_values() == read.current_slot_values()
        saved = tracker.current_slot_values()  # built without the domain: only the slots it set
        assert {name: kept.get_slot(name) for name in saved} == saved
        assert kept.latest_action_name == read.latest_action_name == tracker.latest_action_name
    assert [e.text for e in kept.events if isinstance(e, UserUttered)] == ["你好"]


def test_a_new_buyers_first_turn_needs_neither_rasas_session_query_nor_a_row_count(
    domain, tmp_path, monkeypatch
) -> None:
    store = UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'tracker.db'}")
    reads = database_reads(monkeypatch)
    counts = []
    original = SQLTrackerStore._additional_events
    monkeypatch.setattr(
        SQLTrackerStore, "_additional_events", lambda self, *args: counts.append(1) or original(self, *args)
    )

    async def turn():
        # What Rasa's processor does for a message: get or create, update, save.
        tracker = await store.get_or_create_tracker("buyer_new", append_action_listen=False)
        for event in first_turn("buyer_new").events:
            tracker.update(event)
        await store.save(tracker)
        store.recent.take("buyer_new")  # the next read is the database's
        return tracker, await store.retrieve("buyer_new")

    from sqlalchemy import text

    tracker, back = asyncio.run(turn())
    assert reads == ["buyer_new"] and counts == []  # only the read after the turn went to Rasa's query
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM events WHERE sender_id = 'buyer_new'")).scalar()
    assert rows == len(tracker.events)  # every event written, once
    assert dumped(back) == dumped(tracker)[2:]  # the session, from SessionStarted on


def test_an_empty_tracker_of_a_buyer_with_rows_still_has_them_counted(domain, tmp_path, monkeypatch) -> None:
    store = UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'tracker.db'}")
    asyncio.run(store.save(session("buyer_old", "到哪了")))
    empty = store.init_tracker("buyer_old")  # e.g. a tracker replaced through Rasa's API
    asyncio.run(store.save(empty))
    assert not hasattr(empty, "_xiaoer_events_stored")  # Rasa's count decides its next save


def test_a_session_whose_timestamps_the_database_would_split_otherwise_is_read_back(
    domain, tmp_path, monkeypatch
) -> None:
    store = UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'tracker.db'}")
    reads = database_reads(monkeypatch)
    tracker = first_turn("buyer_same_time")
    # Written within one clock tick: the database also reads the action before SessionStarted.
    tracker.events[1].timestamp = tracker.events[2].timestamp
    back = asyncio.run(_save_and_retrieve(store, tracker))
    assert reads == ["buyer_same_time"]
    assert [e.as_dict()["event"] for e in back.events][:2] == ["action", "session_started"]


async def _save_and_retrieve(store, tracker):
    await store.save(tracker)
    return await store.retrieve(tracker.sender_id)


def test_the_recent_trackers_are_bounded_by_events_and_can_be_turned_off(
    domain, tmp_path, monkeypatch
) -> None:
    from xiaoer.rasa_ext.tracker_store import RecentTrackers

    recent = RecentTrackers(capacity=8)  # a one-message session() holds 4 events
    for i in range(3):
        recent.put(f"b{i}", i + 1, session(f"b{i}", "到哪了"))
    assert len(recent) == 2 and recent.events == 8
    assert recent.take("b0") is None and recent.take("b2")[0] == 3 and recent.events == 4
    recent.put("long", 9, session("long", "一", "二", "三"))  # 8 events: b1 must go
    assert recent.take("b1") is None and recent.events == 8
    recent.put("huge", 10, session("huge", "一", "二", "三", "四"))  # larger than it all: not kept
    assert recent.take("huge") is None and recent.take("long")[0] == 9 and recent.events == 0

    monkeypatch.setenv("XIAOER_TRACKER_CACHE_EVENTS", "0")
    store = UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'tracker.db'}")
    tracker = session("buyer_off", "到哪了")
    back = asyncio.run(_save_and_retrieve(store, tracker))
    assert back is not tracker and dumped(back) == dumped(tracker)


def test_each_event_is_stored_once_however_often_a_tracker_is_saved(domain, tmp_path) -> None:
    from sqlalchemy import text

    store = UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'tracker.db'}")
    tracker = session("buyer_once", "到哪了")
    first = len(tracker.events)

    async def go():
        await store.save(tracker)
        await store.save(tracker)  # nothing new: nothing written
        again = await store.retrieve("buyer_once")
        again.update(UserUttered("还没到", {"name": "urge_shipment", "confidence": 0.9}))
        await store.save(again)
        store.recent.take("buyer_once")  # the next read is the database's
        return await store.retrieve("buyer_once")

    back = asyncio.run(go())
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM events WHERE sender_id = 'buyer_once'")).scalar()
    assert rows == first + 1 == len(back.events)
    assert [e.text for e in back.events if isinstance(e, UserUttered)] == ["到哪了", "还没到"]


def test_rows_are_the_ones_rasa_itself_writes(domain, tmp_path) -> None:
    # The save writes all of a turn's events in one INSERT: the rows must not differ from those of
    # Rasa's own SQLTrackerStore (the console, metrics and Rasa's own reads depend on them).
    from sqlalchemy import text

    ours = UrlSQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'ours.db'}")
    theirs = SQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "theirs.db"))
    tracker = conversation("buyer_rows")
    asyncio.run(ours.save(tracker))
    asyncio.run(theirs.save(tracker))

    def rows(store: SQLTrackerStore) -> list:
        query = "SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"
        with store.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(query))]

    assert len(rows(ours)) == len(tracker.events) == 5
    assert rows(ours) == rows(theirs)
    assert [r[4] for r in rows(ours)] == [None, "query_logistics", None, None, None]
