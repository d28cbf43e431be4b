"""Report building from hand-made parse output, and the Markdown/HTML/JSON files it writes."""

import json
import re

import pytest

from xiaoer.evaluation.heldout import HeldoutMessage
from xiaoer.evaluation.report import md_text, to_html, to_markdown, write_reports
from xiaoer.evaluation.run import build_report, prediction_from_parse

HOSTILE = "<script>alert(1)</script> | *粗体* [链接](http://x) `code` & 😡"


def _parse(intent, confidence, selector=None, ranking=()):
    parsed = {"intent": {"name": intent, "confidence": confidence}}
    if selector:
        parsed["response_selector"] = {
            selector: {"ranking": [{"intent_response_key": k, "confidence": 0.5} for k in ranking]}
        }
    return parsed


@pytest.fixture
def project(tmp_path):
    data = tmp_path / "data" / "nlu"
    data.mkdir(parents=True)
    (data / "chitchat.yml").write_text(
        'version: "3.1"\nnlu:\n  - intent: greet\n    examples: |\n      - 你好\n      - 在吗\n',
        encoding="utf-8",
    )
    (data / "faq.yml").write_text(
        'version: "3.1"\nnlu:\n  - intent: ask_installation/wall_mount_fee\n    examples: |\n      - 挂架收费吗\n',
        encoding="utf-8",
    )
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "installation.yml").write_text(
        "category: installation\nintent: ask_installation\nentries:\n"
        "  - id: wall_mount_fee\n    question: 电视挂架安装要收费吗\n    variants: [挂架要另外收钱吗]\n    answers: [{text: x}]\n"
        "  - id: install_time\n    question: 多久上门安装\n    variants: [安装师傅几天能来]\n    answers: [{text: y}]\n",
        encoding="utf-8",
    )
    return tmp_path


MESSAGES = [
    HeldoutMessage("你好呀", "greet", None, "intents.yml:2"),
    HeldoutMessage("在吗？", "greet", None, "intents.yml:4"),  # overlaps 在吗
    HeldoutMessage(HOSTILE, "complain", None, "intents.yml:6"),
    HeldoutMessage("挂架装上去要钱不", "ask_installation", "wall_mount_fee", "kb_a.yml:2"),
    HeldoutMessage("师傅啥时候来装", "ask_installation", "install_time", "kb_a.yml:5"),
]
PARSES = [
    _parse("greet", 0.9),
    _parse("greet", 0.8),
    _parse("greet", 0.6),
    _parse("ask_installation", 0.9, "ask_installation", ["ask_installation/wall_mount_fee"]),
    _parse(
        "ask_installation",
        0.9,
        "default",
        ["ask_installation/wall_mount_fee", "ask_installation/install_time"],
    ),
]


def _report(project):
    return build_report(
        MESSAGES,
        lambda texts: PARSES[: len(texts)],
        data_dir=project / "data",
        knowledge_dir=project / "knowledge",
        threshold=0.45,
        threshold_source="test",
        model="models/test.tar.gz",
    )


def test_prediction_keeps_the_selectors_own_ranking_beside_the_ranked_one():
    fee, video = "ask_installation/wall_mount_fee", "ask_installation/install_video"
    parsed = _parse("ask_installation", 0.9, "ask_installation", [fee, video])
    parsed["response_selector"]["ask_installation"]["selector_ranking"] = [
        {"intent_response_key": video, "confidence": 0.6},
        {"intent_response_key": fee, "confidence": 0.4},
    ]

    prediction = prediction_from_parse(MESSAGES[3], parsed)

    assert (prediction.faq_ranking, prediction.selector_ranking) == ((fee, video), (video, fee))


def test_prediction_reads_the_gold_intents_selector_or_the_default_one():
    kb = MESSAGES[3]
    assert prediction_from_parse(kb, PARSES[3]).faq_ranking == ("ask_installation/wall_mount_fee",)
    assert prediction_from_parse(MESSAGES[4], PARSES[4]).faq_ranking[1] == "ask_installation/install_time"
    relabelled = prediction_from_parse(
        kb,
        {
            "intent": {"name": "nlu_fallback", "confidence": 0.45},
            "intent_ranking": [
                {"name": "nlu_fallback", "confidence": 0.45},
                {"name": "ask_installation", "confidence": 0.3},
            ],
        },
    )
    assert (relabelled.predicted_intent, relabelled.raw_intent, relabelled.raw_confidence) == (
        "nlu_fallback",
        "ask_installation",
        0.3,
    )
    missing = prediction_from_parse(kb, {"intent": None})
    assert (missing.predicted_intent, missing.confidence, missing.faq_ranking) == ("nlu_fallback", 0.0, ())


def test_build_report_figures(project):
    report = _report(project)
    assert report["intents"]["accuracy"] == pytest.approx(4 / 5)
    assert report["intents"]["per_intent"]["complain"]["recall"] == 0.0
    assert report["confused_pairs"] == [
        {"gold": "complain", "predicted": "greet", "count": 1, "examples": [HOSTILE]}
    ]
    assert report["faq"]["top1"] == pytest.approx(1 / 2)
    assert report["faq"]["top3"] == pytest.approx(2 / 2)
    assert report["faq"]["missing_selectors"] == []
    assert report["baseline"]["messages"] == 2
    assert 0.0 <= report["baseline"]["top1"] <= report["baseline"]["top3"] <= 1.0
    assert report["trigger"]["rate"] == 1.0
    assert [o["heldout"] for o in report["overlaps"]] == ["在吗？"]
    assert report["data"]["heldout_files"] == {"intents.yml": 3, "kb_a.yml": 2}
    assert report["data"]["heldout_file_accuracy"] == {"intents.yml": pytest.approx(2 / 3), "kb_a.yml": 1.0}
    assert report["data"]["training_examples"] == 3
    assert report["data"]["training_intents"] == 2  # greet, ask_installation (retrieval intents fold in)
    assert report["data"]["knowledge_entries"] == 2


def test_markdown_escapes_buyer_text(project):
    markdown = to_markdown(_report(project))
    assert "<script>" not in markdown
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; \\| \\*粗体\\* \\[链接\\](http://x) \\`code\\` &amp; 😡"
        in markdown
    )
    assert md_text("a|b\nc") == "a\\|b c"
    # every row of every table has its header's cell count: an escaped pipe is not a cell border
    tables, current = [], []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            current.append(len(re.findall(r"(?<!\\)\|", line)))
        elif current:
            tables.append(current)
            current = []
    assert len(tables) >= 5
    assert all(len(set(borders)) == 1 for borders in tables), tables


def test_html_escapes_buyer_text(project):
    page = to_html(_report(project))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.startswith("<!doctype html>") and "</html>" in page


def test_write_reports_writes_md_html_json(project, tmp_path):
    report = _report(project)
    paths = write_reports(report, tmp_path / "out")
    assert {p.name for p in paths.values()} == {"report.md", "report.html", "report.json"}
    assert json.loads(paths["json"].read_text(encoding="utf-8"))["faq"]["top3"] == 1.0
    assert "FAQ top-1 (TF-IDF baseline)" in paths["md"].read_text(encoding="utf-8")
    assert "answer trigger rate" in paths["html"].read_text(encoding="utf-8")


def test_kb_intents_without_a_response_selector_are_named(project):
    report = build_report(
        MESSAGES,
        lambda texts: [_parse("greet", 0.9)] * 3 + [_parse("ask_installation", 0.9)] * 2,
        data_dir=project / "data",
        knowledge_dir=project / "knowledge",
        threshold=0.45,
        threshold_source="test",
        model="m",
    )
    assert report["faq"]["missing_selectors"] == ["ask_installation"]
    assert report["faq"]["top3"] == 0.0
    assert "no response selector for ask\\_installation" in to_markdown(report)
