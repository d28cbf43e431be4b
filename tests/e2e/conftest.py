"""Starts the real stack (store backend, action server, Rasa) on free loopback ports."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest
import requests

from tests.support import free_port, stop_process_group, wait_until_up
from xiaoer import identity
from xiaoer.rasa_ext.client import RasaClient

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# CI trains models/xiaoer.tar.gz before pytest; a developer may point at another model.
MODEL = Path(os.environ.get("XIAOER_TEST_MODEL") or ROOT / "models" / "xiaoer.tar.gz")
CATALOGUE_REFRESH = 0.3
# Seconds Rasa may take to load the model; a busy shared machine may need more than CI does.
START_TIMEOUT = float(os.environ.get("XIAOER_TEST_START_TIMEOUT", "240"))


class Stack:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.store_port, self.action_port, self.rasa_port = free_port(), free_port(), free_port()
        self.store_token = "e2e-store-token"
        self.rasa_token = "e2e-rasa-token"
        self.buyer_secret = "e2e-buyer-token-secret"
        self.marketplace_secret = "e2e-marketplace-secret"
        self.store_url = f"http://127.0.0.1:{self.store_port}"
        self.rasa_url = f"http://127.0.0.1:{self.rasa_port}"
        self.processes: Dict[str, subprocess.Popen] = {}
        self.logs: Dict[str, Path] = {}
        self.env = {
            **os.environ,
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
            "XIAOER_STORE_PORT": str(self.store_port),
            "XIAOER_STORE_URL": self.store_url,
            "XIAOER_STORE_TOKEN": self.store_token,
            "XIAOER_STORE_DATABASE_URL": f"sqlite:///{workdir / 'store.db'}",
            "XIAOER_TRACKER_DATABASE_URL": f"sqlite:///{workdir / 'tracker.db'}",
            "XIAOER_STORE_TIMEOUT": "2",
            "SANIC_HOST": "127.0.0.1",
            # Least privilege as deployed: Rasa's catalogue check and the console read with this.
            "XIAOER_STORE_READ_TOKEN": "e2e-store-read-token",
            "XIAOER_RASA_PORT": str(self.rasa_port),
            "XIAOER_MODEL": str(MODEL),
            "XIAOER_BUYER_TOKEN_SECRET": self.buyer_secret,
            "XIAOER_MARKETPLACE_SECRET": self.marketplace_secret,
            # The chat page mints tokens for ?buyer= (the browser tests' demo buyers).
            "XIAOER_DEV_MODE": "1",
            # Rasa re-reads the store's catalogue this often in the background (put() waits for it).
            "XIAOER_CATALOGUE_REFRESH_SECONDS": str(CATALOGUE_REFRESH),
            # Tests chat faster than buyers do; the throttling tests bring their own limits.
            "XIAOER_BUYER_BURST": "40",
            "XIAOER_BUYER_PER_MINUTE": "120",
            "XIAOER_ADDRESS_BURST": "1000",
            "XIAOER_ADDRESS_PER_MINUTE": "6000",
        }
        # Agent console (started on demand by start_console); Rasa's socket.io channel allows its origin.
        self.console_port = free_port()
        self.console_url = f"http://127.0.0.1:{self.console_port}"
        self.env.update(
            {
                "XIAOER_CONSOLE_PORT": str(self.console_port),
                "XIAOER_RASA_URL": self.rasa_url,
                "XIAOER_RASA_TOKEN": self.rasa_token,
                "XIAOER_ACTION_URL": f"http://127.0.0.1:{self.action_port}",
                "XIAOER_ASSIST_DATABASE_URL": f"sqlite:///{workdir / 'assist.db'}",
                "XIAOER_STORE_ID": "haiyue",
            }
        )
        # Follow-up engine (started on demand by start_followup); its clock is real time plus the
        # seconds in followup_clock, which move_followup_clock sets (a test-only switch).
        self.followup_port = free_port()
        self.followup_clock = workdir / "followup-clock"
        self.env.update(
            {
                "XIAOER_FOLLOWUP_PORT": str(self.followup_port),
                "XIAOER_FOLLOWUP_DATABASE_URL": f"sqlite:///{workdir / 'followup.db'}",
                "XIAOER_FOLLOWUP_TEST_CLOCK_FILE": str(self.followup_clock),
                "XIAOER_FOLLOWUP_POLL_SECONDS": "0.3",
            }
        )
        self.endpoints = workdir / "endpoints.yml"
        self.env["XIAOER_ENDPOINTS"] = str(self.endpoints)
        self.endpoints.write_text(
            (ROOT / "endpoints.yml")
            .read_text()
            .replace("http://127.0.0.1:5055/webhook", f"http://127.0.0.1:{self.action_port}/webhook")
        )

    def spawn(self, name: str, args: List[str]) -> subprocess.Popen:
        log = self.workdir / f"{name}.log"
        self.logs[name] = log
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def start_store(self) -> None:
        process = self.spawn("store", [str(BIN / "python"), "-m", "xiaoer.store"])
        wait_until_up(f"{self.store_url}/health", process, self.logs["store"], timeout=60)

    def start(self) -> None:
        self.start_store()
        actions = self.spawn(
            "actions", [str(BIN / "rasa"), "run", "actions", "--port", str(self.action_port)]
        )
        # Configured by the environment (the token never in argv), as `make run` starts it.
        rasa = self.spawn("rasa", [str(BIN / "python"), "-m", "xiaoer.rasa_ext.serve"])
        wait_until_up(f"http://127.0.0.1:{self.action_port}/health", actions, self.logs["actions"])
        wait_until_up(f"{self.rasa_url}/", rasa, self.logs["rasa"], timeout=START_TIMEOUT)

    def start_console(self) -> None:
        if "console" in self.processes and self.processes["console"].poll() is None:
            return
        process = self.spawn("console", [str(BIN / "python"), "-m", "xiaoer.console"])
        wait_until_up(f"{self.console_url}/health", process, self.logs["console"], timeout=60)

    def start_followup(self) -> None:
        if "followup" in self.processes and self.processes["followup"].poll() is None:
            return
        process = self.spawn("followup", [str(BIN / "python"), "-m", "xiaoer.followup"])
        url = f"http://127.0.0.1:{self.followup_port}/health"
        wait_until_up(url, process, self.logs["followup"], timeout=60)

    def move_followup_clock(self, seconds: float) -> None:
        self.followup_clock.write_text(str(seconds))

    def add_agent(self, store_id: str, login: str, password: str) -> None:
        subprocess.run(
            [str(BIN / "python"), "-m", "xiaoer.console", "add-agent", "--store", store_id, "--login", login],
            input=password + "\n", text=True, cwd=ROOT, env=self.env, check=True, capture_output=True,
        )  # fmt: skip

    def stop(self, name: str) -> None:
        process = self.processes.get(name)
        if process:
            stop_process_group(process)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    # --- clients -------------------------------------------------------------

    def put(self, path: str, body: dict) -> requests.Response:
        response = requests.put(
            f"{self.store_url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.store_token}"},
            timeout=10,
        )
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
        if path.startswith("/api/products/"):
            time.sleep(CATALOGUE_REFRESH * 2)  # a product is known to NLU within one refresh
        return response

    def buyer_token(self, buyer: str) -> str:
        return identity.mint(self.buyer_secret, buyer)

    def post_chat(self, buyer: str, text: str) -> requests.Response:
        return requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"message": text},
            headers={"Authorization": f"Bearer {self.buyer_token(buyer)}"},
            timeout=60,
        )

    def chat(self, buyer: str, text: str) -> List[dict]:
        response = self.post_chat(buyer, text)
        assert response.status_code == 200, response.text
        return response.json()

    def rasa_headers(self) -> Dict[str, str]:
        """An admin JWT for Rasa's HTTP API, as the services mint it."""
        return {"Authorization": RasaClient(self.rasa_url, self.rasa_token)._authorization()}

    def socketio_client(self, buyer: str | None):
        """A connected socket.io client, signed in as `buyer` (anonymous when None)."""
        import socketio

        client = socketio.Client()
        auth = {"token": self.buyer_token(buyer)} if buyer else None
        # Polling transport: Rasa's aiohttp pin cannot serve the client's websocket upgrade here.
        client.connect(self.rasa_url, transports=["polling"], socketio_path="/socket.io", auth=auth)
        return client


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test trains before pytest)")
    running = Stack(tmp_path_factory.mktemp("stack"))
    try:
        running.start()
        yield running
    finally:
        running.stop_all()
