"""`python -m xiaoer.followup bench`: the real ingestion, scheduler and delivery path on loopback.

A stand-in store serves the event feed (orders going created → paid → shipped → delivered, some left
unpaid, and inquiries) and a stand-in Rasa counts deliveries per job key. Phase 1 runs on the real
clock: ingestion rate, and the lag from a job being due to its delivery for the notices that are due
at once. Phase 2 moves the clock past each delay (30 min, 2 h, 12 h, 3 days) and drains what falls
due. At the end every job must be sent exactly once or have a recorded reason: duplicates and
losses are counted.
"""

from __future__ import annotations

import multiprocessing
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import func, select

from xiaoer.followup import db
from xiaoer.followup.clock import OffsetClock, utc_now
from xiaoer.followup.db import from_db, make_engine
from xiaoer.followup.engine import FollowupEngine
from xiaoer.followup.loopback import FeedStore, RasaReceiver
from xiaoer.followup.report import render
from xiaoer.followup.scenarios import load_book
from xiaoer.followup.service import Worker
from xiaoer.rasa_ext.client import RasaClient
from xiaoer.settings import REPO_ROOT
from xiaoer.storeapi.client import StoreClient

LIFECYCLE = ("order_created", "order_paid", "order_shipped", "order_delivered")


def generate(store: FeedStore, events: int, buyers: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    at = utc_now().isoformat()
    ids = [f"bench_buyer_{i:05d}" for i in range(buyers)]
    for i, buyer in enumerate(ids):
        store.buyers[buyer] = {"buyer_id": buyer, "nickname": buyer, "marketing_opt_out": i % 20 == 0}
    streams: list[list[dict]] = []
    made = 0
    n = 0
    while made < events:
        buyer = rng.choice(ids)
        n += 1
        if rng.random() < 0.2:
            stream = [
                {"event_id": f"inq:{n}", "type": "inquiry_without_order", "buyer_id": buyer, "sku": "SKU1"}
            ]
        else:
            order = f"B{n:09d}"
            store.orders[order] = {
                "order_id": order,
                "buyer_id": buyer,
                "items": [{"sku": "SKU1", "qty": 1, "unit_price": float(rng.choice((1999, 2999, 4599)))}],
            }
            steps = rng.choices((1, 2, 3, 4), weights=(2, 1, 1, 6))[0]  # some left unpaid, most delivered
            stream = [
                {"event_id": f"order:{order}:{t}", "type": t, "buyer_id": buyer, "order_id": order}
                for t in LIFECYCLE[:steps]
            ]
        stream = stream[: events - made]
        made += len(stream)
        streams.append(stream)
    # Interleave the buyers' streams, each in its own order, as a busy store's feed would.
    pending = [list(reversed(s)) for s in streams]
    while pending:
        index = rng.randrange(len(pending))
        store.add_event({**pending[index].pop(), "at": at})
        if not pending[index]:
            pending[index] = pending[-1]
            pending.pop()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def wait_idle(engine: FollowupEngine, deadline: float) -> None:
    """Until no job is due (or being sent) at the engine's current time."""
    while time.monotonic() < deadline:
        now = db.to_db(engine.clock.now())
        with engine.reader.connect() as conn:
            due = conn.execute(
                select(func.count()).where(
                    ((db.jobs.c.state == "scheduled") & (db.jobs.c.due_at <= now))
                    | (db.jobs.c.state == "claimed")
                )
            ).scalar()
        if not due:
            return
        time.sleep(0.2)
    raise SystemExit("bench: jobs still due after the deadline")


def _serve_stand_ins(events: int, buyers: int, conn) -> None:
    """Child process: the stand-in store and Rasa, so they do not share the engine's interpreter."""
    store, rasa = FeedStore().start(), RasaReceiver().start()
    generate(store, events, buyers)
    counts: dict = {}
    for event in store.events:
        counts[event["type"]] = counts.get(event["type"], 0) + 1
    conn.send((store.url, rasa.url, len(store.events), counts))
    conn.recv()  # until the parent says stop
    store.close()
    rasa.close()


def bench(events: int = 100_000, buyers: int = 10_000, database_url: str | None = None) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="xiaoer-followup-bench-"))
    database_url = database_url or f"sqlite:///{workdir / 'followup.db'}"
    print(f"bench: generating {events:,} events over {buyers:,} buyers…", flush=True)
    parent, child = multiprocessing.Pipe()
    stand_ins = multiprocessing.get_context("fork").Process(
        target=_serve_stand_ins, args=(events, buyers, child), daemon=True
    )
    stand_ins.start()
    store_url, rasa_url, total, type_counts = parent.recv()
    clock = OffsetClock()
    engine = FollowupEngine(
        make_engine(database_url),
        load_book(REPO_ROOT / "followup.yml"),
        clock,
        RasaClient(rasa_url, "bench-token"),
        StoreClient(store_url, "bench-token"),
    )
    engine.set_cursor(0)
    worker = Worker(engine, poll_interval=0.2, promotion_interval=3600, batch=500)
    started = time.monotonic()
    worker.start()
    while (engine.cursor() or 0) < total:
        time.sleep(0.1)
    ingest_seconds = time.monotonic() - started
    wait_idle(engine, time.monotonic() + 1800)
    phase1_seconds = time.monotonic() - started

    def stats() -> dict:
        return requests.get(f"{rasa_url}/_stats", timeout=60).json()

    with engine.reader.connect() as conn:
        rows = conn.execute(
            select(db.jobs.c.job_key, db.jobs.c.planned_at, db.jobs.c.created_at).where(
                db.jobs.c.state == "sent"
            )
        ).all()
    received_at = {job: at for job, at in stats()["received"]}
    lags = [
        received_at[key] - max(from_db(planned), from_db(created)).timestamp()
        for key, planned, created in rows
        if key in received_at
    ]
    print(
        f"bench: phase 1 (real clock): {total:,} events ingested in {ingest_seconds:.1f} s = "
        f"{total / ingest_seconds:,.0f} events/s; {len(lags):,} notices due at once delivered by "
        f"{phase1_seconds:.1f} s, due-to-delivery lag p50 {percentile(lags, 0.5) * 1000:.0f} ms, "
        f"p95 {percentile(lags, 0.95) * 1000:.0f} ms, max {max(lags, default=0) * 1000:.0f} ms",
        flush=True,
    )
    delivered = len(received_at)
    for label, shift in (("30 min", timedelta(minutes=31)), ("2 h", timedelta(hours=2, minutes=1)),
                         ("12 h", timedelta(hours=12, minutes=1)), ("3 days", timedelta(days=3, minutes=1)),
                         ("3 days + quiet hours over", timedelta(days=3, hours=11))):  # fmt: skip
        step_started = time.monotonic()
        clock.shift = shift
        wait_idle(engine, time.monotonic() + 1800)
        took = time.monotonic() - step_started
        now_delivered = len(stats()["received"])
        print(
            f"bench: phase 2, clock +{label}: {now_delivered - delivered:,} delivered in {took:.1f} s",
            flush=True,
        )
        delivered = now_delivered
    worker.shutdown()
    final = stats()
    received_keys = {job for job, _ in final["received"]}
    with engine.reader.connect() as conn:
        taken = conn.execute(select(func.count()).select_from(db.events)).scalar()
        by_state = dict(conn.execute(select(db.jobs.c.state, func.count()).group_by(db.jobs.c.state)).all())
        sent_keys = set(conn.execute(select(db.jobs.c.job_key).where(db.jobs.c.state == "sent")).scalars())
        unexplained = conn.execute(
            select(func.count()).where(db.jobs.c.state.in_(("skipped", "failed")), db.jobs.c.reason.is_(None))
        ).scalar()
    expected_jobs = sum(len(engine.book.for_event(kind)) * n for kind, n in type_counts.items())
    # Lost: an event not taken, a job never scheduled, sent without reaching Rasa, stuck, or ended unexplained.
    losses = (
        (total - taken)
        + (expected_jobs - sum(by_state.values()))
        + len(sent_keys - received_keys)
        + by_state.get("claimed", 0)
        + unexplained
    )
    figures = {
        "events": total,
        "events_per_second": total / ingest_seconds,
        "lag_p50_ms": percentile(lags, 0.5) * 1000,
        "lag_p95_ms": percentile(lags, 0.95) * 1000,
        "lag_max_ms": max(lags, default=0) * 1000,
        "jobs": by_state,
        "delivered": len(final["received"]),
        "duplicates": final["duplicates"] + len(received_keys - sent_keys),
        "losses": losses,
    }
    print(render(engine.db))
    print(
        f"\nbench: {total:,} events, {buyers:,} buyers: {figures['events_per_second']:,.0f} events ingested/s; "
        f"lag p50 {figures['lag_p50_ms']:.0f} ms / p95 {figures['lag_p95_ms']:.0f} ms / "
        f"max {figures['lag_max_ms']:.0f} ms; {figures['delivered']:,} delivered; "
        f"duplicates {figures['duplicates']}; losses {figures['losses']}",
        flush=True,
    )
    parent.send("stop")
    stand_ins.join(10)
    return figures
