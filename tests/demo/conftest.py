"""Fixtures: the catalogue, the demo generated at fixed moments, and the real store backend."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import requests

from tests.support import free_port, stop_process_group, wait_until_up
from xiaoer.demo import SHANGHAI
from xiaoer.demo.catalog import load_catalog
from xiaoer.demo.generate import DemoData, generate

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)
# Other moments, for what must hold whenever the demo is loaded: other seasons (the big sales
# around them differ), the small hours (deliveries happen in the daytime), a year's last minute.
OTHER_NOWS = (
    datetime(2027, 1, 5, 3, 10, tzinfo=SHANGHAI),
    datetime(2027, 6, 15, 22, 45, tzinfo=SHANGHAI),
    datetime(2027, 3, 1, 0, 0, tzinfo=SHANGHAI),
    datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI),
)


@pytest.fixture(scope="session")
def catalog() -> List[dict]:
    return load_catalog()


@pytest.fixture(scope="session")
def demo(catalog) -> DemoData:
    return generate(NOW, catalog)


@pytest.fixture(scope="session", params=[NOW, *OTHER_NOWS], ids=lambda now: now.strftime("%Y%m%d-%H%M"))
def any_demo(request, catalog) -> DemoData:
    return generate(request.param, catalog)


class Store:
    """The reference store backend (`python -m xiaoer.store`) running in a subprocess."""

    def __init__(self, url: str, token: str, log: Path) -> None:
        self.url = url
        self.token = token
        self.log = log

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return requests.request(method, self.url + path, headers=headers, timeout=10, **kwargs)

    def get(self, path: str, **kwargs):
        response = self.api("GET", path, **kwargs)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def demo_command(self, *args: str, env: Dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """`python -m xiaoer.demo ARGS`, with this store's URL and token in the environment."""
        environment = {**os.environ, "XIAOER_STORE_URL": self.url, "XIAOER_STORE_TOKEN": self.token}
        environment.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "xiaoer.demo", *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store with an empty SQLite database, stopped after the test."""
    port, token = free_port(), "demo-test-token"
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOER_")}
    env.update(
        XIAOER_STORE_PORT=str(port),
        XIAOER_STORE_TOKEN=token,
        XIAOER_STORE_DATABASE_URL=f"sqlite:///{tmp_path / 'store.db'}",
    )
    log = tmp_path / "store.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "xiaoer.store"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/health", process, log, timeout=60)
        yield Store(url, token, log)
    finally:
        stop_process_group(process)
