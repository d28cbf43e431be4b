"""Every suggestion decision and every agent message, in SQL (SQLite default, PostgreSQL by URL)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Dict, List

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.engine import Engine

from xiaoer.assist.database import LazyEngine

if TYPE_CHECKING:
    from xiaoer.assist.suggest import Suggestion

DECISIONS = ("accepted", "edited", "rejected")

metadata = MetaData()

suggestions_table = Table(
    "assist_suggestions",
    metadata,
    Column("suggestion_id", String(64), primary_key=True),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("agent_id", String(255), nullable=False),
    Column("buyer_text", Text, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("intent", String(255), nullable=False),
    Column("source", String(16), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("shown_at", DateTime, nullable=False, index=True),
    # Filled by decided(); NULL while the agent has not acted on it.
    Column("decision", String(16)),
    Column("decided_by", String(255)),
    Column("decided_at", DateTime, index=True),
    Column("final_text", Text),
    Column("seconds_to_send", Float),
)

agent_messages_table = Table(
    "assist_agent_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("agent_id", String(255), nullable=False),
    Column("text", Text, nullable=False),
    # Set when the message came from a suggestion (accepted as is, or edited).
    Column("suggestion_id", String(64)),
    Column("sent_at", DateTime, nullable=False, index=True),
)


class UnknownSuggestion(KeyError):
    """decided() named a suggestion that was never shown."""


def utc_naive(at: datetime | None) -> datetime:
    """Stored times are UTC without tzinfo (SQLite keeps no zone)."""
    moment = at or datetime.now(timezone.utc)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


class DecisionLog:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._database = LazyEngine(database_url, metadata)

    @property
    def engine(self) -> Engine:
        return self._database.get()

    def shown(
        self,
        conversation_id: str,
        agent_id: str,
        buyer_text: str,
        suggestions: List[Suggestion],
        at: datetime | None = None,
    ) -> None:
        moment = utc_naive(at)
        rows = [
            {
                "suggestion_id": s.suggestion_id,
                "conversation_id": conversation_id,
                "agent_id": agent_id,
                "buyer_text": buyer_text or "",
                "rank": rank,
                "text": s.text,
                "intent": s.intent,
                "source": s.source,
                "confidence": float(s.confidence),
                "shown_at": moment,
            }
            for rank, s in enumerate(suggestions, start=1)
        ]
        if not rows:
            return
        with self.engine.begin() as conn:
            known = set(
                conn.execute(
                    select(suggestions_table.c.suggestion_id).where(
                        suggestions_table.c.suggestion_id.in_([r["suggestion_id"] for r in rows])
                    )
                ).scalars()
            )
            # Showing the same suggestion again (a console reload) is not a new suggestion.
            fresh = [r for r in rows if r["suggestion_id"] not in known]
            if fresh:
                conn.execute(suggestions_table.insert(), fresh)

    def decided(
        self,
        suggestion_id: str,
        decision: str,
        agent_id: str,
        final_text: str | None = None,
        seconds_to_send: float | None = None,
        at: datetime | None = None,
    ) -> None:
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
        with self.engine.begin() as conn:
            result = conn.execute(
                suggestions_table.update()
                .where(suggestions_table.c.suggestion_id == suggestion_id)
                .values(
                    decision=decision,
                    decided_by=agent_id,
                    decided_at=utc_naive(at),
                    final_text=final_text,
                    seconds_to_send=seconds_to_send,
                )
            )
            if result.rowcount == 0:
                raise UnknownSuggestion(suggestion_id)

    def agent_message(
        self,
        conversation_id: str,
        agent_id: str,
        text: str,
        suggestion_id: str | None = None,
        at: datetime | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                agent_messages_table.insert().values(
                    conversation_id=conversation_id,
                    agent_id=agent_id,
                    text=text,
                    suggestion_id=suggestion_id,
                    sent_at=utc_naive(at),
                )
            )

    # --- reading (metrics, console) ----------------------------------------------

    def suggestions_between(self, start: datetime, end: datetime) -> List[Dict[str, Any]]:
        """Suggestions shown in [start, end) (UTC)."""
        table = suggestions_table
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(table).where(table.c.shown_at >= utc_naive(start), table.c.shown_at < utc_naive(end))
            )
            return [dict(row._mapping) for row in rows]

    def decisions_between(self, start: datetime, end: datetime) -> List[Dict[str, Any]]:
        """Suggestions decided in [start, end) (UTC)."""
        table = suggestions_table
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(table).where(
                    table.c.decided_at >= utc_naive(start), table.c.decided_at < utc_naive(end)
                )
            )
            return [dict(row._mapping) for row in rows]

    def agent_messages_between(self, start: datetime, end: datetime) -> List[Dict[str, Any]]:
        table = agent_messages_table
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(table)
                .where(table.c.sent_at >= utc_naive(start), table.c.sent_at < utc_naive(end))
                .order_by(table.c.sent_at)
            )
            return [dict(row._mapping) for row in rows]

    def suggestion(self, suggestion_id: str) -> Dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(suggestions_table).where(suggestions_table.c.suggestion_id == suggestion_id)
            ).first()
            return dict(row._mapping) if row else None
