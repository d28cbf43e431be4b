"""`python -m xiaoer.trainer mine --since 24h [--json]`: what the bot missed, grouped.

Reads the configured tracker store (XIAOER_TRACKER_DATABASE_URL), the agent-assist decision log
and, for pre-sale conversations, the buyers' orders in the store; prints clusters of similar missed
questions, biggest first, with their examples (phones, addresses and e-mails masked), the bot's
intents and answers, the signals that marked them, the stage and a suggested target. docs/trainer.md.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Set

from xiaoer.assist.decisions import DecisionLog
from xiaoer.rasa_ext.trackers import TrackerReader
from xiaoer.settings import TrainerSettings
from xiaoer.storeapi.client import StoreClient, StoreUnavailable
from xiaoer.trainer.clusters import Cluster, cluster
from xiaoer.trainer.misses import decision_misses, find_misses, merge
from xiaoer.trainer.references import knowledge_references, nlu_references

_PERIOD = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def period(value: str) -> timedelta:
    found = _PERIOD.match(value.strip())
    if not found or int(found.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"not a period like 90m, 24h or 7d: {value!r}")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


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


def mine(settings: TrainerSettings, since: timedelta, use_store: bool = True) -> dict:
    """{"clusters": [...], "period": {...}, "notes": [...]} — raises RuntimeError when the tracker
    store cannot be read."""
    end = datetime.now(timezone.utc)
    start = end - since
    reader = TrackerReader(settings.tracker_database_url)
    try:
        problem = reader.problem()
        if problem:
            raise RuntimeError(problem)
        events = list(reader.events_between(start, end))
    finally:
        reader.close()
    notes: List[str] = []
    buyers: Set[str] | None = None
    if use_store:
        first_seen: Dict[str, float] = {}
        for event in events:
            sender = event.get("sender_id") or ""
            if event.get("event") == "user" and not sender.startswith("anon-"):
                first_seen.setdefault(sender, float(event.get("timestamp") or 0))
        client = StoreClient(settings.store_url, settings.reading_token, settings.store_timeout)
        try:
            buyers = ordered_buyers(client, first_seen)
        except StoreUnavailable as exc:
            notes.append(f"store unreachable ({exc}): pre-sale conversations without an order not marked")
    misses = find_misses(events, buyers)
    try:
        misses += decision_misses(DecisionLog(settings.assist_database_url).decisions_between(start, end))
    except Exception as exc:  # the decision log is optional: a store may run without agent assist
        notes.append(
            f"decision log not read ({exc.__class__.__name__}): agent edits and rejections not included"
        )
    references = nlu_references(settings.nlu_data_dir) + knowledge_references(settings.knowledge_dir)
    clusters: List[Cluster] = cluster(merge(misses), references)
    conversations = len({e.get("sender_id") for e in events if e.get("event") == "user"})
    if not events:
        notes.append(f"no conversations between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} UTC")
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat(), "conversations": conversations},
        "misses": sum(c.count for c in clusters),
        "clusters": [c.as_dict() for c in clusters],
        "notes": notes,
    }


def render(result: dict) -> str:
    period = result["period"]
    lines = [
        f"{result['misses']} missed messages in {len(result['clusters'])} clusters, "
        f"from {period['conversations']} conversations ({period['from'][:16]} – {period['to'][:16]} UTC)"
    ]
    for note in result["notes"]:
        lines.append(f"note: {note}")
    for i, c in enumerate(result["clusters"], 1):
        suggested = c["suggested"]
        target = suggested["name"] or "a new knowledge entry"
        signals = ", ".join(f"{k} {v}" for k, v in c["signals"].items())
        intents = ", ".join(f"{x['name']} {x['count']}" for x in c["intents"])
        lines += [
            "",
            f"{i}. {c['label']}  ×{c['count']}  [{c['stage']}]",
            f"   signals: {signals}",
            f"   bot read it as: {intents}",
            f"   suggested: {suggested['kind']} {target} (similarity {suggested['similarity']})",
        ]
        lines += [f"   - {example}" for example in c["examples"]]
    return "\n".join(lines)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xiaoer.trainer", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    mine_parser = commands.add_parser("mine", help="clusters of missed buyer questions")
    mine_parser.add_argument("--since", type=period, default=period("24h"), help="how far back: 90m, 24h, 7d")
    mine_parser.add_argument("--json", action="store_true", help="one JSON object")
    mine_parser.add_argument("--no-store", action="store_true", help="do not ask the store about orders")
    args = parser.parse_args(argv)
    try:
        result = mine(TrainerSettings(), args.since, use_store=not args.no_store)
    except RuntimeError as exc:
        print(f"xiaoer.trainer: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
