"""The follow-up engine on a real database (SQLite; PostgreSQL where asked), a loopback stand-in
store and a loopback stand-in Rasa, with a clock the tests drive."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from sqlalchemy import select

from tests.store.conftest import postgres_url  # noqa: F401  (fixture)
from xiaoer.followup import db
from xiaoer.followup.clock import ManualClock
from xiaoer.followup.engine import FollowupEngine
from xiaoer.followup.loopback import FeedStore, RasaReceiver
from xiaoer.followup.scenarios import load_book
from xiaoer.rasa_ext.client import RasaClient
from xiaoer.storeapi.client import StoreClient

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = timezone(timedelta(hours=8))
# A Tuesday, 09:00 in the store's time zone: far from quiet hours unless a test goes there.
START = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
BUYER = "buyer-alice"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store() -> Iterator[FeedStore]:
    running = FeedStore().start()
    for buyer in (BUYER, "buyer-bob", "buyer-carol"):
        running.buyers[buyer] = {"buyer_id": buyer, "nickname": buyer, "marketing_opt_out": False}
    yield running
    running.close()


@pytest.fixture
def rasa() -> Iterator[RasaReceiver]:
    running = RasaReceiver().start()
    yield running
    running.close()


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path: Path) -> str:
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        engine = db.make_engine(url)
        db.metadata.drop_all(engine)  # each test starts empty on the shared server
        engine.dispose()
        return url
    return f"sqlite:///{tmp_path / 'followup.db'}"


@pytest.fixture
def make_engine(database_url: str, clock: ManualClock, store: FeedStore, rasa: RasaReceiver):
    """make_engine() → a FollowupEngine; call again for a "restarted" one on the same database."""
    made: List[FollowupEngine] = []

    def make(
        book_path: Path = ROOT / "followup.yml",
        store_url: str | None = None,
        store_token: str = "store-token",
        **kwargs: Any,
    ) -> FollowupEngine:
        """store_url: another store than the loopback stand-in (the reference backend)."""
        engine = FollowupEngine(
            db.make_engine(database_url),
            load_book(book_path),
            clock,
            RasaClient(rasa.url, "rasa-token", timeout=2),
            StoreClient(store_url or store.url, store_token, timeout=2),
            "Asia/Shanghai",
            output_channel="socketio",
            **kwargs,
        )
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.db.dispose()
        engine.reader.dispose()


@pytest.fixture
def engine(make_engine) -> FollowupEngine:
    return make_engine()


def iso(moment: datetime) -> str:
    return moment.isoformat()


@pytest.fixture
def order_event(clock: ManualClock, store: FeedStore) -> Callable[..., Dict[str, Any]]:
    """order_event("order_created", "O1") → the event (at = now unless given); the order is put in the store."""

    def make(kind: str, order_id: str, buyer: str = BUYER, at: datetime | None = None, total: float = 4599.0):
        store.orders.setdefault(
            order_id,
            {
                "order_id": order_id,
                "buyer_id": buyer,
                "items": [{"sku": "65E7K", "qty": 1, "unit_price": total}],
            },
        )
        status = kind.split("_", 1)[1]
        return {
            "event_id": f"order:{order_id}:{status}",
            "type": kind,
            "buyer_id": buyer,
            "order_id": order_id,
            "at": iso(at or clock.now()),
        }

    return make


def jobs(engine: FollowupEngine) -> List[Dict[str, Any]]:
    with engine.reader.connect() as conn:
        return [dict(r) for r in conn.execute(db.jobs.select().order_by(db.jobs.c.id)).mappings()]


def job(engine: FollowupEngine, scenario: str) -> Dict[str, Any]:
    found = [j for j in jobs(engine) if j["scenario"] == scenario]
    assert len(found) == 1, found
    return found[0]


def order_status(engine: FollowupEngine, order_id: str) -> str | None:
    """The order's status as the engine believes it (what conditions are checked against)."""
    with engine.reader.connect() as conn:
        return conn.execute(select(db.orders.c.status).where(db.orders.c.order_id == order_id)).scalar()


def sent(rasa: RasaReceiver, intent: str | None = None) -> List[Dict[str, Any]]:
    return [r for r in rasa.received if intent is None or r["intent"] == intent]
