"""Choosing an answer (validity windows, order status) and each style's payload."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest

from xiaoer.knowledge.answers import Facts, StoreTrouble, choose, messages
from xiaoer.knowledge.loader import load_dir
from xiaoer.knowledge.model import Knowledge

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures" / "kb"
CST = timezone(timedelta(hours=8))
DOUBLE_ELEVEN = datetime(2026, 11, 11, 20, 0, tzinfo=CST)
ORDINARY_DAY = datetime(2026, 11, 25, 11, 0, tzinfo=CST)


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    categories, problems = load_dir(FIXTURES)
    assert not problems
    return Knowledge.of(categories)


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads((ROOT / "docs" / "answer-payload.schema.json").read_text(encoding="utf-8"))


def no_order() -> str | None:
    raise AssertionError("the order status was not needed")


def status_is(status: str | None):
    asked = []

    def order_status() -> str | None:
        asked.append(status)
        return status

    order_status.asked = asked
    return order_status


def test_validity_window_chooses_by_the_clock(kb):
    entry = kb.entry("ask_installation/wall_mount_fee")
    assert choose(entry, DOUBLE_ELEVEN, no_order).text == "双十一期间挂架安装免费（活动价）。"
    assert choose(entry, ORDINARY_DAY, no_order).text.startswith("挂架按官方标准收费")
    # The window's edges, in another time zone: 2026-11-12T23:59:59+08:00 is 15:59:59 UTC.
    last_second = datetime(2026, 11, 12, 15, 59, 59, tzinfo=timezone.utc)
    assert choose(entry, last_second, no_order).text.startswith("双十一")
    assert choose(entry, last_second + timedelta(seconds=1), no_order).text.startswith("挂架按")


def test_every_answer_out_of_its_window_gives_none(kb):
    entry = kb.entry("ask_installation/spring_festival_install")
    assert choose(entry, ORDINARY_DAY, no_order) is None
    assert choose(entry, datetime(2027, 2, 1, tzinfo=CST), no_order).text.startswith("春节期间")


@pytest.mark.parametrize(
    "status, start",
    [
        ("created", "订单{order_id}还没发货"),
        ("paid", "订单{order_id}还没发货"),
        ("shipped", "订单{order_id}已发货"),
        ("delivered", "订单{order_id}已签收"),
        ("completed", "订单{order_id}已签收"),
        ("cancelled", "在订单页点“申请售后”"),
        (None, "在订单页点“申请售后”"),
    ],
)
def test_order_status_chooses_the_answer(kb, status, start):
    order_status = status_is(status)
    answer = choose(kb.entry("ask_return_refund/how_to_return"), ORDINARY_DAY, order_status)
    assert answer.text.startswith(start)
    assert order_status.asked == [status]  # asked once, however many answers need it


def test_store_down_falls_back_to_the_unconditional_answer(kb):
    def down() -> str:
        raise StoreTrouble("timeout")

    answer = choose(kb.entry("ask_return_refund/how_to_return"), ORDINARY_DAY, down)
    assert answer.text == "在订单页点“申请售后”提交退货申请即可。"
    with pytest.raises(StoreTrouble):
        choose(kb.entry("ask_return_refund/refund_progress"), ORDINARY_DAY, down)


def test_placeholders_are_filled_from_facts_or_said_generically(kb):
    answer = choose(kb.entry("ask_return_refund/refund_progress"), ORDINARY_DAY, status_is("refunding"))
    facts = Facts(order_id="3001000007", status="refunding")
    (message,) = messages(answer, facts, "ask_return_refund/refund_progress")
    assert message == {
        "text": "订单3001000007的退款正在处理（退款中），审核通过后1–3个工作日原路退回。",
        "buttons": [],
    }
    fee = choose(kb.entry("ask_installation/wall_mount_fee"), ORDINARY_DAY, no_order)
    assert messages(fee, Facts(), "k")[0]["text"] == "挂架按官方标准收费，该商品挂架199元，师傅先报价再施工。"
    assert messages(fee, Facts(product="65E7K"), "k")[0]["text"].startswith(
        "挂架按官方标准收费，65E7K挂架199元"
    )


def test_text_with_buttons_is_a_plain_text_message(kb, schema):
    answer = choose(kb.entry("ask_installation/wall_mount_fee"), ORDINARY_DAY, no_order)
    (message,) = messages(answer, Facts(product="65E7K"), "ask_installation/wall_mount_fee")
    assert set(message) == {"text", "buttons"}
    assert message["buttons"] == [
        {"title": "预约安装", "payload": "/ask_installation"},
        {"title": "转人工", "payload": "/request_human"},
    ]


def payload_of(kb, key: str, facts: Facts | None = None) -> dict:
    answer = choose(kb.entry(key), ORDINARY_DAY, no_order)
    (message,) = messages(answer, facts or Facts(), key)
    assert set(message) == {"json_message"}
    return message["json_message"]


def test_folded_payload(kb, schema):
    payload = payload_of(kb, "ask_installation/fee_policy")
    assert payload == {
        "type": "folded",
        "text": "辅材按官方价目表收费，师傅先报价。",
        "summary": "辅材按官方价目表收费，师傅先报价。",
        "detail": "铜管 80 元/米；空调支架 120 元；墙孔 50 元/个；高空作业 200 元/次。",
        "buttons": [{"title": "转人工", "payload": "/request_human"}],
        "faq": "ask_installation/fee_policy",
    }
    jsonschema.validate(payload, schema)


def test_image_payload(kb, schema):
    payload = payload_of(kb, "ask_installation/pipe_chart")
    assert payload == {
        "type": "image",
        "text": "这是官方辅材价目表。",
        "image_url": "https://static.haiyue-demo.example/img/fees.png",
        "faq": "ask_installation/pipe_chart",
    }
    jsonschema.validate(payload, schema)


def test_video_payload(kb, schema):
    payload = payload_of(kb, "ask_installation/install_video")
    assert payload == {
        "type": "video",
        "text": "这是官方安装教程视频，跟着做就好。",
        "video_url": "https://static.haiyue-demo.example/video/install.mp4",
        "poster_url": "https://static.haiyue-demo.example/img/install-poster.jpg",
        "faq": "ask_installation/install_video",
    }
    jsonschema.validate(payload, schema)


def test_screenshot_payload_shows_the_product_detail_page(kb, schema):
    facts = Facts(
        product="65E7K",
        product_sku="TV-65E7K",
        detail_image_url="https://static.haiyue-demo.example/d/65e7k.jpg",
    )
    payload = payload_of(kb, "ask_installation/product_page", facts)
    assert payload == {
        "type": "screenshot",
        "text": "65E7K的安装尺寸见详情页这张图。",
        "image_url": "https://static.haiyue-demo.example/d/65e7k.jpg",
        "sku": "TV-65E7K",
        "faq": "ask_installation/product_page",
    }
    jsonschema.validate(payload, schema)


def test_screenshot_without_a_product_page_is_said_in_words(kb):
    answer = choose(kb.entry("ask_installation/product_page"), ORDINARY_DAY, no_order)
    assert messages(answer, Facts(), "k") == [{"text": "该商品的安装尺寸见详情页这张图。", "buttons": []}]


def test_multi_is_several_messages_each_of_its_own_style(kb, schema):
    answer = choose(kb.entry("ask_installation/install_steps"), ORDINARY_DAY, no_order)
    first, second = messages(answer, Facts(), "ask_installation/install_steps")
    assert first == {"text": "第一步：签收后在订单页点“预约安装”。", "buttons": []}
    assert second["json_message"]["type"] == "video"
    assert second["json_message"]["video_url"] == "https://static.haiyue-demo.example/video/steps.mp4"
    jsonschema.validate(second["json_message"], schema)


def test_the_schema_rejects_payloads_channels_could_not_render(schema):
    for bad in (
        {"type": "image", "text": "缺图"},
        {"type": "video", "video_url": "https://x.example/v.mp4"},
        {"type": "carousel", "text": "未知样式"},
        {"type": "folded", "text": "t", "summary": "s", "detail": "d", "buttons": [{"title": "无payload"}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
