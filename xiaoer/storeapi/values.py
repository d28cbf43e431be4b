"""Store API values on the wire: times (ISO 8601 with a UTC offset) and money (decimal yuan)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

MAX_YUAN = Decimal(10) ** 10


def parse_time(value: object) -> datetime:
    """An aware UTC datetime from ISO 8601 text that carries an offset; ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 time string with a UTC offset")
    text = value.strip()
    # Python 3.10's fromisoformat knows neither "Z" nor a strict date/time separator.
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if len(text) > 10 and text[10] not in "Tt ":
        raise ValueError(f"not an ISO 8601 time: {value!r}")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"needs a UTC offset, e.g. 2024-06-01T10:00:00+08:00 (got {value!r})")
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"out of range: {value!r}") from None


def time_or_none(value: object) -> datetime | None:
    """A time from a store answer, or None when it is missing or not a time (never raises)."""
    try:
        return parse_time(value)
    except ValueError:
        return None


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat() if moment else None


def parse_yuan(value: object) -> Decimal:
    # bool is an int in Python, and a string price is almost always a client bug.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number of yuan")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("must be a number of yuan") from None
    if not amount.is_finite():
        raise ValueError("must be a finite number")
    if amount < 0:
        raise ValueError("must not be negative")
    if amount > MAX_YUAN:
        raise ValueError(f"must be at most {MAX_YUAN} yuan")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("must have at most 2 decimal places (fen)")
    return amount
