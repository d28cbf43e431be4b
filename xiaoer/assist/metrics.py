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
import bisect
import json
import statistics
import sys
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Dict, Iterable, List
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


# --- tracker store ----------------------------------------------------------------------


def is_buyer_message(event: Dict[str, Any]) -> bool:
    if event.get("event") != "user":
        return False
    metadata = event.get("metadata") or {}
    return not metadata.get("is_external") and not str(event.get("text") or "").startswith("EXTERNAL:")


class Turns:
    """One conversation's counts within one period."""

    __slots__ = ("buyer", "answered", "handed_off")

    def __init__(self) -> None:
        self.buyer = 0
        self.answered = 0
        self.handed_off = False


def conversation_turns(
    conversation: List[Dict[str, Any]], period_of: Callable[[float], int | None]
) -> Dict[int, Turns]:
    """A conversation's turns per period. Replies and pauses count in the period of the buyer
    message they follow, so a turn that crosses the hour stays whole."""
    periods: Dict[int, Turns] = {}
    current: int | None = None
    turn_open = turn_answered = False
    last_action = None

    def close_turn() -> None:
        if current is not None and turn_answered:
            periods[current].answered += 1

    for event in conversation:
        kind = event.get("event")
        if is_buyer_message(event):
            close_turn()
            current = period_of(float(event.get("timestamp") or 0))
            turn_open, turn_answered, last_action = current is not None, False, None
            if current is not None:
                periods.setdefault(current, Turns()).buyer += 1
        elif kind == "action":
            last_action = event.get("name")
        elif kind == "pause":
            paused_in = current if current is not None else period_of(float(event.get("timestamp") or 0))
            if paused_in is not None:
                periods.setdefault(paused_in, Turns()).handed_off = True
        elif kind == "bot" and turn_open:
            metadata = event.get("metadata") or {}
            if metadata.get("agent"):
                continue  # an agent's message, not the bot's
            if last_action in NOT_ANSWER_ACTIONS or metadata.get("utter_action") in NOT_ANSWER_RESPONSES:
                continue
            turn_answered = True
    close_turn()
    return periods


def add_conversations_by_period(
    figures: List[DayFigures], events: Iterable[Dict[str, Any]], period_of: Callable[[float], int | None]
) -> None:
    """A conversation is one buyer's messages within one period."""
    by_sender: Dict[str, List[Dict[str, Any]]] = {}
    for event in events:
        by_sender.setdefault(event["sender_id"], []).append(event)
    for conversation in by_sender.values():
        for index, turns in conversation_turns(conversation, period_of).items():
            if not turns.buyer:
                continue
            f = figures[index]
            f.buyer_messages += turns.buyer
            f.answered_messages += turns.answered
            f.conversations += 1
            f.handed_off += turns.handed_off
            f.auto_resolved += (not turns.handed_off) and turns.answered > 0


def add_conversations(figures: DayFigures, events: Iterable[Dict[str, Any]]) -> None:
    add_conversations_by_period([figures], events, lambda _at: 0)


# --- periods ---------------------------------------------------------------------------


class Periods:
    """Consecutive hours or days of the store's clock over [first day, last day]."""

    def __init__(self, first: date, last: date, zone: ZoneInfo, by: str = "day") -> None:
        if by not in ("day", "hour"):
            raise ValueError(f"periods are by day or by hour, not {by!r}")
        self.start, _ = day_bounds(first, zone)
        _, self.end = day_bounds(last, zone)
        step = timedelta(hours=1) if by == "hour" else timedelta(days=1)
        self.starts: List[datetime] = []
        moment = self.start
        while moment < self.end:
            self.starts.append(moment)
            moment = datetime.combine(moment.date(), moment.time(), tzinfo=zone) + step
        self._edges = [m.timestamp() for m in self.starts] + [self.end.timestamp()]
        self.labels = [m.strftime("%Y-%m-%d %H:00" if by == "hour" else "%Y-%m-%d") for m in self.starts]

    def __len__(self) -> int:
        return len(self.starts)

    def index(self, timestamp: float) -> int | None:
        if not self._edges[0] <= timestamp < self._edges[-1]:
            return None
        return bisect.bisect_right(self._edges, timestamp) - 1

    def index_of_utc(self, moment: datetime | None) -> int | None:
        """For the naive-UTC datetimes the decision and follow-up logs store."""
        if moment is None:
            return None
        return self.index(moment.replace(tzinfo=timezone.utc).timestamp())


def add_decisions_by_period(figures: List[DayFigures], log: DecisionLog, periods: Periods) -> None:
    start, end = periods.start, periods.end
    for message in log.agent_messages_between(start, end):
        index = periods.index_of_utc(message["sent_at"])
        if index is not None:
            figures[index].agent_messages += 1
            figures[index].assisted_messages += bool(message["suggestion_id"])
    for shown in log.suggestions_between(start, end):
        index = periods.index_of_utc(shown["shown_at"])
        if index is not None:
            figures[index].suggestions_shown += 1
    times: Dict[int, List[float]] = {}
    for decided in log.decisions_between(start, end):
        index = periods.index_of_utc(decided["decided_at"])
        if index is None or decided["decision"] not in ("accepted", "edited", "rejected"):
            continue
        f = figures[index]
        setattr(f, decided["decision"], getattr(f, decided["decision"]) + 1)
        if decided["decision"] != "rejected" and decided["seconds_to_send"] is not None:
            times.setdefault(index, []).append(decided["seconds_to_send"])
    for index, values in times.items():
        figures[index].median_seconds_to_send = statistics.median(values)


def figures_by_period(
    periods: Periods, log: DecisionLog, events: Iterable[Dict[str, Any]] | None
) -> List[DayFigures]:
    """One DayFigures per period (its `day` is the period's label); events None: decisions only."""
    figures = [DayFigures(day=label) for label in periods.labels]
    add_decisions_by_period(figures, log, periods)
    if events is not None:
        add_conversations_by_period(figures, events, periods.index)
    return figures


# --- command ---------------------------------------------------------------------------


def figures_for(
    day: date,
    log: DecisionLog,
    tracker_database_url: str | None,
    zone: ZoneInfo,
    events: EventLog | None = None,
) -> DayFigures:
    periods = Periods(day, day, zone)
    if events is not None:
        return figures_by_period(periods, log, events.events_between(periods.start, periods.end))[0]
    if not tracker_database_url:
        return figures_by_period(periods, log, None)[0]
    reader = TrackerReader(tracker_database_url)
    try:
        return figures_by_period(periods, log, reader.events_between(periods.start, periods.end))[0]
    finally:
        reader.close()


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
