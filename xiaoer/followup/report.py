"""Per-scenario counts of what the engine did, and the GMV of converted orders."""

from __future__ import annotations

from collections import defaultdict
from typing import Dict, List

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from xiaoer.assist.metrics import Periods
from xiaoer.followup import db

COLUMNS = ("scheduled", "sent", "skipped", "failed", "converted", "gmv")


def summary(engine: Engine) -> Dict[str, Dict[str, float]]:
    db.create_schema(engine)
    table: Dict[str, Dict[str, float]] = defaultdict(lambda: {c: 0 for c in COLUMNS})
    with engine.connect() as conn:
        for scenario, state, count in conn.execute(
            select(db.jobs.c.scenario, db.jobs.c.state, func.count()).group_by(
                db.jobs.c.scenario, db.jobs.c.state
            )
        ):
            key = "scheduled" if state in ("scheduled", "claimed") else state
            table[scenario][key] += count
        for scenario, count, gmv in conn.execute(
            select(db.jobs.c.scenario, func.count(), func.coalesce(func.sum(db.jobs.c.converted_gmv), 0))
            .where(db.jobs.c.converted_at.isnot(None))
            .group_by(db.jobs.c.scenario)
        ):
            table[scenario]["converted"] = count
            table[scenario]["gmv"] = round(float(gmv), 2)
    return dict(table)


def skip_reasons(engine: Engine, limit: int = 20) -> List[tuple]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(db.jobs.c.scenario, db.jobs.c.reason, func.count().label("n"))
                .where(db.jobs.c.state.in_(("skipped", "failed")))
                .group_by(db.jobs.c.scenario, db.jobs.c.reason)
                .order_by(func.count().desc())
                .limit(limit)
            )
        )


def render(engine: Engine) -> str:
    rows = summary(engine)
    lines = [f"{'scenario':<24}" + "".join(f"{c:>12}" for c in COLUMNS)]
    totals = {c: 0 for c in COLUMNS}
    for scenario in sorted(rows):
        row = rows[scenario]
        lines.append(
            f"{scenario:<24}"
            + "".join(f"{row[c]:>12,.2f}" if c == "gmv" else f"{row[c]:>12}" for c in COLUMNS)
        )
        for c in COLUMNS:
            totals[c] += row[c]
    lines.append(
        f"{'total':<24}"
        + "".join(f"{totals[c]:>12,.2f}" if c == "gmv" else f"{totals[c]:>12}" for c in COLUMNS)
    )
    reasons = skip_reasons(engine)
    if reasons:
        lines.append("")
        lines.append("skipped / failed, by reason:")
        for scenario, reason, count in reasons:
            lines.append(f"  {count:>8}  {scenario}: {reason}")
    return "\n".join(lines)


def by_period(engine: Engine, periods: Periods) -> List[Dict[str, float]]:
    """Follow-ups sent, and converted with their GMV, in each period (by when each happened)."""
    db.create_schema(engine)
    rows = [{"sent": 0, "converted": 0, "gmv": 0.0} for _ in range(len(periods))]
    start, end = db.to_db(periods.start), db.to_db(periods.end)
    jobs = db.jobs.c
    with engine.connect() as conn:
        for (sent_at,) in conn.execute(select(jobs.sent_at).where(jobs.sent_at >= start, jobs.sent_at < end)):
            index = periods.index_of_utc(sent_at)
            if index is not None:
                rows[index]["sent"] += 1
        for converted_at, gmv in conn.execute(
            select(jobs.converted_at, jobs.converted_gmv).where(
                jobs.converted_at >= start, jobs.converted_at < end
            )
        ):
            index = periods.index_of_utc(converted_at)
            if index is not None:
                rows[index]["converted"] += 1
                rows[index]["gmv"] = round(rows[index]["gmv"] + float(gmv or 0), 2)
    return rows
