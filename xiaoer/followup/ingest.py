"""Ingestion: store events in (pushed one by one, or read from the store's feed by page).

- Each event is taken once per event_id (`fu_events` primary key); a duplicate changes nothing.
- A feed page is taken in one transaction together with the cursor, so a crash re-reads the page
  without taking anything twice.
- The engine's view of an order only moves forward along the order lifecycle
  (xiaoer.storeapi.lifecycle), whatever the events' timestamps say: a late or skew-stamped older
  event is recorded with a note and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, Set, Tuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection, Engine

from xiaoer.followup import db
from xiaoer.followup.clock import Clock
from xiaoer.followup.conversion import Conversions
from xiaoer.followup.db import bulk_insert_ignore, chunks, insert_for, to_db
from xiaoer.followup.schedule import Job, Scheduler
from xiaoer.storeapi.client import StoreClient
from xiaoer.storeapi.contract import EVENT_STATUSES, EVENT_TYPES
from xiaoer.storeapi.lifecycle import moves_forward
from xiaoer.storeapi.values import parse_time

logger = logging.getLogger(__name__)

# The width of the engine's id columns (db.py).
MAX_ID = 200
FEED_CURSOR = "feed_cursor"


class EventInvalid(ValueError):
    """An event that cannot be taken at all (bad shape); the message names the field."""


@dataclass(frozen=True)
class Event:
    event_id: str
    type: str
    buyer_id: str
    order_id: str | None
    sku: str | None
    at: datetime


@dataclass(frozen=True)
class IngestResult:
    event_id: str
    duplicate: bool
    outcome: str  # accepted | skipped | duplicate
    reason: str | None = None
    jobs: int = 0


def parse_event(raw: Any) -> Event:
    """Check an event's shape; unknown types pass (they are recorded and skipped)."""
    if not isinstance(raw, dict):
        raise EventInvalid("body: an event must be a JSON object")

    def ident(name: str, required: bool) -> str | None:
        value = raw.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
            raise EventInvalid(f"{name}: required, a non-empty string")
        if len(str(value)) > MAX_ID:
            raise EventInvalid(f"{name}: longer than {MAX_ID} characters")
        return str(value)

    event_id = ident("event_id", True)
    event_type = ident("type", True)
    buyer_id = ident("buyer_id", True)
    order_id = ident("order_id", False)
    sku = ident("sku", False)
    try:
        at = parse_time(raw.get("at"))
    except ValueError as exc:
        raise EventInvalid(f"at: {exc}") from exc
    return Event(event_id, event_type, buyer_id, order_id, sku, at)


class TrackedOrders:
    """The engine's view of the orders a batch touches: read once, changed in memory, written once."""

    def __init__(self, conn: Connection, order_ids: Iterable[str]) -> None:
        self.rows: Dict[str, Dict[str, Any]] = {}
        self.new: Set[str] = set()
        self.changed: Set[str] = set()
        for chunk in chunks(list(order_ids)):
            for row in conn.execute(select(db.orders).where(db.orders.c.order_id.in_(chunk))).mappings():
                self.rows[row["order_id"]] = dict(row)

    def apply(self, event: Event) -> Tuple[str | None, str | None]:
        """(reason to skip the event, note to record on it) for an order event.

        The status changes only when the event takes the order further along its lifecycle: event
        times come from the store's clocks, which skew (an order_paid stamped with a whole-second
        paid_at can look older than the order_created before it), so they cannot order statuses.
        """
        status = EVENT_STATUSES[event.type]
        at = to_db(event.at)
        current = self.rows.get(event.order_id)
        if current is None:
            self.rows[event.order_id] = {
                "order_id": event.order_id,
                "buyer_id": event.buyer_id,
                "status": status,
                "status_at": at,
                "first_seen_at": at,
            }
            self.new.add(event.order_id)
            return None, None
        if current["buyer_id"] != event.buyer_id:
            return f"order {event.order_id} belongs to another buyer", None
        # The earliest event time, whatever the status: "did the buyer order since?" asks it.
        if at < current["first_seen_at"]:
            current["first_seen_at"] = at
            self.changed.add(event.order_id)
        if status == current["status"]:
            return None, None
        if moves_forward(current["status"], status):
            current.update(status=status, status_at=at)
            self.changed.add(event.order_id)
            return None, None
        return None, f"out of order: order already {current['status']}"

    def write(self, conn: Connection) -> None:
        if self.new:
            conn.execute(insert(db.orders), [self.rows[o] for o in self.new])
        updated = self.changed - self.new
        if updated:
            conn.execute(
                update(db.orders)
                .where(db.orders.c.order_id == bindparam("key"))
                .values(
                    status=bindparam("status"),
                    status_at=bindparam("status_at"),
                    first_seen_at=bindparam("first"),
                ),
                [
                    {
                        "key": o,
                        "status": self.rows[o]["status"],
                        "status_at": self.rows[o]["status_at"],
                        "first": self.rows[o]["first_seen_at"],
                    }
                    for o in updated
                ],
            )


def read_cursor(conn: Connection, key: str) -> int | None:
    value = conn.execute(select(db.state.c.value).where(db.state.c.key == key)).scalar()
    return int(value) if value is not None else None


def write_cursor(conn: Connection, key: str, value: int) -> None:
    stmt = insert_for(conn)(db.state).values(key=key, value=str(value))
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": str(value)}))


class Ingestor:
    """Records events, tracks orders, marks conversions and schedules jobs: a few statements a batch."""

    def __init__(
        self,
        database: Engine,
        clock: Clock,
        store: StoreClient,
        scheduler: Scheduler,
        conversions: Conversions,
    ) -> None:
        self.db = database
        self.clock = clock
        self.store = store
        self.scheduler = scheduler
        self.conversions = conversions

    def ingest(self, raw: Any, source: str = "push", verify: bool = False) -> IngestResult:
        """Take one event (already-parsed JSON). EventInvalid for a bad shape.

        verify: check the order against the store first (pushed events; the feed's are checked by
        the store). StoreUnavailable propagates, so the pusher retries and nothing is lost.
        """
        event = parse_event(raw)
        problem = self.verify(event) if verify else None
        with self.db.begin() as conn:
            (result,) = self.record(conn, [(event, None, problem)], source)
        self.conversions.price()
        return result

    def ingest_feed_page(self, items: List[Dict[str, Any]], cursor_key: str = FEED_CURSOR) -> int:
        """Take a page of the store's feed in one transaction, with the cursor; returns the new cursor."""
        with self.db.begin() as conn:
            cursor = read_cursor(conn, cursor_key) or 0
            batch: List[Tuple[Event, int | None, str | None]] = []
            for raw in items:
                seq = raw.get("seq") if isinstance(raw, dict) else None
                if not isinstance(seq, int) or seq <= cursor:
                    continue  # already taken (a page re-read after a crash) or not a feed item
                cursor = seq
                try:
                    batch.append((parse_event(raw), seq, None))
                except EventInvalid as exc:
                    # The store served something we cannot key; say so and go on with the feed.
                    logger.warning("followup: feed item seq %s skipped: %s", seq, exc)
            self.record(conn, batch, "feed")
            write_cursor(conn, cursor_key, cursor)
        self.conversions.price()
        return cursor

    def verify(self, event: Event) -> str | None:
        """Why a pushed event cannot be about its order, or None; StoreUnavailable propagates."""
        if event.order_id is None:
            return None
        order = self.store.get_order(event.order_id)
        if order is None:
            return f"unknown order {event.order_id}"
        if order.get("buyer_id") != event.buyer_id:
            return f"order {event.order_id} belongs to another buyer"
        return None

    def record(
        self, conn: Connection, batch: List[Tuple[Event, int | None, str | None]], source: str
    ) -> List[IngestResult]:
        """Take (event, feed seq, reason to skip it) items inside the caller's transaction."""
        if not batch:
            return []
        now = self.clock.now()
        ids = list({e.event_id for e, _, _ in batch})
        known = set()
        for chunk in chunks(ids):
            known.update(
                conn.execute(select(db.events.c.event_id).where(db.events.c.event_id.in_(chunk))).scalars()
            )
        orders = TrackedOrders(conn, {e.order_id for e, _, _ in batch if e.order_id})
        attribution = self.conversions.attribute(conn, [e for e, _, _ in batch])
        results: List[IngestResult] = []
        event_rows: List[Dict[str, Any]] = []
        job_rows: List[Job] = []
        for event, seq, problem in batch:
            if event.event_id in known:
                results.append(IngestResult(event.event_id, True, "duplicate", "event_id already taken"))
                continue
            known.add(event.event_id)
            reason = problem
            if reason is None and event.type not in EVENT_TYPES:
                reason = f"unknown event type {event.type!r}"
            if reason is None and event.type in EVENT_STATUSES and event.order_id is None:
                reason = f"{event.type} without order_id"
            note = None
            if reason is None and event.type in EVENT_STATUSES:
                reason, note = orders.apply(event)
            outcome, count = "skipped", 0
            if reason is None:
                attribution.apply(event)
                # A late event still schedules its jobs: their conditions drop them at fire time.
                jobs = self.scheduler.jobs_for_event(event, now)
                job_rows.extend(jobs)
                outcome, count = "accepted", len(jobs)
            event_rows.append(
                {
                    "event_id": event.event_id,
                    "seq": seq,
                    "type": event.type,
                    "buyer_id": event.buyer_id,
                    "order_id": event.order_id,
                    "sku": event.sku,
                    "at": to_db(event.at),
                    "received_at": to_db(now),
                    "source": source,
                    "outcome": outcome,
                    "reason": reason or note,
                    "jobs": count,
                }
            )
            results.append(IngestResult(event.event_id, False, outcome, reason or note, count))
        if event_rows:
            bulk_insert_ignore(conn, db.events, "event_id", event_rows)
        orders.write(conn)
        attribution.write()
        self.scheduler.add(conn, job_rows)
        return results


class Feed:
    """The store's event feed (GET /api/events?after=SEQ), read from a durable cursor."""

    def __init__(self, database: Engine, reader: Engine, store: StoreClient, ingestor: Ingestor) -> None:
        self.db = database
        self.reader = reader
        self.store = store
        self.ingestor = ingestor

    def cursor(self, key: str = FEED_CURSOR) -> int | None:
        with self.reader.connect() as conn:
            return read_cursor(conn, key)

    def set_cursor(self, value: int, key: str = FEED_CURSOR) -> None:
        with self.db.begin() as conn:
            write_cursor(conn, key, value)

    def poll(self, page: int = 500, max_pages: int = 20) -> int:
        """Take what the store's feed has after the cursor; returns how many items were read."""
        read = 0
        for _ in range(max_pages):
            items = self.store.events_after(self.cursor() or 0, page)
            if not items:
                break
            self.ingestor.ingest_feed_page(items)
            read += len(items)
            if len(items) < page:
                break
        return read

    def skip_to_end(self, page: int = 1000) -> int:
        """First start with start_from=latest: the cursor goes past the store's history."""
        cursor = 0
        while True:
            items = self.store.events_after(cursor, page)
            if not items:
                break
            cursor = max(int(i["seq"]) for i in items)
            if len(items) < page:
                break
        self.set_cursor(cursor)
        return cursor
