"""SQL tracker store configured by one database URL.

Rasa's endpoint files cannot give an environment variable a default, so the
URL is read here: SQLite by default, PostgreSQL (or any SQLAlchemy URL) when
``XIAOER_TRACKER_DATABASE_URL`` is set.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy import event
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
            _write_ahead(self.engine)
        _session_indexes(self.engine)


# Rasa finds a conversation's current session with `sender_id = ? AND timestamp >= (the latest
# session_started's timestamp)`, on every retrieve and save, over an index on sender_id alone: each
# query read every event the buyer ever had, so a message got slower with the buyer's history
# even though only the current session is loaded. These let both halves read the session only.
SESSION_INDEXES = {
    "ix_events_sender_type_time": ("sender_id", "type_name", "timestamp"),
    "ix_events_sender_time": ("sender_id", "timestamp"),
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
