"""The trainer's edits on a copy of the real training data: examples, variants, a new entry."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from xiaoer.knowledge.build import Paths, load_valid
from xiaoer.trainer.edits import EditRefused, add_examples, add_variants, new_entry, scalar
from xiaoer.trainer.references import nlu_references

ROOT = Path(__file__).resolve().parents[2]
GIFT_VARIANTS = [
    "能礼品包装吗",
    "送人的 能包好看点吗",
    "有礼盒吗",
    "可以帮忙包装成礼物吗",
    "礼品装怎么弄",
    "能加贺卡吗",
    "想送朋友 能包装吗",
    "有没有礼品包装服务",
]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "data" / "nlu", tmp_path / "data" / "nlu", ignore=shutil.ignore_patterns("faq"))
    shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
    shutil.copy(ROOT / "domain.yml", tmp_path / "domain.yml")
    return tmp_path


def examples_of(project: Path, intent: str) -> list[str]:
    return [r.text for r in nlu_references(project / "data" / "nlu") if r.name == intent]


def test_examples_are_appended_to_the_intents_block_masked_and_readable(project: Path) -> None:
    edit = add_examples(
        project / "data" / "nlu",
        project,
        "query_logistics",
        ["今天能到吗 急", "  我的快递到哪了 ", "收件人王小明 13812345678 到哪了", "今天能到吗  急"],
    )

    assert edit.label == "data/nlu/logistics.yml"
    assert edit.added == ("今天能到吗 急", "收件人王** 138****5678 到哪了")
    assert edit.skipped == ("我的快递到哪了（已是 query_logistics 的例句）",)
    assert "+      - 今天能到吗 急\n" in edit.diff() and edit.diff().count("\n+ ") == 2
    before = examples_of(project, "query_logistics")
    edit.apply()
    after = examples_of(project, "query_logistics")
    assert after == before + list(edit.added)
    # Everything else in the file is as it was: comments, other intents.
    text = (project / "data" / "nlu" / "logistics.yml").read_text(encoding="utf-8")
    assert text.replace("      - 今天能到吗 急\n      - 收件人王** 138****5678 到哪了\n", "") == edit.before


@pytest.mark.parametrize(
    ("intent", "texts", "reason"),
    [
        ("no_such_intent", ["随便说说"], "没有意图 no_such_intent"),
        ("query_logistics", ["我的快递到哪了"], "都已经在训练数据里"),
        ("query_logistics", ["   ", ""], "没有可添加的文本"),
        ("query_logistics", ["x" * 201], "不超过 200"),
        ("query_logistics", ["[顺丰](carrier)到了吗"], "标注语法"),
    ],
)
def test_examples_that_would_be_wrong_are_refused(project: Path, intent, texts, reason) -> None:
    with pytest.raises(EditRefused, match=reason.replace("(", r"\(")):
        add_examples(project / "data" / "nlu", project, intent, texts)


def test_an_example_of_another_intent_is_skipped_with_its_owner(project: Path) -> None:
    edit = add_examples(
        project / "data" / "nlu", project, "urge_shipment", ["我的快递到哪了", "仓库能不能今天就发走"]
    )

    assert edit.skipped == ("我的快递到哪了（已是 query_logistics 的例句）",)
    assert edit.added == ("仓库能不能今天就发走",)


def test_variants_join_the_entry_and_the_knowledge_base_still_validates(project: Path) -> None:
    edit = add_variants(
        project / "knowledge",
        project,
        project / "domain.yml",
        "ask_delivery/carriers",
        ["能发德邦吗", "发啥快递: 顺丰?"],
    )

    assert edit.label == "knowledge/delivery.yml"
    assert '+      - "发啥快递: 顺丰?"\n' in edit.diff()
    edit.apply()
    knowledge = load_valid(Paths(project / "knowledge", project / "faq", project / "domain.yml", project))
    variants = knowledge.entry("ask_delivery/carriers").variants
    assert variants[-2:] == ("能发德邦吗", "发啥快递: 顺丰?")


def test_a_variant_of_another_entry_fails_validation_and_nothing_is_written(project: Path) -> None:
    before = (project / "knowledge" / "delivery.yml").read_text(encoding="utf-8")
    # "一般几天能到" is a variant of ask_delivery/delivery_time.
    with pytest.raises(EditRefused, match="没通过校验"):
        add_variants(
            project / "knowledge", project, project / "domain.yml", "ask_delivery/carriers", ["一般几天能到"]
        )
    assert (project / "knowledge" / "delivery.yml").read_text(encoding="utf-8") == before


def test_a_new_entry_is_written_at_the_end_of_its_category(project: Path) -> None:
    edit = new_entry(
        project / "knowledge",
        project,
        project / "domain.yml",
        "delivery",
        "gift_wrap",
        "能包装成礼物吗",
        GIFT_VARIANTS,
        "亲，暂不提供礼品包装哦。",
    )
    edit.apply()

    knowledge = load_valid(Paths(project / "knowledge", project / "faq", project / "domain.yml", project))
    entry = knowledge.entry("ask_delivery/gift_wrap")
    assert entry.question == "能包装成礼物吗" and list(entry.variants) == GIFT_VARIANTS
    assert entry.answers[0].text == "亲，暂不提供礼品包装哦。"


@pytest.mark.parametrize(
    ("entry_id", "variants", "reason"),
    [
        ("Gift Wrap", GIFT_VARIANTS, "条目 id"),
        ("gift_wrap", GIFT_VARIANTS[:3], "at least 8"),
        ("carriers", GIFT_VARIANTS, "没通过校验"),  # the id is taken
    ],
)
def test_a_new_entry_that_would_not_validate_is_refused(project: Path, entry_id, variants, reason) -> None:
    with pytest.raises(EditRefused, match=reason):
        new_entry(
            project / "knowledge",
            project,
            project / "domain.yml",
            "delivery",
            entry_id,
            "能包装成礼物吗",
            variants,
            "可以",
        )


def test_an_edit_made_on_a_file_that_changed_since_is_not_written(project: Path) -> None:
    edit = add_examples(project / "data" / "nlu", project, "query_logistics", ["今天能到吗 急"])
    path = project / "data" / "nlu" / "logistics.yml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# someone else\n", encoding="utf-8")

    with pytest.raises(EditRefused, match="被改过了"):
        edit.apply()
    assert "今天能到吗 急" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "text", ["普通的问题", "发啥快递: 顺丰?", "- 开头是横线", "#号开头", "'引号", "yes", "123", "[括号]"]
)
def test_scalars_read_back_as_written(text: str) -> None:
    assert yaml.safe_load(f"- {scalar(text)}") == [text]
