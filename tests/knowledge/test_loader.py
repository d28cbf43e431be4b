"""Malformed knowledge files are reported with file, line and reason; good ones load whole."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from xiaoer.knowledge.loader import load_dir, load_file

FIXTURES = Path(__file__).parent / "fixtures" / "kb"
VARIANTS = "\n".join(f"      - 问法{n}" for n in range(8))


def write(tmp_path: Path, body: str, name: str = "installation.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def entry_file(answers: str, extra_entry: str = "") -> str:
    """A one-entry installation file; its first answer starts on line 17."""
    return (
        "category: installation\n"
        "title: 安装服务\n"
        "intent: ask_installation\n"
        "entries:\n"
        "  - id: wall_mount_fee\n"
        "    question: 挂架收费吗？\n"
        "    variants:\n" + VARIANTS + "\n"
        "    answers:\n"
        + textwrap.indent(textwrap.dedent(answers).strip("\n"), "      ")
        + "\n"
        + extra_entry
    )


def problems_of(tmp_path: Path, body: str) -> list[str]:
    category, problems = load_file(write(tmp_path, body), "knowledge/installation.yml")
    assert category is None, "a file with problems must not load"
    return [str(p) for p in problems]


def test_fixture_files_load_with_every_field():
    categories, problems = load_dir(FIXTURES)
    assert problems == []
    by_name = {c.name: c for c in categories}
    installation = by_name["installation"]
    assert (installation.title, installation.intent) == ("安装服务", "ask_installation")
    fee = installation.entries[0]
    assert fee.key == "ask_installation/wall_mount_fee"
    assert fee.question == "电视挂架安装要收费吗？"
    assert len(fee.variants) == 8 and "電視掛架要錢嗎" in fee.variants
    window = fee.answers[0]
    assert window.valid_from == datetime(2026, 11, 1, tzinfo=timezone(timedelta(hours=8)))
    assert window.valid_until.isoformat() == "2026-11-12T23:59:59+08:00"
    assert [(b.title, b.payload) for b in fee.answers[1].buttons] == [
        ("预约安装", "/ask_installation"),
        ("转人工", "/request_human"),
    ]
    steps = next(e for e in installation.entries if e.id == "install_steps").answers[0]
    assert steps.style == "multi" and [m.style for m in steps.messages] == ["text", "video"]
    how = by_name["returns"].entries[0]
    assert [a.order_status for a in how.answers] == [
        ("created", "paid"),
        ("shipped",),
        ("delivered", "completed"),
        (),
    ]


def test_invalid_yaml_names_its_line(tmp_path):
    body = entry_file('- text: "好的"') + "  - id: [broken\n"
    (problem,) = problems_of(tmp_path, body)
    assert problem.startswith("knowledge/installation.yml:") and "not valid YAML" in problem
    assert int(problem.split(":")[1]) >= 17


def test_unknown_keys_at_every_level(tmp_path):
    body = entry_file('- text: "好的"\n  colour: red').replace("title:", "titel:")
    body = body.replace("    question:", "    questoin: x\n    question:")
    assert problems_of(tmp_path, body) == [
        "knowledge/installation.yml:2: unknown key 'titel' in the file (allowed: category, title, intent, entries)",
        "knowledge/installation.yml:6: unknown key 'questoin' in entry 1 (allowed: id, question, variants, answers)",
        "knowledge/installation.yml:19: unknown key 'colour' in an answer of entry wall_mount_fee "
        "(allowed: style, buttons, text, summary, detail, image_url, video_url, poster_url, messages, "
        "valid_from, valid_until, order_status)",
    ]


def test_missing_fields(tmp_path):
    body = entry_file("- style: video\n  text: 看视频").replace("    question: 挂架收费吗？\n", "")
    assert problems_of(tmp_path, body) == [
        "knowledge/installation.yml:5: entry 1 is missing 'question'",
        "knowledge/installation.yml:16: an answer of entry wall_mount_fee (style 'video') is missing 'video_url'",
    ]
    no_intent = problems_of(tmp_path, "category: installation\nentries: []\n")
    assert no_intent == [
        "knowledge/installation.yml:1: the file is missing 'intent'",
        "knowledge/installation.yml:2: entries is empty",
    ]


def test_bad_dates(tmp_path):
    body = entry_file(
        """
        - text: 双十一
          valid_from: "2026-11-31T00:00:00+08:00"
          valid_until: "2026-11-12 23:59"
        """
    )
    assert problems_of(tmp_path, body) == [
        "knowledge/installation.yml:18: valid_from '2026-11-31T00:00:00+08:00' is not an ISO 8601 date-time "
        "such as 2026-11-01T00:00:00+08:00",
        "knowledge/installation.yml:19: valid_until '2026-11-12 23:59' needs a UTC offset, such as +08:00",
    ]


def test_bad_statuses(tmp_path):
    body = entry_file("- text: 未付款\n  order_status: [created, unpaid]\n- text: 默认")
    assert problems_of(tmp_path, body) == [
        "knowledge/installation.yml:18: unknown order status 'unpaid' (allowed: created, paid, shipped, "
        "delivered, completed, cancelled, refunding, refunded)"
    ]


def test_unknown_style_and_fields_of_another_style(tmp_path):
    body = entry_file("- style: carousel\n  text: 图\n- text: 看图\n  image_url: https://x.example/a.png")
    assert problems_of(tmp_path, body) == [
        "knowledge/installation.yml:17: unknown style 'carousel' (allowed: text, folded, image, video, "
        "screenshot, multi)",
        "knowledge/installation.yml:20: 'image_url' is not used by style 'text' (it reads: text)",
    ]


def test_empty_variants_ids_and_placeholders(tmp_path):
    body = entry_file('- text: "订单{order}已发货"').replace("      - 问法3\n", '      - ""\n')
    body = body.replace("id: wall_mount_fee", "id: Wall-Mount")
    assert problems_of(tmp_path, body) == [
        "knowledge/installation.yml:5: id 'Wall-Mount' must be English snake_case, like wall_mount_fee",
        "knowledge/installation.yml:11: a variant of entry Wall-Mount is empty",
        "knowledge/installation.yml:17: unknown placeholder {order} in text of an answer of entry Wall-Mount "
        "(allowed: {order_id}, {status}, {product})",
    ]


def test_entry_without_answers_and_multi_rules(tmp_path):
    body = entry_file("[]")
    assert problems_of(tmp_path, body) == [
        "knowledge/installation.yml:17: entry wall_mount_fee has no answers"
    ]
    body = entry_file(
        """
        - style: multi
          messages:
            - text: 第一条
              valid_from: "2026-11-01T00:00:00+08:00"
        """
    )
    assert problems_of(tmp_path, body) == [
        "knowledge/installation.yml:19: a multi answer needs at least two messages",
        "knowledge/installation.yml:20: 'valid_from': the messages of a multi answer take no conditions",
    ]


def test_category_must_match_file_name_and_keys_not_repeat(tmp_path):
    body = entry_file('- text: "好"').replace("category: installation", "category: install")
    body = body.replace("intent: ask_installation\n", "intent: ask_installation\nintent: ask_payment\n")
    assert problems_of(tmp_path, body) == [
        "knowledge/installation.yml:1: category 'install' must equal the file name 'installation'",
        "knowledge/installation.yml:4: duplicate key 'intent' in the file",
    ]


@pytest.mark.parametrize(
    "text, reason",
    [("", "the file is empty"), ("   \n", "the file is empty"), ("- a list\n", "the file must be a mapping")],
)
def test_empty_or_shapeless_files(tmp_path, text, reason):
    category, problems = load_file(write(tmp_path, text), "knowledge/installation.yml")
    assert category is None
    assert [p.reason for p in problems] == [reason]


def test_load_dir_reports_relative_paths_and_keeps_good_files(tmp_path):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "installation.yml").write_text(entry_file('- text: "好"'), encoding="utf-8")
    (knowledge / "payment.yml").write_text(
        "category: payment\nintent: ask_payment\nentries: 3\n", encoding="utf-8"
    )
    categories, problems = load_dir(knowledge, root=tmp_path)
    assert [c.name for c in categories] == ["installation"]
    assert [str(p) for p in problems] == ["knowledge/payment.yml:3: entries must be a list"]
