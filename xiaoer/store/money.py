"""Money in the database: integer fen (exact on every backend); decimal yuan on the wire."""

from __future__ import annotations

from decimal import Decimal


def to_fen(amount: Decimal) -> int:
    return int(amount * 100)


def to_yuan(fen: int) -> float:
    return fen / 100
