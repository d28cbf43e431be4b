"""High-churn scenarios (高流失场景): which conversations end without an order, by stage and by
intent or knowledge entry, with an estimate of the GMV lost (docs/trainer.md).

A conversation is one signed-in buyer's messages in the period; it converted when the store has an
order of that buyer created after the conversation began and within `window`. Its stage is the
stage of its first buyer message with one. A scenario is an intent, or a knowledge entry when the
bot answered from one, asked in a pre-sale (售前) conversation; a conversation counts once in each
scenario it touched.

Lost GMV is an estimate per lost conversation: the price of the product it was about when known,
else the scenario's average converted order, else the period's average converted order.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, Iterable, List, Tuple

from xiaoer.logmask import mask
from xiaoer.trainer.misses import PRESALE, reading, stage_of

EXAMPLES = 3


@dataclass
class Visit:
    """One buyer's conversation in the period."""

    buyer: str
    started: float
    stage: str = "其他"
    scenarios: Dict[Tuple[str, str], str] = field(default_factory=dict)  # (intent, entry) -> first text
    product_sku: str | None = None
    order_total: float | None = None  # the converting order's total, once joined


def visits(events: Iterable[Dict[str, Any]]) -> List[Visit]:
    by_buyer: Dict[str, Visit] = {}
    for event in events:
        buyer = event.get("sender_id") or ""
        if buyer.startswith("anon-") or not buyer:
            continue  # no orders to join an anonymous visitor with
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "product_sku" and event.get("value") and buyer in by_buyer:
            by_buyer[buyer].product_sku = str(event["value"])
        if kind != "user" or (event.get("metadata") or {}).get("is_external"):
            continue
        text = str(event.get("text") or "").strip()
        if not text or text.startswith("/"):
            continue
        intent, entry, _confidence, _band = reading(event.get("parse_data") or {})
        intent, entry = intent or "—", entry or ""
        visit = by_buyer.setdefault(buyer, Visit(buyer, float(event.get("timestamp") or 0)))
        stage = stage_of(intent)
        if visit.stage == "其他" and stage != "其他":
            visit.stage = stage
        if stage == PRESALE:
            visit.scenarios.setdefault((intent, entry), text)
    return list(by_buyer.values())


def _created(order: Dict[str, Any]) -> float | None:
    try:
        return datetime.fromisoformat(str(order.get("created_at") or "").replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def join_orders(
    found: List[Visit], orders_of: Callable[[str], List[Dict[str, Any]]], window: timedelta
) -> None:
    """Sets each visit's order_total from the buyer's first order in [start, start + window)."""
    for visit in found:
        candidates = []
        for order in orders_of(visit.buyer):
            at = _created(order)
            if at is not None and visit.started <= at < visit.started + window.total_seconds():
                candidates.append((at, float(order.get("total") or 0.0)))
        if candidates:
            visit.order_total = min(candidates)[1]


def _row(group: List[Visit], fallback_value: float | None, price_of: Callable[[str], float | None]) -> dict:
    converted = [v for v in group if v.order_total is not None]
    lost = [v for v in group if v.order_total is None]
    average = statistics.fmean(v.order_total for v in converted) if converted else fallback_value
    estimate, unknown = 0.0, 0
    for visit in lost:
        value = (price_of(visit.product_sku) if visit.product_sku else None) or average
        if value is None:
            unknown += 1
        else:
            estimate += value
    return {
        "conversations": len(group),
        "converted": len(converted),
        "conversion_rate": round(len(converted) / len(group), 4) if group else None,
        "lost": len(lost),
        "lost_gmv": round(estimate, 2) if len(lost) > unknown or not lost else None,
    }


def report(found: List[Visit], price_of: Callable[[str], float | None] = lambda sku: None) -> Dict[str, Any]:
    """{"by_stage": [...], "scenarios": [...], "average_order_value"}; scenarios lose the most
    buyers first (then the most GMV)."""
    converted = [v.order_total for v in found if v.order_total is not None]
    average = round(statistics.fmean(converted), 2) if converted else None
    prices: Dict[str, float | None] = {}

    def price(sku: str) -> float | None:
        if sku not in prices:
            prices[sku] = price_of(sku)
        return prices[sku]

    stages: Dict[str, List[Visit]] = defaultdict(list)
    scenarios: Dict[Tuple[str, str], List[Visit]] = defaultdict(list)
    examples: Dict[Tuple[str, str], List[str]] = defaultdict(list)
    for visit in found:
        stages[visit.stage].append(visit)
        for key, text in visit.scenarios.items():
            scenarios[key].append(visit)
            if visit.order_total is None and len(examples[key]) < EXAMPLES:
                examples[key].append(mask(text))
    rows = []
    for (intent, entry), group in scenarios.items():
        rows.append({"stage": PRESALE, "intent": intent, "knowledge": entry or None, **_row(group, average, price),
                     "examples": examples[(intent, entry)]})  # fmt: skip
    rows.sort(key=lambda r: (-r["lost"], -(r["lost_gmv"] or 0), r["intent"], r["knowledge"] or ""))
    return {
        "by_stage": [
            {"stage": stage, **_row(group, average, price)}
            for stage, group in sorted(stages.items(), key=lambda kv: ("售前售中售后其他".find(kv[0]), kv[0]))
        ],
        "scenarios": rows,
        "average_order_value": average,
    }
