"""Quiet hours, daily caps and opt-out hold for marketing; transactional notices still go."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.followup.conftest import BUYER, SHANGHAI, iso, job, jobs, sent


def test_marketing_due_in_quiet_hours_waits_until_they_end(engine, clock, rasa, order_event):
    clock.set(datetime(2026, 11, 24, 21, 45, tzinfo=SHANGHAI))
    engine.ingest(order_event("order_created", "O1"))
    clock.set(datetime(2026, 11, 24, 22, 16, tzinfo=SHANGHAI))
    engine.run_due()
    assert sent(rasa) == []
    record = job(engine, "payment_reminder_30m")
    assert record["state"] == "scheduled" and record["postponed"]
    assert record["reason"] == "postponed: quiet hours, until 2026-11-25T08:00:00+08:00"
    clock.set(datetime(2026, 11, 25, 7, 59, tzinfo=SHANGHAI))
    engine.run_due()
    assert sent(rasa) == []
    clock.set(datetime(2026, 11, 25, 8, 0, 30, tzinfo=SHANGHAI))
    engine.run_due()
    assert [r["intent"] for r in sent(rasa)] == ["EXTERNAL_payment_reminder"]


def test_postponed_marketing_is_dropped_if_its_condition_stopped_holding_overnight(
    engine, clock, rasa, order_event
):
    clock.set(datetime(2026, 11, 24, 23, 0, tzinfo=SHANGHAI))
    engine.ingest(order_event("order_created", "O1"))
    clock.set(datetime(2026, 11, 24, 23, 31, tzinfo=SHANGHAI))
    engine.run_due()
    engine.ingest(order_event("order_paid", "O1"))  # paid at 23:31: the confirmation goes at night
    engine.run_due()
    clock.set(datetime(2026, 11, 25, 8, 1, tzinfo=SHANGHAI))
    engine.run_due()
    assert [r["intent"] for r in sent(rasa)] == ["EXTERNAL_order_confirmation"]
    assert job(engine, "payment_reminder_30m")["reason"] == "condition: order is paid, not created"


def test_transactional_notices_go_at_night(engine, clock, rasa, order_event):
    clock.set(datetime(2026, 11, 24, 23, 30, tzinfo=SHANGHAI))
    engine.ingest(order_event("order_shipped", "O1"))
    engine.run_due()
    assert [r["intent"] for r in sent(rasa)] == ["EXTERNAL_shipping_notice"]


def test_daily_marketing_cap_per_buyer(engine, clock, rasa, order_event):
    for order in ("O1", "O2", "O3"):
        engine.ingest(order_event("order_created", order))
    clock.advance(minutes=31)
    engine.run_due()
    assert len(sent(rasa, "EXTERNAL_payment_reminder")) == 2  # marketing_daily_cap: 2
    skipped = [j for j in jobs(engine) if j["state"] == "skipped"]
    assert [j["reason"] for j in skipped] == ["daily marketing cap (2) reached"]
    # Another buyer is not affected, and the next store-local day starts afresh.
    engine.ingest(order_event("order_created", "O4", buyer="buyer-bob"))
    clock.advance(days=1)
    engine.ingest(order_event("order_created", "O5"))
    clock.advance(minutes=31)
    engine.run_due()
    reminded = [(r["buyer_id"], r["entities"]["order_id"]) for r in sent(rasa, "EXTERNAL_payment_reminder")]
    assert sorted(reminded) == [(BUYER, "O1"), (BUYER, "O2"), (BUYER, "O5")]


def test_scenario_limit_per_buyer_per_day(engine, clock, rasa):
    for n, sku in enumerate(("65E7K", "KFR-35GW")):
        engine.ingest({"event_id": f"inq-{n}", "type": "inquiry_without_order", "buyer_id": BUYER, "sku": sku,
                       "at": iso(clock.now())})  # fmt: skip
    clock.advance(hours=2, minutes=1)
    engine.run_due()
    assert len(sent(rasa, "EXTERNAL_inquiry_nudge")) == 1


def test_opted_out_buyer_gets_no_marketing_but_transactional_notices(engine, clock, rasa, store, order_event):
    store.buyers[BUYER]["marketing_opt_out"] = True
    engine.ingest(order_event("order_created", "O1", at=clock.now() - timedelta(minutes=5)))
    engine.ingest(order_event("order_shipped", "O2", at=clock.now() - timedelta(minutes=5)))
    engine.ingest({"event_id": "inq", "type": "inquiry_without_order", "buyer_id": BUYER, "sku": "65E7K",
                   "at": iso(clock.now())})  # fmt: skip
    clock.advance(hours=2, minutes=1)
    engine.run_due()
    assert [r["intent"] for r in sent(rasa)] == ["EXTERNAL_shipping_notice"]
    assert job(engine, "payment_reminder_30m")["reason"] == "buyer opted out of marketing"
    assert job(engine, "inquiry_nudge")["reason"] == "buyer opted out of marketing"


def test_opt_out_after_scheduling_still_holds_at_fire_time(engine, clock, rasa, store, order_event):
    engine.ingest(order_event("order_created", "O1"))
    clock.advance(minutes=10)
    store.buyers[BUYER]["marketing_opt_out"] = True  # the buyer said 退订 in the meantime
    clock.advance(minutes=21)
    engine.run_due()
    assert sent(rasa) == []


def test_unknown_buyer_gets_no_marketing(engine, clock, rasa):
    engine.ingest({"event_id": "inq", "type": "inquiry_without_order", "buyer_id": "ghost", "sku": "65E7K",
                   "at": iso(clock.now())})  # fmt: skip
    clock.advance(hours=3)
    engine.run_due()
    assert sent(rasa) == []
    assert job(engine, "inquiry_nudge")["reason"] == "unknown buyer"
