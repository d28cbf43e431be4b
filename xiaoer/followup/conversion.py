"""Conversions: which sent follow-ups led to an order, and what that order was worth.

A sent follow-up converts when its buyer orders or pays (the scenario's `conversion.events`) within
the attribution window after it was sent; with `same_order`, only the order it was about counts.
Attribution happens inside the ingestion transaction; GMV is asked of the store afterwards.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Dict, List

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection, Engine

from xiaoer.followup import db
from xiaoer.followup.db import chunks, to_db
from xiaoer.followup.scenarios import CONVERSION_EVENTS, Book
from xiaoer.storeapi.client import StoreClient, StoreUnavailable

if TYPE_CHECKING:  # ingest imports this module
    from xiaoer.followup.ingest import Event

logger = logging.getLogger(__name__)


class Attribution:
    """One ingestion batch: candidates read once, conversions marked per event, written once."""

    def __init__(self, book: Book, conn: Connection, events: List[Event]) -> None:
        self.book = book
        self.conn = conn
        self.updates: List[Dict[str, Any]] = []
        self.candidates: Dict[str, List[Dict[str, Any]]] = {}
        relevant = [e for e in events if e.type in CONVERSION_EVENTS]
        if not relevant:
            return
        earliest = to_db(min(e.at for e in relevant)) - book.attribution_window
        buyers = list({e.buyer_id for e in relevant})
        for chunk in chunks(buyers):
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
        if event.type not in CONVERSION_EVENTS:
            return
        at = to_db(event.at)
        window = self.book.attribution_window
        for job in self.candidates.get(event.buyer_id, []):
            if job.get("converted") or not (job["sent_at"] <= at <= job["sent_at"] + window):
                continue
            scenario = self.book.by_name.get(job["scenario"])
            if (
                scenario is None
                or scenario.conversion is None
                or event.type not in scenario.conversion.events
            ):
                continue
            if scenario.conversion.same_order and job["order_id"] != event.order_id:
                continue
            job["converted"] = True  # one conversion per follow-up, even if the batch has more
            self.updates.append({"key": job["id"], "at": at, "order": event.order_id})

    def write(self) -> None:
        if self.updates:
            self.conn.execute(
                update(db.jobs)
                .where(db.jobs.c.id == bindparam("key"))
                .values(converted_at=bindparam("at"), converted_order_id=bindparam("order")),
                self.updates,
            )


class Conversions:
    def __init__(self, database: Engine, reader: Engine, book: Book, store: StoreClient) -> None:
        self.db = database
        self.reader = reader
        self.book = book
        self.store = store

    def attribute(self, conn: Connection, events: List[Event]) -> Attribution:
        return Attribution(self.book, conn, events)

    def price(self) -> None:
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
            # Unknown to the store: nothing to count, and not asked again.
            totals[order_id] = 0.0 if order is None else order_gmv(order)
        with self.db.begin() as conn:
            for job_id, order_id in rows:
                if order_id in totals:
                    conn.execute(
                        update(db.jobs).where(db.jobs.c.id == job_id).values(converted_gmv=totals[order_id])
                    )


def order_gmv(order: Dict[str, Any]) -> float:
    return round(
        sum(float(i.get("unit_price", 0)) * int(i.get("qty", 0)) for i in order.get("items") or []),
        2,
    )
