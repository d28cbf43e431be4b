"""A console app served by uvicorn on a free loopback port, in a thread (no Rasa stack behind it)."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Iterator

import uvicorn

from tests.support import free_port
from xiaoer.console.app import create_app
from xiaoer.console.service import ConsoleService


@contextlib.contextmanager
def serving(service: ConsoleService) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(service), host="127.0.0.1", port=port, ws="none", log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "console did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def signed_in(browser, url: str, login: str, password: str, link: str) -> Iterator:
    """A desktop page logged in through the form and sent to `link` from the console. Fails at
    the end on any script error or Content-Security-Policy violation the page logged."""
    context = browser.new_context(
        viewport={"width": 1360, "height": 1000}, locale="zh-CN", accept_downloads=True
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{url}/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("#login-submit")
    page.click(f"a[href='{link}']")
    try:
        yield page
    finally:
        context.close()
    assert errors == []
