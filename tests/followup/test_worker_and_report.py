"""The running engine's loops (feed, delivery) on real threads, and the report command."""

from __future__ import annotations

import time

from tests.followup.conftest import jobs, sent
from xiaoer.followup.report import render, summary
from xiaoer.followup.service import Worker


def eventually(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    assert check()


def test_worker_skips_history_on_first_start_then_follows_the_feed(engine, clock, rasa, store, order_event):
    store.add_event(order_event("order_shipped", "OLD"))  # before the engine was installed
    worker = Worker(engine, poll_interval=0.05, start_from="latest")
    worker.start()
    try:
        eventually(lambda: engine.cursor() == 1)
        store.add_event(order_event("order_shipped", "NEW"))
        eventually(lambda: len(sent(rasa)) == 1)
        assert sent(rasa)[0]["entities"] == {"order_id": "NEW"}
    finally:
        worker.shutdown()
    assert [j["order_id"] for j in jobs(engine)] == ["NEW"]


def test_worker_waits_quietly_while_rasa_is_down(engine, clock, rasa, store, order_event):
    rasa.down = True
    store.add_event(order_event("order_shipped", "O1"))
    worker = Worker(engine, poll_interval=0.05, start_from="earliest")
    worker.start()
    try:
        time.sleep(0.5)
        assert engine.cursor() is None  # a first start waits for the whole stack
        rasa.down = False
        eventually(lambda: len(sent(rasa)) == 1)
        rasa.down = True
        store.add_event(order_event("order_shipped", "O2"))
        eventually(lambda: len(jobs(engine)) == 2)
        time.sleep(0.5)
        assert jobs(engine)[1]["attempts"] == 0  # no attempt burnt while Rasa is not up
        rasa.down = False
        eventually(lambda: len(sent(rasa)) == 2)
    finally:
        worker.shutdown()


def test_worker_rides_out_a_store_outage(engine, clock, rasa, store, order_event):
    store.down = True
    worker = Worker(engine, poll_interval=0.05, start_from="earliest")
    worker.start()
    try:
        store.add_event(order_event("order_shipped", "O1"))
        time.sleep(0.3)
        store.down = False
        eventually(lambda: len(sent(rasa)) == 1)
    finally:
        worker.shutdown()


def test_report_counts_sent_skipped_converted_and_gmv(engine, clock, rasa, store, order_event):
    for order, total in (("O1", 4599.0), ("O2", 2999.0), ("O3", 1999.0)):
        engine.ingest(order_event("order_created", order, total=total))
    store.buyers["buyer-alice"]["marketing_opt_out"] = False
    clock.advance(minutes=31)
    engine.run_due()  # two reminders sent (the daily cap), one skipped
    clock.advance(minutes=5)
    for order in ("O1", "O2", "O3"):
        engine.ingest(order_event("order_paid", order))
    engine.run_due()
    rows = summary(engine.db)
    assert rows["payment_reminder_30m"] == {
        "scheduled": 0, "sent": 2, "skipped": 1, "failed": 0, "converted": 2, "gmv": 7598.0,
    }  # fmt: skip
    assert rows["order_confirmation"]["sent"] == 3
    text = render(engine.db)
    assert "payment_reminder_30m" in text and "7,598.00" in text
    assert "daily marketing cap (2) reached" in text


def test_report_command_prints_the_same_from_the_configured_database(
    engine, clock, store, order_event, database_url, monkeypatch, capsys
):
    from xiaoer.followup.__main__ import main

    engine.ingest(order_event("order_created", "O1", total=4599.0))
    store.buyers["buyer-alice"]["marketing_opt_out"] = False
    clock.advance(minutes=31)
    engine.run_due()
    assert summary(engine.db)["payment_reminder_30m"]["sent"] == 1  # not an empty report
    monkeypatch.setenv("XIAOER_FOLLOWUP_DATABASE_URL", database_url)

    main(["report"])

    out = capsys.readouterr().out
    assert out.strip() == render(engine.db).strip()
    assert "payment_reminder_30m" in out
