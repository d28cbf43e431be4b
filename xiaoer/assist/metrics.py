"""Daily agent-assist figures: python -m xiaoer.assist.metrics [--day D | --from D --to D].

Definitions (also in docs/agent-assist.md):

- assisted-reply rate: agent messages sent from a suggestion (accepted as is, or edited)
  ÷ all agent messages, from the decision log.
- suggestions shown: suggestions displayed to an agent that day; accepted / edited /
  rejected: decisions taken that day; median time to send: over accepted and edited ones.
- answer trigger rate: buyer messages that got a substantive bot answer ÷ buyer messages,
  read from the tracker store. A buyer message got a substantive answer when, before the
  buyer's next message, the bot (not an agent) sent at least one message from an action
  that is not a fallback or hand-over (action_fallback, action_handoff,
  action_default_fallback, action_handback) and whose response is not a non-answer
  (utter_default, utter_out_of_scope, utter_backend_error, the hand-over responses).
  Messages sent while the conversation is paused therefore never count as answered.
- hand-off rate: conversations (a buyer's messages on one day) in which the bot paused for a
  human ÷ conversations with a buyer message; auto-resolution rate: conversations with at
  least one substantive answer and no hand-over ÷ the same.

Days follow the store's clock (XIAOER_STORE_TIMEZONE, default Asia/Shanghai).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, Iterable, List
from zoneinfo import ZoneInfo

from xiaoer.assist.decisions import DecisionLog
from xiaoer.assist.events import EventLog
from xiaoer.rasa_ext.trackers import TrackerReader
from xiaoer.settings import AssistSettings

NOT_ANSWER_ACTIONS = {"action_fallback", "action_handoff", "action_default_fallback", "action_handback"}
NOT_ANSWER_RESPONSES = {
    "utter_default",
    "utter_out_of_scope",
    "utter_backend_error",
    "utter_handoff",
    "utter_complain_handoff",
    "utter_assist_pending",
    "utter_low_confidence_handoff",
    "utter_handback",
}


@dataclass
class DayFigures:
    day: str
    agent_messages: int = 0
    assisted_messages: int = 0
    suggestions_shown: int = 0
    accepted: int = 0
    edited: int = 0
    rejected: int = 0
    median_seconds_to_send: float | None = None
    buyer_messages: int = 0
    answered_messages: int = 0
    conversations: int = 0
    handed_off: int = 0
    auto_resolved: int = 0

    @staticmethod
    def rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def assisted_reply_rate(self) -> float | None:
        return self.rate(self.assisted_messages, self.agent_messages)

    @property
    def answer_trigger_rate(self) -> float | None:
        return self.rate(self.answered_messages, self.buyer_messages)

    @property
    def hand_off_rate(self) -> float | None:
        return self.rate(self.handed_off, self.conversations)

    @property
    def auto_resolution_rate(self) -> float | None:
        return self.rate(self.auto_resolved, self.conversations)

    def as_dict(self) -> Dict[str, Any]:
        return {
            **asdict(self),
            "assisted_reply_rate": self.assisted_reply_rate,
            "answer_trigger_rate": self.answer_trigger_rate,
            "hand_off_rate": self.hand_off_rate,
            "auto_resolution_rate": self.auto_resolution_rate,
        }


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, start + timedelta(days=1)


# --- decision log ---------------------------------------------------------------------


def add_decisions(figures: DayFigures, log: DecisionLog, start: datetime, end: datetime) -> None:
    messages = log.agent_messages_between(start, end)
    figures.agent_messages = len(messages)
    figures.assisted_messages = sum(1 for m in messages if m["suggestion_id"])
    figures.suggestions_shown = len(log.suggestions_between(start, end))
    decided = log.decisions_between(start, end)
    figures.accepted = sum(1 for d in decided if d["decision"] == "accepted")
    figures.edited = sum(1 for d in decided if d["decision"] == "edited")
    figures.rejected = sum(1 for d in decided if d["decision"] == "rejected")
    times = [
        d["seconds_to_send"]
        for d in decided
        if d["decision"] in ("accepted", "edited") and d["seconds_to_send"] is not None
    ]
    figures.median_seconds_to_send = statistics.median(times) if times else None


# --- tracker store ----------------------------------------------------------------------


def is_buyer_message(event: Dict[str, Any]) -> bool:
    if event.get("event") != "user":
        return False
    metadata = event.get("metadata") or {}
    return not metadata.get("is_external") and not str(event.get("text") or "").startswith("EXTERNAL:")


def add_conversations(figures: DayFigures, events: Iterable[Dict[str, Any]]) -> None:
    by_sender: Dict[str, List[Dict[str, Any]]] = {}
    for event in events:
        by_sender.setdefault(event["sender_id"], []).append(event)
    for conversation in by_sender.values():
        buyer_turns = 0
        answered_turns = 0
        handed_off = False
        turn_open = False
        turn_answered = False
        last_action = None
        for event in conversation:
            kind = event.get("event")
            if is_buyer_message(event):
                answered_turns += turn_answered
                buyer_turns += 1
                turn_open, turn_answered, last_action = True, False, None
            elif kind == "action":
                last_action = event.get("name")
            elif kind == "pause":
                handed_off = True
            elif kind == "bot" and turn_open:
                metadata = event.get("metadata") or {}
                if metadata.get("agent"):
                    continue  # an agent's message, not the bot's
                if last_action in NOT_ANSWER_ACTIONS or metadata.get("utter_action") in NOT_ANSWER_RESPONSES:
                    continue
                turn_answered = True
        answered_turns += turn_answered
        if not buyer_turns:
            continue
        figures.buyer_messages += buyer_turns
        figures.answered_messages += answered_turns
        figures.conversations += 1
        figures.handed_off += handed_off
        figures.auto_resolved += (not handed_off) and answered_turns > 0


# --- command ---------------------------------------------------------------------------


def figures_for(
    day: date,
    log: DecisionLog,
    tracker_database_url: str | None,
    zone: ZoneInfo,
    events: EventLog | None = None,
) -> DayFigures:
    start, end = day_bounds(day, zone)
    figures = DayFigures(day=day.isoformat())
    add_decisions(figures, log, start, end)
    if events is not None:
        add_conversations(figures, events.events_between(start, end))
    elif tracker_database_url:
        reader = TrackerReader(tracker_database_url)
        try:
            add_conversations(figures, reader.events_between(start, end))
        finally:
            reader.close()
    return figures


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def render(f: DayFigures, zone: str) -> str:
    median = "—" if f.median_seconds_to_send is None else f"{f.median_seconds_to_send:.1f} s"
    return "\n".join(
        [
            f"{f.day} ({zone})",
            f"  assisted-reply rate     {percent(f.assisted_reply_rate):>7}  "
            f"({f.assisted_messages} of {f.agent_messages} agent messages sent from a suggestion)",
            f"  suggestions shown       {f.suggestions_shown:>7}  "
            f"(accepted {f.accepted}, edited {f.edited}, rejected {f.rejected})",
            f"  median time to send     {median:>7}  (accepted and edited suggestions)",
            f"  answer trigger rate     {percent(f.answer_trigger_rate):>7}  "
            f"({f.answered_messages} of {f.buyer_messages} buyer messages got a substantive bot answer)",
            f"  hand-off rate           {percent(f.hand_off_rate):>7}  "
            f"({f.handed_off} of {f.conversations} conversations handed to a human)",
            f"  auto-resolution rate    {percent(f.auto_resolution_rate):>7}  "
            f"({f.auto_resolved} of {f.conversations} conversations answered by the bot alone)",
        ]
    )


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {value!r}") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m xiaoer.assist.metrics",
        description="Agent-assist figures per day.",
        epilog=(
            "assisted-reply rate = agent messages sent from a suggestion (accepted or edited) / all "
            "agent messages. answer trigger rate = buyer messages that got a substantive bot answer / "
            "buyer messages; substantive = a bot message (not an agent's) before the buyer's next "
            "message, from an action other than action_fallback/action_handoff/"
            "action_default_fallback/action_handback, and not utter_default/utter_out_of_scope/"
            "utter_backend_error or a hand-over response. hand-off rate = conversations paused for a "
            "human / conversations; auto-resolution rate = conversations with a substantive answer "
            "and no hand-over / conversations. Days follow XIAOER_STORE_TIMEZONE."
        ),
    )
    parser.add_argument("--day", type=parse_day, help="one day, YYYY-MM-DD (default: today)")
    parser.add_argument("--from", dest="first", type=parse_day, help="first day of a range")
    parser.add_argument("--to", dest="last", type=parse_day, help="last day of a range (inclusive)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per day")
    parser.add_argument("--assist-db", help="decision log URL (default XIAOER_ASSIST_DATABASE_URL)")
    parser.add_argument("--tracker-db", help="tracker store URL (default XIAOER_TRACKER_DATABASE_URL)")
    return parser


def main(argv: List[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = AssistSettings()
    zone = ZoneInfo(settings.store_timezone)
    if args.day and (args.first or args.last):
        parser.error("give --day or --from/--to, not both")
    if bool(args.first) != bool(args.last):
        parser.error("--from and --to go together")
    if args.first and args.last < args.first:
        parser.error("--to is before --from")
    first = args.day or args.first or datetime.now(zone).date()
    last = args.day or args.last or first
    if (last - first).days > 366:
        parser.error("at most a year at a time")
    log = DecisionLog(args.assist_db or settings.assist_database_url)
    tracker_url = args.tracker_db or settings.tracker_database_url
    events = EventLog(settings.assist_database_url) if settings.metrics_events == "broker" else None
    day = first
    while day <= last:
        figures = figures_for(day, log, tracker_url, zone, events)
        print(json.dumps(figures.as_dict(), ensure_ascii=False) if args.json else render(figures, zone.key))
        day += timedelta(days=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
