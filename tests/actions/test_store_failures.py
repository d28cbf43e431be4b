"""Whatever goes wrong behind a store action, the buyer gets an apology and an offer of a person."""

from __future__ import annotations

import time

import pytest

from actions import bootstrap
from actions.common import StoreAction
from actions.followup import ActionUnsubscribe, FollowupAction
from actions.inform import ActionInform
from actions.logistics import ActionLogistics
from actions.orders import ActionCancelOrder, ActionChangeOrder, ActionOrderStatus, ActionUrgeShipment
from actions.products import ActionProductAttribute, ActionProductRecommendation, ActionStock
from actions.promotions import ActionPriceProtection, ActionPromotions
from tests.actions.fake_store import ALICE, seed_shipped
from tests.actions.harness import SETTINGS

APOLOGY = {"event": "slot", "timestamp": None, "name": "offered_human", "value": True}

# Each store action with a turn that makes it ask the store.
STORE_TURNS = {
    ActionOrderStatus: "order_status_by_number",
    ActionLogistics: "logistics_followup_eta",
    ActionUrgeShipment: "urge_shipment",
    ActionChangeOrder: "change_order",
    ActionCancelOrder: "cancel_order",
    ActionPromotions: "promotion_question",
    ActionPriceProtection: "price_protection",
    ActionProductAttribute: "attribute_refresh_rate",
    ActionProductRecommendation: "recommend_tv_budget",
    ActionStock: "stock_question",
    ActionInform: "inform_order_number",
    ActionUnsubscribe: "unsubscribe",
}


def all_store_actions(cls=StoreAction) -> set:
    found = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= all_store_actions(sub)
    return found


def assert_apology_only(outcome) -> None:
    assert [m["response"] for m in outcome.messages] == ["utter_backend_error"]
    assert [m["text"] for m in outcome.messages] == [None]
    assert outcome.events == [APOLOGY]


def test_every_store_action_is_covered(domain):
    # action_faq answers from knowledge/ and asks the store only for order-conditioned answers; with
    # the store down it serves the unconditional answer, apologising only when there is none
    # (tests/actions/test_faq.py).
    faq = {c for c in all_store_actions() if c.action_name == "action_faq"}
    # Follow-up messages send a plain message when the store is down (tests/actions/test_followup.py).
    followups = {FollowupAction} | all_store_actions(FollowupAction)
    assert all_store_actions() - faq - followups == set(STORE_TURNS)
    names = {cls().name() for cls in STORE_TURNS}
    # Hand-over and hand-back never ask the store.
    plain = {"action_affirm", "action_deny", "action_handoff", "action_fallback", "action_handback"}
    plain |= {"action_faq"}
    # Follow-up messages the engine triggers: with the store down they send a plain message, never an
    # apology (tests/actions/test_followup.py).
    plain |= {name for name in domain["actions"] if name.startswith("action_followup_")}
    assert names == set(domain["actions"]) - plain


@pytest.mark.parametrize("action_class", list(STORE_TURNS), ids=lambda c: c.action_name)
def test_store_down_gets_an_apology_and_an_offer(store, tracker, run, action_class):
    seed_shipped(store, "3001000002")
    seed_shipped(store, "3001000003")
    store.down = True

    outcome = run(action_class(store), tracker(STORE_TURNS[action_class]))

    assert_apology_only(outcome)
    assert store.calls, "the action never asked the store"


@pytest.mark.parametrize(
    "action_class",
    [ActionOrderStatus, ActionLogistics, ActionUrgeShipment, ActionChangeOrder, ActionCancelOrder],
    ids=lambda c: c.action_name,
)
def test_store_failing_halfway_leaves_no_half_answer(store, tracker, run, action_class):
    seed_shipped(store, "3001000002")
    store.down_methods = {"get_shipment"}

    outcome = run(action_class(store), tracker(STORE_TURNS[action_class]))

    assert_apology_only(outcome)
    assert store.called("get_order") and store.called("get_shipment")


def drop_status(store):
    for order_id in ("3001000002", "3001000003"):
        store.put_order(order_id, ALICE, "shipped")
        del store.orders[order_id]["status"]


def bad_event_time(store):
    seed_shipped(store, "3001000002")
    store.shipments["3001000002"]["events"][0]["time"] = "昨天下午"


def orders_without_ids(store):
    store.put_order("3001000002", ALICE, "paid")
    del store.orders["3001000002"]["order_id"]


def bad_stock(store):
    store.products["TV-65E7K"]["stock"] = "很多"


def bad_price(store):
    store.products["TV-55E5N"]["price"] = "面议"


def bad_promotion_end(store):
    store.put_promotion("P-BAD", "限时直降", "立减500元", skus=["TV-65E7K"])
    store.promotions["P-BAD"]["ends_at"] = "2099-13-45"
    store.active_promotions = lambda sku=None: [dict(store.promotions["P-BAD"])]


def item_without_price(store):
    store.put_order("3001000002", ALICE, "delivered")
    del store.orders["3001000002"]["items"][0]["unit_price"]


@pytest.mark.parametrize(
    "action_class, fixture, corrupt",
    [
        (ActionOrderStatus, "order_status_by_number", drop_status),
        (ActionCancelOrder, "cancel_order", drop_status),
        (ActionInform, "inform_order_number", drop_status),
        (ActionLogistics, "logistics_followup_eta", bad_event_time),
        (ActionOrderStatus, "order_status_no_number", orders_without_ids),
        (ActionStock, "stock_question", bad_stock),
        (ActionProductRecommendation, "recommend_tv_budget", bad_price),
        (ActionPromotions, "promotion_question", bad_promotion_end),
        (ActionPriceProtection, "price_protection", item_without_price),
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_malformed_store_data_gets_the_same_apology(store, tracker, run, action_class, fixture, corrupt):
    corrupt(store)

    outcome = run(action_class(store), tracker(fixture))

    assert_apology_only(outcome)


def test_actions_default_to_the_configured_store(store, tracker, run):
    """Built without a client, an action asks bootstrap's client for the store."""
    store.put_order("3001000002", ALICE, "refunding")
    bootstrap.override(client=store, action_settings=SETTINGS)

    outcome = run(ActionOrderStatus(), tracker("order_status_by_number"))

    assert outcome.text.startswith("订单 3001000002 正在退款中")


def test_unreachable_configured_store_gets_the_apology(tracker, run):
    """No fake: the real client is built from settings and finds nothing listening."""
    started = time.monotonic()

    outcome = run(ActionOrderStatus(), tracker("order_status_by_number"))

    assert_apology_only(outcome)
    assert time.monotonic() - started < 5
