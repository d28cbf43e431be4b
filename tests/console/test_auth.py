"""Passwords, sessions, CSRF and the add-agent command."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.console.conftest import PASSWORD, Console
from xiaoer.console.auth import AgentExists, AgentStore, hash_password, utcnow, verify_password
from xiaoer.console.deps import SESSION_COOKIE

ROOT = Path(__file__).resolve().parents[2]


def test_password_hash_is_salted_scrypt_and_verifies() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("scrypt$") and PASSWORD not in first
    assert first != second  # a salt per hash
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "x", first)
    assert not verify_password(PASSWORD, "md5$garbage")
    assert not verify_password(PASSWORD, "scrypt$not$a$valid$hash$")


def test_agent_store_rejects_short_passwords_and_duplicate_logins(tmp_path: Path) -> None:
    agents = AgentStore(f"sqlite:///{tmp_path / 'a.db'}")
    with pytest.raises(ValueError):
        agents.add_agent("haiyue", "bob", "short")
    agents.add_agent("haiyue", "bob", PASSWORD)
    with pytest.raises(AgentExists):
        agents.add_agent("other", "bob", PASSWORD)
    assert agents.authenticate("bob", PASSWORD).store_id == "haiyue"
    assert agents.authenticate("bob", "wrong password") is None
    assert agents.authenticate("nobody", PASSWORD) is None


def test_sessions_expire(tmp_path: Path) -> None:
    agents = AgentStore(f"sqlite:///{tmp_path / 'a.db'}", session_ttl=timedelta(minutes=30))
    agent = agents.add_agent("haiyue", "bob", PASSWORD)
    session = agents.open_session(agent)
    assert agents.session(session.token).agent.login == "bob"
    assert agents.session(session.token, now=utcnow() + timedelta(minutes=29)) is not None
    assert agents.session(session.token, now=utcnow() + timedelta(minutes=31)) is None
    # An expired session is gone for good, not only refused once.
    assert agents.session(session.token) is None
    assert agents.session("made-up-token") is None


def test_new_password_ends_open_sessions(tmp_path: Path) -> None:
    agents = AgentStore(f"sqlite:///{tmp_path / 'a.db'}")
    session = agents.open_session(agents.add_agent("haiyue", "bob", PASSWORD))
    agents.set_password("bob", "another long password")
    assert agents.session(session.token) is None
    assert agents.authenticate("bob", "another long password") is not None


def test_login_sets_httponly_samesite_cookie_and_logout_ends_the_session(console: Console) -> None:
    response = console.login()
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(c for c in response.raw.headers.getlist("Set-Cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    token = console.client.cookies.get(SESSION_COOKIE)
    assert console.agents.session(token) is not None
    csrf = console.csrf()
    assert console.client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert console.agents.session(token) is None
    assert console.client.get("/").headers["location"] == "/login"


def test_wrong_password_is_refused(console: Console) -> None:
    response = console.login(password="wrong password")
    assert response.status_code == 401
    assert "账号或密码不正确" in response.text
    assert console.client.get("/api/queue").status_code == 401


def test_login_without_the_forms_csrf_token_is_refused(console: Console) -> None:
    console.client.get("/login")
    response = console.client.post(
        "/login", data={"login": "alice", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in console.client.cookies


def test_posts_without_the_session_csrf_token_are_refused(console: Console) -> None:
    console.login()
    buyer = "buyer-alice"
    for path, body in (
        (f"/api/conversations/{buyer}/messages", {"text": "您好"}),
        (f"/api/conversations/{buyer}/hand-back", None),
        (f"/api/conversations/{buyer}/suggestions", None),
    ):
        for headers in ({}, {"X-CSRF-Token": "forged"}):
            assert console.client.post(path, json=body, headers=headers).status_code == 403
    assert console.rasa.sent == [] and console.rasa.handed_back == []
    # Logging out needs the token too.
    assert console.client.post("/logout", data={}).status_code == 403


def test_pages_and_api_need_a_login(console: Console) -> None:
    assert console.client.get("/").headers["location"] == "/login"
    assert console.client.get("/conversations/x").headers["location"] == "/login"
    assert console.client.get("/api/queue").status_code == 401
    assert console.client.get("/api/stream").status_code == 401
    # The buyer chat page is public.
    assert console.client.get("/chat").status_code == 200


def test_add_agent_command_reads_the_password_from_stdin_never_argv(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'agents.db'}"
    env = {**os.environ, "XIAOER_ASSIST_DATABASE_URL": database}
    env.pop("XIAOER_AGENT_PASSWORD", None)
    command = [sys.executable, "-m", "xiaoer.console", "add-agent", "--store", "haiyue", "--login", "carol"]
    done = subprocess.run(command, input=PASSWORD + "\n", env=env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "carol" in done.stdout
    assert AgentStore(database).authenticate("carol", PASSWORD).store_id == "haiyue"
    again = subprocess.run(command, input=PASSWORD + "\n", env=env, cwd=ROOT, capture_output=True, text=True)
    assert again.returncode != 0 and "exists" in again.stderr
    env["XIAOER_AGENT_PASSWORD"] = "short"
    weak = subprocess.run([*command[:-1], "dave"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert weak.returncode != 0 and "at least" in weak.stderr


def test_roles_are_kept_changed_by_command_and_seen_by_open_sessions(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'agents.db'}"
    env = {**os.environ, "XIAOER_ASSIST_DATABASE_URL": database, "XIAOER_AGENT_PASSWORD": PASSWORD}
    base = [sys.executable, "-m", "xiaoer.console"]
    added = subprocess.run([*base, "add-agent", "--store", "haiyue", "--login", "tina", "--role", "trainer"],
                           env=env, cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    assert added.returncode == 0 and "trainer tina" in added.stdout, added.stderr
    agents = AgentStore(database)
    tina = agents.authenticate("tina", PASSWORD)
    assert tina.role == "trainer" and tina.is_trainer
    session = agents.open_session(tina)

    demoted = subprocess.run([*base, "set-role", "--login", "tina", "--role", "agent"], env=env, cwd=ROOT,
                             capture_output=True, text=True)  # fmt: skip
    assert demoted.returncode == 0, demoted.stderr
    assert agents.session(session.token).agent.role == "agent"
    unknown = subprocess.run([*base, "set-role", "--login", "nobody", "--role", "agent"], env=env, cwd=ROOT,
                             capture_output=True, text=True)  # fmt: skip
    assert unknown.returncode != 0 and "no agent" in unknown.stderr
    with pytest.raises(ValueError, match="role"):
        agents.add_agent("haiyue", "zed", PASSWORD, role="admin")
