"""Agent-assist tests: the decision log on SQLite and on a real PostgreSQL on loopback."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.store.conftest import postgres_url  # noqa: F401  (shared, session-scoped server)
from xiaoer.assist import decisions
from xiaoer.assist.decisions import DecisionLog


@pytest.fixture(params=["sqlite", "postgresql"])
def log(request, tmp_path) -> Iterator[DecisionLog]:
    if request.param == "sqlite":
        yield DecisionLog(f"sqlite:///{tmp_path / 'sub' / 'assist.db'}")
        return
    url = request.getfixturevalue("postgres_url")
    decision_log = DecisionLog(url)
    yield decision_log
    decisions.metadata.drop_all(decision_log.engine)
    decision_log.engine.dispose()
