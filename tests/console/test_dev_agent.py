"""`make run` creates the development agent with the generated password."""

from __future__ import annotations

from pathlib import Path

from xiaoer import run
from xiaoer.console.auth import AgentStore


def test_dev_agent_is_created_and_follows_the_generated_password(tmp_path: Path, monkeypatch) -> None:
    database = f"sqlite:///{tmp_path / 'assist.db'}"
    monkeypatch.setenv("XIAOER_ASSIST_DATABASE_URL", database)
    monkeypatch.setenv("XIAOER_STORE_ID", "haiyue")
    monkeypatch.setenv(run.DEV_AGENT_PASSWORD_VAR, "first generated password")
    run.ensure_dev_agent()
    agents = AgentStore(database)
    assert agents.authenticate(run.DEV_AGENT_LOGIN, "first generated password").store_id == "haiyue"
    # var/dev-tokens.env was deleted and a new password generated: the agent follows it.
    monkeypatch.setenv(run.DEV_AGENT_PASSWORD_VAR, "second generated password")
    run.ensure_dev_agent()
    assert agents.authenticate(run.DEV_AGENT_LOGIN, "first generated password") is None
    assert agents.authenticate(run.DEV_AGENT_LOGIN, "second generated password") is not None
