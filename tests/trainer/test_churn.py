"""High-churn scenarios: pre-sale conversations joined with the store's orders, by stage and by
intent or knowledge entry, with the GMV they lost (xiaoer/trainer/churn.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.actions.fake_store import FakeStore
from xiaoer.trainer.mining import MiningSources, churn

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def at(hours: float) -> float:
    return (START + timedelta(hours=hours)).timestamp()


def iso(hours: float) -> str:
    return (START + timedelta(hours=hours)).isoformat()


def said(buyer: str, hours: float, text: str, intent: str, entry: str | None = None) -> dict:
    parse = {"intent": {"name": intent, "confidence": 0.9}}
    if entry:
        parse["response_selector"] = {intent: {"response": {"intent_response_key": entry}}}
    return {"sender_id": buyer, "event": "user", "timestamp": at(hours), "text": text, "parse_data": parse}


EVENTS = [
    # a: asks about energy labels of a fridge in context; never orders.
    said("buyer-a", 0, "这台冰箱几级能效", "ask_presale", "ask_presale/energy_label"),
    {
        "sender_id": "buyer-a",
        "event": "slot",
        "name": "product_sku",
        "value": "FRIDGE-1",
        "timestamp": at(0.01),
    },
    # b: asks about a TV and orders an hour later.
    said("buyer-b", 1, "65E7K多大", "ask_product"),
    # c: asks about stock and orders five days later: too late to count.
    said("buyer-c", 2, "这个有货吗 电话13812345678", "ask_product"),
    # d: in-sale only.
    said("buyer-d", 3, "我的快递到哪了", "query_logistics"),
    # Anonymous visitors have no orders to join.
    said("anon-x", 4, "有优惠吗", "ask_promotion"),
    # Triggered by the follow-up engine, not the buyer.
    {
        **said("buyer-e", 5, "/EXTERNAL_cart_reminder", "EXTERNAL_cart_reminder"),
        "metadata": {"is_external": True},
    },
]


class FakeTrackers:
    def __init__(self, events: list, problem: str | None = None) -> None:
        self.events, self._problem = events, problem

    def problem(self) -> str | None:
        return self._problem

    def events_between(self, start, end):
        return iter(self.events)


def store() -> FakeStore:
    fake = FakeStore()
    fake.put_product("FRIDGE-1", "海悦 BCD-520 冰箱", "冰箱", 3999, 10)
    fake.put_order("2612010001", buyer_id="buyer-b", items=[{"sku": "TV-65E7K", "qty": 1, "unit_price": 4999}],
                   created_at=iso(2))  # fmt: skip
    fake.put_order("2612010002", buyer_id="buyer-c", items=[{"sku": "TV-65E7K", "qty": 1, "unit_price": 4999}],
                   created_at=iso(2 + 5 * 24))  # fmt: skip
    fake.put_order("2611010003", buyer_id="buyer-d", created_at=iso(-30 * 24))  # before: not a conversion
    return fake


def sources(events: list = EVENTS, problem: str | None = None, with_store: bool = True) -> MiningSources:
    return MiningSources(FakeTrackers(events, problem), None, store() if with_store else None, ROOT, ROOT)


def test_conversion_by_stage_and_the_scenarios_that_lose_the_most() -> None:
    result = churn(sources(), START, START + timedelta(days=7), timedelta(hours=72))

    assert result["period"]["conversations"] == 4 and result["average_order_value"] == 4999.0
    by_stage = {row["stage"]: row for row in result["by_stage"]}
    assert list(by_stage) == ["售前", "售中"]
    assert (by_stage["售前"]["conversations"], by_stage["售前"]["converted"], by_stage["售前"]["lost"]) == (
        3,
        1,
        2,
    )
    # a: the fridge in context (¥3,999); c: no product, the scenario's average order (¥4,999).
    assert by_stage["售前"]["lost_gmv"] == 3999 + 4999
    assert by_stage["售中"]["lost_gmv"] == 4999  # the period's average order
    first, second = result["scenarios"]
    assert (first["intent"], first["knowledge"], first["conversations"], first["converted"]) == (
        "ask_product", None, 2, 1,
    )  # fmt: skip
    assert (first["conversion_rate"], first["lost"], first["lost_gmv"]) == (0.5, 1, 4999.0)
    assert first["examples"] == ["这个有货吗 电话138****5678"]
    assert (second["knowledge"], second["lost"], second["lost_gmv"]) == (
        "ask_presale/energy_label",
        1,
        3999.0,
    )


def test_without_any_order_the_lost_gmv_is_unknown_not_zero() -> None:
    events = [said("buyer-z", 0, "这款有几种颜色", "ask_product")]

    result = churn(sources(events), START, START + timedelta(days=1), timedelta(hours=72))

    assert result["average_order_value"] is None
    assert result["scenarios"][0]["lost"] == 1 and result["scenarios"][0]["lost_gmv"] is None


def test_missing_sources_get_a_clear_message() -> None:
    with pytest.raises(RuntimeError, match="store's orders"):
        churn(sources(with_store=False), START, START + timedelta(days=1), timedelta(hours=72))
    with pytest.raises(RuntimeError, match="cannot read the tracker store"):
        churn(sources(problem="cannot read the tracker store at x"), START, START, timedelta(hours=1))


def test_the_command_says_so_when_nobody_signed_in_talked(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "XIAOER_TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "XIAOER_STORE_URL": "http://127.0.0.1:9",
    }
    done = subprocess.run([sys.executable, "-m", "xiaoer.trainer", "churn", "--since", "24h"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "no signed-in buyer conversations" in done.stdout
