"""Promotions from the store's promotion system, and price protection against an order's price."""

from __future__ import annotations

from datetime import timedelta, timezone

from actions.promotions import ActionPriceProtection, ActionPromotions
from tests.actions.fake_store import ALICE, BOB, SHANGHAI, ago, ahead, day, iso, now, parse
from tests.actions.harness import entity

ORDER = "3001000002"
BOB_ORDER = "3002000001"
POLICY = "30天价保：签收后30天内降价，补差价"


def seed_promotions(store) -> None:
    store.put_promotion(
        "P-E7K", "E7K 限时直降", "65E7K 立减500元", "discount", skus=["TV-65E7K"], ends_at=ahead(days=2)
    )
    store.put_promotion("P-FRIDGE", "冰箱赠品", "买冰箱送保鲜盒", "gift", skus=["RF-520W"])
    store.put_promotion("P-COUPON", "全店满减券", "满3000减200", "coupon")
    store.put_promotion("P-PP", "30天价保", "签收后30天内降价，补差价", "price_protection")
    store.put_promotion(
        "P-OLD", "五一焕新", "已结束的活动", "discount", starts_at=ago(days=30), ends_at=ago(days=20)
    )
    store.put_promotion(
        "P-SOON", "双11预售", "还没开始的活动", "presale", starts_at=ahead(days=3), ends_at=ahead(days=10)
    )


def test_promotions_for_a_product_list_its_own_and_storewide_ones(store, tracker, run):
    seed_promotions(store)

    outcome = run(ActionPromotions(store), tracker("promotion_question"))

    lines = outcome.text.splitlines()
    assert lines[0] == "65E7K（现价 ¥4999）现在可以享受："
    ends = parse(store.promotions["P-E7K"]["ends_at"]).astimezone(SHANGHAI)
    assert f"• 【直降】E7K 限时直降：65E7K 立减500元（截止 {day(ends)} {ends:%H:%M}）" in lines
    assert any(line.startswith("• 【优惠券】全店满减券：满3000减200") for line in lines)
    assert len(lines) == 3
    for absent in ("价保", "冰箱赠品", "五一焕新", "双11预售"):
        assert absent not in outcome.text
    assert store.called("active_promotions") == [("TV-65E7K",)]
    assert outcome.slots == {"product_sku": "TV-65E7K", "product": "65E7K", "last_topic": "promotion"}


def test_product_with_only_storewide_promotions(store, tracker, run):
    seed_promotions(store)
    text = "55E5N有优惠吗"

    outcome = run(
        ActionPromotions(store),
        tracker("promotion_question", text=text, entities=[entity("product", "55E5N", text)]),
    )

    lines = outcome.text.splitlines()
    assert lines[0] == "55E5N（现价 ¥3299）现在可以享受："
    assert len(lines) == 2 and lines[1].startswith("• 【优惠券】全店满减券：满3000减200（截止 ")


def test_product_without_active_promotions(store, tracker, run):
    store.put_promotion("P-PP", "30天价保", "签收后30天内降价，补差价", "price_protection")

    outcome = run(ActionPromotions(store), tracker("promotion_question"))

    assert outcome.text.startswith("65E7K 目前没有进行中的优惠活动，现价 ¥4999。")
    assert outcome.slot("last_topic") == "promotion"


def test_storewide_promotions_without_a_product(store, tracker, run):
    seed_promotions(store)

    outcome = run(
        ActionPromotions(store), tracker("new_conversation", text="最近有什么活动", intent="ask_promotion")
    )

    lines = outcome.text.splitlines()
    assert lines[0] == "店铺正在进行的活动："
    # Storewide first, then product-specific; price protection is not a promotion to list.
    assert lines[1].startswith("• 【优惠券】全店满减券")
    assert sorted(line.split("：")[0] for line in lines[2:4]) == [
        "• 【直降】E7K 限时直降",
        "• 【赠品】冰箱赠品",
    ]
    assert len(lines) == 5 and lines[4].startswith("想看某款商品的优惠")
    assert "价保" not in outcome.text
    assert outcome.slots == {"last_topic": "promotion"}


def test_no_active_promotions_at_all(store, tracker, run):
    store.put_promotion(
        "P-OLD", "五一焕新", "已结束的活动", "discount", starts_at=ago(days=30), ends_at=ago(days=20)
    )

    outcome = run(
        ActionPromotions(store), tracker("new_conversation", text="有活动吗", intent="ask_promotion")
    )

    assert outcome.text == "店铺目前没有进行中的活动，大促前会提前预告，记得关注店铺哦～"


# --- price protection -----------------------------------------------------------------------------


def test_price_drop_gives_the_difference(store, tracker, run):
    seed_promotions(store)
    store.put_order(ORDER, ALICE, "delivered", items=[{"sku": "TV-65E7K", "qty": 1, "unit_price": 5499}])

    outcome = run(ActionPriceProtection(store), tracker("price_protection"))

    assert outcome.text.startswith(f"帮您核对了订单 {ORDER}：65E7K 成交价 ¥5499，现价 ¥4999，可申请差价 ¥500")
    assert f"价保政策——{POLICY}" in outcome.text
    assert outcome.slots == {"last_topic": "price_protection", "order_id": ORDER}


def test_price_difference_keeps_the_cents(store, tracker, run):
    store.products["RF-520W"]["price"] = 12499.99
    store.put_order(ORDER, ALICE, "paid", items=[{"sku": "RF-520W", "qty": 1, "unit_price": 12999.99}])

    outcome = run(ActionPriceProtection(store), tracker("price_protection"))

    assert "520W 成交价 ¥12999.99，现价 ¥12499.99，可申请差价 ¥500" in outcome.text
    assert "13000" not in outcome.text


def test_only_the_items_that_got_cheaper_are_listed(store, tracker, run):
    items = [
        {"sku": "TV-65E7K", "qty": 1, "unit_price": 4999},
        {"sku": "RF-520W", "qty": 1, "unit_price": 4299},
        {"sku": "TV-GONE", "qty": 1, "unit_price": 999},
    ]
    store.put_order(ORDER, ALICE, "shipped", items=items)

    outcome = run(ActionPriceProtection(store), tracker("price_protection"))

    assert "520W 成交价 ¥4299，现价 ¥3999，可申请差价 ¥300" in outcome.text
    assert "65E7K" not in outcome.text
    assert "本店目前没有进行中的价保活动" in outcome.text


def test_no_price_gap(store, tracker, run):
    seed_promotions(store)
    store.put_order(ORDER, ALICE, "delivered", items=[{"sku": "TV-65E7K", "qty": 1, "unit_price": 4799}])

    outcome = run(ActionPriceProtection(store), tracker("price_protection"))

    assert outcome.text == (
        f"帮您核对了订单 {ORDER}：商品现价没有低于您的成交价，暂时不需要价保哦。价保政策——{POLICY}。"
    )


def test_unpaid_order_is_outside_price_protection(store, tracker, run):
    store.put_order(ORDER, ALICE, "created", items=[{"sku": "TV-65E7K", "qty": 1, "unit_price": 5999}])

    outcome = run(ActionPriceProtection(store), tracker("price_protection"))

    assert "不在价保范围内" in outcome.text
    assert "差价" not in outcome.text


def test_no_order_gives_the_policy(store, tracker, run):
    seed_promotions(store)

    outcome = run(
        ActionPriceProtection(store),
        tracker("new_conversation", text="你们有价保吗", intent="ask_price_protection"),
    )

    assert outcome.text == f"价保政策——{POLICY}。把订单号发给小二，帮您核对能不能补差价～"
    assert outcome.slots == {"last_topic": "price_protection"}
    assert store.called("get_order") == []


def test_order_in_context_is_checked(store, tracker, run):
    store.put_order(ORDER, ALICE, "delivered", items=[{"sku": "TV-65E7K", "qty": 1, "unit_price": 5299}])

    outcome = run(
        ActionPriceProtection(store),
        tracker("logistics_followup_eta", text="那它能保价吗", intent="ask_price_protection"),
    )

    assert "可申请差价 ¥300" in outcome.text


def test_another_buyers_order_is_an_unknown_number(store, tracker, run):
    store.put_order(BOB_ORDER, BOB, "delivered", items=[{"sku": "TV-65E7K", "qty": 1, "unit_price": 5999}])
    text = f"订单{BOB_ORDER}能保价吗"

    outcome = run(
        ActionPriceProtection(store),
        tracker(
            "price_protection",
            text=text,
            entities=[entity("order_id", BOB_ORDER, text, "RegexEntityExtractor")],
            slots={"order_id": BOB_ORDER},
        ),
    )

    assert (
        outcome.text == f"没有查到订单号 {BOB_ORDER} 的订单，请核对一下订单号哦（可以在“我的订单”里复制）。"
    )
    assert "5999" not in outcome.text and "差价" not in outcome.text
    assert outcome.slots == {"order_id": None, "last_topic": "price_protection"}
    assert store.called("get_product") == []


def test_promotion_end_time_is_in_store_time(store, tracker, run):
    ends = (now() + timedelta(days=1)).replace(hour=23, minute=59, second=0, microsecond=0)
    ends_utc = ends.astimezone(timezone.utc)  # 15:59 UTC, the day before in some cases
    store.put_promotion(
        "P-E7K", "E7K 限时直降", "立减500元", "discount", skus=["TV-65E7K"], ends_at=iso(ends_utc)
    )

    outcome = run(ActionPromotions(store), tracker("promotion_question"))

    assert f"（截止 {day(ends)} 23:59）" in outcome.text


# --- a promotion that has ended -------------------------------------------------------------------


def test_asking_about_an_ended_promotion_says_it_is_over_and_what_runs(store, tracker, run):
    seed_promotions(store)
    store.put_promotion(
        "P-1111", "双十一狂欢", "全场9折", "discount", starts_at=ago(days=15), ends_at=ago(days=3)
    )

    outcome = run(
        ActionPromotions(store),
        tracker("new_conversation", text="双11的优惠还能用吗", intent="ask_promotion"),
    )

    ended = parse(store.promotions["P-1111"]["ends_at"]).astimezone(SHANGHAI)
    lines = outcome.text.splitlines()
    assert lines[0] == (
        f"“双十一狂欢”活动已结束（{day(ended)} {ended:%H:%M} 截止），现在不能再享受了哦。现在进行中的活动："
    )
    assert {line.split("：")[0] for line in lines[1:]} == {
        "• 【优惠券】全店满减券",
        "• 【直降】E7K 限时直降",
        "• 【赠品】冰箱赠品",
    }
    assert outcome.slots == {"last_topic": "promotion"}


def test_ended_promotion_named_by_title_with_nothing_running(store, tracker, run):
    store.put_promotion(
        "P-OLD", "五一焕新", "已结束的活动", "discount", starts_at=ago(days=30), ends_at=ago(days=20)
    )

    outcome = run(
        ActionPromotions(store),
        tracker("new_conversation", text="五一焕新活动還有嗎", intent="ask_promotion"),
    )

    assert outcome.text.startswith("“五一焕新”活动已结束（")
    assert outcome.text.endswith("店铺目前没有进行中的活动，大促前会提前预告，记得关注店铺哦～")


def test_a_running_promotion_with_the_same_event_name_wins(store, tracker, run):
    store.put_promotion(
        "P-1111-OLD", "双十一狂欢", "去年的", "discount", starts_at=ago(days=380), ends_at=ago(days=360)
    )
    store.put_promotion("P-1111", "双11狂欢", "全场9折", "discount", ends_at=ahead(days=2))

    outcome = run(
        ActionPromotions(store),
        tracker("new_conversation", text="双十一活动还有吗", intent="ask_promotion"),
    )

    assert outcome.text.startswith("店铺正在进行的活动：\n• 【直降】双11狂欢")
    assert store.called("ended_promotions") == []


def test_ended_promotions_unavailable_still_lists_the_running_ones(store, tracker, run):
    seed_promotions(store)
    store.down_methods = {"ended_promotions"}

    outcome = run(
        ActionPromotions(store),
        tracker("new_conversation", text="双11的活动还有吗", intent="ask_promotion"),
    )

    assert outcome.text.startswith("店铺正在进行的活动：")


def test_general_question_does_not_mention_ended_ones(store, tracker, run):
    seed_promotions(store)  # P-OLD "五一焕新" ended 20 days ago

    outcome = run(
        ActionPromotions(store), tracker("new_conversation", text="最近有什么活动", intent="ask_promotion")
    )

    assert "结束" not in outcome.text.splitlines()[0]
    assert "五一焕新" not in outcome.text


def test_a_store_without_the_ended_extension_is_not_misread(store, tracker, run):
    """A store ignoring ?status=ended answers the running ones: none of them is "over"."""
    store.put_promotion("P-1111", "双十一狂欢", "全场9折", "discount", ends_at=ahead(days=2))
    store.ended_promotions = lambda sku=None: store.active_promotions(sku)

    outcome = run(
        ActionPromotions(store),
        tracker("new_conversation", text="双十二还有优惠吗", intent="ask_promotion"),
    )

    assert "已结束" not in outcome.text
    assert outcome.text.startswith("店铺正在进行的活动：\n• 【直降】双十一狂欢")
