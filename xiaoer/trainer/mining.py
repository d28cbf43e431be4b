"""One mining run over a period: misses read, grouped and matched to what the model knows, and,
with a parser for the current model, checked again (docs/trainer.md). Used by the command and
by the console's trainer pages; each builds the sources from its own settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Dict, List, Set, Tuple

from xiaoer.logmask import mask
from xiaoer.rasa_ext.trackers import TrackerReader
from xiaoer.storeapi.client import StoreClient, StoreUnavailable
from xiaoer.text import compact
from xiaoer.trainer.churn import join_orders, visits
from xiaoer.trainer.churn import report as churn_report
from xiaoer.trainer.clusters import Cluster, Reference, cluster
from xiaoer.trainer.misses import LOW_CONFIDENCE, Miss, decision_misses, find_misses, merge, reading
from xiaoer.trainer.references import knowledge_references, nlu_references

_PERIOD = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_period(value: str) -> timedelta:
    """ "90m", "24h", "7d" as a timedelta; ValueError otherwise."""
    found = _PERIOD.match(str(value).strip())
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"not a period like 90m, 24h or 7d: {str(value)[:20]!r}")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


# Signals the model alone decided: a better model can clear them by reading the message again.
NLU_SIGNALS = {"fallback", "low_confidence"}


@dataclass
class MiningSources:
    trackers: TrackerReader
    decisions: Any | None  # xiaoer.assist.decisions.DecisionLog; None: not read
    store: StoreClient | None  # None: pre-sale conversations without an order are not marked
    nlu_data_dir: Path
    knowledge_dir: Path
    parse: Callable[[str], dict] | None = None  # the current model (Rasa's /model/parse)

    def references(self) -> List[Reference]:
        return nlu_references(self.nlu_data_dir) + knowledge_references(self.knowledge_dir)


def ordered_buyers(client: StoreClient, first_seen: Dict[str, float]) -> Set[str]:
    """Buyers with an order created at or after their first message in the period."""
    ordered = set()
    for buyer, since in first_seen.items():
        for order in client.buyer_orders(buyer):
            created = str(order.get("created_at") or "")
            try:
                at = datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
            if at >= since:
                ordered.add(buyer)
                break
    return ordered


def recheck(
    misses: List[Miss], parse: Callable[[str], dict], references: List[Reference]
) -> Tuple[List[Miss], int]:
    """The misses the current model still misses, and how many it now gets right.

    A message the trainer added to the training data (masked, as the console writes it) is fixed
    when the model now reads it as that intent or knowledge entry, confidently. Any other message
    is fixed only when the model alone had missed it (fallback, low confidence, a routing band)
    and now reads it confidently; complaints, rephrasings and agents' edits stay until taught.
    """
    taught = {compact(r.text): r.name for r in references}
    still, fixed = [], 0
    for miss in misses:
        intent, key, confidence, band = reading(parse(miss.text))
        confident = intent != "nlu_fallback" and confidence >= LOW_CONFIDENCE and band in (None, "answer")
        target = taught.get(compact(mask(miss.text)))
        if target is not None:
            ok = confident and target in (intent, key)
        else:
            ok = confident and all(s in NLU_SIGNALS or s.startswith("band:") for s in miss.signals)
        if ok:
            fixed += 1
        else:
            still.append(miss)
    return still, fixed


def mine(sources: MiningSources, start: datetime, end: datetime, again: bool = False) -> dict:
    """{"period", "misses", "clusters", "notes"[, "fixed"]}: RuntimeError when the tracker store
    cannot be read. `again`: every miss is parsed by the current model (sources.parse) first."""
    problem = sources.trackers.problem()
    if problem:
        raise RuntimeError(problem)
    events = list(sources.trackers.events_between(start, end))
    notes: List[str] = []
    buyers: Set[str] | None = None
    if sources.store is not None:
        first_seen: Dict[str, float] = {}
        for event in events:
            sender = event.get("sender_id") or ""
            if event.get("event") == "user" and not sender.startswith("anon-"):
                first_seen.setdefault(sender, float(event.get("timestamp") or 0))
        try:
            buyers = ordered_buyers(sources.store, first_seen)
        except StoreUnavailable as exc:
            notes.append(f"store unreachable ({exc}): pre-sale conversations without an order not marked")
    misses = find_misses(events, buyers)
    if sources.decisions is not None:
        try:
            misses += decision_misses(sources.decisions.decisions_between(start, end))
        except Exception as exc:  # the decision log is optional: a store may run without agent assist
            notes.append(
                f"decision log not read ({exc.__class__.__name__}): agent edits and rejections not included"
            )
    references = sources.references()
    misses = merge(misses)
    result: Dict[str, Any] = {}
    if again:
        if sources.parse is None:
            raise RuntimeError("no model to check again with (Rasa's URL is not configured)")
        try:
            misses, result["fixed"] = recheck(misses, sources.parse, references)
        except Exception as exc:
            raise RuntimeError(
                f"the current model did not answer ({exc.__class__.__name__}: {exc})"
            ) from None
    clusters: List[Cluster] = cluster(misses, references)
    conversations = len({e.get("sender_id") for e in events if e.get("event") == "user"})
    if not events:
        notes.append(f"no conversations between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} UTC")
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat(), "conversations": conversations},
        "misses": sum(c.count for c in clusters),
        "clusters": [c.as_dict() for c in clusters],
        "notes": notes,
        **result,
    }


def churn(sources: MiningSources, start: datetime, end: datetime, window: timedelta) -> dict:
    """High-churn scenarios of the period (xiaoer.trainer.churn), joined with the store's orders.
    RuntimeError when the tracker store or the store cannot be read."""
    if sources.store is None:
        raise RuntimeError("high-churn scenarios need the store's orders (XIAOER_STORE_URL)")
    problem = sources.trackers.problem()
    if problem:
        raise RuntimeError(problem)
    found = visits(sources.trackers.events_between(start, end))
    store = sources.store

    def price_of(sku: str) -> float | None:
        product = store.get_product(sku) or {}
        return float(product["price"]) if product.get("price") is not None else None

    try:
        join_orders(found, store.buyer_orders, window)
        result = churn_report(found, price_of)
    except StoreUnavailable as exc:
        raise RuntimeError(f"the store did not answer ({exc})") from None
    notes = (
        []
        if found
        else [f"no signed-in buyer conversations between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} UTC"]
    )
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat(), "conversations": len(found)},
        "window_hours": round(window.total_seconds() / 3600, 2),
        **result,
        "notes": notes,
    }
