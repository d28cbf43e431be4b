"""SQL tracker store configured by one database URL.

Rasa's endpoint files cannot give an environment variable a default, so the
URL is read here: SQLite by default, PostgreSQL (or any SQLAlchemy URL) when
``XIAOER_TRACKER_DATABASE_URL`` is set.

Rasa rebuilds the tracker from the database for every message: it reads the session's rows and
replays every event, about a sixth of the Rasa process's time per message (issue 12, a py-spy
profile in docs/scaling.md). So the tracker a turn saved is kept in memory for the buyer's
next message (RecentTrackers; for a turn that started a session, the session's part of it, as
the database would give it: `session_view`), and handed out once, only while the database still
ends at the event that turn wrote: another replica's turn, an agent's hand-back or any other writer
changes that, and the tracker is read from the database as before. A save no longer counts the
session's rows to find the new events either: the tracker knows how many it had when read.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterator, Tuple

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import event, insert, text
from sqlalchemy.engine.url import make_url

from xiaoer import logmask
from xiaoer.settings import TrackerSection

# The Rasa server imports this module at start (endpoints.yml), after configuring its logging:
# from here on its log records have buyers' phone numbers and addresses masked.
logmask.install()
logger = logging.getLogger(__name__)


class UrlSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        # `url:` in endpoints.yml arrives as `host`; an explicit URL there wins.
        raw_url = host if host and "://" in host else TrackerSection().tracker_database_url
        url = make_url(raw_url)
        dialect = url.drivername
        if dialect.startswith("sqlite"):
            if url.database:
                Path(url.database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        super().__init__(
            domain=domain,
            dialect=dialect,
            host=url.host,
            port=url.port,
            db=url.database or "rasa.db",
            username=url.username,
            password=url.password,
            event_broker=event_broker,
            query=dict(url.query) or None,
        )
        if dialect.startswith("sqlite"):
            self._pooled_sqlite()
            _write_ahead(self.engine)
        _session_indexes(self.engine)
        self.recent = RecentTrackers(TrackerSection().tracker_cache_events)

    def _pooled_sqlite(self) -> None:
        """SQLAlchemy 1.4 opens a new connection to a SQLite file for every session (NullPool):
        a turn opened three (read, save, the last event id), each with its PRAGMA, and closed
        them again, 3 % of a message's time in the profile. Connections are kept in a pool now,
        as SQLAlchemy 2.0 does for files; each is returned rolled back, so no read sees an old
        snapshot. The pool is used from Rasa's event loop thread; the flag only lets a
        connection opened on another thread be reused on this one."""
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker
        from sqlalchemy.pool import QueuePool

        url = self.engine.url
        self.engine.dispose()
        self.engine = create_engine(
            url, poolclass=QueuePool, pool_size=4, connect_args={"check_same_thread": False}
        )
        self.sessionmaker = sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        kept = self.recent.take(sender_id)
        last_event_id = self.last_event_id(sender_id)
        if kept is not None and kept[0] == last_event_id:
            return kept[1]
        if last_event_id is None:
            # A new buyer: no rows, so Rasa's session query (the costlier one) would find none.
            return None
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, _STORED, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        # Dropped first: whatever happens below, the next read goes to the database.
        self.recent.take(tracker.sender_id)
        if not tracker.events:
            # Rasa saves a new buyer's tracker before anything happened in it: nothing to write.
            # Known to have no rows, its next save needs no count of them either.
            if self.last_event_id(tracker.sender_id) is None:
                setattr(tracker, _STORED, 0)
            return
        await self.stream_events(tracker)
        # Rasa's save, with the same rows, written in one multi-row INSERT instead of one ORM
        # object per event (half of a turn's save time, ~0.7 ms, in tests/rasa_ext timing).
        with self.session_scope() as session:
            rows = [event_row(tracker.sender_id, e) for e in self._additional_events(session, tracker)]
            if rows:
                session.execute(insert(self.SQLEvent.__table__), rows)
            session.commit()
        setattr(tracker, _STORED, len(tracker.events))
        if self.recent.capacity and self.domain is not None:
            view = session_view(tracker, self.domain)
            if view is not None:
                setattr(view, _STORED, len(view.events))
                self.recent.put(tracker.sender_id, self.last_event_id(tracker.sender_id), view)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """The events not yet stored. Rasa counts the session's rows in the database for this
        on every save; a tracker this store read or saved knows how many it had then."""
        stored = getattr(tracker, _STORED, None)
        if stored is None or stored > len(tracker.events):
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    def last_event_id(self, sender_id: str) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(_LAST_EVENT_ID, {"sender_id": sender_id}).scalar()


def event_row(sender_id: str, event: Event) -> dict:
    """An event as Rasa 3.6's SQLTrackerStore.save stores it."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


# How many of a tracker's events are in the database, as of this store's last read or save of it.
_STORED = "_xiaoer_events_stored"
_LAST_EVENT_ID = text(
    f"SELECT max(id) FROM {SQLTrackerStore.SQLEvent.__tablename__} WHERE sender_id = :sender_id"
)


def session_view(tracker: DialogueStateTracker, domain: Domain) -> DialogueStateTracker | None:
    """The tracker a read from the database would give, or None when that is not known here.

    Rasa reads the current session: the events whose timestamp is at or after the latest
    SessionStarted's. A tracker that starts at its only SessionStarted is that already. A turn
    that started a session (every buyer's first message, and the first after a session ended)
    holds events before it too: the last session's, Rasa's action_session_start and its
    metadata slot. Then a tracker is built from the session's events alone, as Rasa builds it
    from the rows; without this the next message read the database and replayed the session.
    """
    events = tracker.events
    start = next(
        (
            len(events) - 1 - i
            for i, event in enumerate(reversed(events))
            if isinstance(event, SessionStarted)
        ),
        None,
    )
    if start is None:
        return None
    if start == 0:
        return tracker
    started = events[start].timestamp
    session = list(itertools.islice(events, start, None))
    # The database selects by timestamp: only when these split the same way is the answer known.
    if any(event.timestamp < started for event in session) or any(
        event.timestamp >= started for event in itertools.islice(events, start)
    ):
        return None
    return DialogueStateTracker.from_events(tracker.sender_id, session, domain.slots)


class RecentTrackers:
    """The last saved tracker per buyer with the id of the last event it wrote, at most
    `capacity` events in all (memory), least recently saved dropped first. `take` hands a
    tracker out once: the turn that reads it mutates it, and a turn that fails before saving
    must leave nothing behind to be read again."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.events = 0
        self._kept: OrderedDict[str, Tuple[int, DialogueStateTracker, int]] = OrderedDict()

    def put(self, sender_id: str, last_event_id: int | None, tracker: DialogueStateTracker) -> None:
        self.take(sender_id)
        size = len(tracker.events)
        if last_event_id is None or size > self.capacity:
            return
        self._kept[sender_id] = (last_event_id, tracker, size)
        self.events += size
        while self.events > self.capacity:
            _, (_, _, dropped) = self._kept.popitem(last=False)
            self.events -= dropped

    def take(self, sender_id: str) -> Tuple[int, DialogueStateTracker] | None:
        kept = self._kept.pop(sender_id, None)
        if kept is None:
            return None
        self.events -= kept[2]
        return kept[0], kept[1]

    def __len__(self) -> int:
        return len(self._kept)


# Rasa finds a conversation's current session with `sender_id = ? AND timestamp >= (the latest
# session_started's timestamp)`, on every retrieve and save, over an index on sender_id alone: each
# query read every event the buyer ever had, so a message got slower with the buyer's history
# even though only the current session is loaded. These let both halves read the session only.
# The last one finds a buyer's last event id (RecentTrackers) without reading their history.
SESSION_INDEXES = {
    "ix_events_sender_type_time": ("sender_id", "type_name", "timestamp"),
    "ix_events_sender_time": ("sender_id", "timestamp"),
    "ix_events_sender_id_id": ("sender_id", "id"),
}


def _session_indexes(engine: Any) -> None:
    # IF NOT EXISTS (PostgreSQL and SQLite alike) is the one existence check. Replicas starting
    # together may still race on it; the indexes only speed queries up, so a failure is logged,
    # never raised: Rasa would answer it by falling back to an in-memory tracker store.
    from sqlalchemy.exc import DBAPIError

    table = SQLTrackerStore.SQLEvent.__table__.name
    for name, columns in SESSION_INDEXES.items():
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({', '.join(columns)})")
        except DBAPIError as exc:
            logger.warning("index %s not created (another replica may be creating it): %s", name, exc)


def _write_ahead(engine: Any) -> None:
    """SQLite in WAL mode with synchronous=NORMAL: a commit no longer waits for an fsync (it was
    the biggest cost of saving a turn), committed turns survive a crash of the process, and the
    console reads while Rasa writes. The WAL mode is kept in the file; set it once now."""

    def configure(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    event.listen(engine, "connect", configure)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode = WAL")
    engine.dispose()  # connections made before the listener get it on reconnect
