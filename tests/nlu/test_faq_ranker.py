"""The FAQ ranker: selector confidence blended with lexical similarity to knowledge/ as it is now."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from xiaoer.nlu.faq_ranker import FaqRanker, blend

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "knowledge" / "fixtures" / "kb"
WALL, VIDEO, FEES = (f"ask_installation/{e}" for e in ("wall_mount_fee", "install_video", "fee_policy"))


def selector_output(*ranking: tuple[str, float]) -> dict:
    """What Rasa's ResponseSelector sets for ask_installation."""
    top, confidence = ranking[0]
    return {
        "all_retrieval_intents": ["ask_installation"],
        "ask_installation": {
            "response": {
                "responses": [{"text": "selector's own response"}],
                "confidence": confidence,
                "intent_response_key": top,
                "utter_action": f"utter_{top}",
            },
            "ranking": [
                {"id": i, "confidence": c, "intent_response_key": k} for i, (k, c) in enumerate(ranking)
            ],
        },
    }


def parsed(text: str, *ranking: tuple[str, float]) -> Message:
    message = Message(data={"text": text})
    message.set("response_selector", selector_output(*ranking), add_to_output=True)
    return message


def rank(ranker: FaqRanker, message: Message) -> dict:
    [out] = ranker.process([message])
    return out.get("response_selector")["ask_installation"]


def add_variant(kb: Path, entry_id: str, text: str) -> None:
    """What a trainer does: one more variant in installation.yml (a later mtime, as an edit has)."""
    source = kb / "installation.yml"
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    next(e for e in doc["entries"] if e["id"] == entry_id)["variants"].append(text)
    source.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES, tmp_path / "knowledge"))


@pytest.fixture
def ranker(kb: Path) -> FaqRanker:
    return FaqRanker({"selector_weight": 0.5, "knowledge_dir": str(kb)})


def test_words_of_an_entry_overturn_an_unsure_selector(ranker):
    selector = rank(ranker, parsed("挂架安装要另外收钱吗", (VIDEO, 0.48), (WALL, 0.40), (FEES, 0.12)))

    assert selector["response"]["intent_response_key"] == WALL
    assert selector["response"]["utter_action"] == f"utter_{WALL}"
    # The response Rasa would have given for that entry: its standard question.
    assert selector["response"]["responses"] == [{"text": "电视挂架安装要收费吗？"}]
    assert [r["intent_response_key"] for r in selector["ranking"]][:2] == [WALL, VIDEO]
    assert selector["ranking"][0]["confidence"] == selector["response"]["confidence"]
    # The selector's own ranking is kept for comparison.
    assert [r["intent_response_key"] for r in selector["selector_ranking"]] == [VIDEO, WALL, FEES]


def test_a_sure_selector_keeps_its_pick_and_response(ranker):
    selector = rank(ranker, parsed("安装视频在哪", (VIDEO, 0.97), (WALL, 0.02), (FEES, 0.01)))

    assert selector["response"]["intent_response_key"] == VIDEO
    assert selector["response"]["responses"] == [{"text": "selector's own response"}]
    assert 0.5 < selector["response"]["confidence"] <= 1.0


def test_blend_is_the_weighted_sum():
    out = blend(
        selector_output((VIDEO, 0.6), (WALL, 0.4))["ask_installation"],
        {VIDEO: 0.1, WALL: 0.5},
        0.5,
        {VIDEO: "视频？", WALL: "挂架？"},
    )

    assert [(r["intent_response_key"], round(r["confidence"], 3)) for r in out["ranking"]] == [
        (WALL, 0.45),
        (VIDEO, 0.35),
    ]


def test_a_variant_added_to_the_file_helps_before_any_retrain(kb, ranker):
    text = "墙上钻眼儿另算钱不"
    before = rank(ranker, parsed(text, (WALL, 0.45), (VIDEO, 0.30), (FEES, 0.25)))
    assert before["response"]["intent_response_key"] == WALL

    add_variant(kb, "fee_policy", text)

    after = rank(ranker, parsed(text, (WALL, 0.45), (VIDEO, 0.30), (FEES, 0.25)))
    assert after["response"]["intent_response_key"] == FEES


def test_a_variant_typed_word_for_word_wins_over_a_sure_selector(kb, ranker):
    text = "安装师傅能帮忙把旧机拆下来吗"
    add_variant(kb, "fee_policy", text)

    # Typed in traditional characters with an emoji: still word for word after normalisation.
    selector = rank(
        ranker, parsed("安裝師傅能幫忙把舊機拆下來嗎😅", (WALL, 0.92), (VIDEO, 0.05), (FEES, 0.03))
    )

    assert selector["response"]["intent_response_key"] == FEES
    assert selector["response"]["confidence"] >= 0.99


def test_an_entry_removed_from_the_files_is_not_picked(ranker):
    selector = rank(ranker, parsed("挂架收费吗", ("ask_installation/retired_entry", 0.9), (WALL, 0.1)))

    assert selector["response"]["intent_response_key"] == WALL
    assert "ask_installation/retired_entry" not in [r["intent_response_key"] for r in selector["ranking"]]


def test_a_single_default_selector_is_ranked_over_every_entry(ranker):
    refund = "ask_return_refund/how_to_return"
    message = Message(data={"text": "挂架安装要另外收钱吗"})
    output = selector_output((refund, 0.48), (WALL, 0.40))
    output["default"] = output.pop("ask_installation")
    message.set("response_selector", output, add_to_output=True)

    [out] = ranker.process([message])

    assert out.get("response_selector")["default"]["response"]["intent_response_key"] == WALL


def test_weight_one_or_no_knowledge_leaves_the_selector_alone(kb, tmp_path):
    for ranker in (
        FaqRanker({"selector_weight": 1.0, "knowledge_dir": str(kb)}),
        FaqRanker({"knowledge_dir": str(tmp_path / "missing")}),
    ):
        selector = rank(ranker, parsed("挂架安装要另外收钱吗", (VIDEO, 0.48), (WALL, 0.40)))
        assert selector["response"]["intent_response_key"] == VIDEO
        assert "selector_ranking" not in selector


def test_messages_without_a_selector_and_other_keys_pass_through(ranker):
    plain = Message(data={"text": "你好"})
    [out] = ranker.process([plain])
    assert out.get("response_selector") is None

    message = parsed("挂架收费吗", (WALL, 0.9))
    assert rank(ranker, message) and message.get("response_selector")["all_retrieval_intents"] == [
        "ask_installation"
    ]


def test_knowledge_dir_comes_from_the_environment(monkeypatch, kb):
    monkeypatch.setenv("XIAOER_KNOWLEDGE_DIR", str(kb))

    assert FaqRanker({}).repository.directory == kb


def test_config_places_the_ranker_after_the_entry_selector():
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    names = [c["name"] for c in pipeline]

    assert names.index("xiaoer.nlu.selectors.LinearResponseSelector") < names.index(
        "xiaoer.nlu.faq_ranker.FaqRanker"
    )


def test_a_selector_without_responses_gets_the_entrys_question(ranker):
    message = parsed("安装视频在哪", (VIDEO, 0.97), (WALL, 0.02), (FEES, 0.01))
    message.get("response_selector")["ask_installation"]["response"]["responses"] = []

    selector = rank(ranker, message)

    assert selector["response"]["intent_response_key"] == VIDEO
    assert selector["response"]["responses"] == [{"text": "有安装教程视频吗？"}]
