"""Restarts and concurrent workers neither lose nor duplicate a follow-up; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.followup.conftest import BUYER, job, jobs, sent
from xiaoer.followup import db

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def test_restart_between_schedule_and_fire(make_engine, clock, rasa, order_event):
    first = make_engine()
    first.ingest(order_event("order_created", "O1"))
    first.ingest(order_event("order_created", "O1"))  # the store pushed it twice
    first.db.dispose()  # the engine stops; nothing of it survives but the database
    clock.advance(minutes=31)
    second = make_engine()
    second.ingest(order_event("order_created", "O1"))  # and replays it after the restart
    second.run_due()
    second.run_due()
    assert [r["job"] for r in sent(rasa)] == ["payment_reminder_30m:order:O1:created"]
    assert len(jobs(second)) == 2  # 30 min and 12 h, each once


def test_a_crashed_workers_claim_is_taken_again_after_its_lease(make_engine, clock, rasa, order_event):
    crashed = make_engine(lease=timedelta(minutes=2))
    crashed.ingest(order_event("order_shipped", "O1"))
    (claimed,) = crashed.claim()  # ... and the process dies before sending
    assert claimed["state"] == "claimed"
    survivor = make_engine()
    assert survivor.run_due() == 0  # the lease still holds
    clock.advance(minutes=3)
    assert survivor.run_due() == 1
    assert [r["intent"] for r in sent(rasa)] == ["EXTERNAL_shipping_notice"]
    # The crashed worker's late write cannot overwrite the survivor's outcome: its claim is gone.
    with crashed.db.begin() as conn:
        changed = conn.execute(
            db.jobs.update()
            .where(db.jobs.c.id == claimed["id"], db.jobs.c.claim_token == claimed["claim_token"])
            .values(state="failed")
        ).rowcount
    assert changed == 0
    assert job(survivor, "shipping_notice")["state"] == "sent"


def test_two_workers_never_send_the_same_job(make_engine, clock, rasa, order_event):
    workers = [make_engine(), make_engine()]
    for n in range(60):
        workers[0].ingest(order_event("order_shipped", f"O{n}", buyer=BUYER))
    barrier = threading.Barrier(2)

    def work(engine) -> None:
        barrier.wait()
        while engine.run_due(limit=7):
            pass

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert rasa.duplicates == 0
    assert len(sent(rasa)) == 60
    assert {j["state"] for j in jobs(workers[0])} == {"sent"}


def test_feed_cursor_survives_a_restart(make_engine, store, order_event):
    for n in range(5):
        store.add_event(order_event("order_created", f"O{n}"))
    first = make_engine()
    first.set_cursor(0)
    assert first.poll_feed(page=2) == 5
    for n in range(5, 8):
        store.add_event(order_event("order_created", f"O{n}"))
    second = make_engine()
    assert second.cursor() == 5
    second.poll_feed(page=2)
    # A page read again after a crash before its commit is taken once.
    second.ingest_feed_page(store.events[3:8])
    with second.reader.connect() as conn:
        assert conn.execute(db.events.select()).mappings().all().__len__() == 8
    assert len(jobs(second)) == 16
