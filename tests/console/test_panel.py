"""The agent's panel names what the bot says: the same order rule and the same latest tracking
event (xiaoer.storeapi.orders), never another buyer's order."""

from __future__ import annotations

import pytest
import yaml

from actions import bootstrap
from actions.logistics import ActionLogistics
from tests.actions.fake_store import ALICE, BOB, LATEST_EVENT, OLDER_EVENT, seed_shipped
from tests.actions.harness import SETTINGS, build_tracker, run_action
from tests.console.conftest import SHIPPED_ORDER, Console, save_tracker, waiting_conversation
from xiaoer.settings import REPO_ROOT

ORDER = "3001000002"  # the order in the saved tracker logistics_followup_eta


@pytest.fixture()
def waiting(console: Console) -> Console:
    save_tracker(console.tracker_db, ALICE, waiting_conversation(ALICE, at=1_700_003_600.0))
    console.login()
    return console


def set_order_slot(console: Console, order_id: str) -> None:
    from rasa.shared.core.events import SlotSet

    save_tracker(console.tracker_db, ALICE, [SlotSet("order_id", order_id, timestamp=1_700_003_700.0)])


def test_panel_and_bot_name_the_same_latest_tracking_event(waiting: Console) -> None:
    # Events in mixed UTC offsets and out of order: sorting their text would pick the older one.
    seed_shipped(waiting.store, ORDER, ALICE)
    set_order_slot(waiting, ORDER)

    bootstrap.override(client=None, action_settings=SETTINGS)
    try:
        domain = yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))
        said = run_action(ActionLogistics(waiting.store), build_tracker("logistics_followup_eta"), domain)
    finally:
        bootstrap.override()
    bot_text = " ".join(m["text"] or "" for m in said.messages)
    panel = waiting.client.get(f"/api/conversations/{ALICE}/panel").json()

    assert LATEST_EVENT in bot_text and OLDER_EVENT not in bot_text
    assert panel["order"]["order_id"] == ORDER
    assert panel["shipment"]["latest"]["description"] == LATEST_EVENT


@pytest.mark.parametrize("owner", [BOB, None], ids=["another buyer's", "no buyer"])
def test_an_order_in_context_that_is_not_the_buyers_is_never_shown(waiting: Console, owner) -> None:
    waiting.store.put_order("3009000009", BOB, "shipped")
    if owner is None:
        del waiting.store.orders["3009000009"]["buyer_id"]
    set_order_slot(waiting, "3009000009")

    panel = waiting.client.get(f"/api/conversations/{ALICE}/panel").json()

    # The buyer's own most recent order instead, as the bot would choose.
    assert panel["order"]["order_id"] == SHIPPED_ORDER
    assert "3009000009" not in str(panel)
