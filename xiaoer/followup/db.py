"""The engine's own database (SQLAlchemy core; SQLite by default, PostgreSQL by URL).

Times are stored as naive UTC; `to_db` / `from_db` convert at the boundary.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url

metadata = MetaData()

# Every store event the engine took, once per event_id, with what became of it.
events = Table(
    "fu_events",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("seq", Integer),  # the store feed's seq; None for pushed events
    Column("type", String(40), nullable=False),
    Column("buyer_id", String(200), nullable=False),
    Column("order_id", String(200)),
    Column("sku", String(200)),
    Column("at", DateTime, nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("source", String(10), nullable=False),  # feed | push
    Column("outcome", String(20), nullable=False),  # accepted | skipped
    Column("reason", Text),
    Column("jobs", Integer, nullable=False, default=0),
)
Index("fu_events_buyer_type", events.c.buyer_id, events.c.type, events.c.at)

# What the engine knows of each order from its events (the store emits one per status change).
orders = Table(
    "fu_orders",
    metadata,
    Column("order_id", String(200), primary_key=True),
    Column("buyer_id", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("status_at", DateTime, nullable=False),
    Column("first_seen_at", DateTime, nullable=False),
)
Index("fu_orders_buyer", orders.c.buyer_id, orders.c.first_seen_at)

# Due jobs, one per scenario and triggering event (job_key), and the record of each follow-up.
jobs = Table(
    "fu_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_key", String(400), nullable=False, unique=True),
    Column("scenario", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("buyer_id", String(200), nullable=False),
    Column("order_id", String(200)),
    Column("sku", String(200)),
    Column("promo_id", String(200)),
    Column("event_id", String(200)),
    Column("valid_until", DateTime),  # promotion scenarios: the window's end
    Column("trigger_at", DateTime, nullable=False),
    Column("planned_at", DateTime, nullable=False),  # when the scenario wanted it sent
    Column("due_at", DateTime, nullable=False),  # next attempt (moved by quiet hours and retries)
    # scheduled → claimed → sent | skipped | failed (claimed with an expired lease is taken again)
    Column("state", String(20), nullable=False),
    Column("claim_token", String(40)),
    Column("lease_until", DateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("reason", Text),
    Column("postponed", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("sent_at", DateTime),
    Column("converted_at", DateTime),
    Column("converted_order_id", String(200)),
    Column("converted_gmv", Float),
)
Index("fu_jobs_due", jobs.c.state, jobs.c.due_at)
Index("fu_jobs_buyer_sent", jobs.c.buyer_id, jobs.c.sent_at)

# Small durable state: the feed cursor, promotions already fanned out.
state = Table(
    "fu_state",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
)


def to_db(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the follow-up database")
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def from_db(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc)


def make_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})
    if backend != "sqlite":
        raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")
    if url.database in (None, "", ":memory:"):
        raise ValueError("the follow-up engine needs a SQLite file (its threads share it)")
    Path(url.database).expanduser().parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")  # WAL keeps committed data across a crash
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        # Take the write lock up front: claim and ingest read, check and write in one transaction.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def reader_for(engine: Engine) -> Engine:
    """An engine for reads. On SQLite, one without BEGIN IMMEDIATE: WAL readers need no write lock,
    and taking it for every read would make the ingest and delivery threads queue behind each other."""
    if engine.dialect.name != "sqlite":
        return engine
    reader = create_engine(engine.url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(reader, "connect")
    def _configure(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA journal_mode = WAL")

    return reader


def create_schema(engine: Engine) -> None:
    metadata.create_all(engine)


def insert_for(conn: Connection):
    """The dialect's INSERT, which has ON CONFLICT (both backends speak it)."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def bulk_insert_ignore(conn: Connection, table: Table, key: str, rows: List[Dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT (key) DO NOTHING for many rows through the driver's executemany.

    The hot path of ingestion: SQLAlchemy's per-row parameter processing cost more than the
    inserts. SQLite gets times in SQLAlchemy's own storage format, so they compare as its reads do.
    """
    columns = list(rows[0])
    sqlite_times = conn.dialect.name == "sqlite"
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))}) "
        f"ON CONFLICT ({key}) DO NOTHING"
    )

    def value(item: Any) -> Any:
        if sqlite_times and isinstance(item, datetime):
            return item.strftime("%Y-%m-%d %H:%M:%S.%f")
        return item

    conn.exec_driver_sql(sql, [tuple(value(row[c]) for c in columns) for row in rows])


def chunks(items: List[Any], size: int = 500) -> Iterable[List[Any]]:
    """Slices small enough for an IN (…) list."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
