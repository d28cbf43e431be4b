"""The engine's view of an order only moves forward along the lifecycle (xiaoer.storeapi.lifecycle),
whatever the events' timestamps say; and the confirmation lost to skewed timestamps (issue 11)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

import pytest

from tests.followup.conftest import BUYER, job, order_status, sent
from tests.store.conftest import TOKEN, Api, serve
from xiaoer.followup import db
from xiaoer.store.app import create_app
from xiaoer.storeapi.values import parse_time, utc_now


def notes(engine, order_id: str) -> list:
    """What was recorded on each of the order's events, in the order they were taken."""
    with engine.reader.connect() as conn:
        rows = conn.execute(
            db.events.select().where(db.events.c.order_id == order_id).order_by(db.events.c.received_at)
        ).mappings()
        return [(r["type"], r["outcome"], r["reason"]) for r in rows]


@pytest.mark.parametrize(
    ("steps", "status", "late"),
    [
        # (event, minutes from now of its `at`): the late paid happened first and arrives last.
        ([("order_shipped", 0), ("order_paid", -300)], "shipped", "out of order: order already shipped"),
        ([("order_created", 0), ("order_cancelled", 5)], "cancelled", None),
        # Stamped after the cancellation, still no way back: a cancelled order is never paid.
        (
            [("order_created", 0), ("order_cancelled", 5), ("order_paid", 10)],
            "cancelled",
            "out of order: order already cancelled",
        ),
        # A store that skips a step (no order_paid) still moves the order on.
        ([("order_created", 0), ("order_shipped", 60)], "shipped", None),
    ],
    ids=["shipped-then-late-paid", "created-then-cancelled", "cancelled-then-paid", "created-then-shipped"],
)
def test_the_status_only_moves_forward(engine, clock, order_event, steps, status, late):
    for kind, minutes in steps:
        engine.ingest(order_event(kind, "O1", at=clock.now() + timedelta(minutes=minutes)))
    assert order_status(engine, "O1") == status
    recorded = notes(engine, "O1")
    assert {outcome for _, outcome, _ in recorded} == {"accepted"}
    assert [reason for _, _, reason in recorded] == [None] * (len(steps) - 1) + [late]


def test_a_cancelled_order_gets_no_payment_reminder(engine, clock, rasa, order_event):
    engine.ingest(order_event("order_created", "O1"))
    clock.advance(minutes=10)
    engine.ingest(order_event("order_cancelled", "O1"))
    clock.advance(minutes=21)
    engine.run_due()
    assert sent(rasa) == []
    assert job(engine, "payment_reminder_30m")["reason"] == "condition: order is cancelled, not created"


def test_a_late_paid_event_does_not_revive_a_cancelled_order(engine, clock, rasa, order_event):
    engine.ingest(order_event("order_created", "O1"))
    engine.ingest(order_event("order_cancelled", "O1", at=clock.now() + timedelta(minutes=5)))
    engine.ingest(order_event("order_paid", "O1", at=clock.now() + timedelta(minutes=1)))
    clock.advance(minutes=2)
    engine.run_due()
    assert sent(rasa) == []
    assert job(engine, "order_confirmation")["reason"] == "condition: order is cancelled, not paid"


def test_a_payment_stamped_before_its_order_still_makes_it_paid(engine, clock, rasa, order_event):
    """The lost confirmation: the old store stamped order_created when it received the order (with
    microseconds) and order_paid, a moment later, with paid_at in whole seconds, so the payment
    looked older than the order and the engine kept believing `created`."""
    created = clock.now() + timedelta(microseconds=734_512)
    paid = clock.now()  # whole seconds: earlier than `created`
    engine.ingest(order_event("order_created", "O1", at=created))
    result = engine.ingest(order_event("order_paid", "O1", at=paid))
    assert (result.outcome, result.reason) == ("accepted", None)
    assert order_status(engine, "O1") == "paid"

    clock.set(paid)  # the confirmation's due time
    engine.run_due()
    assert [r["intent"] for r in sent(rasa)] == ["EXTERNAL_order_confirmation"]
    assert job(engine, "order_confirmation")["state"] == "sent"

    clock.set(created + timedelta(hours=12, minutes=1))  # past both 催付
    engine.run_due()
    assert [r["intent"] for r in sent(rasa)] == ["EXTERNAL_order_confirmation"]
    for name in ("payment_reminder_30m", "payment_reminder_12h"):
        reminder = job(engine, name)
        assert (reminder["state"], reminder["reason"]) == ("skipped", "condition: order is paid, not created")
    # first_seen_at is still the earliest event time the engine has for the order.
    with engine.reader.connect() as conn:
        first = conn.execute(db.orders.select().where(db.orders.c.order_id == "O1")).mappings().one()
    assert db.from_db(first["first_seen_at"]) == paid


@pytest.fixture
def reference_store(tmp_path: Path) -> Iterator[Api]:
    """The real store backend (SQLite) on loopback, with a buyer and a product."""
    with serve(create_app(f"sqlite:///{tmp_path / 'store.db'}", TOKEN)) as base_url, Api(base_url) as api:
        api.buyer(BUYER)
        api.product("65E7K")
        yield api


def test_paid_twelve_minutes_after_ordering_gets_its_confirmation_through_the_real_feed(
    make_engine, clock, rasa, reference_store
):
    api = reference_store
    created: datetime = utc_now() - timedelta(minutes=12)
    api.order("O-1", BUYER, "65E7K", status="created", created_at=created.isoformat())
    paid = utc_now().replace(microsecond=0)  # the store's paid_at: whole seconds
    api.order("O-1", BUYER, "65E7K", status="paid", created_at=created.isoformat(), paid_at=paid.isoformat())

    # The store stamps each status event with the order's own time.
    feed = api.get("/api/events").json()
    assert [(e["type"], parse_time(e["at"])) for e in feed] == [
        ("order_created", created),
        ("order_paid", paid),
    ]

    engine = make_engine(store_url=api.base_url, store_token=TOKEN)
    engine.set_cursor(0)
    clock.set(utc_now())
    assert engine.poll_feed() == 2
    assert order_status(engine, "O-1") == "paid"
    engine.run_due()
    (confirmation,) = sent(rasa)
    assert (confirmation["intent"], confirmation["entities"]) == (
        "EXTERNAL_order_confirmation",
        {"order_id": "O-1"},
    )

    clock.set(created + timedelta(minutes=31))
    engine.run_due()
    assert len(sent(rasa)) == 1
    assert job(engine, "payment_reminder_30m")["reason"] == "condition: order is paid, not created"
