"""Times: ISO 8601 with a UTC offset in, UTC inside, ISO 8601 with +00:00 out."""

from __future__ import annotations

from datetime import datetime, timezone


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


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat() if moment else None
