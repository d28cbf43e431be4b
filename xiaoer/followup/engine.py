"""Ingestion, scheduling, evaluation and delivery of follow-ups over the engine's database.

Guarantees (docs/followup.md):
- each store event is taken once per event_id (primary key), and each scenario schedules at most
  one job per triggering event (unique job_key), so re-ingesting schedules nothing twice;
- jobs are claimed in one transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: FOR UPDATE SKIP
  LOCKED) with a lease, so two workers never take the same job and a crashed worker's job is
  taken again when its lease runs out;
- a job's condition is checked when it fires, not when it is scheduled.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Protocol, Tuple
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from actions.api.store import StoreClient, StoreUnavailable
from xiaoer.followup import db
from xiaoer.followup.db import from_db, to_db
from xiaoer.followup.scenarios import EVENT_TYPES, Book, Scenario

logger = logging.getLogger(__name__)

ORDER_EVENT_STATUS = {
    "order_created": "created",
    "order_paid": "paid",
    "order_shipped": "shipped",
    "order_delivered": "delivered",
    "order_completed": "completed",
    "order_cancelled": "cancelled",
}
# Ties on the event time are broken by how far along the order is.
STATUS_RANK = {"created": 0, "paid": 1, "shipped": 2, "delivered": 3, "completed": 4, "cancelled": 5}
MAX_ID = 200


class Clock(Protocol):
    def now(self) -> datetime: ...


class EventInvalid(ValueError):
    """An event that cannot be taken at all (bad shape); the message names the field."""


class DeliveryError(Exception):
    """Rasa or the channel did not take the message."""


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
    at_text = raw.get("at")
    if not isinstance(at_text, str):
        raise EventInvalid("at: required, an ISO 8601 time with a UTC offset")
    try:
        at = datetime.fromisoformat(at_text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise EventInvalid(f"at: {at_text!r} is not an ISO 8601 time") from exc
    if at.tzinfo is None:
        raise EventInvalid(f"at: {at_text!r} has no UTC offset")
    return Event(event_id, event_type, buyer_id, order_id, sku, at)


class RasaSender:
    """Delivers a follow-up as an EXTERNAL_* intent on a channel that can push."""

    def __init__(self, rasa_url: str, token: str, output_channel: str, timeout: float = 10.0) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.token = token
        self.output_channel = output_channel
        self.timeout = timeout
        self.session = requests.Session()

    def healthy(self) -> bool:
        """Rasa answers and has a model loaded (/status is 409 without one, when / is still 200)."""
        try:
            return (
                self.session.get(
                    f"{self.rasa_url}/status", params={"token": self.token}, timeout=2
                ).status_code
                == 200
            )
        except requests.RequestException:
            return False

    def send(self, buyer_id: str, intent: str, entities: Dict[str, str], job_key: str) -> None:
        url = f"{self.rasa_url}/conversations/{requests.utils.quote(buyer_id, safe='')}/trigger_intent"
        try:
            response = self.session.post(
                url,
                params={"token": self.token, "output_channel": self.output_channel},
                json={"name": intent, "entities": entities},
                # Rasa ignores it; receivers standing in for Rasa use it to spot duplicates.
                headers={"X-Xiaoer-Followup-Job": job_key},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise DeliveryError(f"Rasa unreachable: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise DeliveryError(f"Rasa answered HTTP {response.status_code}: {response.text[:200]}")


def _insert(conn: Connection):
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def _bulk_insert_ignore(conn: Connection, table, key: str, rows: List[Dict[str, Any]]) -> None:
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


def _chunks(items: List[Any], size: int = 500) -> Iterable[List[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Conversions:
    """Marks sent follow-ups converted when their buyer orders or pays within the attribution window."""

    def __init__(self, engine: FollowupEngine, conn: Connection, batch: List[Tuple[Event, Any, Any]]) -> None:
        self.engine = engine
        self.conn = conn
        self.updates: List[Dict[str, Any]] = []
        relevant = [e for e, _, _ in batch if e.type in ("order_created", "order_paid")]
        self.candidates: Dict[str, List[Dict[str, Any]]] = {}
        if not relevant:
            return
        window = engine.book.attribution_window
        earliest = to_db(min(e.at for e in relevant)) - window
        buyers = list({e.buyer_id for e in relevant})
        for chunk in _chunks(buyers):
            rows = conn.execute(
                select(
                    db.jobs.c.id,
                    db.jobs.c.buyer_id,
                    db.jobs.c.scenario,
                    db.jobs.c.order_id,
                    db.jobs.c.sent_at,
                ).where(
                    db.jobs.c.buyer_id.in_(chunk),
                    db.jobs.c.state == "sent",
                    db.jobs.c.converted_at.is_(None),
                    db.jobs.c.sent_at >= earliest,
                )
            ).mappings()
            for row in rows:
                self.candidates.setdefault(row["buyer_id"], []).append(dict(row))

    def apply(self, event: Event) -> None:
        if event.type not in ("order_created", "order_paid"):
            return
        at = to_db(event.at)
        window = self.engine.book.attribution_window
        for job in self.candidates.get(event.buyer_id, []):
            if job.get("converted") or not (job["sent_at"] <= at <= job["sent_at"] + window):
                continue
            scenario = self.engine.book.by_name.get(job["scenario"])
            if (
                scenario is None
                or scenario.conversion is None
                or event.type not in scenario.conversion.events
            ):
                continue
            if scenario.conversion.same_order and job["order_id"] != event.order_id:
                continue
            job["converted"] = True
            self.updates.append({"key": job["id"], "at": at, "order": event.order_id})

    def write(self) -> None:
        if self.updates:
            self.conn.execute(
                update(db.jobs)
                .where(db.jobs.c.id == bindparam("key"))
                .values(converted_at=bindparam("at"), converted_order_id=bindparam("order")),
                self.updates,
            )


class _Facts:
    """What a batch of jobs is decided on, read once: order statuses, today's sends, buyers."""

    def __init__(self, engine: FollowupEngine, jobs: List[Dict[str, Any]], now: datetime) -> None:
        self.engine = engine
        self.statuses: Dict[str, str] = {}
        self.sent: Dict[Tuple[str, str | None], int] = {}
        self.buyers: Dict[str, Any] = {}
        order_ids = list({j["order_id"] for j in jobs if j.get("order_id")})
        buyers = list({j["buyer_id"] for j in jobs if j["kind"] == "marketing"})
        day_start = now.astimezone(engine.tz).replace(hour=0, minute=0, second=0, microsecond=0)
        start, end = to_db(day_start), to_db(day_start + timedelta(days=1))
        with engine.reader.connect() as conn:
            for chunk in _chunks(order_ids):
                query = select(db.orders.c.order_id, db.orders.c.status).where(
                    db.orders.c.order_id.in_(chunk)
                )
                self.statuses.update(dict(conn.execute(query).all()))
            for chunk in _chunks(buyers):
                query = (
                    select(db.jobs.c.buyer_id, db.jobs.c.scenario, func.count())
                    .where(
                        db.jobs.c.buyer_id.in_(chunk),
                        db.jobs.c.kind == "marketing",
                        db.jobs.c.state == "sent",
                        db.jobs.c.sent_at >= start,
                        db.jobs.c.sent_at < end,
                    )
                    .group_by(db.jobs.c.buyer_id, db.jobs.c.scenario)
                )
                for buyer, scenario, count in conn.execute(query):
                    self.sent[(buyer, scenario)] = self.sent.get((buyer, scenario), 0) + count
                    self.sent[(buyer, None)] = self.sent.get((buyer, None), 0) + count

    def buyer(self, buyer_id: str) -> Any:
        if buyer_id not in self.buyers:
            self.buyers[buyer_id] = self.engine.store.get_buyer(buyer_id)
        return self.buyers[buyer_id]

    def cap_reached(self, scenario: Scenario, buyer: str) -> str | None:
        cap = self.engine.book.marketing_daily_cap
        if cap is not None and self.sent.get((buyer, None), 0) >= cap:
            return f"daily marketing cap ({cap}) reached"
        limit = scenario.per_buyer_per_day
        if limit is not None and self.sent.get((buyer, scenario.name), 0) >= limit:
            return f"scenario limit ({limit} per buyer per day) reached"
        return None

    def count_send(self, scenario: Scenario, buyer: str) -> None:
        for key in ((buyer, None), (buyer, scenario.name)):
            self.sent[key] = self.sent.get(key, 0) + 1


class FollowupEngine:
    def __init__(
        self,
        database: Engine,
        book: Book,
        clock: Clock,
        sender: RasaSender,
        store: StoreClient,
        store_timezone: str = "Asia/Shanghai",
        lease: timedelta = timedelta(minutes=2),
        senders: int = 8,
    ) -> None:
        self.db = database
        self.book = book
        self.clock = clock
        self.sender = sender
        self.store = store
        self.tz = ZoneInfo(store_timezone)
        self.lease = lease
        self.senders = senders  # parallel deliveries per batch
        db.create_schema(database)
        self.reader = db.reader_for(database)

    # --- ingestion ------------------------------------------------------------------------------

    def ingest(self, raw: Any, source: str = "push", verify: bool = False) -> IngestResult:
        """Take one event (already-parsed JSON). EventInvalid for a bad shape.

        verify: check the order against the store first (pushed events; the feed's are checked by
        the store). StoreUnavailable propagates, so the pusher retries and nothing is lost.
        """
        event = parse_event(raw)
        problem = self._verify(event) if verify else None
        with self.db.begin() as conn:
            (result,) = self._ingest_batch(conn, [(event, None, problem)], source)
        self._price_conversions()
        return result

    def ingest_feed_page(self, items: List[Dict[str, Any]], cursor_key: str = "feed_cursor") -> int:
        """Take a page of the store's feed in one transaction, with the cursor; returns the new cursor."""
        with self.db.begin() as conn:
            cursor = int(self._get_state(conn, cursor_key, 0))
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
            self._ingest_batch(conn, batch, "feed")
            self._set_state(conn, cursor_key, cursor)
        self._price_conversions()
        return cursor

    def _verify(self, event: Event) -> str | None:
        if event.order_id is None:
            return None
        order = self.store.get_order(event.order_id)
        if order is None:
            return f"unknown order {event.order_id}"
        if order.get("buyer_id") != event.buyer_id:
            return f"order {event.order_id} belongs to another buyer"
        return None

    def _ingest_batch(
        self, conn: Connection, batch: List[Tuple[Event, int | None, str | None]], source: str
    ) -> List[IngestResult]:
        """Record new events, track orders, mark conversions and schedule jobs: a few statements a batch."""
        if not batch:
            return []
        now = self.clock.now()
        ids = list({e.event_id for e, _, _ in batch})
        known = set()
        for chunk in _chunks(ids):
            known.update(
                conn.execute(select(db.events.c.event_id).where(db.events.c.event_id.in_(chunk))).scalars()
            )
        order_ids = list({e.order_id for e, _, _ in batch if e.order_id})
        tracked: Dict[str, Dict[str, Any]] = {}
        for chunk in _chunks(order_ids):
            for row in conn.execute(select(db.orders).where(db.orders.c.order_id.in_(chunk))).mappings():
                tracked[row["order_id"]] = dict(row)
        new_orders: set = set()
        changed_orders: set = set()
        converts = _Conversions(self, conn, batch)
        results: List[IngestResult] = []
        event_rows: List[Dict[str, Any]] = []
        job_rows: List[Dict[str, Any]] = []
        for event, seq, problem in batch:
            if event.event_id in known:
                results.append(IngestResult(event.event_id, True, "duplicate", "event_id already taken"))
                continue
            known.add(event.event_id)
            reason = problem
            if reason is None and event.type not in EVENT_TYPES:
                reason = f"unknown event type {event.type!r}"
            if reason is None and event.type in ORDER_EVENT_STATUS and event.order_id is None:
                reason = f"{event.type} without order_id"
            late = None
            if reason is None and event.type in ORDER_EVENT_STATUS:
                reason, late = self._track_order(tracked, new_orders, changed_orders, event)
            outcome, count = "skipped", 0
            if reason is None:
                converts.apply(event)
                for scenario in self.book.for_event(event.type):
                    job_rows.append(self._job_row(scenario, event, now))
                    count += 1
                outcome = "accepted"
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
                    "reason": reason or late,
                    "jobs": count,
                }
            )
            results.append(IngestResult(event.event_id, False, outcome, reason or late, count))
        if event_rows:
            _bulk_insert_ignore(conn, db.events, "event_id", event_rows)
        if new_orders:
            conn.execute(insert(db.orders), [tracked[o] for o in new_orders])
        if changed_orders - new_orders:
            conn.execute(
                update(db.orders)
                .where(db.orders.c.order_id == bindparam("key"))
                .values(status=bindparam("status"), status_at=bindparam("status_at"), first_seen_at=bindparam("first")),
                [
                    {"key": o, "status": tracked[o]["status"], "status_at": tracked[o]["status_at"],
                     "first": tracked[o]["first_seen_at"]}
                    for o in changed_orders - new_orders
                ],
            )  # fmt: skip
        converts.write()
        if job_rows:
            _bulk_insert_ignore(conn, db.jobs, "job_key", job_rows)
        return results

    @staticmethod
    def _track_order(
        tracked: Dict[str, Dict[str, Any]], new: set, changed: set, event: Event
    ) -> Tuple[str | None, str | None]:
        """(reason to skip, note): a late event (shipped before paid) does not roll the status back."""
        status = ORDER_EVENT_STATUS[event.type]
        at = to_db(event.at)
        current = tracked.get(event.order_id)
        if current is None:
            tracked[event.order_id] = {
                "order_id": event.order_id,
                "buyer_id": event.buyer_id,
                "status": status,
                "status_at": at,
                "first_seen_at": at,
            }
            new.add(event.order_id)
            return None, None
        if current["buyer_id"] != event.buyer_id:
            return f"order {event.order_id} belongs to another buyer", None
        if at < current["first_seen_at"]:
            current["first_seen_at"] = at
            changed.add(event.order_id)
        if (at, STATUS_RANK[status]) >= (current["status_at"], STATUS_RANK[current["status"]]):
            current.update(status=status, status_at=at)
            changed.add(event.order_id)
            return None, None
        return None, f"out of order: order already {current['status']}"

    def _job_row(self, scenario: Scenario, event: Event, now: datetime) -> Dict[str, Any]:
        planned = to_db(event.at + scenario.delay)
        return {
            "job_key": f"{scenario.name}:{event.event_id}",
            "scenario": scenario.name,
            "kind": scenario.kind,
            "buyer_id": event.buyer_id,
            "order_id": event.order_id,
            "sku": event.sku,
            "promo_id": None,
            "event_id": event.event_id,
            "trigger_at": to_db(event.at),
            "valid_until": None,
            "planned_at": planned,
            "due_at": planned,
            "state": "scheduled",
            "attempts": 0,
            "postponed": False,
            "created_at": to_db(now),
        }

    def _add_job(self, conn: Connection, values: Dict[str, Any], planned: datetime, now: datetime) -> int:
        row = {
            **values,
            "planned_at": to_db(planned),
            "due_at": to_db(planned),
            "state": "scheduled",
            "attempts": 0,
            "postponed": False,
            "created_at": to_db(now),
        }
        stmt = _insert(conn)(db.jobs).values(**row).on_conflict_do_nothing(index_elements=["job_key"])
        return conn.execute(stmt).rowcount

    # --- promotions -----------------------------------------------------------------------------

    def scan_promotions(self) -> int:
        """Schedule promotion scenarios for their segment; re-running adds only new buyers."""
        scenarios = self.book.for_promotions()
        if not scenarios:
            return 0
        now = self.clock.now()
        promotions = self.store.list_promotions(active_at=now.isoformat())
        added = 0
        with self.db.begin() as conn:
            for scenario in scenarios:
                for promo in promotions:
                    if promo.get("kind") != scenario.promotion_kind:
                        continue
                    starts = datetime.fromisoformat(str(promo["starts_at"]).replace("Z", "+00:00"))
                    ends = datetime.fromisoformat(str(promo["ends_at"]).replace("Z", "+00:00"))
                    for buyer_id in self._segment(conn, scenario, promo.get("skus") or [], now):
                        values = {
                            "job_key": f"{scenario.name}:{promo['promo_id']}:{buyer_id}",
                            "scenario": scenario.name,
                            "kind": scenario.kind,
                            "buyer_id": buyer_id,
                            "order_id": None,
                            "sku": None,
                            "promo_id": promo["promo_id"],
                            "event_id": None,
                            "trigger_at": to_db(starts),
                            "valid_until": to_db(ends),
                        }
                        added += self._add_job(conn, values, max(starts + scenario.delay, now), now)
        return added

    def _segment(self, conn: Connection, scenario: Scenario, skus: List[str], now: datetime) -> List[str]:
        since = to_db(now - timedelta(days=scenario.segment_days))
        query = select(db.events.c.buyer_id).where(db.events.c.at >= since).distinct()
        if scenario.segment == "inquired_skus":
            query = query.where(db.events.c.type == "inquiry_without_order")
            if skus:  # empty = storewide: every buyer who asked about anything
                query = query.where(db.events.c.sku.in_(skus))
        return sorted(conn.execute(query).scalars())

    # --- conversions ----------------------------------------------------------------------------

    def _price_conversions(self) -> None:
        """GMV of newly converted orders, from the store; left empty (and retried later) when it is down."""
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(db.jobs.c.id, db.jobs.c.converted_order_id).where(
                    db.jobs.c.converted_at.isnot(None), db.jobs.c.converted_gmv.is_(None)
                )
            ).all()
        if not rows:
            return
        totals: Dict[str, float] = {}
        for _job_id, order_id in rows:
            if order_id in totals:
                continue
            try:
                order = self.store.get_order(order_id)
            except StoreUnavailable as exc:
                logger.info("followup: GMV of order %s later: %s", order_id, exc)
                return
            if order is None:
                totals[order_id] = 0.0  # unknown to the store: nothing to count, do not ask again
            else:
                totals[order_id] = round(
                    sum(
                        float(i.get("unit_price", 0)) * int(i.get("qty", 0)) for i in order.get("items") or []
                    ),
                    2,
                )
        with self.db.begin() as conn:
            for job_id, order_id in rows:
                if order_id in totals:
                    conn.execute(
                        update(db.jobs).where(db.jobs.c.id == job_id).values(converted_gmv=totals[order_id])
                    )

    # --- firing ---------------------------------------------------------------------------------

    def claim(self, limit: int = 200) -> List[Dict[str, Any]]:
        now = to_db(self.clock.now())
        token = uuid.uuid4().hex
        takeable = or_(
            and_(db.jobs.c.state == "scheduled", db.jobs.c.due_at <= now),
            and_(db.jobs.c.state == "claimed", db.jobs.c.lease_until < now),
        )
        with self.db.begin() as conn:
            query = select(db.jobs.c.id).where(takeable).order_by(db.jobs.c.due_at).limit(limit)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(conn.execute(query).scalars())
            if not ids:
                return []
            # The state test again: on PostgreSQL it is re-checked on the locked row.
            conn.execute(
                update(db.jobs)
                .where(db.jobs.c.id.in_(ids), takeable)
                .values(state="claimed", claim_token=token, lease_until=now + self.lease)
            )
            rows = conn.execute(select(db.jobs).where(db.jobs.c.claim_token == token)).mappings().all()
        return [dict(r) for r in rows]

    def run_due(self, limit: int = 200) -> int:
        """Fire what is due; returns how many jobs were handled.

        Decisions are made from facts read once per batch; sends run in parallel; the outcomes are
        written in one transaction, each only if this worker still holds the job's claim.
        """
        claimed = self.claim(limit)
        if not claimed:
            return 0
        now = self.clock.now()
        facts = _Facts(self, claimed, now)
        outcomes: List[Tuple[Dict[str, Any], Dict[str, Any]]] = []
        to_send: List[Tuple[Dict[str, Any], Scenario]] = []
        for job in claimed:
            try:
                decision = self._decide(job, facts, now)
            except Exception as exc:  # a bug must not lose the job: retry it, then fail it
                logger.exception("followup: job %s failed unexpectedly", job["job_key"])
                decision = self._retry_or_fail(job, f"error: {exc.__class__.__name__}: {exc}")
            if isinstance(decision, Scenario):
                to_send.append((job, decision))
            else:
                outcomes.append((job, decision))
        if to_send:
            with ThreadPoolExecutor(max_workers=min(self.senders, len(to_send))) as pool:
                outcomes.extend(zip((job for job, _ in to_send), pool.map(self._send, to_send), strict=True))
        with self.db.begin() as conn:
            for job, change in outcomes:
                conn.execute(
                    update(db.jobs)
                    .where(db.jobs.c.id == job["id"], db.jobs.c.claim_token == job["claim_token"])
                    .values(**change, claim_token=None, lease_until=None)
                )
        return len(outcomes)

    def _send(self, item: Tuple[Dict[str, Any], Scenario]) -> Dict[str, Any]:
        job, scenario = item
        entities = {name: job[name] for name in scenario.entities if job.get(name)}
        try:
            self.sender.send(job["buyer_id"], scenario.intent, entities, job["job_key"])
        except DeliveryError as exc:
            return self._retry_or_fail(job, str(exc))
        sent = self.clock.now()
        return {**self._finish("sent", sent, None), "sent_at": to_db(sent), "attempts": job["attempts"] + 1}

    def _decide(self, job: Dict[str, Any], facts: _Facts, now: datetime) -> Scenario | Dict[str, Any]:
        """The scenario to send, or the job's new state (skipped, postponed, retried)."""
        scenario = self.book.by_name.get(job["scenario"])
        if scenario is None:
            return self._finish("skipped", now, "scenario no longer in followup.yml")
        reason = self._condition_fails(scenario, job, facts, now)
        if reason:
            return self._finish("skipped", now, reason)
        due = from_db(job["due_at"])
        if scenario.expires is not None and now > due + scenario.expires:
            return self._finish("skipped", now, f"too late: more than {scenario.expires} after due")
        if scenario.kind == "marketing":
            quiet = self.book.quiet_hours
            local = now.astimezone(self.tz)
            if quiet and quiet.contains(local.time().replace(tzinfo=None)):
                if quiet.policy == "skip":
                    return self._finish("skipped", now, "quiet hours")
                resume = self._quiet_end(local)
                return {
                    "state": "scheduled",
                    "due_at": to_db(resume),
                    "postponed": True,
                    "reason": f"postponed: quiet hours, until {resume.isoformat()}",
                }
            try:
                buyer = facts.buyer(job["buyer_id"])
            except StoreUnavailable as exc:
                return self._retry_or_fail(job, f"store unavailable for the opt-out check: {exc}")
            if buyer is None:
                return self._finish("skipped", now, "unknown buyer")
            if buyer.get("marketing_opt_out"):
                return self._finish("skipped", now, "buyer opted out of marketing")
            reason = facts.cap_reached(scenario, job["buyer_id"])
            if reason:
                return self._finish("skipped", now, reason)
            # Counted now, before the send: the cap is never exceeded within a batch.
            facts.count_send(scenario, job["buyer_id"])
        return scenario

    @staticmethod
    def _finish(state: str, now: datetime, reason: str | None) -> Dict[str, Any]:
        return {"state": state, "finished_at": to_db(now), "reason": reason}

    def _retry_or_fail(self, job: Dict[str, Any], reason: str) -> Dict[str, Any]:
        attempts = job["attempts"] + 1
        now = self.clock.now()
        if attempts >= self.book.max_attempts:
            return {
                **self._finish("failed", now, f"after {attempts} attempts: {reason}"),
                "attempts": attempts,
            }
        backoff = self.book.retry_backoff * (2 ** (attempts - 1))
        return {
            "state": "scheduled",
            "attempts": attempts,
            "due_at": to_db(now + backoff),
            "reason": f"retry {attempts}/{self.book.max_attempts - 1} after {backoff}: {reason}",
        }

    def _quiet_end(self, local: datetime) -> datetime:
        end = self.book.quiet_hours.end
        resume = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        if resume <= local:
            resume += timedelta(days=1)
        return resume

    def _condition_fails(
        self, scenario: Scenario, job: Dict[str, Any], facts: _Facts, now: datetime
    ) -> str | None:
        if scenario.order_status:
            status = facts.statuses.get(job["order_id"])
            if status not in scenario.order_status:
                return f"condition: order is {status}, not {'/'.join(scenario.order_status)}"
        if scenario.no_order_since_trigger:
            with self.reader.connect() as conn:
                ordered = conn.execute(
                    select(db.orders.c.order_id)
                    .where(
                        db.orders.c.buyer_id == job["buyer_id"],
                        db.orders.c.first_seen_at >= job["trigger_at"],
                    )
                    .limit(1)
                ).scalar()
            if ordered:
                return "condition: buyer ordered since"
        if scenario.promotion_active and job.get("valid_until") and to_db(now) >= job["valid_until"]:
            return "condition: promotion has ended"
        return None

    # --- state ----------------------------------------------------------------------------------

    @staticmethod
    def _get_state(conn: Connection, key: str, default: Any) -> Any:
        value = conn.execute(select(db.state.c.value).where(db.state.c.key == key)).scalar()
        return int(value) if value is not None else default

    @staticmethod
    def _set_state(conn: Connection, key: str, value: Any) -> None:
        stmt = _insert(conn)(db.state).values(key=key, value=str(value))
        conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": str(value)}))

    def cursor(self, key: str = "feed_cursor") -> int | None:
        with self.reader.connect() as conn:
            value = conn.execute(select(db.state.c.value).where(db.state.c.key == key)).scalar()
        return int(value) if value is not None else None

    def set_cursor(self, value: int, key: str = "feed_cursor") -> None:
        with self.db.begin() as conn:
            self._set_state(conn, key, value)

    def poll_feed(self, page: int = 500, max_pages: int = 20) -> int:
        """Take what the store's feed has after the cursor; returns how many items were read."""
        read = 0
        for _ in range(max_pages):
            cursor = self.cursor() or 0
            items = self.store.events_after(cursor, page)
            if not items:
                break
            self.ingest_feed_page(items)
            read += len(items)
            if len(items) < page:
                break
        return read

    def skip_to_feed_end(self, page: int = 1000) -> int:
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
