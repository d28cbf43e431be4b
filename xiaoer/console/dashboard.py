"""The metrics dashboard's figures, per hour or per day of the store's clock (docs/dashboard.md).

Assembled from three logs the console can read: the tracker store (answers, hand-overs, intents,
misses), the agent-assist decision log (suggestions, assisted replies) and the follow-up database
(nudges sent and converted, with their GMV). A log that cannot be read leaves a note and its
figures empty; it never fails the page.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Dict, List
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from xiaoer.assist.metrics import DayFigures, Periods, figures_by_period, is_buyer_message
from xiaoer.followup import report as followup_report
from xiaoer.rasa_ext.trackers import TrackerReader
from xiaoer.trainer.clusters import Reference, cluster
from xiaoer.trainer.misses import decision_misses, find_misses, merge
from xiaoer.trainer.references import knowledge_references, nlu_references

logger = logging.getLogger(__name__)

# Longest range per granularity: a page of hourly points stays readable, a year of days too.
MAX_DAYS = {"hour": 7, "day": 366}
TOP = 10
COUNTS = (
    "buyer_messages",
    "answered_messages",
    "conversations",
    "auto_resolved",
    "handed_off",
    "agent_messages",
    "assisted_messages",
    "suggestions_shown",
    "accepted",
    "edited",
    "rejected",
)
RATES = ("answer_trigger_rate", "assisted_reply_rate", "auto_resolution_rate", "hand_off_rate")
FOLLOWUPS = ("followups_sent", "followups_converted", "followup_gmv")
CSV_COLUMNS = ("period", *COUNTS, *RATES, "median_seconds_to_send", *FOLLOWUPS)


class BadRange(ValueError):
    """Dates out of order, an unknown granularity or too long a range: the caller's mistake."""


@dataclass
class Sources:
    """What the dashboard reads; each is built by the console's bootstrap (fakes in tests)."""

    trackers: TrackerReader
    decisions: Any  # xiaoer.assist.decisions.DecisionLog
    followups: Callable[[], Engine]
    nlu_data_dir: Path
    knowledge_dir: Path


class Dashboard:
    def __init__(self, sources: Sources, zone: ZoneInfo) -> None:
        self.sources = sources
        self.zone = zone
        self._references: List[Reference] = []
        self._version: tuple = ()
        self._lock = threading.Lock()

    def references(self) -> List[Reference]:
        """Intents and knowledge entries misses are matched to; read again when a file changed
        (a trainer's edit from the 训练师 pages shows here at once)."""
        files = sorted([*self.sources.nlu_data_dir.glob("*.yml"), *self.sources.knowledge_dir.glob("*.yml")])
        version = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
        with self._lock:
            if version != self._version:
                self._references = nlu_references(self.sources.nlu_data_dir) + knowledge_references(
                    self.sources.knowledge_dir
                )
                self._version = version
            return self._references

    def report(self, first: date, last: date, by: str = "day") -> Dict[str, Any]:
        if by not in MAX_DAYS:
            raise BadRange("按小时（hour）或按天（day）")
        if last < first:
            raise BadRange("结束日期早于开始日期")
        if (last - first).days + 1 > MAX_DAYS[by]:
            raise BadRange(f"{'按小时' if by == 'hour' else '按天'}最多 {MAX_DAYS[by]} 天")
        periods = Periods(first, last, self.zone, by)
        notes: List[str] = []
        events = self._events(periods, notes)
        figures = self._figures(periods, events, notes)
        followups = self._followups(periods, notes)
        rows = [row(f, followups[i]) for i, f in enumerate(figures)]
        return {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "by": by,
            "timezone": self.zone.key,
            "periods": rows,
            "totals": totals(rows),
            "top_intents": top_intents(events or []),
            "top_misses": self._top_misses(periods, events, notes),
            "notes": notes,
        }

    # --- sources, each allowed to fail alone ---------------------------------------------

    def _events(self, periods: Periods, notes: List[str]) -> List[Dict[str, Any]] | None:
        problem = self.sources.trackers.problem()
        if problem:
            notes.append(f"对话记录（tracker store）读取失败，会话类指标为空：{problem}")
            return None
        events = list(self.sources.trackers.events_between(periods.start, periods.end))
        if not any(is_buyer_message(e) for e in events):
            notes.append("这段时间没有买家消息")
        return events

    def _figures(self, periods: Periods, events, notes: List[str]) -> List[DayFigures]:
        try:
            return figures_by_period(periods, self.sources.decisions, events)
        except Exception as exc:  # the decision log is optional: a store may run without assist
            logger.warning("dashboard: decision log not read: %s", exc)
            notes.append(f"建议记录（decision log）读取失败，辅助类指标为空：{exc.__class__.__name__}")
            return figures_by_period(periods, _NoDecisions(), events)

    def _followups(self, periods: Periods, notes: List[str]) -> List[Dict[str, float]]:
        try:
            return followup_report.by_period(self.sources.followups(), periods)
        except Exception as exc:
            logger.warning("dashboard: follow-up database not read: %s", exc)
            notes.append(f"跟进记录读取失败，跟进类指标为空：{exc.__class__.__name__}")
            return [{"sent": 0, "converted": 0, "gmv": 0.0} for _ in range(len(periods))]

    def _top_misses(self, periods: Periods, events, notes: List[str]) -> List[Dict[str, Any]]:
        if events is None:
            return []
        misses = find_misses(events)
        try:
            misses += decision_misses(self.sources.decisions.decisions_between(periods.start, periods.end))
        except Exception:
            pass  # already noted by _figures
        clusters = cluster(merge(misses), self.references())
        return [
            {
                "label": c["label"],
                "count": c["count"],
                "stage": c["stage"],
                "signals": c["signals"],
                "suggested": c["suggested"],
            }
            for c in (item.as_dict() for item in clusters[:TOP])
        ]


class _NoDecisions:
    """Stands in for an unreadable decision log: nothing shown, decided or sent."""

    def agent_messages_between(self, start, end) -> list:
        return []

    def suggestions_between(self, start, end) -> list:
        return []

    def decisions_between(self, start, end) -> list:
        return []


def row(figures: DayFigures, followups: Dict[str, float]) -> Dict[str, Any]:
    values = figures.as_dict()
    return {
        "period": figures.day,
        **{name: values[name] for name in (*COUNTS, *RATES, "median_seconds_to_send")},
        "followups_sent": followups["sent"],
        "followups_converted": followups["converted"],
        "followup_gmv": followups["gmv"],
    }


def totals(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    summed = DayFigures(day="total")
    for r in rows:
        for name in COUNTS:
            setattr(summed, name, getattr(summed, name) + r[name])
    values = summed.as_dict()
    return {
        **{name: values[name] for name in (*COUNTS, *RATES)},
        "followups_sent": sum(r["followups_sent"] for r in rows),
        "followups_converted": sum(r["followups_converted"] for r in rows),
        "followup_gmv": round(sum(r["followup_gmv"] for r in rows), 2),
    }


def top_intents(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    counts = Counter(
        ((e.get("parse_data") or {}).get("intent") or {}).get("name") or "—"
        for e in events
        if is_buyer_message(e)
    )
    return [{"name": name, "count": count} for name, count in counts.most_common(TOP)]


def to_csv(report: Dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in report["periods"]:
        writer.writerow(["" if r.get(c) is None else _cell(r[c]) for c in CSV_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value
