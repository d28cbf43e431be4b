"""`python -m xiaoer.store`: refuses to start without a token; serves with one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]


def _env(**overrides: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOER_")}
    env.update(overrides)
    return env


def test_exits_with_a_clear_message_without_token(tmp_path: Path) -> None:
    env = _env(XIAOER_STORE_DATABASE_URL=f"sqlite:///{tmp_path / 'store.db'}")
    result = subprocess.run(
        [sys.executable, "-m", "xiaoer.store"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "XIAOER_STORE_TOKEN" in result.stderr
    assert not (tmp_path / "store.db").exists()


def test_serves_with_settings_from_the_environment(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = _env(
        XIAOER_STORE_TOKEN="main-test-token",
        XIAOER_STORE_PORT=str(port),
        XIAOER_STORE_DATABASE_URL=f"sqlite:///{tmp_path / 'new' / 'store.db'}",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "xiaoer.store"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, process.stdout.read()
            try:
                if requests.get(base + "/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the store did not answer /health"
            time.sleep(0.1)
        auth = {"Authorization": "Bearer main-test-token"}
        assert requests.get(base + "/api/products", headers=auth, timeout=5).json() == []
        assert (tmp_path / "new" / "store.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
