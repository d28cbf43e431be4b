"""The follow-up engine's messages (EXTERNAL_* intents) and unsubscribing, from saved trackers."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.followup import (
    ActionDeliveryNotice,
    ActionInquiryNudge,
    ActionOrderConfirmation,
    ActionPaymentReminder,
    ActionPresaleCampaign,
    ActionReviewInvitation,
    ActionShippingNotice,
    ActionUnsubscribe,
)
from tests.actions.fake_store import ALICE, BOB, TRACKING_NO, FakeStore, ago, ahead, seed_shipped
from xiaoer.storeapi.contract import Json

ORDER = "3001000001"


@pytest.fixture
def store(store: FakeStore) -> FakeStore:
    store.buyers[ALICE] = {
        "buyer_id": ALICE,
        "nickname": "小王",
        "phone": "13800000000",
        "marketing_opt_out": False,
    }
    return store


def external(tracker, intent: str, **entities: str):
    return tracker(
        "followup_payment_reminder",
        text=f"EXTERNAL: {intent}",
        intent=intent,
        entities=[{"entity": name, "value": value} for name, value in entities.items()],
    )


def run_silently(action, tracker) -> tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """For the cases where saying nothing is right (the harness insists on an answer)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return events, dispatcher.messages


def test_payment_reminder_names_the_unpaid_order_and_puts_it_in_context(store, tracker, run):
    store.put_order(ORDER, ALICE, "created", created_at=ago(minutes=31))
    outcome = run(ActionPaymentReminder(store), tracker("followup_payment_reminder"))
    assert ORDER in outcome.text and "还没有付款" in outcome.text and "¥4999" in outcome.text
    assert "65E7K" in outcome.text and "退订" in outcome.text
    assert outcome.slot("order_id") == ORDER  # so "怎么付款" next is answered about this order
    assert outcome.buttons == [{"title": "怎么付款", "payload": "/ask_payment"}]


@pytest.mark.parametrize("status", ["paid", "cancelled"])
def test_payment_reminder_says_nothing_once_the_order_moved_on(store, tracker, status):
    store.put_order(ORDER, ALICE, status)
    events, messages = run_silently(ActionPaymentReminder(store), tracker("followup_payment_reminder"))
    assert (events, messages) == ([], [])


def test_payment_reminder_for_another_buyers_order_says_nothing(store, tracker):
    store.put_order(ORDER, BOB, "created")
    events, messages = run_silently(ActionPaymentReminder(store), tracker("followup_payment_reminder"))
    assert (events, messages) == ([], [])


def test_payment_reminder_with_the_store_down_is_sent_plain_not_as_an_apology(store, tracker, run):
    store.down = True
    outcome = run(ActionPaymentReminder(store), tracker("followup_payment_reminder"))
    assert ORDER in outcome.text and "还没有付款" in outcome.text
    assert "转人工" not in outcome.text and outcome.slot("order_id") == ORDER


def test_a_follow_up_that_breaks_sends_nothing_rather_than_an_apology(store, tracker):
    class Broken(FakeStore):
        def get_order(self, order_id):
            raise KeyError("a bug in the store client")

    events, messages = run_silently(ActionPaymentReminder(Broken()), tracker("followup_payment_reminder"))

    assert (events, messages) == ([], [])


def test_order_confirmation(store, tracker, run):
    store.put_order(ORDER, ALICE, "paid", created_at=ago(minutes=20))
    outcome = run(
        ActionOrderConfirmation(store), external(tracker, "EXTERNAL_order_confirmation", order_id=ORDER)
    )
    assert "已收到您订单" in outcome.text and "¥4999" in outcome.text and "发出" in outcome.text
    assert outcome.slot("order_id") == ORDER


def test_shipping_notice_gives_carrier_and_tracking_number(store, tracker, run):
    seed_shipped(store, ORDER)
    outcome = run(ActionShippingNotice(store), external(tracker, "EXTERNAL_shipping_notice", order_id=ORDER))
    assert "顺丰速运" in outcome.text and TRACKING_NO in outcome.text and "预计" in outcome.text
    assert outcome.slot("order_id") == ORDER and outcome.slot("last_topic") == "logistics"


def test_delivery_notice_offers_installation_for_a_large_appliance(store, tracker, run):
    store.put_order(ORDER, ALICE, "delivered")  # a 65-inch TV
    outcome = run(ActionDeliveryNotice(store), external(tracker, "EXTERNAL_delivery_notice", order_id=ORDER))
    assert "已签收" in outcome.text and "预约" in outcome.text and "安装" in outcome.text
    assert outcome.buttons == [{"title": "预约安装", "payload": "/ask_installation"}]


def test_delivery_notice_without_installation_for_small_items(store, tracker, run):
    store.put_product("KT-1", "海悦 电水壶", "小家电", 199, 10)
    store.put_order(ORDER, ALICE, "delivered", items=[{"sku": "KT-1", "qty": 1, "unit_price": 199}])
    outcome = run(ActionDeliveryNotice(store), external(tracker, "EXTERNAL_delivery_notice", order_id=ORDER))
    assert "已签收" in outcome.text and "安装" not in outcome.text and outcome.buttons == []


def test_review_invitation(store, tracker, run):
    store.put_order(ORDER, ALICE, "completed")
    outcome = run(
        ActionReviewInvitation(store), external(tracker, "EXTERNAL_review_invitation", order_id=ORDER)
    )
    assert "评价" in outcome.text and ORDER in outcome.text and "退订" in outcome.text


def test_inquiry_nudge_puts_the_product_in_context(store, tracker, run):
    store.put_promotion("P1", "双11直降", "65E7K 直降 500", skus=["TV-65E7K"])
    outcome = run(ActionInquiryNudge(store), tracker("followup_inquiry_nudge"))
    assert "65E7K" in outcome.text and "双11直降" in outcome.text and "¥4999" in outcome.text
    assert outcome.slot("product_sku") == "TV-65E7K"  # "那它的能效呢" next is about this TV


def test_inquiry_nudge_for_a_product_out_of_stock_says_nothing(store, tracker):
    store.products["TV-65E7K"]["stock"] = 0
    events, messages = run_silently(ActionInquiryNudge(store), tracker("followup_inquiry_nudge"))
    assert (events, messages) == ([], [])


def test_presale_campaign(store, tracker, run):
    store.put_promotion("PRE-1", "双11预售", "定金 100 抵 300", kind="presale", ends_at=ahead(days=2))
    outcome = run(
        ActionPresaleCampaign(store), external(tracker, "EXTERNAL_presale_campaign", promo_id="PRE-1")
    )
    assert "双11预售" in outcome.text and "定金 100 抵 300" in outcome.text and "截止" in outcome.text
    assert "退订" in outcome.text


def test_unsubscribe_sets_the_opt_out_in_the_store_and_confirms(store, tracker, run):
    outcome = run(ActionUnsubscribe(store), tracker("unsubscribe"))
    assert store.buyers[ALICE]["marketing_opt_out"] is True
    assert store.buyers[ALICE]["nickname"] == "小王"
    assert "已为您退订" in outcome.text and "订单通知仍会照常发送" in outcome.text


@pytest.mark.parametrize("sender", ["buyer-nobody", "anon-0123456789abcdef01234567"])
def test_unsubscribe_never_creates_a_buyer(store, tracker, run, sender):
    outcome = run(ActionUnsubscribe(store), tracker("unsubscribe", sender_id=sender))
    assert sender not in store.buyers and not store.called("put_buyer")
    assert "已为您退订" in outcome.text  # nothing to send them, and nothing to tell them otherwise


def test_unsubscribe_with_the_store_down_apologises_and_offers_a_human(store, tracker, run):
    store.down_methods = {"put_buyer"}
    outcome = run(ActionUnsubscribe(store), tracker("unsubscribe"))
    assert outcome.responses == ["utter_backend_error"]
    assert store.buyers[ALICE]["marketing_opt_out"] is False


def test_store_client_keeps_the_buyer_when_opting_out():
    """The real client: PUT replaces the buyer, so nickname and phone are sent back with the opt-out."""
    from xiaoer.storeapi.client import StoreClient

    sent: List[tuple] = []

    class Session:
        headers: Dict[str, str] = {}

        def get(self, url, params=None, timeout=None):
            return Response(200, {"buyer_id": ALICE, "nickname": "小王", "phone": "13800000000"})

        def put(self, url, json=None, timeout=None):
            sent.append((url, json))
            return Response(200, {**json, "buyer_id": ALICE})

    class Response:
        def __init__(self, status_code: int, body: Json) -> None:
            self.status_code, self.body, self.text = status_code, body, ""

        def json(self) -> Json:
            return self.body

    client = StoreClient("http://store", "t", session=Session())
    client.set_marketing_opt_out(ALICE)
    assert sent == [
        (
            "http://store/api/buyers/buyer-alice",
            {"nickname": "小王", "marketing_opt_out": True, "phone": "13800000000"},
        )
    ]
    with pytest.raises(ValueError):
        client.put_buyer("..", {})
