"""The follow-up engine: its parts wired over one database, behind the API its callers use.

- ingest.py: events in (pushed or from the store's feed, with the cursor), the orders they track;
- schedule.py: jobs from events and promotions, claims with leases;
- deliver.py: the decision at fire time and sending through Rasa;
- conversion.py: follow-ups credited with the orders they led to, and their GMV.

Guarantees: docs/followup.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from xiaoer.followup import db
from xiaoer.followup.clock import Clock
from xiaoer.followup.conversion import Conversions
from xiaoer.followup.deliver import Deliverer, RasaDelivery
from xiaoer.followup.ingest import FEED_CURSOR, Feed, Ingestor, IngestResult
from xiaoer.followup.scenarios import Book
from xiaoer.followup.schedule import Job, Scheduler
from xiaoer.rasa_ext.client import RasaClient
from xiaoer.storeapi.client import StoreClient


class FollowupEngine:
    def __init__(
        self,
        database: Engine,
        book: Book,
        clock: Clock,
        rasa: RasaClient,
        store: StoreClient,
        store_timezone: str = "Asia/Shanghai",
        *,
        output_channel: str = "socketio",
        lease: timedelta = timedelta(minutes=2),
        senders: int = 8,
    ) -> None:
        """senders: parallel deliveries per batch; lease: how long a claim holds a job."""
        self.db = database
        self.book = book
        self.clock = clock
        self.rasa = rasa
        self.store = store
        db.create_schema(database)
        self.reader = db.reader_for(database)
        self.scheduler = Scheduler(database, book, clock, store, lease)
        self.conversions = Conversions(database, self.reader, book, store)
        self.ingestor = Ingestor(database, clock, store, self.scheduler, self.conversions)
        self.feed = Feed(database, self.reader, store, self.ingestor)
        self.deliverer = Deliverer(
            self.reader,
            book,
            clock,
            store,
            self.scheduler,
            RasaDelivery(rasa, output_channel),
            ZoneInfo(store_timezone),
            senders,
        )

    # --- events in ------------------------------------------------------------------------------

    def ingest(self, raw: Any, source: str = "push", verify: bool = False) -> IngestResult:
        return self.ingestor.ingest(raw, source, verify)

    def ingest_feed_page(self, items: List[Dict[str, Any]], cursor_key: str = FEED_CURSOR) -> int:
        return self.ingestor.ingest_feed_page(items, cursor_key)

    def poll_feed(self, page: int = 500, max_pages: int = 20) -> int:
        return self.feed.poll(page, max_pages)

    def skip_to_feed_end(self, page: int = 1000) -> int:
        return self.feed.skip_to_end(page)

    def cursor(self, key: str = FEED_CURSOR) -> int | None:
        return self.feed.cursor(key)

    def set_cursor(self, value: int, key: str = FEED_CURSOR) -> None:
        self.feed.set_cursor(value, key)

    # --- jobs -----------------------------------------------------------------------------------

    def scan_promotions(self) -> int:
        return self.scheduler.scan_promotions()

    def claim(self, limit: int = 200) -> List[Job]:
        return self.scheduler.claim(limit)

    def run_due(self, limit: int = 200) -> int:
        return self.deliverer.run_due(limit)

    def rasa_healthy(self) -> bool:
        """Whether deliveries can be attempted at all (the worker waits otherwise)."""
        return self.rasa.healthy()
