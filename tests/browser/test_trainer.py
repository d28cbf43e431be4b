"""The 训练师 page in Debian's chromium: mine the missed price-drop questions, read a conversation
masked, tick the examples, preview the diff, write it, and see the retrain command."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.actions.fake_store import FakeStore
from tests.browser.conftest import SCREENSHOTS
from tests.browser.console_server import serving, signed_in
from tests.console.conftest import FakeRasa, FakeSuggester, save_tracker
from tests.trainer.live_misses import PHONE_TEXT, PRICE_DROP, LearningModel, conversation, copy_project
from xiaoer.assist.decisions import DecisionLog
from xiaoer.console.auth import AgentStore
from xiaoer.console.service import ConsoleService
from xiaoer.console.training import Project, TrainingDesk
from xiaoer.rasa_ext.trackers import TrackerReader
from xiaoer.settings import ConsoleSettings
from xiaoer.trainer.mining import MiningSources

LOGIN, PASSWORD = "trainer_tina", "correct horse battery"


# Module scope and requested before `browser` (see test_dashboard.py: Rasa's tracker store runs
# asyncio.run, which cannot run once Playwright holds this thread's event loop).
@pytest.fixture(scope="module")
def trainer_console(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("trainer")
    project = copy_project(workdir / "project")
    settings = ConsoleSettings(
        store_id="haiyue",
        database_url=f"sqlite:///{workdir / 'assist.db'}",
        tracker_database_url=f"sqlite:///{workdir / 'tracker.db'}",
        rasa_url="http://127.0.0.1:9",
    )
    now = time.time() - 600
    for i, text in enumerate([*PRICE_DROP, PHONE_TEXT]):
        save_tracker(workdir / "tracker.db", f"buyer-{i}", conversation(text, now + i * 10))
    agents = AgentStore(settings.database_url)
    agents.add_agent("haiyue", LOGIN, PASSWORD, role="trainer")
    trackers, decisions = TrackerReader(settings.tracker_database_url), DecisionLog(settings.database_url)
    store = FakeStore()
    mining = MiningSources(
        trackers, decisions, store, project / "data" / "nlu", project / "knowledge", LearningModel(project)
    )
    service = ConsoleService(
        settings=settings,
        agents=agents,
        trackers=trackers,
        rasa=FakeRasa(),
        suggester=FakeSuggester(),
        decisions=decisions,
        store=store,
        training=TrainingDesk(mining, Project(project, project / "data" / "nlu", project / "knowledge")),
    )
    with serving(service) as url:
        yield url, project


@pytest.fixture()
def page(trainer_console, browser):
    url, _ = trainer_console
    with signed_in(browser, url, LOGIN, PASSWORD, "/trainer") as page:
        expect(page.locator("#trainer")).to_have_attribute("data-mined", re.compile(r"\d+"))
        yield page


def test_a_trainer_turns_a_missed_cluster_into_examples(page: Page, trainer_console) -> None:
    _, project = trainer_console
    cluster = page.locator(".cluster").filter(has_text="降价")
    expect(cluster.locator(".badge")).to_have_text("×3")
    expect(cluster).to_contain_text("买了就降价怎么处理 电话138****5678")
    expect(cluster).not_to_contain_text("13812345678")
    # Three signed-in buyers, none of whom ordered: all lost (their messages had no stage).
    expect(page.locator("#churn-stages tbody tr")).to_have_text(re.compile(r"其他\s*3\s*0\s*0%\s*3"))

    cluster.get_by_role("button", name="buyer-2").click()
    expect(page.locator("#viewer-messages")).to_contain_text("电话138****5678")

    for box in cluster.locator("input[type=checkbox]").all():
        box.check()
    expect(page.locator("#selected-count")).to_have_text("3")
    page.select_option("#intent", "ask_price_protection")
    page.click("#preview")
    expect(page.locator("#diff")).to_contain_text("+      - 买了隔天就降价怎么处理")
    expect(page.locator("#edit-status")).to_contain_text("预览 data/nlu/promotions.yml：3 条")
    assert "买了隔天就降价怎么处理" not in (project / "data" / "nlu" / "promotions.yml").read_text(
        encoding="utf-8"
    )

    page.click("#write")
    expect(page.locator("#retrain")).to_contain_text("make finetune")
    expect(page.locator("#edit-status")).to_contain_text("已写入 data/nlu/promotions.yml")
    assert "买了隔天就降价怎么处理" in (project / "data" / "nlu" / "promotions.yml").read_text(
        encoding="utf-8"
    )
    page.screenshot(path=str(SCREENSHOTS / "trainer.png"), full_page=True)

    # The model (here a fake that knows the training data as written) now gets them right.
    page.check("#again")
    page.click("#mine")
    expect(page.locator("#mine-status")).to_contain_text("当前模型已答对 3 条")
    expect(page.locator(".cluster").filter(has_text="降价")).to_have_count(0)
