"""action_faq on saved trackers: the selector's entry, answers by clock and order, styles, fallbacks."""

from __future__ import annotations

import copy
import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker

from actions.faq import UNSURE, UPDATING, ActionFaq
from tests.actions.fake_store import ALICE, BOB, ago
from tests.actions.harness import entity, tracker_state
from xiaoer.knowledge.repository import KnowledgeRepository

FIXTURE_KB = Path(__file__).resolve().parents[1] / "knowledge" / "fixtures" / "kb"
CST = timezone(timedelta(hours=8))
ORDINARY_DAY = datetime(2026, 11, 25, 11, 0, tzinfo=CST)
DOUBLE_ELEVEN = datetime(2026, 11, 11, 20, 0, tzinfo=CST)
HUMAN = {"title": "转人工", "payload": "/request_human"}


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A private copy of the fixture knowledge, free to edit."""
    return Path(shutil.copytree(FIXTURE_KB, tmp_path / "knowledge"))


@pytest.fixture
def faq(store, kb_dir):
    def make(now: datetime = ORDINARY_DAY) -> ActionFaq:
        return ActionFaq(store, KnowledgeRepository(kb_dir), clock=lambda: now)

    return make


def asked(
    key: str | None,
    *,
    confidence: float = 0.91,
    ranking: List[str] | None = None,
    text: str | None = None,
    intent: str | None = None,
    entities: List[Dict[str, Any]] | None = None,
    slots: Dict[str, Any] | None = None,
    sender_id: str | None = None,
) -> Tracker:
    """The saved FAQ tracker with this turn's response selection (key None: no selection)."""
    state = copy.deepcopy(tracker_state("faq_question"))
    message = state["latest_message"]
    intent = intent or (key.split("/")[0] if key else "ask_installation")
    message["intent"] = {"name": intent, "confidence": 0.95}
    message["intent_ranking"] = [dict(message["intent"])]
    if text is not None:
        message["text"] = text
        message["entities"] = entities or []
    if key is None:
        message.pop("response_selector")
    else:
        ranking = ranking or [key]
        message["response_selector"] = {
            "all_retrieval_intents": ["ask_installation", "ask_return_refund"],
            intent: {
                "response": {
                    "responses": [{"text": "（标准问题）"}],
                    "confidence": confidence,
                    "intent_response_key": key,
                    "utter_action": f"utter_{key}",
                },
                "ranking": [
                    {"confidence": confidence if i == 0 else 0.01, "intent_response_key": k}
                    for i, k in enumerate(ranking)
                ],
            },
        }
    state["slots"].update(slots or {})
    if sender_id:
        state["sender_id"] = sender_id
    for event in reversed(state["events"]):
        if event["event"] == "user":
            event["text"] = message["text"]
            event["parse_data"] = copy.deepcopy(message)
            break
    return Tracker.from_dict(state)


def customs(outcome) -> List[Dict[str, Any]]:
    return [m["custom"] for m in outcome.messages if m.get("custom")]


# --- the entry and its answer ---------------------------------------------------------------------


def test_text_answer_with_buttons_names_the_product_in_the_message(faq, store, run):
    outcome = run(faq(), asked("ask_installation/wall_mount_fee"))

    assert outcome.text == "挂架按官方标准收费，65E7K挂架199元，师傅先报价再施工。"
    assert outcome.buttons == [{"title": "预约安装", "payload": "/ask_installation"}, HUMAN]
    assert customs(outcome) == []
    assert outcome.slot("offered_human") is True  # "好的" now accepts the 转人工 offer
    assert store.called("get_order") == [] and store.called("buyer_orders") == []


def test_validity_window_serves_the_sale_answer_without_asking_the_store(faq, store, run):
    outcome = run(faq(DOUBLE_ELEVEN), asked("ask_installation/wall_mount_fee"))

    assert outcome.text == "双十一期间挂架安装免费（活动价）。"
    assert store.calls == []


def test_every_answer_out_of_its_window_offers_a_human(faq, run):
    outcome = run(faq(), asked("ask_installation/spring_festival_install", text="过年能装吗"))

    assert outcome.text == UPDATING
    assert HUMAN in outcome.buttons
    assert outcome.slot("offered_human") is True


def test_the_same_entry_inside_its_window(faq, run):
    outcome = run(
        faq(datetime(2027, 2, 1, 9, 0, tzinfo=CST)), asked("ask_installation/spring_festival_install")
    )
    assert outcome.text.startswith("春节期间（1月28日至2月12日）暂停上门安装")


# --- order status ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, expected",
    [
        ("created", "订单3001000001还没发货，直接在订单页申请退款即可，款项原路退回。"),
        ("paid", "订单3001000001还没发货，直接在订单页申请退款即可，款项原路退回。"),
        ("shipped", "订单3001000001已发货，可以拒收，或签收后申请退货。"),
        ("delivered", "订单3001000001已签收，请在订单页点“申请售后”选择退货。"),
        ("cancelled", "在订单页点“申请售后”提交退货申请即可。"),
    ],
)
def test_order_in_context_chooses_the_answer(faq, store, run, status, expected):
    store.put_order("3001000001", status=status)

    outcome = run(
        faq(), asked("ask_return_refund/how_to_return", text="怎么退货", slots={"order_id": "3001000001"})
    )

    assert outcome.text == expected
    assert store.called("get_order") == [("3001000001",)]


def test_order_number_in_the_message_wins_over_the_slot(faq, store, run):
    store.put_order("3001000001", status="paid")
    store.put_order("3001000002", status="shipped")
    text = "3001000002这单怎么退"

    outcome = run(
        faq(),
        asked(
            "ask_return_refund/how_to_return",
            text=text,
            entities=[entity("order_id", "3001000002", text)],
            slots={"order_id": "3001000001"},
        ),
    )

    assert outcome.text == "订单3001000002已发货，可以拒收，或签收后申请退货。"


def test_without_an_order_in_context_the_most_recent_order_counts(faq, store, run):
    store.put_order("3001000001", status="delivered", created_at=ago(days=20))
    store.put_order("3001000002", status="paid", created_at=ago(days=1))

    outcome = run(faq(), asked("ask_return_refund/how_to_return", text="我要退货"))

    assert outcome.text.startswith("订单3001000002还没发货")
    assert store.called("buyer_orders") == [(ALICE,)]


def test_another_buyers_order_is_never_used_or_revealed(faq, store, run):
    store.put_order("3002000001", buyer_id=BOB, status="shipped")
    store.put_order("3001000001", status="delivered")

    outcome = run(
        faq(), asked("ask_return_refund/how_to_return", text="怎么退货", slots={"order_id": "3002000001"})
    )

    assert outcome.text == "订单3001000001已签收，请在订单页点“申请售后”选择退货。"
    assert "3002000001" not in outcome.text


def test_buyer_without_orders_gets_the_unconditional_answer(faq, store, run):
    outcome = run(faq(), asked("ask_return_refund/how_to_return", text="怎么退货"))
    assert outcome.text == "在订单页点“申请售后”提交退货申请即可。"


def test_status_placeholder_in_chinese(faq, store, run):
    store.put_order("3001000003", status="refunding")

    outcome = run(faq(), asked("ask_return_refund/refund_progress", text="退款多久到"))

    assert outcome.text == "订单3001000003的退款正在处理（退款中），审核通过后1–3个工作日原路退回。"


def test_store_down_uses_the_unconditional_answer(faq, store, run):
    store.down = True

    outcome = run(faq(), asked("ask_return_refund/how_to_return", text="怎么退货"))

    assert outcome.text == "在订单页点“申请售后”提交退货申请即可。"
    assert outcome.responses == []


def test_store_down_with_only_order_answers_apologises_and_offers_a_human(faq, store, run):
    store.down = True

    outcome = run(faq(), asked("ask_return_refund/refund_progress", text="退款多久到"))

    assert outcome.responses == ["utter_backend_error"]
    assert outcome.slot("offered_human") is True


# --- styles ---------------------------------------------------------------------------------------


def test_video_answer_is_one_custom_payload(faq, run):
    outcome = run(faq(), asked("ask_installation/install_video", text="有安装视频吗"))

    assert customs(outcome) == [
        {
            "type": "video",
            "text": "这是官方安装教程视频，跟着做就好。",
            "video_url": "https://static.haiyue-demo.example/video/install.mp4",
            "poster_url": "https://static.haiyue-demo.example/img/install-poster.jpg",
            "faq": "ask_installation/install_video",
        }
    ]
    assert outcome.slot("offered_human") is False


def test_folded_answer(faq, run):
    (payload,) = customs(run(faq(), asked("ask_installation/fee_policy", text="辅材怎么收费")))
    assert payload["type"] == "folded" and payload["summary"] == payload["text"]
    assert payload["detail"].startswith("铜管 80 元/米")
    assert payload["buttons"] == [HUMAN]


def test_screenshot_shows_the_detail_page_of_the_product_in_context(faq, store, run):
    store.products["TV-65E7K"]["detail_image_url"] = "https://static.haiyue-demo.example/detail/65e7k.jpg"

    outcome = run(
        faq(),
        asked("ask_installation/product_page", text="这款安装尺寸在哪看", slots={"product_sku": "TV-65E7K"}),
    )

    assert customs(outcome) == [
        {
            "type": "screenshot",
            "text": "65E7K的安装尺寸见详情页这张图。",
            "image_url": "https://static.haiyue-demo.example/detail/65e7k.jpg",
            "sku": "TV-65E7K",
            "faq": "ask_installation/product_page",
        }
    ]


def test_multi_answer_sends_each_message_in_its_own_style(faq, run):
    outcome = run(faq(), asked("ask_installation/install_steps", text="安装流程"))

    assert [m.get("text") for m in outcome.messages] == ["第一步：签收后在订单页点“预约安装”。", None]
    assert customs(outcome)[0]["type"] == "video"


# --- not sure which entry -------------------------------------------------------------------------


def test_low_confidence_offers_the_likeliest_questions(faq, run):
    ranking = [
        "ask_installation/fee_policy",
        "ask_installation/pipe_chart",
        "ask_installation/wall_mount_fee",
    ]
    outcome = run(faq(), asked(ranking[0], confidence=0.2, ranking=ranking, text="收费"))

    assert outcome.text == UNSURE
    assert outcome.buttons == [
        {"title": "安装辅材怎么收费？", "payload": "安装辅材怎么收费？"},
        {"title": "铜管价格表能发图吗？", "payload": "铜管价格表能发图吗？"},
        {"title": "电视挂架安装要收费吗？", "payload": "电视挂架安装要收费吗？"},
        HUMAN,
    ]


def test_intent_without_a_selection_offers_the_categorys_questions(faq, run):
    outcome = run(faq(), asked(None, intent="ask_installation", text="/ask_installation"))

    assert outcome.text == UNSURE
    titles = [b["title"] for b in outcome.buttons]
    assert titles == ["电视挂架安装要收费吗？", "有安装教程视频吗？", "安装辅材怎么收费？", "转人工"]


def test_an_entry_unknown_to_the_knowledge_files_is_not_invented(faq, run):
    outcome = run(faq(), asked("ask_installation/removed_entry", text="某个旧问题"))
    assert outcome.text == UNSURE
    assert outcome.buttons[0] == {"title": "电视挂架安装要收费吗？", "payload": "电视挂架安装要收费吗？"}


# --- edits without retraining ---------------------------------------------------------------------


def touch_later(path: Path) -> None:
    """Make sure the edit is seen even on file systems with coarse timestamps."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_an_edited_answer_is_served_on_the_next_question(faq, kb_dir, run):
    action = faq()
    question = asked("ask_installation/wall_mount_fee")
    assert "199元" in run(action, question).text

    source = kb_dir / "installation.yml"
    source.write_text(source.read_text(encoding="utf-8").replace("挂架199元", "挂架99元"), encoding="utf-8")
    touch_later(source)

    assert run(action, question).text == "挂架按官方标准收费，65E7K挂架99元，师傅先报价再施工。"


def test_a_broken_edit_keeps_the_last_good_answers(faq, kb_dir, run, caplog):
    action = faq()
    question = asked("ask_installation/wall_mount_fee")
    run(action, question)

    source = kb_dir / "installation.yml"
    source.write_text(
        source.read_text(encoding="utf-8").replace("style: video", "style: movie"), encoding="utf-8"
    )
    touch_later(source)

    assert run(action, question).text.startswith("挂架按官方标准收费")
    assert "unknown style 'movie'" in caplog.text
