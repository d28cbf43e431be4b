"""The generated buyers, orders, shipments and promotions: complete, plausible, fresh, repeatable."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from tests.demo.conftest import NOW
from xiaoer.demo.generate import CARRIERS, DEMO_BUYER, STATUSES, generate
from xiaoer.storeapi.schemas import BuyerIn, OrderIn, PromotionIn, ShipmentIn

TRACKING_NUMBERS = {
    "京东物流": r"JD\d{13}",
    "顺丰速运": r"SF\d{13}",
    "日日顺物流": r"RRS\d{12}",
    "中通快递": r"78\d{12}",
    "德邦快递": r"DPK\d{12}",
}
KINDS = {"discount", "coupon", "gift", "trade_in", "price_protection", "presale"}


def at(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(hours=8), text
    return moment


def test_buyers(any_demo) -> None:
    buyers = {b["buyer_id"]: b for b in any_demo.buyers}
    numbered = sorted(b for b in buyers if b != DEMO_BUYER)
    assert len(numbered) >= 30
    assert numbered == [f"buyer_{n:03d}" for n in range(1, len(numbered) + 1)]
    assert buyers[DEMO_BUYER]["nickname"] == "演示买家"
    assert 1 <= sum(b["marketing_opt_out"] for b in buyers.values()) < len(buyers) / 3
    assert len({b["nickname"] for b in buyers.values()}) == len(buyers)
    for buyer in buyers.values():
        assert re.fullmatch(r"1\d{2}\*{4}\d{4}", buyer["phone"]), buyer
        BuyerIn.validate({k: v for k, v in buyer.items() if k != "buyer_id"})


def test_every_status_and_the_demo_buyer_has_one_of_each(any_demo) -> None:
    assert set(Counter(o["status"] for o in any_demo.orders)) == set(STATUSES)
    demo_orders = [o for o in any_demo.orders if o["buyer_id"] == DEMO_BUYER]
    assert sorted(o["status"] for o in demo_orders) == sorted(STATUSES)
    others = [o for o in any_demo.orders if o["buyer_id"] != DEMO_BUYER]
    assert len({o["status"] for o in others}) >= 6, "other buyers have a mix of statuses too"


def test_orders_are_plausible_and_within_the_last_sixty_days(any_demo) -> None:
    now = any_demo.now
    products = {p["sku"]: p for p in any_demo.products}
    buyers = {b["buyer_id"] for b in any_demo.buyers}
    ids = [o["order_id"] for o in any_demo.orders]
    assert len(ids) == len(set(ids))
    for order in any_demo.orders:
        oid = order["order_id"]
        assert re.fullmatch(r"26\d{10}", oid)
        assert order["buyer_id"] in buyers
        assert 1 <= len(order["items"]) <= 3, oid
        for item in order["items"]:
            price = products[item["sku"]]["price"]
            assert 0.85 * price <= item["unit_price"] <= price, (oid, item)
            assert item["qty"] >= 1
            if order["status"] in ("created", "paid"):
                assert products[item["sku"]]["stock"] > 0, "an unshipped order holds a product in stock"
        created = at(order["created_at"])
        assert now - timedelta(days=60) <= created <= now, oid
        paid = order.get("paid_at")
        assert (paid is None) == (order["status"] in ("created", "cancelled")), oid
        if paid:
            assert created <= at(paid) <= now, oid
        assert re.search(r"[省市].+[区县市].+\d", order["address"]), order["address"]
        OrderIn.validate({k: v for k, v in order.items() if k != "order_id"})


def test_unpaid_and_unshipped_orders_are_recent(any_demo) -> None:
    now = any_demo.now
    for order in any_demo.orders:
        if order["status"] == "created":
            assert now - at(order["created_at"]) < timedelta(days=1), "unpaid orders close after a day"
        if order["status"] == "paid":
            assert now - at(order["paid_at"]) < timedelta(hours=48), "paid orders ship within 48 hours"


def test_shipments_belong_to_orders_that_shipped(any_demo) -> None:
    orders = {o["order_id"]: o for o in any_demo.orders}
    shipped = {s["order_id"] for s in any_demo.shipments}
    assert len(shipped) == len(any_demo.shipments)
    for order_id, order in orders.items():
        if order["status"] in ("shipped", "delivered", "completed"):
            assert order_id in shipped, order_id
        if order["status"] in ("created", "paid", "cancelled"):
            assert order_id not in shipped, order_id
    refunds = [o for o in orders.values() if o["status"] in ("refunding", "refunded")]
    assert any(o["order_id"] in shipped for o in refunds), "some refunds are returns after delivery"
    assert any(o["order_id"] not in shipped for o in refunds), "some refunds happen before shipping"


def test_shipments_have_carriers_tracking_numbers_and_three_to_ten_sorted_events(any_demo) -> None:
    now = any_demo.now
    orders = {o["order_id"]: o for o in any_demo.orders}
    for shipment in any_demo.shipments:
        order = orders[shipment["order_id"]]
        assert shipment["carrier"] in CARRIERS
        assert re.fullmatch(TRACKING_NUMBERS[shipment["carrier"]], shipment["tracking_no"]), shipment
        events = shipment["events"]
        assert 3 <= len(events) <= 10, shipment["order_id"]
        times = [at(e["time"]) for e in events]
        assert times == sorted(times) and times[-1] <= now
        assert times[0] >= at(order["paid_at"]), "ships after payment"
        assert all(e["location"] and e["description"] for e in events)
        assert "出库" in events[0]["description"]
        signed = "签收" in events[-1]["description"]
        if order["status"] == "shipped":
            assert not signed and at(shipment["eta"]) > now, shipment["order_id"]
        else:
            assert signed, shipment["order_id"]
            assert 7 <= times[-1].hour <= 22, "signed for in the daytime"
        ShipmentIn.validate({k: v for k, v in shipment.items() if k != "order_id"})
    tracking = [s["tracking_no"] for s in any_demo.shipments]
    assert len(tracking) == len(set(tracking))


def test_carriers_suit_the_goods(demo) -> None:
    products = {p["sku"]: p for p in demo.products}
    orders = {o["order_id"]: o for o in demo.orders}
    used = Counter(s["carrier"] for s in demo.shipments)
    assert set(used) == set(CARRIERS), used
    for shipment in demo.shipments:
        first = products[orders[shipment["order_id"]]["items"][0]["sku"]]
        if shipment["carrier"] in ("中通快递", "顺丰速运"):
            assert first["category"] == "厨房电器", "express parcels are the small appliances"


def test_promotions_are_running_ended_and_coming(any_demo) -> None:
    now = any_demo.now
    skus = {p["sku"] for p in any_demo.products}
    promotions = any_demo.promotions
    assert len(promotions) >= 8
    assert len({p["promo_id"] for p in promotions}) == len(promotions)
    assert {p["kind"] for p in promotions} == KINDS
    windows = {p["promo_id"]: (at(p["starts_at"]), at(p["ends_at"])) for p in promotions}
    running = [pid for pid, (start, end) in windows.items() if start <= now < end]
    assert len(running) >= 4
    assert any(end <= now for _, end in windows.values())
    assert any(start > now for start, _ in windows.values())
    kinds_running = {p["kind"] for p in promotions if p["promo_id"] in running}
    assert {"price_protection", "trade_in", "coupon", "gift", "discount"} <= kinds_running
    presale = [p for p in promotions if p["kind"] == "presale"]
    assert presale and all(windows[p["promo_id"]][0] > now for p in presale), "presales are coming"
    assert any(not p["skus"] for p in promotions) and any(p["skus"] for p in promotions)
    for promotion in promotions:
        assert set(promotion["skus"]) <= skus
        assert promotion["title"] and promotion["description"]
        PromotionIn.validate({k: v for k, v in promotion.items() if k != "promo_id"})
    protection = next(p for p in promotions if p["kind"] == "price_protection")
    assert not protection["skus"] and "30天" in protection["title"]


def test_demo_buyer_sees_a_parcel_on_its_way(demo) -> None:
    orders = {o["order_id"]: o for o in demo.orders if o["buyer_id"] == DEMO_BUYER}
    shipments = {s["order_id"]: s for s in demo.shipments}
    in_transit = next(oid for oid, o in orders.items() if o["status"] == "shipped")
    assert len(shipments[in_transit]["events"]) >= 5
    assert "261105873012" in orders


def test_same_moment_same_store(demo, catalog) -> None:
    assert generate(NOW, catalog) == demo


@pytest.mark.parametrize("later", [timedelta(hours=7), timedelta(days=9, hours=3)])
def test_a_later_moment_moves_the_times_but_keeps_everything_else(demo, catalog, later) -> None:
    moved = generate(NOW + later, catalog)

    def shape(data):
        orders = [(o["order_id"], o["buyer_id"], o["status"], o["items"], o["address"]) for o in data.orders]
        shipments = [(s["order_id"], s["carrier"], s["tracking_no"]) for s in data.shipments]
        return sorted(orders), sorted(shipments), data.buyers

    assert shape(moved) == shape(demo)
    # Times move with `now`; signatures stay on their day and in the daytime, so some by whole days.
    before = {o["order_id"]: at(o["created_at"]) for o in demo.orders}
    after = {o["order_id"]: at(o["created_at"]) for o in moved.orders}
    assert all(after[oid] >= before[oid] for oid in before)
    assert sum(after[oid] > before[oid] for oid in before) > len(before) / 2


def test_now_must_be_aware(catalog) -> None:
    with pytest.raises(ValueError):
        generate(datetime(2026, 11, 24, 10, 30), catalog)
    in_utc = generate(NOW.astimezone(timezone.utc), catalog)
    assert in_utc == generate(NOW, catalog) and in_utc.orders[0]["created_at"].endswith("+08:00")
