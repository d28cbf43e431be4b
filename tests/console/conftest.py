"""Console tests: the real app, agent store, tracker store (written by Rasa's own SQLTrackerStore)
and decision log on SQLite files; fakes for Rasa's HTTP API, the suggester and the store."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import requests
import uvicorn
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    insert,
)

from tests.actions.fake_store import ALICE, FakeStore
from tests.support import free_port
from xiaoer.assist.decisions import DecisionLog
from xiaoer.assist.suggest import Suggestion
from xiaoer.console.app import create_app
from xiaoer.console.auth import AgentStore, hash_password, utcnow
from xiaoer.console.service import ConsoleService
from xiaoer.rasa_ext.trackers import TrackerReader
from xiaoer.settings import ConsoleSettings

PASSWORD = "correct horse battery"
XSS = "<script>alert(1)</script>"
SHIPPED_ORDER = "261100000001"
TRACKING_NO = "SF1234567890CN"


class FakeRasa:
    """Records what the console asked of Rasa's HTTP API; `down` makes every call fail."""

    def __init__(self) -> None:
        self.sent: List[Dict[str, Any]] = []
        self.handed_back: List[tuple] = []
        self.down = False

    def send_agent_message(self, conversation_id, text, agent_id, buttons=None, custom=None) -> None:
        if self.down:
            raise ConnectionError("rasa down")
        self.sent.append(
            {
                "conversation_id": conversation_id,
                "text": text,
                "agent_id": agent_id,
                "buttons": buttons,
                "custom": custom,
            }
        )

    def hand_back(self, conversation_id, agent_id) -> None:
        if self.down:
            raise ConnectionError("rasa down")
        self.handed_back.append((conversation_id, agent_id))


@dataclass
class FakeSuggester:
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    calls: List[str] = field(default_factory=list)

    def suggest(self, conversation_id: str, text: str | None = None, limit: int = 3) -> List[Suggestion]:
        self.calls.append(conversation_id)
        n = next(self.counter)
        return [
            Suggestion(
                f"s{n}-logistics",
                f"您的订单{SHIPPED_ORDER}由顺丰速运配送，运单号{TRACKING_NO}。",
                0.91,
                "query_logistics",
                "action",
                buttons=[{"title": "转人工", "payload": "/request_human"}],
            ),
            Suggestion(f"s{n}-urge", "已帮您催促仓库尽快发货。", 0.06, "urge_shipment", "action"),
        ][:limit]


def save_tracker(database: Path, sender_id: str, events: list) -> None:
    """Write a conversation the way the Rasa server does: through its SQL tracker store."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.slots import AnySlot
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(database))
    slots = [AnySlot(name, mappings=[]) for name in ("order_id", "product_sku")]
    tracker = asyncio.run(store.retrieve(sender_id)) or DialogueStateTracker(sender_id, slots=slots)
    for event in events:
        tracker.update(event)
    asyncio.run(store.save(tracker))
    store.engine.dispose()


def waiting_conversation(
    buyer: str, text: str = "我的快递到哪了", at: float = 1_700_000_000.0, last: str = XSS
) -> list:
    from rasa.shared.core.events import (
        ActionExecuted,
        BotUttered,
        ConversationPaused,
        SlotSet,
        UserUttered,
    )

    return [
        ActionExecuted("action_listen", timestamp=at),
        UserUttered(text, {"name": "query_logistics", "confidence": 0.9}, timestamp=at + 1),
        SlotSet("order_id", SHIPPED_ORDER, timestamp=at + 2),
        BotUttered(
            "您的订单已发货。",
            {"buttons": [{"title": "转人工", "payload": "/request_human"}]},
            timestamp=at + 3,
        ),
        UserUttered("转人工", {"name": "request_human", "confidence": 0.99}, timestamp=at + 4),
        BotUttered("好的，正在为您转接人工客服。", timestamp=at + 5),
        ConversationPaused(timestamp=at + 6),
        UserUttered(last, {"name": "out_of_scope", "confidence": 0.5}, timestamp=at + 7),
    ]


class Client(requests.Session):
    """A browser-like session against the console server: relative paths, cookies kept."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 10)
        kwargs["allow_redirects"] = False  # tests look at redirects themselves
        return super().request(method, self.base_url + url, *args, **kwargs)


@dataclass
class Console:
    client: Client
    service: ConsoleService
    rasa: FakeRasa
    suggester: FakeSuggester
    decisions: DecisionLog
    store: FakeStore
    agents: AgentStore
    tracker_db: Path

    def login(self, login: str = "alice", password: str = PASSWORD, address: str | None = None):
        """Log in through the form; `address` stands for another client (X-Forwarded-For, which
        the server believes from loopback only)."""
        headers = {"X-Forwarded-For": address} if address else {}
        page = self.client.get("/login", headers=headers)
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        return self.client.post(
            "/login",
            data={"login": login, "password": password, "csrf_token": token},
            headers=headers,
        )

    def csrf(self) -> str:
        page = self.client.get("/")
        return page.text.split('data-csrf="', 1)[1].split('"', 1)[0]


@pytest.fixture(scope="session")
def console_server():
    """One uvicorn server on loopback for the session; each test installs its own service."""
    app = create_app(None)  # type: ignore[arg-type]
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            ws="none",
            log_level="warning",
            lifespan="off",
            # As `python -m xiaoer.console` serves: X-Forwarded-For believed from loopback only
            # (tests stand in for other client addresses with it).
            proxy_headers=True,
            forwarded_allow_ips="127.0.0.1,::1",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "console test server did not start"
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture()
def console_overrides() -> Dict[str, Any]:
    """ConsoleSettings for the `console` fixture beyond the defaults; a test module overrides
    this fixture to run with, say, small login limits."""
    return {}


@pytest.fixture()
def console(tmp_path: Path, console_server, console_overrides: Dict[str, Any]) -> Console:
    tracker_db = tmp_path / "tracker.db"
    settings = ConsoleSettings(
        **{
            "store_id": "haiyue",
            "database_url": f"sqlite:///{tmp_path / 'assist.db'}",
            "tracker_database_url": f"sqlite:///{tracker_db}",
            "rasa_url": "http://127.0.0.1:9",
            "poll_seconds": 0.05,
            **console_overrides,
        }
    )
    agents = AgentStore(settings.database_url)
    agents.add_agent("haiyue", "alice", PASSWORD)
    agents.add_agent("other-store", "mallory", PASSWORD)
    store = FakeStore()
    store.put_order(SHIPPED_ORDER, buyer_id=ALICE, status="shipped")
    store.put_shipment(
        SHIPPED_ORDER,
        tracking_no=TRACKING_NO,
        events=[
            {"time": "2026-11-24T10:00:00+08:00", "location": "杭州", "description": "快件已到达杭州转运中心"}
        ],
    )
    rasa, suggester = FakeRasa(), FakeSuggester()
    decisions = DecisionLog(settings.database_url)
    service = ConsoleService(
        settings=settings,
        agents=agents,
        trackers=TrackerReader(settings.tracker_database_url),
        rasa=rasa,
        suggester=suggester,
        decisions=decisions,
        store=store,
    )
    app, base_url = console_server
    app.state.service = service
    with Client(base_url) as client:
        yield Console(client, service, rasa, suggester, decisions, store, agents, tracker_db)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A throwaway Redis (Debian's redis-server) on 127.0.0.1, nothing saved, stopped at the end."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        pytest.fail("redis-server not found: install Debian's redis-server (scripts/setup.sh --test)")
    port, workdir = free_port(), tmp_path_factory.mktemp("redis")
    log = workdir / "redis.log"
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--logfile", str(log)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                text = log.read_text() if log.exists() else ""
                pytest.fail(f"redis-server did not start:\n{text}", pytrace=False)
            time.sleep(0.05)
    client.close()
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- an agent database of the first release (before `disabled`) -------------------------------


def old_agents_table(metadata: MetaData) -> Table:
    """console_agents as the first release created it, before `disabled`."""
    return Table(
        "console_agents",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("store_id", String(64), nullable=False),
        Column("login", String(64), nullable=False),
        Column("password_hash", String(255), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        UniqueConstraint("login", name="uq_console_agents_login"),
    )


def database_of_the_first_release(database_url: str) -> None:
    engine = create_engine(database_url, future=True)
    metadata = MetaData()
    table = old_agents_table(metadata)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(table).values(
                store_id="haiyue", login="alice", password_hash=hash_password(PASSWORD), created_at=utcnow()
            )
        )
    engine.dispose()


def check_upgraded(database_url: str) -> None:
    """An agent store opened on an old database adds the column; agents stay enabled."""
    agents = AgentStore(database_url)
    agent = agents.authenticate("alice", PASSWORD)
    assert agent is not None and not agents.is_disabled("alice")
    session = agents.open_session(agent)
    assert agents.set_disabled("alice") == 1
    assert agents.session(session.token) is None and agents.authenticate("alice", PASSWORD) is None
    # Agents of before roles are agents, not trainers.
    assert agent.role == "agent" and not agent.is_trainer
    # A second process opening the same database finds the column there.
    again = AgentStore(database_url)
    assert again.is_disabled("alice")
    again.set_disabled("alice", False)
    assert again.authenticate("alice", PASSWORD) == agent
    agents.engine.dispose()
    again.engine.dispose()


# A real PostgreSQL on loopback, shared with the store backend's suite.
from tests.store.conftest import postgres_url  # noqa: E402, F401
