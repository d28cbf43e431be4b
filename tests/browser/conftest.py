"""Browser tests: Debian's chromium driven by Playwright, headless, on the real stack + console."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.e2e.conftest import MODEL, ROOT, Stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "results" / "browser"

NOW = datetime.now(timezone.utc)
BUYER = "browser_alice"
SHIPPED_ORDER = "269900000101"
TRACKING_NO = "SF5566778899WEB"
LATEST_EVENT = "快件已到达【上海浦东集散中心】，正在安排派送"
AGENT_LOGIN, AGENT_STORE = "browser_agent", "haiyue"


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# Module scope, not session: while Playwright's sync API is open it marks an event loop as running
# in this thread, and every later test's asyncio.run() would fail.
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/setup.sh does)")
    from playwright.sync_api import expect, sync_playwright

    # Answers go through NLU, the action server and the store: allow a loaded machine its time.
    expect.set_options(timeout=30_000)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory):
    """The real stack with the console, an agent, and a buyer with a shipped order.

    Its own stack, stopped when the module ends, so it never runs beside tests/e2e's session stack.
    """
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test trains before pytest)")
    stack = Stack(tmp_path_factory.mktemp("browser-stack"))
    try:
        stack.start()
        yield seed(stack)
    finally:
        stack.stop_all()


def seed(stack: Stack) -> Stack:
    stack.put(
        "/api/products/WEB-TV-77Q9X",
        {
            "name": "海悦 77Q9X 77英寸 激光QD-Mini LED 240Hz 电视",
            "category": "电视",
            "price": 15999,
            "stock": 3,
            "aliases": ["77Q9X"],
            "attributes": {"屏幕尺寸": "77英寸", "刷新率": "240Hz", "能效等级": "二级能效"},
            # A screenshot answer shows this product's detail page (served by the console here).
            "detail_image_url": f"{stack.console_url}/static/img/wall-mount.svg",
        },
    )
    stack.put(f"/api/buyers/{BUYER}", {"nickname": "浏览器测试买家"})
    stack.put(
        f"/api/orders/{SHIPPED_ORDER}",
        {
            "buyer_id": BUYER,
            "items": [{"sku": "WEB-TV-77Q9X", "qty": 1, "unit_price": 15999}],
            "status": "shipped",
            "created_at": iso(NOW - timedelta(days=3)),
            "paid_at": iso(NOW - timedelta(days=3)),
        },
    )
    stack.put(
        f"/api/orders/{SHIPPED_ORDER}/shipment",
        {
            "carrier": "顺丰速运",
            "tracking_no": TRACKING_NO,
            "eta": iso(NOW + timedelta(days=1)),
            "events": [
                {"time": iso(NOW - timedelta(days=2)), "location": "青岛", "description": "顺丰已揽收"},
                {"time": iso(NOW - timedelta(hours=3)), "location": "上海", "description": LATEST_EVENT},
            ],
        },
    )
    stack.start_console()
    stack.agent_password = secrets.token_urlsafe(12)
    stack.add_agent(AGENT_STORE, AGENT_LOGIN, stack.agent_password)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return stack


@pytest.fixture()
def pages(browser, web: Stack):
    """A phone-sized buyer page and a desktop agent page, each in its own browser context."""
    buyer_context = browser.new_context(
        viewport={"width": 390, "height": 780}, device_scale_factor=2, locale="zh-CN"
    )
    agent_context = browser.new_context(viewport={"width": 1360, "height": 860}, locale="zh-CN")
    dialogs: list = []
    pages = []
    for context in (buyer_context, agent_context):
        context.set_default_timeout(30_000)
        page = context.new_page()
        # Any alert() would mean buyer text ran as script.
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        pages.append(page)
    try:
        yield pages[0], pages[1], dialogs
    finally:
        buyer_context.close()
        agent_context.close()
