"""Each default scenario (followup.yml) fires once, at the right time, with the right facts; and
does not fire when its condition stopped holding."""

from __future__ import annotations

from datetime import timedelta

import jwt

from tests.followup.conftest import BUYER, iso, job, jobs, sent


def advance_and_run(clock, engine, **delta) -> int:
    clock.advance(**delta)
    return engine.run_due()


def test_payment_reminders_at_30_minutes_and_12_hours_while_unpaid(engine, clock, rasa, order_event):
    engine.ingest(order_event("order_created", "O1"))
    assert advance_and_run(clock, engine, minutes=29) == 0
    assert sent(rasa) == []
    advance_and_run(clock, engine, minutes=2)
    (first,) = sent(rasa)
    assert first["intent"] == "EXTERNAL_payment_reminder"
    assert first["entities"] == {"order_id": "O1"}
    assert first["buyer_id"] == BUYER
    assert first["output_channel"] == "socketio"
    claims = jwt.decode(first["authorization"].removeprefix("Bearer "), "rasa-token", algorithms=["HS256"])
    assert claims["user"]["role"] == "admin"
    assert first["job"] == "payment_reminder_30m:order:O1:created"
    # Nothing more until 12 h; then the second reminder, once.
    advance_and_run(clock, engine, hours=11, minutes=28)
    assert len(sent(rasa)) == 1
    advance_and_run(clock, engine, minutes=2)
    advance_and_run(clock, engine, hours=1)
    assert [r["job"] for r in sent(rasa)] == [
        "payment_reminder_30m:order:O1:created",
        "payment_reminder_12h:order:O1:created",
    ]
    assert job(engine, "payment_reminder_12h")["state"] == "sent"


def test_no_payment_reminder_once_paid_and_a_confirmation_instead(engine, clock, rasa, order_event):
    engine.ingest(order_event("order_created", "O1"))
    clock.advance(minutes=10)
    engine.ingest(order_event("order_paid", "O1"))
    engine.run_due()
    assert [r["intent"] for r in sent(rasa)] == ["EXTERNAL_order_confirmation"]
    assert sent(rasa)[0]["entities"] == {"order_id": "O1"}
    advance_and_run(clock, engine, hours=13)
    assert [r["intent"] for r in sent(rasa)] == ["EXTERNAL_order_confirmation"]
    for name in ("payment_reminder_30m", "payment_reminder_12h"):
        record = job(engine, name)
        assert record["state"] == "skipped"
        assert record["reason"] == "condition: order is paid, not created"


def test_shipping_and_delivery_notices_at_once_and_review_after_three_days(engine, clock, rasa, order_event):
    engine.ingest(order_event("order_shipped", "O2"))
    engine.run_due()
    assert [(r["intent"], r["entities"]) for r in sent(rasa)] == [
        ("EXTERNAL_shipping_notice", {"order_id": "O2"})
    ]
    clock.advance(days=2)
    engine.ingest(order_event("order_delivered", "O2"))
    engine.run_due()
    assert sent(rasa)[-1]["intent"] == "EXTERNAL_delivery_notice"
    assert advance_and_run(clock, engine, days=2, hours=23) == 0
    advance_and_run(clock, engine, hours=1, minutes=1)
    assert [r["intent"] for r in sent(rasa)] == [
        "EXTERNAL_shipping_notice",
        "EXTERNAL_delivery_notice",
        "EXTERNAL_review_invitation",
    ]
    assert sent(rasa)[-1]["entities"] == {"order_id": "O2"}
    advance_and_run(clock, engine, days=5)
    assert len(sent(rasa)) == 3


def test_a_cancellation_heard_after_delivery_does_not_undo_it(engine, clock, rasa, order_event):
    # A delivered order cannot be cancelled (it is refunded, and refunds drive no follow-up), so the
    # event is recorded as out of order and the order stays delivered. The review action reads the
    # live order at send time and says nothing about one that is no longer delivered/completed.
    engine.ingest(order_event("order_delivered", "O3"))
    clock.advance(days=1)
    late = engine.ingest(order_event("order_cancelled", "O3"))
    assert (late.outcome, late.reason) == ("accepted", "out of order: order already delivered")
    advance_and_run(clock, engine, days=3)
    # The engine was behind: the delivery notice is stale by now, the review invitation is not.
    assert [r["intent"] for r in sent(rasa)] == ["EXTERNAL_review_invitation"]
    assert job(engine, "delivery_notice")["reason"] == "too late: more than 12:00:00 after due"


def test_inquiry_nudge_after_two_hours_without_an_order(engine, clock, rasa):
    engine.ingest({"event_id": "inq-1", "type": "inquiry_without_order", "buyer_id": BUYER, "sku": "65E7K",
                   "at": iso(clock.now())})  # fmt: skip
    assert advance_and_run(clock, engine, hours=1, minutes=59) == 0
    advance_and_run(clock, engine, minutes=1)
    assert [(r["intent"], r["entities"]) for r in sent(rasa)] == [
        ("EXTERNAL_inquiry_nudge", {"sku": "65E7K"})
    ]


def test_no_inquiry_nudge_when_the_buyer_ordered_since(engine, clock, rasa, order_event):
    engine.ingest({"event_id": "inq-1", "type": "inquiry_without_order", "buyer_id": BUYER, "sku": "65E7K",
                   "at": iso(clock.now())})  # fmt: skip
    clock.advance(minutes=20)
    engine.ingest(order_event("order_paid", "O4"))
    advance_and_run(clock, engine, hours=3)
    assert [r["intent"] for r in sent(rasa)] == ["EXTERNAL_order_confirmation"]
    assert job(engine, "inquiry_nudge")["reason"] == "condition: buyer ordered since"


def test_presale_campaign_reaches_buyers_who_asked_about_its_products(engine, clock, rasa, store):
    for buyer, sku in ((BUYER, "65E7K"), ("buyer-bob", "KFR-35GW")):
        engine.ingest({"event_id": f"inq-{buyer}", "type": "inquiry_without_order", "buyer_id": buyer, "sku": sku,
                       "at": iso(clock.now() - timedelta(days=3))})  # fmt: skip
    store.promotions = [
        {"promo_id": "P-1111", "kind": "presale", "title": "双11预售", "skus": ["65E7K"],
         "starts_at": iso(clock.now()), "ends_at": iso(clock.now() + timedelta(days=2))},
        {"promo_id": "P-GIFT", "kind": "gift", "title": "赠品", "skus": ["65E7K"],
         "starts_at": iso(clock.now()), "ends_at": iso(clock.now() + timedelta(days=2))},
    ]  # fmt: skip
    assert engine.scan_promotions() == 1
    assert engine.scan_promotions() == 0  # re-scanning schedules nobody twice
    engine.run_due()
    campaign = sent(rasa, "EXTERNAL_presale_campaign")
    assert [(r["buyer_id"], r["entities"]) for r in campaign] == [(BUYER, {"promo_id": "P-1111"})]


def test_presale_campaign_not_sent_after_the_promotion_ended(engine, clock, rasa, store):
    engine.ingest({"event_id": "inq", "type": "inquiry_without_order", "buyer_id": BUYER, "sku": "65E7K",
                   "at": iso(clock.now())})  # fmt: skip
    store.promotions = [
        {"promo_id": "P-1", "kind": "presale", "title": "预售", "skus": [],
         "starts_at": iso(clock.now()), "ends_at": iso(clock.now() + timedelta(hours=1))},
    ]  # fmt: skip
    engine.scan_promotions()
    clock.advance(hours=2)
    engine.run_due()
    assert sent(rasa, "EXTERNAL_presale_campaign") == []
    assert job(engine, "presale_campaign")["reason"] == "condition: promotion has ended"


def test_every_job_is_recorded_with_its_outcome(engine, clock, rasa, order_event):
    engine.ingest(order_event("order_created", "O5"))
    advance_and_run(clock, engine, minutes=31)
    advance_and_run(clock, engine, hours=12)
    engine.ingest(order_event("order_created", "O6"))
    clock.advance(hours=24)  # the engine was down for a day: stale nudges are dropped, not sent late
    engine.run_due()
    states = {j["scenario"]: (j["state"], j["reason"]) for j in jobs(engine) if j["order_id"] == "O5"}
    assert states["payment_reminder_30m"] == ("sent", None)
    assert states["payment_reminder_12h"] == ("sent", None)
    late = [j for j in jobs(engine) if j["order_id"] == "O6"]
    assert {(j["state"], j["reason"]) for j in late} == {
        ("skipped", "too late: more than 11:00:00 after due")
    }
