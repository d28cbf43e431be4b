"""`make run-cluster` for real: nginx in front of two Rasa replicas on PostgreSQL, Redis and RabbitMQ.

Twelve buyers chat at once through the front; one replica is killed half-way; every conversation
must still be whole (every message, in order, each answered before the next), pushed messages
must cross replicas through Redis, and Rasa's broker must have fed the metrics' event log.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List

import pytest
import requests
import socketio
from sqlalchemy import create_engine, text

from tests.e2e.conftest import MODEL, ROOT
from xiaoer import identity
from xiaoer.launch import port_open
from xiaoer.rasa_ext.client import RasaClient
from xiaoer.storeapi.client import StoreClient

BUYERS = 12
TURNS = 6
KILL_AFTER = 3
SECRETS = {
    "XIAOER_STORE_TOKEN": "cluster-store-token",
    "XIAOER_STORE_READ_TOKEN": "cluster-store-read-token",
    "XIAOER_RASA_TOKEN": "cluster-rasa-token-0123456789abcdef",
    "XIAOER_BUYER_TOKEN_SECRET": "cluster-buyer-secret-0123456789abcdef",
    "XIAOER_MARKETPLACE_SECRET": "cluster-bridge-secret",
    "XIAOER_FOLLOWUP_PUSH_TOKEN": "cluster-push-token",
    "XIAOER_DEV_AGENT_PASSWORD": "cluster-agent-password",
}


def free_base() -> int:
    """A run of 60 free ports."""
    for _ in range(50):
        base = random.randrange(20000, 40000, 100)
        if not any(port_open(base + offset) for offset in range(60)):
            return base
    raise RuntimeError("no free port range")


class Cluster:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.base = free_base()
        self.front = f"http://127.0.0.1:{self.base + 80}"
        self.env = {
            **os.environ,
            **SECRETS,
            "XIAOER_CLUSTER_DIR": str(workdir / "cluster"),
            "XIAOER_CLUSTER_PORT": str(self.base + 80),
            "XIAOER_CLUSTER_PORT_BASE": str(self.base),
            "XIAOER_MODEL": str(MODEL),
        }
        self.log = workdir / "cluster.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "xiaoer.cluster"],
            cwd=ROOT, env=self.env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 900
        while "Xiaoer cluster is running" not in self.log.read_text(errors="replace"):
            assert self.process.poll() is None, self.log.read_text(errors="replace")[-5000:]
            assert time.monotonic() < deadline, self.log.read_text(errors="replace")[-5000:]
            time.sleep(2)
        self.pids: Dict[str, int] = json.loads((workdir / "cluster" / "processes.json").read_text())
        self.rasa = RasaClient(self.front, SECRETS["XIAOER_RASA_TOKEN"], timeout=60)
        self.store = StoreClient(
            f"http://127.0.0.1:{self.base + 10}", SECRETS["XIAOER_STORE_TOKEN"], timeout=30
        )

    def replica_url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.base + 20 + n - 1}"

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                return self.process.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                raise
        return self.process.returncode


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train`")
    running = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield running
    finally:
        running.stop()


def buyer(i: int) -> str:
    return f"cluster_buyer_{i}"


def order(i: int) -> str:
    return f"2697{i:08d}"


def seed(cluster: Cluster) -> None:
    now = datetime.now(timezone.utc)
    cluster.store.put_product(
        "CLUSTER-TV",
        {
            "name": "海悦 集群电视",
            "category": "电视",
            "price": 2999,
            "stock": 9,
            "aliases": ["集群1"],
            "attributes": {},
        },
    )
    for i in range(BUYERS):
        cluster.store.put_buyer(buyer(i), {"nickname": buyer(i)})
        cluster.store.put_order(
            order(i),
            {"buyer_id": buyer(i), "items": [{"sku": "CLUSTER-TV", "qty": 1, "unit_price": 2999}],
             "status": "shipped", "created_at": (now - timedelta(days=2)).isoformat(),
             "paid_at": (now - timedelta(days=2)).isoformat()},
        )  # fmt: skip
        cluster.store.put_shipment(
            order(i), {"carrier": "顺丰速运", "tracking_no": f"SFCLUSTER{i:04d}", "events": [
                {"time": (now - timedelta(hours=3)).isoformat(), "location": "上海", "description": "运输中"}]},
        )  # fmt: skip


def external(event: dict) -> bool:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name", "").startswith("EXTERNAL_")


def message(i: int, turn: int) -> str:
    # Every turn a live lookup (store and action server in the path), numbered so order can be
    # checked; a small-talk turn in between made the test depend on how sure NLU was of 好的谢谢.
    return f"订单{order(i)}到哪了（第{turn + 1}次）"


def test_a_pushed_message_crosses_replicas_through_redis(cluster: Cluster) -> None:
    client = socketio.Client()
    got: List[dict] = []
    client.on("bot_uttered", got.append)
    token = identity.mint(SECRETS["XIAOER_BUYER_TOKEN_SECRET"], "cluster_pushed")
    # Connected to replica 1; the push is made on replica 2.
    client.connect(
        cluster.replica_url(1), transports=["polling"], socketio_path="/socket.io", auth={"token": token}
    )
    try:
        client.emit("session_request", {})
        client.sleep(1)
        RasaClient(cluster.replica_url(2), SECRETS["XIAOER_RASA_TOKEN"], timeout=60).trigger_intent(
            "cluster_pushed", "greet", output_channel="socketio"
        )
        deadline = time.monotonic() + 20
        while not got and time.monotonic() < deadline:
            client.sleep(0.2)
    finally:
        client.disconnect()
    assert got, "the message pushed on replica 2 never reached the buyer on replica 1"


def test_twelve_buyers_stay_whole_when_a_replica_dies(cluster: Cluster) -> None:
    seed(cluster)
    half_way = threading.Barrier(BUYERS + 1)
    failures: List[str] = []

    def chat(i: int) -> None:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {identity.mint(SECRETS['XIAOER_BUYER_TOKEN_SECRET'], buyer(i))}"}
        for turn in range(TURNS):
            if turn == KILL_AFTER:
                half_way.wait(timeout=300)  # the replica is killed while everybody waits here
                half_way.wait(timeout=300)
            response = session.post(
                f"{cluster.front}/webhooks/rest/webhook", json={"message": message(i, turn)}, headers=headers,
                timeout=120,
            )  # fmt: skip
            if response.status_code != 200 or not response.json():
                failures.append(f"{buyer(i)} turn {turn + 1}: {response.status_code} {response.text[:200]}")
                return

    threads = [threading.Thread(target=chat, args=(i,)) for i in range(BUYERS)]
    for thread in threads:
        thread.start()
    half_way.wait(timeout=600)
    # Rasa's pika broker publishes a turn's events in a background task after the tracker is
    # saved: a kill before that task has run loses the turn from the broker (not from the tracker;
    # docs/scaling.md). Crash between turns, once the turns so far are in the event log, not
    # inside one: on a loaded 2-core machine one second after the last reply was not always enough.
    before_kill = [message(i, turn) for i in range(BUYERS) for turn in range(KILL_AFTER)]
    logged = broker_fed_texts(cluster, until=len(before_kill), seconds=60)
    if sorted(logged) != sorted(before_kill):
        half_way.abort()  # let the buyers' threads go
        pytest.fail(
            f"after 60 s the broker had delivered {len(logged)} of the {len(before_kill)} turns before the kill"
        )
    os.killpg(cluster.pids["rasa-1"], signal.SIGKILL)  # no goodbye: a crashed replica
    time.sleep(1)
    half_way.wait(timeout=60)
    for thread in threads:
        thread.join(timeout=600)

    assert failures == []
    assert "rasa-1 exited" in cluster.log.read_text(errors="replace")
    for i in range(BUYERS):
        tracker = cluster.rasa.tracker(buyer(i))
        # The follow-up engine's notices (the orders seeded above shipped) are not the buyer's words.
        said = [
            e for e in tracker["events"] if e["event"] == "bot" or (e["event"] == "user" and not external(e))
        ]
        texts = [e["text"] for e in said if e["event"] == "user"]
        assert texts == [message(i, turn) for turn in range(TURNS)], buyer(i)  # all, in order, once
        for before, after in zip(said, said[1:], strict=False):
            assert not (before["event"] == "user" and after["event"] == "user"), f"{buyer(i)}: unanswered"
        assert said[-1]["event"] == "bot"
    asked = [e for e in cluster.rasa.tracker(buyer(0))["events"] if e["event"] == "bot"]
    assert any("SFCLUSTER0000" in (e.get("text") or "") for e in asked)


def broker_fed_texts(cluster: Cluster, until: int, seconds: float) -> List[str]:
    """The cluster buyers' own messages in the metrics' event log (fed by Rasa's broker), read
    until there are `until` of them or `seconds` have passed."""
    engine = create_engine(f"postgresql://xiaoer@127.0.0.1:{cluster.base + 1}/assist")
    query = text(
        "SELECT data FROM assist_events WHERE sender_id LIKE 'cluster_buyer_%' AND type_name = 'user'"
    )
    deadline = time.monotonic() + seconds
    try:
        while True:
            with engine.connect() as conn:
                events = [json.loads(data) for (data,) in conn.execute(query)]
            said = [e["text"] for e in events if not external(e)]
            if len(said) >= until or time.monotonic() > deadline:
                return said
            time.sleep(0.2)
    finally:
        engine.dispose()


def test_the_broker_fed_the_metrics_event_log(cluster: Cluster) -> None:
    said = broker_fed_texts(cluster, until=BUYERS * TURNS, seconds=30)
    # Every message once, none lost (the replica's last ones were sent before it died), none twice.
    assert sorted(said) == sorted(message(i, turn) for i in range(BUYERS) for turn in range(TURNS))


def test_the_cluster_stops_gracefully_on_ctrl_c(cluster: Cluster) -> None:
    assert cluster.stop() == 0
    assert "xiaoer.cluster: stopped" in cluster.log.read_text(errors="replace")
    for offset in (1, 2, 3, 10, 20, 21, 30, 31, 50, 80):
        assert not port_open(cluster.base + offset), f"port {cluster.base + offset} still open"
