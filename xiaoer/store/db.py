"""Tables (SQLAlchemy Core), the engine and the transaction helpers, for SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import json
import logging
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

from xiaoer.storeapi.contract import ID_LENGTH

logger = logging.getLogger(__name__)

T = TypeVar("T")
WRITE_ATTEMPTS = 3
# Kept SQLite connections: up to the worker threads FastAPI runs sync routes on (anyio: 40).
SQLITE_POOL_SIZE = 8
SQLITE_POOL_OVERFLOW = 32
# Any constant works: it names the one advisory lock that orders event inserts.
EVENT_LOG_LOCK = 0x5841_4F45


class UtcDateTime(TypeDecorator):
    """Aware datetimes kept as naive UTC, so SQLite and PostgreSQL store and sort them alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the database")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


def _id(name: str, *args, **kwargs) -> Column:
    return Column(name, String(ID_LENGTH), *args, **kwargs)


metadata = MetaData()

products = Table(
    "products",
    metadata,
    _id("sku", primary_key=True),
    Column("name", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("price_fen", BigInteger, nullable=False),
    Column("stock", Integer, nullable=False),
    Column("aliases", JSON, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("image_url", Text),
    Column("video_url", Text),
    Column("detail_image_url", Text),
    Column("updated_at", UtcDateTime, nullable=False),
)

buyers = Table(
    "buyers",
    metadata,
    _id("buyer_id", primary_key=True),
    Column("nickname", Text, nullable=False),
    Column("phone", Text),
    Column("marketing_opt_out", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

orders = Table(
    "orders",
    metadata,
    _id("order_id", primary_key=True),
    _id("buyer_id", ForeignKey("buyers.buyer_id"), nullable=False),
    Column("items", JSON, nullable=False),  # [{sku, qty, unit_price_fen}]
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("paid_at", UtcDateTime),
    Column("address", Text),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_orders_buyer_created", "buyer_id", "created_at"),
)

shipments = Table(
    "shipments",
    metadata,
    _id("order_id", ForeignKey("orders.order_id"), primary_key=True),
    Column("carrier", Text, nullable=False),
    Column("tracking_no", Text, nullable=False),
    Column("eta", UtcDateTime),
    Column("events", JSON, nullable=False),  # [{time, location, description}], sorted by time
    Column("updated_at", UtcDateTime, nullable=False),
)

promotions = Table(
    "promotions",
    metadata,
    _id("promo_id", primary_key=True),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("skus", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_promotions_window", "starts_at", "ends_at"),
)

events = Table(
    "events",
    metadata,
    # seq is what readers page by; AUTOINCREMENT keeps SQLite from ever reusing a number.
    Column("seq", Integer, primary_key=True, autoincrement=True),
    _id("event_id", nullable=False, unique=True),
    Column("type", String(32), nullable=False),
    _id("buyer_id", ForeignKey("buyers.buyer_id"), nullable=False),
    _id("order_id", ForeignKey("orders.order_id")),
    _id("sku", ForeignKey("products.sku")),
    Column("at", UtcDateTime, nullable=False),
    sqlite_autoincrement=True,
)


def make_engine(database_url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL; creates a SQLite file's directory."""
    url = make_url(database_url)
    # Readable Chinese in JSON columns; the database is UTF-8 either way.
    serializer = functools.partial(json.dumps, ensure_ascii=False)
    backend = url.get_backend_name()
    if backend == "postgresql":
        return create_engine(
            url,
            json_serializer=serializer,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 5},
        )
    if backend != "sqlite":
        raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")
    if url.database in (None, "", ":memory:"):
        # Each of the server's threads would get a database of its own.
        raise ValueError("an in-memory SQLite database cannot serve the store; give a file path")
    Path(url.database).expanduser().parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    engine = create_engine(
        url,
        json_serializer=serializer,
        connect_args={"check_same_thread": False, "timeout": 30},
        # SQLAlchemy 1.4 opens and configures a new connection to a SQLite file for every request
        # (NullPool): a fifth of a read's time in the store (issue 12). Connections are kept now,
        # as many as the server has worker threads; each is returned rolled back.
        poolclass=QueuePool,
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=SQLITE_POOL_OVERFLOW,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:
        # Let SQLAlchemy issue BEGIN itself (below); pysqlite's implicit BEGIN is deferred.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")  # readers do not wait for the writer
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Writers take the lock up front, so read-check-write transactions run one at a time.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """The engine, and a schema created as soon as the database answers."""

    def __init__(self, database_url: str) -> None:
        self.engine = make_engine(database_url)
        self._schema_ready = False
        self._lock = threading.Lock()

    def ensure_schema(self) -> None:
        if self._schema_ready:
            return
        with self._lock:
            if not self._schema_ready:
                metadata.create_all(self.engine)
                self._schema_ready = True

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))


def write(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run work in one transaction; after a unique-key race, run it again (it then sees the row)."""
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with engine.begin() as conn:
                return work(conn)
        except IntegrityError:
            if attempt == WRITE_ATTEMPTS:
                raise
            logger.info("write raced with another one; retrying (attempt %d)", attempt)
    raise AssertionError("unreachable")


def fetch(conn: Connection, table: Table, key: str, *, for_update: bool = False):
    """The row whose primary key is key, or None."""
    (column,) = table.primary_key.columns
    query = select(table).where(column == key)
    if for_update:
        query = query.with_for_update()
    return conn.execute(query).mappings().first()


def upsert(conn: Connection, table: Table, key: str, values: dict) -> bool:
    """Replace or insert the row with primary key key; True when it was inserted."""
    (column,) = table.primary_key.columns
    if conn.execute(table.update().where(column == key).values(**values)).rowcount:
        return False
    conn.execute(table.insert().values({column.name: key, **values}))
    return True


def record_event(conn: Connection, values: dict) -> bool:
    """Insert an event unless its event_id is already known; True when inserted."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        # Serialise event inserts until commit, so seq order is commit order and a reader
        # paging with ?after= never skips an event that commits late.
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_LOG_LOCK})
        insert = postgresql.insert
    else:
        insert = sqlite.insert  # SQLite's BEGIN IMMEDIATE already serialises writers
    query = insert(events).values(**values).on_conflict_do_nothing(index_elements=["event_id"])
    return conn.execute(query).rowcount == 1
