"""Fixtures: the store served by uvicorn on a free port, over SQLite and over a real PostgreSQL.

Every test that takes `api` runs once per database. The servers live for the session; the
tables are emptied before each test.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import requests
import uvicorn
from fastapi import FastAPI

from tests.support import free_port
from xiaoer.store.app import create_app
from xiaoer.store.db import metadata

TOKEN = secrets.token_urlsafe(16)
PG_USER = "postgres"  # the OS user the server runs as when we are root; initdb refuses root


class Api(requests.Session):
    """A session against one running store: paths are relative, the token is sent."""

    def __init__(self, base_url: str, token: str | None = TOKEN) -> None:
        super().__init__()
        self.base_url = base_url
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 10)
        return super().request(method, self.base_url + url, *args, **kwargs)

    # Seeding helpers: valid bodies with overrides, asserting the write succeeded.
    def product(self, sku: str, **fields) -> dict:
        body = {
            "name": f"商品 {sku}",
            "category": "电视",
            "price": 1999.0,
            "stock": 10,
            "aliases": [],
            "attributes": {},
            **fields,
        }
        return self._put_ok(f"/api/products/{sku}", body)

    def buyer(self, buyer_id: str, **fields) -> dict:
        return self._put_ok(f"/api/buyers/{buyer_id}", {"nickname": buyer_id, **fields})

    def order(self, order_id: str, buyer_id: str, sku: str, **fields) -> dict:
        body = {
            "buyer_id": buyer_id,
            "items": [{"sku": sku, "qty": 1, "unit_price": 1999.0}],
            "status": "created",
            "created_at": "2024-06-01T10:00:00+08:00",
            **fields,
        }
        return self._put_ok(f"/api/orders/{order_id}", body)

    def _put_ok(self, path: str, body: dict) -> dict:
        response = self.put(path, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run app with uvicorn in a thread on a free loopback port; yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # the OS picks the port, and we keep it: no race
    config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the store server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    pytest.fail(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or "
        "on PATH. The store tests need a real PostgreSQL: apt-get install postgresql",
        pytrace=False,
    )


def _as_db_user(command: list) -> list:
    return ["runuser", "-u", PG_USER, "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on 127.0.0.1, trust auth, stopped at the end."""
    bin_dir = _postgres_bin()
    # Not under pytest's tmp dir: that is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="xiaoer-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, PG_USER, PG_USER)
    data, log, port = root / "data", root / "server.log", free_port()

    def run(*command: str) -> None:
        result = subprocess.run(_as_db_user(list(command)), capture_output=True, text=True)
        if result.returncode != 0:
            server_log = log.read_text() if log.exists() else ""
            pytest.fail(
                f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}{server_log}",
                pytrace=False,
            )

    initdb_options = ["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"]
    run(str(bin_dir / "initdb"), "-D", str(data), *initdb_options)
    # Durability off: this database lives for one test run.
    options = (
        f"-k {root} -p {port} -h 127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


class RunningStore:
    def __init__(self, base_url: str, app: FastAPI) -> None:
        self.base_url = base_url
        self.app = app

    def wipe(self) -> None:
        with self.app.state.database.engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory) -> Iterator[RunningStore]:
    if request.param == "sqlite":
        # A directory that does not exist yet: the store creates it.
        url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'var' / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    app = create_app(url, TOKEN)
    with serve(app) as base_url:
        yield RunningStore(base_url, app)


@pytest.fixture(scope="session")
def serve_app():
    """serve(app) as a fixture, for tests that build an app of their own."""
    return serve


@pytest.fixture
def api(store: RunningStore) -> Iterator[Api]:
    store.wipe()
    with Api(store.base_url) as session:
        yield session
