"""`disable-agent` / `enable-agent`: logged out everywhere, refused like a wrong password."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import List

from tests.console.conftest import PASSWORD, Client, Console, check_upgraded, database_of_the_first_release
from xiaoer.console.auth import AgentStore
from xiaoer.console.deps import SESSION_COOKIE

ROOT = Path(__file__).resolve().parents[2]


def console_command(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "XIAOER_ASSIST_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "xiaoer.console", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def error_of(page: str) -> str:
    return page.split('role="alert">', 1)[1].split("<", 1)[0]


def test_disable_agent_ends_every_session_and_refuses_login_enable_agent_undoes_it(console: Console) -> None:
    # alice is logged in from two browsers, one with the live stream open.
    assert console.login().status_code == 303
    with Client(console.client.base_url) as laptop:
        assert dataclasses.replace(console, client=laptop).login().status_code == 303
        sessions = [console.client.cookies.get(SESSION_COOKIE), laptop.cookies.get(SESSION_COOKIE)]
        assert all(console.agents.session(token) for token in sessions)
        stream = laptop.get("/api/stream", stream=True)
        assert stream.status_code == 200
        events: List[str] = []
        reader = threading.Thread(
            target=lambda: events.extend(line for line in stream.iter_lines(decode_unicode=True) if line),
            daemon=True,
        )
        reader.start()

        done = console_command(console.service.settings.database_url, "disable-agent", "--login", "alice")
        assert done.returncode == 0, done.stderr
        assert "alice disabled" in done.stdout and "2 open session(s) closed" in done.stdout

        # Logged out everywhere at once: both sessions gone, the open stream told to log out.
        assert not any(console.agents.session(token) for token in sessions)
        reader.join(timeout=10)
        assert not reader.is_alive() and "event: logout" in events
        for client in (console.client, laptop):
            assert client.get("/api/queue").status_code == 401
            assert client.get("/").headers["location"] == "/login"

    # The right password gets the same answer as a wrong one.
    refused = console.login()
    assert refused.status_code == 401 and "账号或密码不正确" in refused.text
    wrong = console.login(password="wrong password")
    assert wrong.status_code == 401 and error_of(wrong.text) == error_of(refused.text)
    # Other agents are untouched.
    assert console.agents.authenticate("mallory", PASSWORD) is not None

    done = console_command(console.service.settings.database_url, "enable-agent", "--login", "alice")
    assert done.returncode == 0, done.stderr
    assert "alice enabled" in done.stdout
    assert console.login().status_code == 303
    assert console.client.get("/api/queue").status_code == 200


def test_disable_agent_with_an_unknown_login_says_so_and_exits_1(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'agents.db'}"
    AgentStore(database).add_agent("haiyue", "alice", PASSWORD)
    for command in ("disable-agent", "enable-agent"):
        done = console_command(database, command, "--login", "nobody")
        assert done.returncode == 1
        assert "no agent 'nobody'" in done.stderr
    assert AgentStore(database).authenticate("alice", PASSWORD) is not None


def test_a_session_opened_while_the_agent_was_being_disabled_is_refused(tmp_path: Path) -> None:
    """authenticate() passed just before disable-agent; the session is opened just after."""
    agents = AgentStore(f"sqlite:///{tmp_path / 'a.db'}")
    agent = agents.add_agent("haiyue", "alice", PASSWORD)
    assert agents.authenticate("alice", PASSWORD) == agent
    assert agents.set_disabled("alice") == 0
    late = agents.open_session(agent)
    assert agents.session(late.token) is None
    assert agents.is_disabled("alice")
    agents.set_disabled("alice", False)
    assert not agents.is_disabled("alice")
    assert agents.authenticate("alice", PASSWORD) == agent


def test_a_database_of_the_first_release_gets_the_disabled_column(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'old.db'}"
    database_of_the_first_release(database)
    check_upgraded(database)
