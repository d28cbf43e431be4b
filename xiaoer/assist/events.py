"""Conversation events as Rasa's event broker publishes them, kept for the metrics.

In a clustered run Rasa publishes every event to RabbitMQ; `python -m xiaoer.assist.consume` takes
them from the queue into this table of the assist database, and the metrics command counts a day
from here instead of scanning the tracker store's events table (which every replica writes and the
agents' console reads). Each event is kept once: a redelivered message (the consumer crashed before
its ack) has the same digest and is skipped.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Dict, Iterable, Iterator, List

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from xiaoer.assist.database import LazyEngine

metadata = MetaData()

events_table = Table(
    "assist_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(64), nullable=False),
    Column("timestamp", Float, nullable=False, index=True),
    Column("action_name", String(255)),
    Column("data", Text, nullable=False),
)


def digest(event: Dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(event, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class EventLog:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._database = LazyEngine(database_url, metadata)

    @property
    def engine(self) -> Engine:
        return self._database.get()

    def add(self, events: Iterable[Dict[str, Any]]) -> int:
        """Keep broker events (Rasa's event dicts with sender_id); returns how many were new."""
        rows = []
        for event in events:
            if not isinstance(event, dict) or not event.get("sender_id") or not event.get("event"):
                continue
            rows.append(
                {
                    "digest": digest(event),
                    "sender_id": str(event["sender_id"])[:255],
                    "type_name": str(event["event"])[:64],
                    "timestamp": float(event.get("timestamp") or 0.0),
                    "action_name": event.get("name") if event.get("event") == "action" else None,
                    "data": json.dumps(event, ensure_ascii=False),
                }
            )
        if not rows:
            return 0
        with self.engine.begin() as conn:
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            result = conn.execute(
                insert(events_table).on_conflict_do_nothing(index_elements=["digest"]), rows
            )
        return max(result.rowcount, 0)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return len(conn.execute(select(events_table.c.id)).all())

    def events_between(self, start: datetime, end: datetime) -> Iterator[Dict[str, Any]]:
        """The same shape as TrackerReader.events_between: per conversation, in order."""
        query = (
            select(events_table.c.data, events_table.c.action_name)
            .where(events_table.c.timestamp >= start.timestamp(), events_table.c.timestamp < end.timestamp())
            .order_by(events_table.c.sender_id, events_table.c.timestamp, events_table.c.id)
        )
        with self.engine.connect() as conn:
            rows: List = conn.execute(query).all()
        for data, action_name in rows:
            event = json.loads(data)
            event["name"] = event.get("name") or action_name
            yield event
