"""Regional wording before NLU: every row of vocabulary/regional.yml, OpenCC's Taiwan phrases only
for traditional text, spans through a replaced word, and the table's validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from xiaoer.settings import REPO_ROOT
from xiaoer.text import PhraseTable, letters_key, normalize, normalize_text, to_simplified
from xiaoer.vocabulary import validate_regional

ROWS = list(
    yaml.safe_load((REPO_ROOT / "vocabulary" / "regional.yml").read_text(encoding="utf-8"))[
        "regional"
    ].items()
)


@pytest.mark.parametrize(("regional", "store"), ROWS, ids=[r for r, _ in ROWS])
def test_every_row_of_the_table(regional: str, store: str) -> None:
    # In a traditional sentence (OpenCC's phrases apply too) and in a simplified one.
    for sentence in (f"請問這個{regional}怎麼樣", f"请问这个{to_simplified(regional)}怎么样"):
        text = normalize_text(sentence)
        assert store in text, (sentence, text)
        if store != to_simplified(regional):
            assert to_simplified(regional) not in text.replace(store, ""), (sentence, text)


@pytest.mark.parametrize(
    ("buyer", "understood"),
    [
        ("這款有幾個HDMI介面", "这款有几个HDMI接口"),
        ("冷氣不冷了", "空调不冷了"),
        ("螢幕多大", "屏幕多大"),
        ("保固多久", "保修多久"),
        ("發票要寫統一編號", "发票要写税号"),
        ("宅配幾天到", "送货上门几天到"),
        ("雪櫃有冇貨", "冰箱有冇货"),
    ],
)
def test_the_words_the_issue_named(buyer: str, understood: str) -> None:
    assert normalize_text(buyer) == understood


def test_opencc_taiwan_phrases_apply_to_traditional_text_only() -> None:
    assert normalize_text("滑鼠可以用藍牙連線嗎") == "鼠标可以用蓝牙连接吗"
    assert normalize_text("软体怎么装") == "软体怎么装"  # simplified text: the buyer is not in Taiwan
    assert normalize_text("軟體怎麼裝") == "软件怎么装"
    # The store's table keeps a shop's meaning where OpenCC's is a programmer's.
    assert normalize_text("收件資料填錯了") == "收件资料填错了"
    assert normalize_text("呼叫客服") == "呼叫客服"


def test_a_replaced_word_maps_back_to_the_buyers_characters() -> None:
    normalized = normalize("這台冷氣機多少錢")
    assert normalized.text == "这台空调多少钱"
    start = normalized.text.index("空调")
    assert normalized.to_original(start, start + 2) == (2, 5)  # 冷氣機
    assert normalized.from_original(2, 5) == (start, start + 2)
    assert normalized.to_original(start + 2, start + 5) == (5, 8)  # 多少錢 unchanged


def test_keys_compare_regional_words_too() -> None:
    assert letters_key("這款有幾個HDMI介面？") == letters_key("这款有几个hdmi接口")


def test_a_table_longest_word_first() -> None:
    table = PhraseTable({"冷气": "空调", "冷气机": "空调"}, {"机": "X"})
    assert normalize("冷气机冷气", table).text == "空调空调"
    assert normalize("冷氣機", PhraseTable({}, {})).text == "冷气机"  # no table: characters only


def test_validation_of_the_table(tmp_path: Path) -> None:
    assert validate_regional(REPO_ROOT / "vocabulary") == []
    assert validate_regional(tmp_path) == []  # no file: no regional words
    (tmp_path / "regional.yml").write_text(
        "regional:\n  冷氣: 空调\n  冷气: 空调\n  機: 机\n  螢幕: [屏幕]\n", encoding="utf-8"
    )
    reasons = [(p.line, p.reason) for p in validate_regional(tmp_path)]
    assert any(line == 3 and "listed twice" in reason for line, reason in reasons), reasons
    assert any(line == 4 and "two characters or more" in reason for line, reason in reasons), reasons
    assert any(line == 5 and "must be text" in reason for line, reason in reasons), reasons
