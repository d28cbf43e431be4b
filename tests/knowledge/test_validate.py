"""Checks across entries and files: duplicates, too few variants, windows, unknown intents."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from xiaoer.knowledge.loader import load_dir
from xiaoer.knowledge.model import Answer, Button, Category, Entry, normalise
from xiaoer.knowledge.validate import domain_intents, validate

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures" / "kb"
KNOWN = {"ask_installation", "ask_return_refund", "request_human"}
CST = timezone(timedelta(hours=8))


def entry(
    entry_id: str, variants, answers=(Answer(text="好的"),), intent="ask_installation", line=5
) -> Entry:
    return Entry(
        id=entry_id,
        question=f"{entry_id} 的标准问题",
        variants=tuple(variants),
        answers=tuple(answers),
        intent=intent,
        category="installation",
        path="knowledge/installation.yml",
        line=line,
    )


def category(*entries: Entry, intent="ask_installation", path="knowledge/installation.yml") -> Category:
    return Category("installation", "安装", intent, tuple(entries), path, 1, 3)


def eight(prefix: str) -> list[str]:
    return [f"{prefix}问法{n}" for n in range(8)]


def test_the_fixtures_are_valid():
    categories, problems = load_dir(FIXTURES)
    assert problems == [] and validate(categories, KNOWN) == []


def test_normalisation_folds_width_case_space_and_annotations():
    assert normalise(" ６５Ｅ７Ｋ 挂 墙\t收费吗 ") == normalise("65e7k挂墙收费吗")
    assert normalise("订单[261105873012](order_id)想预约安装") == normalise("订单261105873012想预约安装")


def test_duplicate_ids_across_files():
    first = category(entry("wall_mount_fee", eight("a")))
    moved = replace(
        entry("wall_mount_fee", eight("b"), intent="ask_delivery", line=9), path="knowledge/delivery.yml"
    )
    second = Category("delivery", "配送", "ask_delivery", (moved,), "knowledge/delivery.yml")
    problems = [str(p) for p in validate([first, second], KNOWN | {"ask_delivery"})]
    assert problems == [
        "knowledge/delivery.yml:9: duplicate id 'wall_mount_fee' (first at knowledge/installation.yml:5)",
        # Same id, same generated question: the examples collide too.
        "knowledge/delivery.yml:9: entry 'wall_mount_fee': duplicate variant 'wall_mount_fee 的标准问题', "
        "also in entry 'wall_mount_fee' (knowledge/installation.yml:5)",
    ]


def test_duplicate_variants_within_and_across_entries_after_normalisation():
    one = entry("one", [*eight("a"), "ＡＢＣ 挂架"], line=5)
    two = entry("two", [*eight("b"), "abc挂架", "b问法1 "], line=20)
    problems = [str(p) for p in validate([category(one, two)], KNOWN)]
    assert problems == [
        "knowledge/installation.yml:20: entry 'two': duplicate variant 'abc挂架', also in entry 'one' "
        "(knowledge/installation.yml:5)",
        "knowledge/installation.yml:20: entry 'two': duplicate variant 'b问法1 ', twice in this entry",
    ]


def test_fewer_than_eight_distinct_variants():
    # Eight written, but two are the same after normalisation and one repeats the question.
    variants = [*eight("a")[:6], "A问法0", "few 的标准问题"]
    problems = [p.reason for p in validate([category(entry("few", variants))], KNOWN)]
    assert "entry 'few' has 6 distinct variants; at least 8 are needed" in problems


def test_empty_variant_and_no_answers():
    problems = [p.reason for p in validate([category(entry("bare", [*eight("a"), " "], answers=()))], KNOWN)]
    assert problems == ["entry 'bare' has an empty variant", "entry 'bare' has no answers"]


def test_window_must_open_before_it_closes():
    start = datetime(2026, 12, 12, tzinfo=CST)
    answers = (Answer(text="双十二", valid_from=start, valid_until=start, line=30), Answer(text="平时"))
    problems = [str(p) for p in validate([category(entry("sale", eight("a"), answers=answers))], KNOWN)]
    assert problems == ["knowledge/installation.yml:30: entry 'sale': valid_from is not before valid_until"]


def test_unknown_category_intent_and_button_intent():
    answers = (
        Answer(
            text="好", buttons=(Button("转人工", "/request_human"), Button("问问", "/ask_nothing")), line=12
        ),
    )
    problems = [
        str(p)
        for p in validate([category(entry("x", eight("a"), answers=answers), intent="ask_install")], KNOWN)
    ]
    assert problems == [
        "knowledge/installation.yml:3: intent 'ask_install' is not an intent in domain.yml",
        "knowledge/installation.yml:12: entry 'x': button '问问' triggers unknown intent 'ask_nothing'",
    ]


def test_two_files_cannot_share_an_intent():
    first = category(entry("a", eight("a")))
    second = category(entry("b", eight("b")), path="knowledge/install2.yml")
    problems = [str(p) for p in validate([first, second], KNOWN)]
    assert problems == [
        "knowledge/install2.yml:3: intent 'ask_installation' is already used by knowledge/installation.yml"
    ]


def test_domain_intents_reads_plain_and_mapped_intents(tmp_path):
    domain = tmp_path / "domain.yml"
    domain.write_text(
        "intents:\n  - greet\n  - ask_installation:\n      use_entities: []\n", encoding="utf-8"
    )
    assert domain_intents(domain) == {"greet", "ask_installation"}
    assert "request_human" in domain_intents(ROOT / "domain.yml")
