"""Jobs: scheduled from events and promotions, claimed by one worker at a time.

- No job is scheduled twice: `fu_jobs.job_key` is unique (`scenario:event_id`, promotions
  `scenario:promo_id:buyer`) and every insert is ON CONFLICT DO NOTHING.
- No job is taken by two workers: a batch is claimed in one transaction (SQLite: BEGIN IMMEDIATE,
  see db.make_engine; PostgreSQL: FOR UPDATE SKIP LOCKED with the state re-checked) under a claim
  token and a lease. A claim whose lease ran out (its worker died) is taken again.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Dict, List, Tuple

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Connection, Engine

from xiaoer.followup import db
from xiaoer.followup.clock import Clock
from xiaoer.followup.db import bulk_insert_ignore, insert_for, to_db
from xiaoer.followup.scenarios import Book, Scenario
from xiaoer.storeapi.client import StoreClient
from xiaoer.storeapi.values import parse_time

if TYPE_CHECKING:  # ingest imports this module
    from xiaoer.followup.ingest import Event

Job = Dict[str, Any]


def new_job(values: Dict[str, Any], planned: datetime, now: datetime) -> Job:
    """A scheduled job row: `values` say what and for whom, `planned` when."""
    return {
        **values,
        "planned_at": to_db(planned),
        "due_at": to_db(planned),
        "state": "scheduled",
        "attempts": 0,
        "postponed": False,
        "created_at": to_db(now),
    }


class Scheduler:
    def __init__(
        self, database: Engine, book: Book, clock: Clock, store: StoreClient, lease: timedelta
    ) -> None:
        self.db = database
        self.book = book
        self.clock = clock
        self.store = store
        self.lease = lease

    # --- from events ------------------------------------------------------------------------------

    def jobs_for_event(self, event: Event, now: datetime) -> List[Job]:
        """One job per scenario the event triggers, due `delay` after the event happened."""
        return [
            new_job(
                {
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
                },
                event.at + scenario.delay,
                now,
            )
            for scenario in self.book.for_event(event.type)
        ]

    @staticmethod
    def add(conn: Connection, rows: List[Job]) -> None:
        """Insert jobs; one already scheduled under the same key is left as it is."""
        if rows:
            bulk_insert_ignore(conn, db.jobs, "job_key", rows)

    # --- from promotions --------------------------------------------------------------------------

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
                    if promo.get("kind") == scenario.promotion_kind:
                        added += self._schedule_promotion(conn, scenario, promo, now)
        return added

    def _schedule_promotion(
        self, conn: Connection, scenario: Scenario, promo: Dict[str, Any], now: datetime
    ) -> int:
        """Jobs for the promotion's segment not yet scheduled; how many were added."""
        starts = parse_time(promo["starts_at"])
        ends = parse_time(promo["ends_at"])
        added = 0
        for buyer_id in self.segment(conn, scenario, promo.get("skus") or [], now):
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
            row = new_job(values, max(starts + scenario.delay, now), now)
            stmt = insert_for(conn)(db.jobs).values(**row).on_conflict_do_nothing(index_elements=["job_key"])
            added += conn.execute(stmt).rowcount
        return added

    @staticmethod
    def segment(conn: Connection, scenario: Scenario, skus: List[str], now: datetime) -> List[str]:
        """The buyers a promotion scenario reaches, from the events the engine has seen."""
        since = to_db(now - timedelta(days=scenario.segment_days))
        query = select(db.events.c.buyer_id).where(db.events.c.at >= since).distinct()
        if scenario.segment == "inquired_skus":
            query = query.where(db.events.c.type == "inquiry_without_order")
            if skus:  # empty = storewide: every buyer who asked about anything
                query = query.where(db.events.c.sku.in_(skus))
        return sorted(conn.execute(query).scalars())

    # --- claims -----------------------------------------------------------------------------------

    def claim(self, limit: int = 200) -> List[Job]:
        """Take up to `limit` due jobs for this worker, under a fresh claim token and a lease."""
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

    def record_outcomes(self, outcomes: List[Tuple[Job, Dict[str, Any]]]) -> None:
        """Write (job, change) outcomes in one transaction, each only while the claim is still ours."""
        with self.db.begin() as conn:
            for job, change in outcomes:
                conn.execute(
                    update(db.jobs)
                    .where(db.jobs.c.id == job["id"], db.jobs.c.claim_token == job["claim_token"])
                    .values(**change, claim_token=None, lease_until=None)
                )
