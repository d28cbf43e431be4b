"""The store vocabulary (vocabulary/*.yml): the shipped files, every malformed case, the lookups."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from xiaoer import vocabulary
from xiaoer.nlu import attributes
from xiaoer.settings import REPO_ROOT
from xiaoer.vocabulary import Problem, Vocabulary, VocabularyError

SHIPPED = REPO_ROOT / "vocabulary"
GOOD_ATTRIBUTES = "attributes:\n  多大: [屏幕尺寸, 总容积]\n  能效: [能效等级]\n"
GOOD_CATEGORIES = "categories:\n  电视: [电视, tv]\n  冰箱: [冰箱]\n"


def write(directory: Path, attributes_yml=GOOD_ATTRIBUTES, categories_yml=GOOD_CATEGORIES) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "attributes.yml").write_text(attributes_yml, encoding="utf-8")
    (directory / "categories.yml").write_text(categories_yml, encoding="utf-8")
    return directory


def problems(directory: Path) -> list[Problem]:
    found = vocabulary.validate(directory)
    assert found, "expected the vocabulary to be rejected"
    return found


def reported(found: list[Problem], file: str, line: int, reason: str) -> bool:
    return any(p.path.endswith(file) and p.line == line and reason in p.reason for p in found)


# --- the shipped files -------------------------------------------------------------------------------


def test_shipped_files_load_and_validate() -> None:
    assert vocabulary.validate(SHIPPED) == []
    vocab = vocabulary.load(SHIPPED)
    assert isinstance(vocab, Vocabulary)
    words = dict(vocab.attributes)
    assert words["多大"] == ("屏幕尺寸", "总容积", "洗涤容量", "适用面积", "容量", "产品尺寸")
    assert len(words) == 92 and list(words)[:3] == ["多大", "几寸", "寸"]
    assert [c for c, _ in vocab.categories] == ["电视", "冰箱", "空调", "洗衣机", "厨房电器"]
    assert "HDMI接口" in vocab.display_names and list(vocab.display_names) == sorted(vocab.display_names)


def test_the_configured_directory_is_read_once() -> None:
    assert vocabulary.default_directory() == SHIPPED
    assert vocabulary.load() is vocabulary.load(SHIPPED)
    with pytest.raises(FrozenInstanceError):
        vocabulary.load().attributes = ()  # type: ignore[misc]


def test_the_command_checks_the_files(tmp_path) -> None:
    command = [sys.executable, "-m", "xiaoer.vocabulary"]
    ok = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    assert ok.returncode == 0 and "valid" in ok.stdout
    bad = write(tmp_path / "bad", attributes_yml="attributes:\n  多大: []\n")
    failed = subprocess.run([*command, "--dir", str(bad)], cwd=REPO_ROOT, capture_output=True, text=True)
    assert failed.returncode == 1
    assert f"{bad / 'attributes.yml'}:2: word '多大' has no display names" in failed.stderr


# --- malformed files: file, line, reason -------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes_yml", "line", "reason"),
    [
        ("- 多大\n- 能效\n", 1, "the file must be a mapping"),
        ("attributes:\n  多大: []\n", 2, "word '多大' has no display names"),
        ("attributes:\n  多大:\n  能效: [能效等级]\n", 2, "word '多大' has no display names"),
        ("attributes:\n  多大: 屏幕尺寸\n", 2, "must be a list"),
        ("attributes:\n  多大: [屏幕尺寸, 12]\n", 2, "must be text, not '12'"),
        ("attributes:\n  4: [分辨率]\n", 2, "a word must be text, not '4'"),
        ("attributes:\n  多大: [屏幕尺寸, [总容积]]\n", 2, "must be text"),
        ('attributes:\n  "  ": [屏幕尺寸]\n', 2, "a word is empty"),
        ("attributes:\n  多大: [屏幕尺寸, '']\n", 2, "is empty"),
        (
            "attributes:\n  hz: [刷新率]\n  能效: [能效等级]\n  ＨＺ: [刷新率]\n",
            4,
            "word 'ＨＺ' is listed twice (first as 'hz' at line 2)",
        ),
        ("attributes:\n  多大: [屏幕尺寸]\n  多大: [总容积]\n", 3, "listed twice"),
        ("attributes:\n  幾級: [能效等级]\n  几级: [能效等级]\n", 3, "listed twice"),
        (
            "attributes:\n  多大: [屏幕尺寸]\nsynonyms:\n  能效: [能效等级]\n",
            3,
            "unknown top-level key 'synonyms'",
        ),
        ("words:\n  多大: [屏幕尺寸]\n", 1, "missing its top-level key 'attributes'"),
        ("attributes: {}\n", 1, "attributes must be a non-empty mapping"),
        ("attributes:\n  多大: [屏幕尺寸\n", 3, "not valid YAML"),
    ],
)
def test_malformed_attributes_are_reported_with_file_and_line(tmp_path, attributes_yml, line, reason) -> None:
    found = problems(write(tmp_path, attributes_yml=attributes_yml))
    assert reported(found, "attributes.yml", line, reason), found
    assert all(str(p).startswith(f"{p.path}:{p.line}: ") for p in found if p.line)


@pytest.mark.parametrize(
    ("categories_yml", "line", "reason"),
    [
        ("categories:\n  电视: []\n", 2, "category '电视' has no words"),
        ("categories:\n  电视:\n", 2, "category '电视' has no words"),
        ("categories:\n  电视: [电视, 1]\n", 2, "must be text, not '1'"),
        ("categories:\n  电视: [电视]\n  電視: [显示器]\n", 3, "category '電視' is listed twice"),
        (
            "categories:\n  电视: [电视, 屏]\n  冰箱: [冰箱, 屏]\n",
            3,
            "word '屏' of category '冰箱' is already a word of '电视'",
        ),
        ("categories:\n  电视: [电视]\nattributes: {}\n", 3, "unknown top-level key 'attributes'"),
        ("电视\n", 1, "the file must be a mapping"),
        ("", 0, "the file is empty"),
    ],
)
def test_malformed_categories_are_reported_with_file_and_line(tmp_path, categories_yml, line, reason) -> None:
    found = problems(write(tmp_path, categories_yml=categories_yml))
    assert reported(found, "categories.yml", line, reason), found


def test_a_category_may_spell_its_own_word_twice(tmp_path) -> None:
    # The shipped file lists "电視" beside "电视": redundant, not ambiguous.
    assert vocabulary.validate(write(tmp_path, categories_yml="categories:\n  电视: [电视, 电視]\n")) == []


def test_a_missing_file_and_every_problem_are_reported_together(tmp_path) -> None:
    directory = write(tmp_path, attributes_yml="attributes:\n  多大: []\n  能效: [3]\n")
    (directory / "categories.yml").unlink()
    found = problems(directory)
    assert [(Path(p.path).name, p.line) for p in found] == [
        ("attributes.yml", 2),
        ("attributes.yml", 3),
        ("categories.yml", 0),
    ]
    assert "cannot read the file" in found[-1].reason


def test_loading_a_malformed_vocabulary_raises_with_every_problem(tmp_path) -> None:
    with pytest.raises(VocabularyError) as raised:
        vocabulary.load(write(tmp_path, attributes_yml="attributes:\n  多大: []\n"))
    assert [p.line for p in raised.value.problems] == [2]
    assert "attributes.yml:2: word '多大' has no display names" in str(raised.value)


# --- lookups through xiaoer.nlu.attributes, as before ------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "first"),
    [
        ("多大", "屏幕尺寸"),
        ("能效", "能效等级"),
        ("冷藏室多大", "冷藏室容积"),
        ("幾級能效", "能效等级"),
        ("HZ", "刷新率"),
    ],
)
def test_attribute_words_mean_what_they_did(asked, first) -> None:
    assert attributes.candidates(asked)[0] == first


def test_attribute_lookups_read_the_vocabulary() -> None:
    assert attributes.meanings("能效") == ("能效等级",)
    assert attributes.is_vague("多大") and not attributes.is_vague("能效")
    assert attributes.is_table_word("冷藏室容积") and not attributes.is_table_word("待机功耗")
    assert attributes.display_names() == list(vocabulary.load().display_names)
    assert attributes.category_in("这台冰箱多少升") == "冰箱"
    assert attributes.category_in("這台電視") == "电视"
    assert attributes.category_in("多少钱") is None
    assert [m[2] for m in attributes.find_mentions("几级能效")] == [("能效等级",)]
    assert attributes.asked_names("新风换气量多大", ["新风换气量"]) == ["新风换气量"]


def test_another_directory_comes_from_the_settings(tmp_path, monkeypatch) -> None:
    directory = write(tmp_path / "vocab", attributes_yml="attributes:\n  多大: [总容积]\n")
    monkeypatch.setenv("XIAOER_VOCABULARY_DIR", str(directory))
    vocabulary.configured.cache_clear()
    try:
        assert vocabulary.default_directory() == directory
        assert attributes.candidates("多大") == ["总容积"]
    finally:
        monkeypatch.delenv("XIAOER_VOCABULARY_DIR")
        vocabulary.configured.cache_clear()
    assert attributes.candidates("多大")[0] == "屏幕尺寸"
