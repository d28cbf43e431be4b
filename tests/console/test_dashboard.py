"""The metrics dashboard's figures over HTTP, on the scripted day (tests/assist/scripted_day.py):
conversations in Rasa's own SQL tracker store, decisions in the log, follow-ups in their database."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import pytest

from tests.assist.scripted_day import (
    ROOT,
    record_decisions,
    record_followups,
    save_trackers,
    scripted_conversations,
)
from xiaoer.console.dashboard import Dashboard, Sources
from xiaoer.followup.db import make_engine
from xiaoer.rasa_ext.trackers import TrackerReader

DAY = {"from": "2026-11-24", "to": "2026-11-24"}


@pytest.fixture()
def seeded(console, tmp_path):
    save_trackers(console.tracker_db, scripted_conversations())
    record_decisions(console.decisions)
    followups = make_engine(f"sqlite:///{tmp_path / 'followup.db'}")
    record_followups(followups)
    sources = Sources(
        console.service.trackers,
        console.decisions,
        lambda: followups,
        ROOT / "data" / "nlu",
        ROOT / "knowledge",
    )
    console.service.dashboard = Dashboard(sources, ZoneInfo("Asia/Shanghai"))
    console.login()
    return console


def test_the_day_adds_up_to_what_the_metrics_command_prints(seeded):
    report = seeded.client.get("/api/dashboard", params=DAY).json()

    assert [p["period"] for p in report["periods"]] == ["2026-11-24"]
    day = report["periods"][0]
    # The same figures as `python -m xiaoer.assist.metrics --day 2026-11-24` (tests/assist/test_metrics.py).
    assert (day["buyer_messages"], day["answered_messages"]) == (7, 3)
    assert (day["conversations"], day["handed_off"], day["auto_resolved"]) == (3, 1, 1)
    assert (day["agent_messages"], day["assisted_messages"], day["suggestions_shown"]) == (4, 2, 6)
    assert (day["accepted"], day["edited"], day["rejected"]) == (1, 1, 2)
    assert day["median_seconds_to_send"] == 21.0
    assert (day["followups_sent"], day["followups_converted"], day["followup_gmv"]) == (3, 1, 3999.0)
    assert day["answer_trigger_rate"] == pytest.approx(3 / 7)
    assert report["totals"]["hand_off_rate"] == pytest.approx(1 / 3)
    assert report["notes"] == []


def test_by_hour_each_turn_lands_in_the_hour_its_buyer_wrote(seeded):
    report = seeded.client.get("/api/dashboard", params={**DAY, "by": "hour"}).json()

    hours = {p["period"][11:]: p for p in report["periods"]}
    assert len(hours) == 24
    busy = {h: (p["buyer_messages"], p["answered_messages"]) for h, p in hours.items() if p["buyer_messages"]}
    assert busy == {"00:00": (1, 0), "10:00": (4, 2), "11:00": (2, 1)}
    assert hours["10:00"]["handed_off"] == 1 and hours["10:00"]["accepted"] == 1
    assert [hours[h]["followups_sent"] for h in ("09:00", "10:00")] == [2, 1]
    assert hours["15:00"]["followup_gmv"] == 3999.0
    assert report["totals"]["buyer_messages"] == 7


def test_top_intents_and_misses_come_from_the_days_conversations(seeded):
    report = seeded.client.get("/api/dashboard", params=DAY).json()

    assert report["top_intents"][0] == {"name": "greet", "count": 2}
    assert sum(i["count"] for i in report["top_intents"]) == 7
    misses = report["top_misses"]
    assert any("那个东西弄一下" in m["label"] and "fallback" in m["signals"] for m in misses)
    assert all(m["stage"] and m["suggested"]["kind"] for m in misses)


def test_csv_has_one_row_per_period_with_the_json_figures(seeded):
    report = seeded.client.get("/api/dashboard", params={**DAY, "by": "hour"}).json()
    response = seeded.client.get("/api/dashboard.csv", params={**DAY, "by": "hour"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "xiaoer-metrics-2026-11-24-2026-11-24-by-hour.csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 24
    ten = next(r for r in rows if r["period"] == "2026-11-24 10:00")
    assert (ten["buyer_messages"], ten["answered_messages"], ten["handed_off"]) == ("4", "2", "1")
    assert ten["answer_trigger_rate"] == "0.5"
    assert [r["period"] for r in rows] == [p["period"] for p in report["periods"]]
    assert (rows[0]["buyer_messages"], rows[0]["answer_trigger_rate"]) == ("1", "0.0")  # an apology only
    assert (rows[1]["buyer_messages"], rows[1]["answer_trigger_rate"]) == ("0", "")  # no rate, not 0


def test_a_week_by_day_is_the_default_and_bad_ranges_are_refused(seeded):
    default = seeded.client.get("/api/dashboard").json()
    assert default["by"] == "day" and len(default["periods"]) == 7

    for params, reason in [
        ({"from": "2026-11-25", "to": "2026-11-24"}, "早于"),
        ({"from": "2026-11-01", "to": "2026-11-24", "by": "hour"}, "最多 7 天"),
        ({"from": "2026-11-24", "to": "2026-11-24", "by": "minute"}, "按小时"),
        ({"from": "yesterday"}, "不是日期"),
    ]:
        response = seeded.client.get("/api/dashboard", params=params)
        assert response.status_code == 400, params
        assert reason in response.json()["detail"]


def test_the_dashboard_needs_a_login_and_shows_only_the_agents_own_store(console, seeded):
    anonymous = type(seeded.client)(seeded.client.base_url)
    assert anonymous.get("/api/dashboard", params=DAY).status_code == 401
    assert anonymous.get("/api/dashboard.csv", params=DAY).status_code == 401
    assert anonymous.get("/dashboard").status_code == 303

    seeded.client.cookies.clear()
    seeded.login("mallory")
    assert seeded.client.get("/api/dashboard", params=DAY).status_code == 403


def test_an_unreachable_tracker_store_leaves_a_note_and_the_other_figures(seeded):
    seeded.service.dashboard.sources.trackers = TrackerReader("postgresql://xiaoer@127.0.0.1:9/xiaoer")

    response = seeded.client.get("/api/dashboard", params=DAY)

    assert response.status_code == 200
    report = response.json()
    assert any("tracker store" in note and "127.0.0.1:9" in note for note in report["notes"])
    day = report["periods"][0]
    assert day["buyer_messages"] == 0 and day["answer_trigger_rate"] is None
    assert (day["accepted"], day["followups_sent"]) == (1, 3)
    assert report["top_intents"] == [] and report["top_misses"] == []


def test_an_empty_period_says_so(seeded):
    report = seeded.client.get("/api/dashboard", params={"from": "2026-10-01", "to": "2026-10-02"}).json()

    assert report["notes"] == ["这段时间没有买家消息"]
    assert [p["buyer_messages"] for p in report["periods"]] == [0, 0]


def test_the_page_loads_the_vendored_chart_library_and_links_from_the_console(seeded):
    page = seeded.client.get("/dashboard")

    assert page.status_code == 200
    assert '<script src="/static/vendor/echarts.common.min.js"' in page.text
    assert "https://" not in page.text.split("<body", 1)[0]  # no CDN
    assert seeded.client.get("/static/vendor/echarts.common.min.js").status_code == 200
    assert 'href="/dashboard"' in seeded.client.get("/").text


def test_misses_are_matched_to_the_training_data_as_it_is_now(tmp_path) -> None:
    nlu, knowledge = tmp_path / "nlu", tmp_path / "knowledge"
    nlu.mkdir()
    knowledge.mkdir()
    intents = nlu / "orders.yml"
    intents.write_text("nlu:\n  - intent: cancel_order\n    examples: |\n      - 不要了\n", encoding="utf-8")
    dashboard = Dashboard(Sources(None, None, lambda: None, nlu, knowledge), ZoneInfo("Asia/Shanghai"))
    assert [r.text for r in dashboard.references()] == ["不要了"]

    intents.write_text(intents.read_text(encoding="utf-8") + "      - 帮我撤单\n", encoding="utf-8")

    assert [r.text for r in dashboard.references()] == ["不要了", "帮我撤单"]
