"""Money: decimal yuan on the wire, integer fen in the database (exact on every backend)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MAX_YUAN = Decimal(10) ** 10


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


def to_fen(amount: Decimal) -> int:
    return int(amount * 100)


def to_yuan(fen: int) -> float:
    return fen / 100
