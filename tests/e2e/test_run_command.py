"""The README's run command: starts everything, loads the demo store, chats, stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.e2e.conftest import MODEL, ROOT
from tests.support import free_port


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_run_command_starts_the_demo_store_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    assert MODEL.exists(), "make test trains the model before pytest"
    store_port, action_port, rasa_port = free_port(), free_port(), free_port()
    console_port, followup_port = free_port(), free_port()
    env = {
        **os.environ,
        "XIAOER_STORE_PORT": str(store_port),
        "XIAOER_STORE_URL": f"http://127.0.0.1:{store_port}",
        "XIAOER_ACTION_PORT": str(action_port),
        "XIAOER_RASA_PORT": str(rasa_port),
        "XIAOER_STORE_TOKEN": "run-test-store-token",
        "XIAOER_RASA_TOKEN": "run-test-rasa-token",
        "XIAOER_STORE_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "XIAOER_TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "XIAOER_CONSOLE_PORT": str(console_port),
        "XIAOER_ASSIST_DATABASE_URL": f"sqlite:///{tmp_path / 'assist.db'}",
        "XIAOER_FOLLOWUP_PORT": str(followup_port),
        "XIAOER_FOLLOWUP_DATABASE_URL": f"sqlite:///{tmp_path / 'followup.db'}",
        "XIAOER_DEV_AGENT_PASSWORD": "run-test-agent-password",
    }
    log = tmp_path / "run.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "xiaoer.run"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while "Xiaoer is running" not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")[-4000:]
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-4000:]
            time.sleep(1)
        assert "training the model" not in log.read_text(errors="replace"), "a fresh model was retrained"

        # The demo store was loaded, and buyer "demo" has several orders to choose from.
        # The REST channel takes the buyer from a token; `make run` generated the signing secret.
        url = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
        assert (
            requests.post(url, json={"sender": "demo", "message": "我的订单"}, timeout=60).status_code == 401
        )
        token = subprocess.run(
            [sys.executable, "-m", "xiaoer.chat", "--buyer", "demo", "--print-token"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"}
        reply = requests.post(url, json={"message": "我的订单到哪了"}, headers=headers, timeout=60).json()
        payloads = [b["payload"] for m in reply for b in m.get("buttons") or []]
        assert len(payloads) >= 2, reply
        answer = requests.post(url, json={"message": payloads[0]}, headers=headers, timeout=60).json()
        assert any("订单" in (m.get("text") or "") for m in answer), answer
        # The agent console and the follow-up engine answer too.
        assert requests.get(f"http://127.0.0.1:{console_port}/login", timeout=10).status_code == 200
        assert requests.get(f"http://127.0.0.1:{followup_port}/health", timeout=10).status_code == 200
    finally:
        # Ctrl-C in a terminal signals the whole foreground process group.
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    for port in (store_port, action_port, rasa_port, console_port, followup_port):
        assert not port_open(port), f"port {port} still open after Ctrl-C"
