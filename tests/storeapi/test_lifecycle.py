"""The order lifecycle: what a store may change, and what counts as progress whatever the clocks say."""

from __future__ import annotations

import pytest

from xiaoer.storeapi.contract import ORDER_STATUSES
from xiaoer.storeapi.lifecycle import TRANSITIONS, may_change, moves_forward

LINE = ["created", "paid", "shipped", "delivered", "completed"]


def test_the_main_line_only_moves_forward():
    for i, earlier in enumerate(LINE):
        for later in LINE[i + 1 :]:
            assert moves_forward(earlier, later), (earlier, later)
            assert not moves_forward(later, earlier), (later, earlier)


@pytest.mark.parametrize(
    "current, new, expected",
    [
        ("created", "cancelled", True),
        ("paid", "cancelled", True),
        ("shipped", "cancelled", False),  # a shipped order is not cancelled, it is refunded
        ("cancelled", "paid", False),
        ("cancelled", "created", False),
        ("paid", "refunding", True),
        ("refunding", "refunded", True),
        ("refunded", "refunding", False),
        ("refunding", "paid", False),  # a withdrawn refund is allowed, but it is not progress
        ("created", "shipped", True),  # a missed paid event does not hold the order back
        ("paid", "paid", False),
    ],
)
def test_progress(current, new, expected):
    assert moves_forward(current, new) is expected


def test_a_store_may_stay_put_or_take_an_allowed_step_only():
    assert may_change("paid", "paid")
    assert may_change("refunding", "paid")  # the refund was withdrawn
    assert not may_change("cancelled", "paid")
    assert not may_change("delivered", "created")
    assert set(TRANSITIONS) == set(ORDER_STATUSES)
