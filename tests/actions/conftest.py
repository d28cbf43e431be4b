"""Custom actions run against saved trackers and an in-memory store, the financial-demo way."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, Iterator

import pytest
import yaml
from rasa_sdk import Action, Tracker

from actions import bootstrap
from tests.actions.fake_store import FakeStore, demo_catalogue
from tests.actions.harness import SETTINGS, Outcome, build_tracker, run_action
from xiaoer.settings import ActionSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def action_settings() -> Iterator[ActionSettings]:
    """Known settings whatever the environment says, and no client shared between tests."""
    bootstrap.override(client=None, action_settings=SETTINGS)
    yield SETTINGS
    bootstrap.override()


@pytest.fixture
def configure() -> Callable[..., ActionSettings]:
    """configure(ship_within_hours=24): run this test's actions with other settings."""

    def change(**changes: Any) -> ActionSettings:
        changed = SETTINGS.copy(update=changes)
        bootstrap.override(client=None, action_settings=changed)
        return changed

    return change


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def store() -> FakeStore:
    return demo_catalogue(FakeStore())


@pytest.fixture
def tracker() -> Callable[..., Tracker]:
    """tracker("fixture_name", text=…, intent=…, entities=…, slots=…, sender_id=…)."""
    return build_tracker


@pytest.fixture
def run(domain: Dict[str, Any]) -> Callable[[Action, Tracker], Outcome]:
    return lambda action, tracker: run_action(action, tracker, domain)
