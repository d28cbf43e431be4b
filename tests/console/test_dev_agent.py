"""`make run` creates the development agent (a trainer) with the generated password."""

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
    assert agents.get_agent(run.DEV_AGENT_LOGIN).is_trainer


def test_a_dev_agent_of_before_roles_becomes_a_trainer(tmp_path: Path, monkeypatch) -> None:
    database = f"sqlite:///{tmp_path / 'assist.db'}"
    monkeypatch.setenv("XIAOER_ASSIST_DATABASE_URL", database)
    monkeypatch.setenv(run.DEV_AGENT_PASSWORD_VAR, "generated password")
    AgentStore(database).add_agent("haiyue", run.DEV_AGENT_LOGIN, "generated password")  # role agent

    run.ensure_dev_agent()

    assert AgentStore(database).get_agent(run.DEV_AGENT_LOGIN).role == "trainer"
