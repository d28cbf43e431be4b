"""`python -m xiaoer.trainer mine --since 24h [--json] [--again]`: what the bot missed, grouped;
`python -m xiaoer.trainer churn --since 7d [--window 72h] [--json]`: where buyers are lost.

Reads the configured tracker store (XIAOER_TRACKER_DATABASE_URL), the agent-assist decision log
and, for pre-sale conversations, the buyers' orders in the store; prints clusters of similar missed
questions, biggest first, with their examples (phones, addresses and e-mails masked), the bot's
intents and answers, the signals that marked them, the stage and a suggested target. docs/trainer.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone
from typing import List

from xiaoer.assist.decisions import DecisionLog
from xiaoer.rasa_ext.client import RasaClient
from xiaoer.rasa_ext.trackers import TrackerReader
from xiaoer.settings import TrainerSettings
from xiaoer.storeapi.client import StoreClient
from xiaoer.trainer.mining import MiningSources, churn, mine, parse_period


def period(value: str) -> timedelta:
    try:
        return parse_period(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def sources(settings: TrainerSettings, use_store: bool = True, again: bool = False) -> MiningSources:
    rasa = RasaClient(settings.rasa_url, settings.rasa_token) if again else None
    return MiningSources(
        trackers=TrackerReader(settings.tracker_database_url),
        decisions=DecisionLog(settings.assist_database_url),
        store=StoreClient(settings.store_url, settings.reading_token, settings.store_timeout)
        if use_store
        else None,
        nlu_data_dir=settings.nlu_data_dir,
        knowledge_dir=settings.knowledge_dir,
        parse=rasa.parse if rasa else None,
    )


def render(result: dict) -> str:
    period = result["period"]
    lines = [
        f"{result['misses']} missed messages in {len(result['clusters'])} clusters, "
        f"from {period['conversations']} conversations ({period['from'][:16]} – {period['to'][:16]} UTC)"
    ]
    if "fixed" in result:
        lines.append(f"{result['fixed']} earlier misses the running model now gets right (left out)")
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


def render_churn(result: dict) -> str:
    def money(value) -> str:
        return "—" if value is None else f"¥{value:,.0f}"

    def rate(value) -> str:
        return "—" if value is None else f"{value * 100:.0f}%"

    period = result["period"]
    lines = [
        f"{period['conversations']} signed-in buyers' conversations ({period['from'][:16]} – {period['to'][:16]} UTC), "
        f"an order within {result['window_hours']:g} h counts; average order {money(result['average_order_value'])}"
    ]
    lines += [f"note: {note}" for note in result["notes"]]
    lines += ["", f"{'stage':<6}{'conversations':>14}{'converted':>11}{'rate':>7}{'lost':>6}{'lost GMV':>12}"]
    for row in result["by_stage"]:
        lines.append(f"{row['stage']:<6}{row['conversations']:>14}{row['converted']:>11}"
                     f"{rate(row['conversion_rate']):>7}{row['lost']:>6}{money(row['lost_gmv']):>12}")  # fmt: skip
    lines += ["", "pre-sale scenarios losing the most buyers:"]
    for i, row in enumerate(result["scenarios"][:20], 1):
        name = row["knowledge"] or row["intent"]
        lines.append(f"{i:>3}. {name}  lost {row['lost']} of {row['conversations']} "
                     f"(converted {rate(row['conversion_rate'])}), lost GMV ~{money(row['lost_gmv'])}")  # fmt: skip
        lines += [f"       - {example}" for example in row["examples"]]
    return "\n".join(lines)


def churn_command(args) -> int:
    end = datetime.now(timezone.utc)
    try:
        result = churn(sources(TrainerSettings()), end - args.since, end, args.window)
    except RuntimeError as exc:
        print(f"xiaoer.trainer: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else render_churn(result))
    return 0


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xiaoer.trainer", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    mine_parser = commands.add_parser("mine", help="clusters of missed buyer questions")
    mine_parser.add_argument("--since", type=period, default=period("24h"), help="how far back: 90m, 24h, 7d")
    mine_parser.add_argument("--json", action="store_true", help="one JSON object")
    mine_parser.add_argument("--no-store", action="store_true", help="do not ask the store about orders")
    mine_parser.add_argument(
        "--again",
        action="store_true",
        help="parse every miss with the running model first (after retraining)",
    )
    churn_parser = commands.add_parser(
        "churn", help="high-churn scenarios: pre-sale conversations with no order"
    )
    churn_parser.add_argument("--since", type=period, default=period("7d"), help="how far back: 24h, 7d, 30d")
    churn_parser.add_argument(
        "--window", type=period, default=period("72h"), help="how long an order may take"
    )
    churn_parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args(argv)
    if args.command == "churn":
        return churn_command(args)
    end = datetime.now(timezone.utc)
    mining = sources(TrainerSettings(), use_store=not args.no_store, again=args.again)
    try:
        result = mine(mining, end - args.since, end, again=args.again)
    except RuntimeError as exc:
        print(f"xiaoer.trainer: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
