"""Bad input and faults: each gets a clear error or is recorded and skipped; nothing crashes or is lost."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.followup.conftest import BUYER, iso, job, jobs, sent
from xiaoer.followup import db
from xiaoer.followup.ingest import EventInvalid


def recorded(engine, event_id: str) -> dict:
    with engine.reader.connect() as conn:
        return dict(conn.execute(db.events.select().where(db.events.c.event_id == event_id)).mappings().one())


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ([], "body"),
        ({"type": "order_paid", "buyer_id": BUYER, "at": "2026-11-24T09:00:00+08:00"}, "event_id"),
        ({"event_id": "e", "buyer_id": BUYER, "at": "2026-11-24T09:00:00+08:00"}, "type"),
        ({"event_id": "e", "type": "order_paid", "at": "2026-11-24T09:00:00+08:00"}, "buyer_id"),
        ({"event_id": "e", "type": "order_paid", "buyer_id": BUYER}, "at"),
        ({"event_id": "e", "type": "order_paid", "buyer_id": BUYER, "at": "yesterday"}, "at"),
        ({"event_id": "e", "type": "order_paid", "buyer_id": BUYER, "at": "2026-11-24T09:00:00"}, "at"),
        (
            {"event_id": "x" * 201, "type": "order_paid", "buyer_id": BUYER, "at": "2026-11-24T09:00:00Z"},
            "event_id",
        ),
        (
            {"event_id": "e", "type": "order_paid", "buyer_id": ["a"], "at": "2026-11-24T09:00:00Z"},
            "buyer_id",
        ),
    ],
)
def test_malformed_events_are_refused_with_the_field_named(engine, raw, field):
    with pytest.raises(EventInvalid, match=f"^{field}"):
        engine.ingest(raw)
    assert jobs(engine) == []


def test_unknown_event_type_is_recorded_and_skipped(engine, clock):
    result = engine.ingest(
        {"event_id": "e1", "type": "coupon_redeemed", "buyer_id": BUYER, "at": iso(clock.now())}
    )
    assert (result.outcome, result.reason) == ("skipped", "unknown event type 'coupon_redeemed'")
    assert recorded(engine, "e1")["outcome"] == "skipped"
    assert engine.ingest({"event_id": "e1", "type": "coupon_redeemed", "buyer_id": BUYER,
                          "at": iso(clock.now())}).duplicate  # fmt: skip


def test_order_event_without_order_id_is_skipped(engine, clock):
    result = engine.ingest(
        {"event_id": "e2", "type": "order_paid", "buyer_id": BUYER, "at": iso(clock.now())}
    )
    assert (result.outcome, result.reason) == ("skipped", "order_paid without order_id")
    assert jobs(engine) == []


def test_pushed_event_for_an_unknown_order_or_another_buyers_order_is_skipped(
    engine, clock, store, order_event
):
    ghost = {"event_id": "order:NOPE:paid", "type": "order_paid", "buyer_id": BUYER, "order_id": "NOPE",
             "at": iso(clock.now())}  # fmt: skip
    result = engine.ingest(ghost, verify=True)
    assert (result.outcome, result.reason) == ("skipped", "unknown order NOPE")
    theirs = order_event("order_paid", "BOBS", buyer="buyer-bob")
    result = engine.ingest({**theirs, "buyer_id": BUYER}, verify=True)
    assert (result.outcome, result.reason) == ("skipped", "order BOBS belongs to another buyer")
    assert jobs(engine) == []


def test_an_order_moving_to_another_buyer_is_skipped(engine, order_event):
    engine.ingest(order_event("order_created", "O1"))
    result = engine.ingest({**order_event("order_paid", "O1"), "buyer_id": "buyer-bob"})
    assert (result.outcome, result.reason) == ("skipped", "order O1 belongs to another buyer")


def test_events_out_of_order_do_not_roll_the_order_back(engine, clock, rasa, order_event):
    paid_at = clock.now()
    clock.advance(hours=5)
    engine.ingest(order_event("order_shipped", "O1"))
    late = engine.ingest(order_event("order_paid", "O1", at=paid_at))  # arrives after, happened before
    assert (late.outcome, late.reason) == ("accepted", "out of order: order already shipped")
    engine.run_due()
    # The shipping notice goes; the confirmation no longer fits and is dropped with the reason.
    assert [r["intent"] for r in sent(rasa)] == ["EXTERNAL_shipping_notice"]
    assert job(engine, "order_confirmation")["reason"] == "condition: order is shipped, not paid"


def test_rasa_down_retries_with_back_off_then_fails_and_loses_nothing(engine, clock, rasa, order_event):
    rasa.failing = True
    engine.ingest(order_event("order_shipped", "O1"))
    waits = []
    for _ in range(4):
        engine.run_due()
        record = job(engine, "shipping_notice")
        assert record["state"] == "scheduled"
        waits.append(round((db.from_db(record["due_at"]) - clock.now()).total_seconds()))
        assert engine.run_due() == 0  # not before its back-off
        clock.set(db.from_db(record["due_at"]))
    assert waits == [30, 60, 120, 240]
    engine.run_due()
    record = job(engine, "shipping_notice")
    assert record["state"] == "failed" and record["attempts"] == 5
    assert record["reason"].startswith("after 5 attempts: Rasa did not take it: ")
    assert "HTTP 503" in record["reason"]


def test_rasa_back_before_the_last_attempt_gets_the_message_once(engine, clock, rasa, order_event):
    rasa.failing = True
    engine.ingest(order_event("order_shipped", "O1"))
    engine.run_due()
    rasa.failing = False
    clock.advance(seconds=31)
    engine.run_due()
    engine.run_due()
    assert len(sent(rasa)) == 1 and job(engine, "shipping_notice")["state"] == "sent"


def test_rasa_unreachable_is_retried(engine, clock, rasa, order_event):
    rasa.close()
    engine.ingest(order_event("order_shipped", "O1"))
    engine.run_due()
    record = job(engine, "shipping_notice")
    assert record["state"] == "scheduled" and "Rasa did not take it" in record["reason"]
    assert "ConnectionError" in record["reason"]


def test_store_down_at_the_opt_out_check_retries_instead_of_sending(engine, clock, rasa, store, order_event):
    engine.ingest(order_event("order_created", "O1"))
    store.down = True
    clock.advance(minutes=31)
    engine.run_due()
    assert sent(rasa) == []
    assert "store unavailable" in job(engine, "payment_reminder_30m")["reason"]
    store.down = False
    clock.advance(seconds=31)
    engine.run_due()
    assert len(sent(rasa)) == 1


def test_conversion_is_recorded_with_gmv_in_the_attribution_window(engine, clock, rasa, order_event):
    engine.ingest(order_event("order_created", "O1", total=3999.0))
    clock.advance(minutes=31)
    engine.run_due()
    clock.advance(minutes=15)
    engine.ingest(order_event("order_paid", "O1"))
    record = job(engine, "payment_reminder_30m")
    assert record["converted_order_id"] == "O1" and record["converted_gmv"] == 3999.0
    assert job(engine, "payment_reminder_12h")["converted_at"] is None  # never sent: nothing to credit


def test_no_conversion_outside_the_window(engine, clock, rasa, order_event):
    engine.ingest(order_event("order_created", "O1"))
    clock.advance(minutes=31)
    engine.run_due()
    clock.advance(days=2)
    engine.ingest(order_event("order_paid", "O1", at=clock.now() + timedelta(seconds=1)))
    assert job(engine, "payment_reminder_30m")["converted_at"] is None
