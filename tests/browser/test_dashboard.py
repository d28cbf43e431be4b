"""The metrics dashboard in Debian's chromium: with the scripted day seeded, every chart renders
with data, the hourly view has 24 points, and the CSV export downloads the same periods."""

from __future__ import annotations

import csv
import io
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.actions.fake_store import FakeStore
from tests.assist.scripted_day import (
    ROOT,
    record_decisions,
    record_followups,
    save_trackers,
    scripted_conversations,
)
from tests.browser.conftest import SCREENSHOTS
from tests.browser.console_server import serving, signed_in
from tests.console.conftest import FakeRasa, FakeSuggester
from xiaoer.assist.decisions import DecisionLog
from xiaoer.console.auth import AgentStore
from xiaoer.console.dashboard import Dashboard, Sources
from xiaoer.console.service import ConsoleService
from xiaoer.followup.db import make_engine
from xiaoer.rasa_ext.trackers import TrackerReader
from xiaoer.settings import ConsoleSettings

LOGIN, PASSWORD = "dashboard_agent", "correct horse battery"
CHARTS = (
    "chart-rates",
    "chart-volume",
    "chart-suggestions",
    "chart-followups",
    "chart-intents",
    "chart-misses",
)

# What a chart holds: its series' data, and how many of the canvas's pixels are drawn.
CHART_STATE = """(id) => {
  const node = document.getElementById(id);
  const chart = echarts.getInstanceByDom(node);
  const canvas = node.querySelector("canvas");
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) drawn++;
  return {series: chart.getOption().series.map(s => s.data), axis: chart.getOption().xAxis[0].data, drawn};
}"""


# Module scope and requested before `browser`: seeding runs asyncio.run (Rasa's tracker store),
# which cannot run once Playwright's sync API holds this thread's event loop.
@pytest.fixture(scope="module")
def dashboard_console(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("dashboard")
    settings = ConsoleSettings(
        store_id="haiyue",
        database_url=f"sqlite:///{workdir / 'assist.db'}",
        tracker_database_url=f"sqlite:///{workdir / 'tracker.db'}",
        rasa_url="http://127.0.0.1:9",
    )
    save_trackers(workdir / "tracker.db", scripted_conversations())
    decisions = DecisionLog(settings.database_url)
    record_decisions(decisions)
    followups = make_engine(f"sqlite:///{workdir / 'followup.db'}")
    record_followups(followups)
    agents = AgentStore(settings.database_url)
    agents.add_agent("haiyue", LOGIN, PASSWORD)
    trackers = TrackerReader(settings.tracker_database_url)
    sources = Sources(trackers, decisions, lambda: followups, ROOT / "data" / "nlu", ROOT / "knowledge")
    service = ConsoleService(
        settings=settings,
        agents=agents,
        trackers=trackers,
        rasa=FakeRasa(),
        suggester=FakeSuggester(),
        decisions=decisions,
        store=FakeStore(),
        dashboard=Dashboard(sources, ZoneInfo("Asia/Shanghai")),
    )
    with serving(service) as url:
        yield url


@pytest.fixture()
def page(dashboard_console: str, browser):
    with signed_in(browser, dashboard_console, LOGIN, PASSWORD, "/dashboard") as page:
        expect(page.locator("#dashboard")).to_have_attribute("data-loaded", re.compile(".+/day$"))
        yield page


def show(page: Page, by: str) -> None:
    page.fill("#from", "2026-11-24")
    page.fill("#to", "2026-11-24")
    page.select_option("#by", by)
    page.click("#dashboard-form button[type=submit]")
    expect(page.locator("#dashboard")).to_have_attribute("data-loaded", f"2026-11-24..2026-11-24/{by}")


def numbers(series: list) -> list:
    return [value for data in series for value in data if isinstance(value, (int, float))]


def test_every_chart_renders_with_the_seeded_days_figures(page: Page) -> None:
    show(page, "day")

    for chart in CHARTS:
        state = page.evaluate(CHART_STATE, chart)
        assert state["drawn"] > 500, f"{chart} drew nothing"
        assert sum(numbers(state["series"])) > 0, f"{chart} has no data"
    rates = page.evaluate(CHART_STATE, "chart-rates")["series"]
    assert rates[0] == [42.9]  # answer trigger rate: 3 of 7 buyer messages
    intents = page.evaluate(CHART_STATE, "chart-intents")
    assert max(numbers(intents["series"])) == 2  # greet, twice
    expect(page.locator("#tiles")).to_contain_text("¥3999.00")
    expect(page.locator("#tiles")).to_contain_text("42.9%")
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)


def test_by_hour_has_24_points_and_the_csv_matches(page: Page) -> None:
    show(page, "hour")

    volume = page.evaluate(CHART_STATE, "chart-volume")
    assert volume["axis"] == [f"{h:02d}:00" for h in range(24)]
    buyer_messages = volume["series"][0]
    assert (buyer_messages[0], buyer_messages[10], buyer_messages[11]) == (1, 4, 2)
    with page.expect_download() as download:
        page.click("#csv-link")
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert [r["period"][11:] for r in rows] == volume["axis"]
    assert [int(r["buyer_messages"]) for r in rows] == buyer_messages
