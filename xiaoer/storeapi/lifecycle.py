"""The order lifecycle: which status may follow which, whatever the clocks say.

created → paid → shipped → delivered → completed is the one forward line; cancelled is reachable
from created and paid, refunding from paid onwards, refunded only from refunding. A refund that is
withdrawn returns the order to where it was (the store allows that change), but it is not progress:
an order seen as refunded or cancelled is never believed to be back on the line because an older
event arrives late.
"""

from __future__ import annotations

from functools import cache
from typing import Dict, FrozenSet

from xiaoer.storeapi.contract import ORDER_STATUSES

# Where an order may go from each status; staying put is always allowed.
TRANSITIONS: Dict[str, FrozenSet[str]] = {
    "created": frozenset({"paid", "cancelled"}),
    "paid": frozenset({"shipped", "cancelled", "refunding"}),
    "shipped": frozenset({"delivered", "refunding"}),
    "delivered": frozenset({"completed", "refunding"}),
    "completed": frozenset({"refunding"}),
    # A withdrawn refund goes back to where the order was.
    "refunding": frozenset({"refunded", "paid", "shipped", "delivered", "completed"}),
    "cancelled": frozenset(),
    "refunded": frozenset(),
}
# The changes above that undo a step instead of taking one.
WITHDRAWALS: Dict[str, FrozenSet[str]] = {
    "refunding": frozenset({"paid", "shipped", "delivered", "completed"}),
}
assert set(TRANSITIONS) == set(ORDER_STATUSES)


def may_change(old: str, new: str) -> bool:
    """Whether a store may move an order from `old` to `new` (staying put included)."""
    return new == old or new in TRANSITIONS.get(old, frozenset())


@cache
def _later(status: str) -> FrozenSet[str]:
    """Every status reachable from `status` by forward steps (withdrawals excluded)."""
    seen: set = set()
    todo = [status]
    while todo:
        current = todo.pop()
        for following in TRANSITIONS.get(current, frozenset()) - WITHDRAWALS.get(current, frozenset()):
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return frozenset(seen)


def moves_forward(current: str, new: str) -> bool:
    """Whether learning that an order is `new` takes it further than `current`.

    Used to order events that arrive late or with skewed timestamps: an order_paid heard after
    order_shipped is old news, and one heard after order_created is progress, even when its own
    timestamp is earlier.
    """
    return new in _later(current)
