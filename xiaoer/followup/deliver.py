"""Delivery: what becomes of a claimed job when it fires, and sending it through Rasa.

Everything is decided at fire time, not at scheduling: the scenario's condition (from the order's
status as the engine knows it), expiry, quiet hours, the buyer's opt-out and the daily caps. Rasa
or the store failing retries with doubling back-off until `max_attempts`, then the job fails with
the last error: every job ends sent, skipped or failed, with its reason.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, tzinfo
from typing import Any, Dict, List, Tuple

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from xiaoer.followup import db
from xiaoer.followup.clock import Clock
from xiaoer.followup.db import chunks, from_db, to_db
from xiaoer.followup.scenarios import Book, Scenario
from xiaoer.followup.schedule import Job, Scheduler
from xiaoer.rasa_ext.client import RasaClient, RasaUnavailable
from xiaoer.storeapi.client import StoreClient, StoreUnavailable

logger = logging.getLogger(__name__)

Change = Dict[str, Any]  # the columns a job's outcome sets


class DeliveryError(Exception):
    """Rasa or the channel did not take the message."""


class RasaDelivery:
    """A follow-up as an EXTERNAL_* intent through the one Rasa client, on a channel that can push."""

    def __init__(self, rasa: RasaClient, output_channel: str) -> None:
        self.rasa = rasa
        self.output_channel = output_channel

    def send(self, buyer_id: str, intent: str, entities: Dict[str, str], job_key: str) -> None:
        try:
            self.rasa.trigger_intent(buyer_id, intent, entities, self.output_channel, job=job_key)
        except RasaUnavailable as exc:
            raise DeliveryError(f"Rasa did not take it: {exc}") from exc


class BatchFacts:
    """What a batch of jobs is decided on, read once: order statuses, today's sends, buyers."""

    def __init__(
        self, reader: Engine, book: Book, store: StoreClient, tz: tzinfo, jobs: List[Job], now: datetime
    ) -> None:
        self.book = book
        self.store = store
        self.statuses: Dict[str, str] = {}
        self.sent: Dict[Tuple[str, str | None], int] = {}
        self.buyers: Dict[str, Any] = {}
        order_ids = list({j["order_id"] for j in jobs if j.get("order_id")})
        buyers = list({j["buyer_id"] for j in jobs if j["kind"] == "marketing"})
        day_start = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        start, end = to_db(day_start), to_db(day_start + timedelta(days=1))
        with reader.connect() as conn:
            for chunk in chunks(order_ids):
                query = select(db.orders.c.order_id, db.orders.c.status).where(
                    db.orders.c.order_id.in_(chunk)
                )
                self.statuses.update(dict(conn.execute(query).all()))
            for chunk in chunks(buyers):
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
        """The store's buyer record (opt-out), asked once per batch; StoreUnavailable propagates."""
        if buyer_id not in self.buyers:
            self.buyers[buyer_id] = self.store.get_buyer(buyer_id)
        return self.buyers[buyer_id]

    def cap_reached(self, scenario: Scenario, buyer: str) -> str | None:
        cap = self.book.marketing_daily_cap
        if cap is not None and self.sent.get((buyer, None), 0) >= cap:
            return f"daily marketing cap ({cap}) reached"
        limit = scenario.per_buyer_per_day
        if limit is not None and self.sent.get((buyer, scenario.name), 0) >= limit:
            return f"scenario limit ({limit} per buyer per day) reached"
        return None

    def count_send(self, scenario: Scenario, buyer: str) -> None:
        for key in ((buyer, None), (buyer, scenario.name)):
            self.sent[key] = self.sent.get(key, 0) + 1


def finished(state: str, now: datetime, reason: str | None) -> Change:
    return {"state": state, "finished_at": to_db(now), "reason": reason}


class Deliverer:
    def __init__(
        self,
        reader: Engine,
        book: Book,
        clock: Clock,
        store: StoreClient,
        scheduler: Scheduler,
        sender: RasaDelivery,
        tz: tzinfo,
        senders: int = 8,
    ) -> None:
        self.reader = reader
        self.book = book
        self.clock = clock
        self.store = store
        self.scheduler = scheduler
        self.sender = sender
        self.tz = tz
        self.senders = senders  # parallel deliveries per batch

    def run_due(self, limit: int = 200) -> int:
        """Fire what is due; returns how many jobs were handled.

        Decisions are made from facts read once per batch; sends run in parallel; the outcomes are
        written in one transaction, each only if this worker still holds the job's claim.
        """
        claimed = self.scheduler.claim(limit)
        if not claimed:
            return 0
        now = self.clock.now()
        facts = BatchFacts(self.reader, self.book, self.store, self.tz, claimed, now)
        outcomes: List[Tuple[Job, Change]] = []
        to_send: List[Tuple[Job, Scenario]] = []
        for job in claimed:
            try:
                decision = self.decide(job, facts, now)
            except Exception as exc:  # a bug must not lose the job: retry it, then fail it
                logger.exception("followup: job %s failed unexpectedly", job["job_key"])
                decision = self.retry_or_fail(job, f"error: {exc.__class__.__name__}: {exc}")
            if isinstance(decision, Scenario):
                to_send.append((job, decision))
            else:
                outcomes.append((job, decision))
        if to_send:
            with ThreadPoolExecutor(max_workers=min(self.senders, len(to_send))) as pool:
                outcomes.extend(zip((job for job, _ in to_send), pool.map(self.send, to_send), strict=True))
        self.scheduler.record_outcomes(outcomes)
        return len(outcomes)

    def send(self, item: Tuple[Job, Scenario]) -> Change:
        job, scenario = item
        entities = {name: job[name] for name in scenario.entities if job.get(name)}
        try:
            self.sender.send(job["buyer_id"], scenario.intent, entities, job["job_key"])
        except DeliveryError as exc:
            return self.retry_or_fail(job, str(exc))
        sent = self.clock.now()
        return {**finished("sent", sent, None), "sent_at": to_db(sent), "attempts": job["attempts"] + 1}

    def decide(self, job: Job, facts: BatchFacts, now: datetime) -> Scenario | Change:
        """The scenario to send, or the job's new state (skipped, postponed, retried)."""
        scenario = self.book.by_name.get(job["scenario"])
        if scenario is None:
            return finished("skipped", now, "scenario no longer in followup.yml")
        reason = self.condition_fails(scenario, job, facts, now)
        if reason:
            return finished("skipped", now, reason)
        due = from_db(job["due_at"])
        if scenario.expires is not None and now > due + scenario.expires:
            return finished("skipped", now, f"too late: more than {scenario.expires} after due")
        if scenario.kind == "marketing":
            quiet = self.book.quiet_hours
            local = now.astimezone(self.tz)
            if quiet and quiet.contains(local.time().replace(tzinfo=None)):
                if quiet.policy == "skip":
                    return finished("skipped", now, "quiet hours")
                resume = self.quiet_end(local)
                return {
                    "state": "scheduled",
                    "due_at": to_db(resume),
                    "postponed": True,
                    "reason": f"postponed: quiet hours, until {resume.isoformat()}",
                }
            try:
                buyer = facts.buyer(job["buyer_id"])
            except StoreUnavailable as exc:
                return self.retry_or_fail(job, f"store unavailable for the opt-out check: {exc}")
            if buyer is None:
                return finished("skipped", now, "unknown buyer")
            if buyer.get("marketing_opt_out"):
                return finished("skipped", now, "buyer opted out of marketing")
            reason = facts.cap_reached(scenario, job["buyer_id"])
            if reason:
                return finished("skipped", now, reason)
            # Counted now, before the send: the cap is never exceeded within a batch.
            facts.count_send(scenario, job["buyer_id"])
        return scenario

    def retry_or_fail(self, job: Job, reason: str) -> Change:
        attempts = job["attempts"] + 1
        now = self.clock.now()
        if attempts >= self.book.max_attempts:
            return {**finished("failed", now, f"after {attempts} attempts: {reason}"), "attempts": attempts}
        backoff = self.book.retry_backoff * (2 ** (attempts - 1))
        return {
            "state": "scheduled",
            "attempts": attempts,
            "due_at": to_db(now + backoff),
            "reason": f"retry {attempts}/{self.book.max_attempts - 1} after {backoff}: {reason}",
        }

    def quiet_end(self, local: datetime) -> datetime:
        end = self.book.quiet_hours.end
        resume = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        if resume <= local:
            resume += timedelta(days=1)
        return resume

    def condition_fails(self, scenario: Scenario, job: Job, facts: BatchFacts, now: datetime) -> str | None:
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
