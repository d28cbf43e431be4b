"""The one reader of Rasa's SQL tracker store: conversations for the console, events for metrics.

Reading the `events` table (SQLite or PostgreSQL, the URL Rasa itself uses) keeps the console's live
updates cheap (one indexed query per poll, no tracker rebuilt through Rasa's HTTP API) and lets the
metrics command count a day without a running Rasa. Nothing else reads that table.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)

# The columns of Rasa 3.6's SQLTrackerStore table that we read (rasa/core/tracker_store.py).
_metadata = MetaData()
events_table = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

CONTEXT_SLOTS = ("order_id", "product_sku")


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="seconds")


@dataclass
class QueueItem:
    conversation_id: str
    waiting_since: str  # ISO 8601, when the bot paused the conversation
    waiting_seconds: float
    last_buyer_text: str = ""
    last_event_id: int = 0


@dataclass
class TranscriptMessage:
    event_id: int
    role: str  # buyer | bot | agent | system
    text: str
    at: str | None
    agent: str | None = None
    buttons: List[Dict[str, Any]] = field(default_factory=list)
    custom: Dict[str, Any] | None = None


@dataclass
class Conversation:
    conversation_id: str
    paused: bool
    messages: List[TranscriptMessage]
    slots: Dict[str, Any]
    last_event_id: int

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


class TrackerReader:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = create_engine(self.database_url, future=True, pool_pre_ping=True)
            return self._engine

    def _absent(self) -> bool:
        """A SQLite file Rasa has not created yet: nothing to read (and no empty file made)."""
        url = make_url(self.database_url)
        return url.drivername.startswith("sqlite") and not (url.database and Path(url.database).exists())

    def problem(self) -> str | None:
        """Why the tracker store cannot be read (None: it can, or it does not exist yet)."""
        if self._absent():
            return None
        try:
            with self.engine.connect() as conn:
                if inspect(conn).has_table(events_table.name):  # none before Rasa's first message
                    conn.execute(select(events_table.c.id).limit(1)).all()
        except SQLAlchemyError as exc:
            where = make_url(self.database_url).render_as_string(hide_password=True)
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            return f"cannot read the tracker store at {where}: {reason}"
        return None

    def _rows(self, query) -> list:
        if self._absent():
            return []
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(query))
        except SQLAlchemyError as exc:
            # Before Rasa's first conversation the table may not exist yet: nothing to show.
            logger.debug("tracker store not readable: %s", exc)
            return []

    def waiting(self, now: datetime | None = None) -> List[QueueItem]:
        """Conversations paused for a human and not resumed since, longest waiting first."""
        now = now or datetime.now(timezone.utc)
        marks = self._rows(
            select(events_table.c.sender_id, events_table.c.type_name, func.max(events_table.c.id))
            .where(events_table.c.type_name.in_(("pause", "resume")))
            .group_by(events_table.c.sender_id, events_table.c.type_name)
        )
        last: Dict[str, Dict[str, int]] = {}
        for sender_id, type_name, event_id in marks:
            last.setdefault(sender_id, {})[type_name] = event_id
        paused_ids = [
            (sender, ids["pause"])
            for sender, ids in last.items()
            if "pause" in ids and ids["pause"] > ids.get("resume", 0)
        ]
        if not paused_ids:
            return []
        pause_rows = self._rows(
            select(events_table.c.id, events_table.c.timestamp).where(
                events_table.c.id.in_([event_id for _, event_id in paused_ids])
            )
        )
        paused_at = {row.id: row.timestamp for row in pause_rows}
        senders = [sender for sender, _ in paused_ids]
        latest = dict(
            self._rows(
                select(events_table.c.sender_id, func.max(events_table.c.id))
                .where(events_table.c.sender_id.in_(senders))
                .group_by(events_table.c.sender_id)
            )
        )
        last_user = dict(
            self._rows(
                select(events_table.c.sender_id, func.max(events_table.c.id))
                .where(
                    events_table.c.sender_id.in_(senders),
                    events_table.c.type_name == "user",
                    # Triggered intents (EXTERNAL_*) are not the buyer's words.
                    or_(
                        events_table.c.intent_name.is_(None),
                        ~events_table.c.intent_name.startswith("EXTERNAL_", autoescape=True),
                    ),
                )
                .group_by(events_table.c.sender_id)
            )
        )
        texts = {
            row.id: (json.loads(row.data or "{}").get("text") or "")
            for row in self._rows(
                select(events_table.c.id, events_table.c.data).where(
                    events_table.c.id.in_(list(last_user.values()))
                )
            )
        }
        items = []
        for sender, pause_id in paused_ids:
            since = paused_at.get(pause_id) or now.timestamp()
            items.append(
                QueueItem(
                    conversation_id=sender,
                    waiting_since=_iso(since),
                    waiting_seconds=max(0.0, now.timestamp() - since),
                    last_buyer_text=texts.get(last_user.get(sender), ""),
                    last_event_id=latest.get(sender, 0),
                )
            )
        items.sort(key=lambda item: item.waiting_seconds, reverse=True)
        return items

    def exists(self, conversation_id: str) -> bool:
        rows = self._rows(
            select(events_table.c.id).where(events_table.c.sender_id == conversation_id).limit(1)
        )
        return bool(rows)

    def last_event_id(self, conversation_id: str) -> int:
        rows = self._rows(
            select(func.max(events_table.c.id)).where(events_table.c.sender_id == conversation_id)
        )
        return (rows[0][0] or 0) if rows else 0

    def conversation(self, conversation_id: str) -> Conversation | None:
        rows = self._rows(
            select(events_table.c.id, events_table.c.type_name, events_table.c.timestamp, events_table.c.data)
            .where(events_table.c.sender_id == conversation_id)
            .order_by(events_table.c.id)
        )
        if not rows:
            return None
        messages: List[TranscriptMessage] = []
        slots: Dict[str, Any] = {}
        paused = False
        for row in rows:
            try:
                data = json.loads(row.data or "{}")
            except ValueError:
                data = {}
            kind = row.type_name
            meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
            if kind == "user" and meta.get("is_external"):
                # Triggered intents (hand-back, follow-ups) are not something the buyer said.
                continue
            if kind == "user":
                text = data.get("text") or ""
                messages.append(TranscriptMessage(row.id, "buyer", text, _iso(row.timestamp)))
            elif kind == "bot":
                payload = data.get("data") or {}
                agent = meta.get("agent")
                custom = payload.get("custom") if isinstance(payload.get("custom"), dict) else None
                text = data.get("text") or (custom or {}).get("text") or ""
                messages.append(
                    TranscriptMessage(
                        row.id,
                        "agent" if agent else "bot",
                        text,
                        _iso(row.timestamp),
                        agent=str(agent) if agent else None,
                        buttons=[b for b in payload.get("buttons") or [] if isinstance(b, dict)],
                        custom=custom,
                    )
                )
            elif kind == "slot" and data.get("name") in CONTEXT_SLOTS:
                slots[data["name"]] = data.get("value")
            elif kind in ("restart", "reset_slots"):
                slots.clear()
            elif kind == "pause":
                paused = True
                messages.append(TranscriptMessage(row.id, "system", "已转人工", _iso(row.timestamp)))
            elif kind == "resume":
                paused = False
                messages.append(TranscriptMessage(row.id, "system", "已交回机器人", _iso(row.timestamp)))
        return Conversation(conversation_id, paused, messages, slots, rows[-1].id)

    def events_between(self, start: datetime, end: datetime) -> Iterator[Dict[str, Any]]:
        """Every event with a timestamp in [start, end), per conversation in order, as Rasa's event
        dicts plus `sender_id` (and `name` for actions)."""
        rows = self._rows(
            select(
                events_table.c.sender_id,
                events_table.c.type_name,
                events_table.c.timestamp,
                events_table.c.action_name,
                events_table.c.data,
            )
            .where(events_table.c.timestamp >= start.timestamp(), events_table.c.timestamp < end.timestamp())
            .order_by(events_table.c.sender_id, events_table.c.timestamp, events_table.c.id)
        )
        for row in rows:
            try:
                event = json.loads(row.data) if row.data else {}
            except ValueError:
                event = {}
            event.setdefault("event", row.type_name)
            event["sender_id"] = row.sender_id
            event["name"] = event.get("name") or row.action_name
            yield event

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
