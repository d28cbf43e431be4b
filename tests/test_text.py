"""Normalisation of buyer text, the map back to what the buyer typed, and the comparison keys."""

from __future__ import annotations

import pytest

from xiaoer.text import (
    NORMALIZED_CACHE_MAX_CHARS,
    PhraseTable,
    compact,
    letters_key,
    normalize,
    normalize_text,
    spelling_key,
    to_simplified,
)


@pytest.mark.parametrize(
    "typed",
    ["65E7K", "６５Ｅ７Ｋ", "65e7k", "６５ｅ７ｋ", " 65e7K ", "65E7K\u200b"],
)
def test_model_numbers_in_every_width_and_case_become_one_form(typed) -> None:
    assert normalize_text(typed) == "65E7K"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("這款的解析度", "这款的分辨率"),
        ("電視的刷新率是多少？", "电视的刷新率是多少?"),
        ("空調是變頻的嗎", "空调是变频的吗"),
        ("我想問下６５ｅ７ｋ的  能效等級", "我想问下65E7K的 能效等级"),
        ("支援１２０ｈｚ嗎", "支持120HZ吗"),
        ("KFR-35GW/E290-x1 幾匹", "KFR-35GW/E290-X1 几匹"),
        ("E7K\u300065寸", "E7K 65寸"),  # ideographic space
        ("\t多少\n\n錢  ", "多少 钱"),
    ],
)
def test_mixed_chinese_latin_digits(typed, expected) -> None:
    assert normalize_text(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("發貨太慢了😡😡", "发货太慢了生气生气"),
        ("好的👍🏻", "好的好的"),  # the skin tone goes with its emoji
        ("谢谢🙏", "谢谢谢谢"),
        ("在吗🌹🌹🌹", "在吗"),
        ("65E7K🎉有货吗", "65E7K 有货吗"),  # a dropped emoji still separates words
        ("👨‍👩‍👧", ""),
        ("❤️好评", "喜欢好评"),
        ("买了㎏①", "买了KG1"),  # compatibility characters are not emoji
    ],
)
def test_emoji_map_to_words_or_go(typed, expected) -> None:
    assert normalize_text(typed) == expected


def test_empty_and_none() -> None:
    assert normalize_text("") == ""
    assert normalize_text(None) == ""  # type: ignore[arg-type]
    assert normalize_text("😀 \t") == ""


def test_simplified_keeps_length() -> None:
    text = "乾燥機後來頭髮著名皇后"
    assert len(to_simplified(text)) == len(text)


def test_spans_lead_back_to_what_the_buyer_typed() -> None:
    typed = "  這款😡６５ｅ７ｋ  的刷新率"
    result = normalize(typed)
    assert result.text == "这款生气65E7K 的刷新率"
    start = result.text.index("65E7K")
    back = result.to_original(start, start + 5)
    assert typed[slice(*back)] == "６５ｅ７ｋ"
    anger = result.text.index("生气")
    assert typed[slice(*result.to_original(anger, anger + 2))] == "😡"
    tail = result.text.index("刷新率")
    assert typed[slice(*result.to_original(tail, tail + 3))] == "刷新率"


def test_annotated_spans_move_onto_the_normalised_text() -> None:
    typed = "我要🎉🎉 ６５Ｅ７Ｋ  的刷新率"
    result = normalize(typed)
    start = typed.index("６")
    moved = result.from_original(start, start + 5)
    assert result.text[slice(*moved)] == "65E7K"
    # A span that also covers the spaces around it is trimmed.
    assert result.text[slice(*result.from_original(start - 1, start + 7))] == "65E7K"
    # A span of dropped characters only becomes empty.
    emoji = typed.index("🎉")
    empty = result.from_original(emoji, emoji + 2)
    assert empty[0] == empty[1]


def test_compact_is_the_normalised_text_without_spaces() -> None:
    assert compact(" ６５ｅ７ｋ  寸 ") == "65E7K寸"
    assert compact("Hz ") == compact("ｈｚ") == "HZ"
    assert compact("幾級 能效") == "几级能效"
    assert compact("好的👍") == "好的好的"
    assert compact(None) == ""  # type: ignore[arg-type]


def test_letters_key_folds_width_case_script_spaces_punctuation_and_emoji() -> None:
    assert letters_key("６５Ｅ７Ｋ 有貨嗎？😊") == letters_key("65e7k有货吗") == "65e7k有货吗"
    assert letters_key("這款的解析度") == "这款的分辨率"  # Taiwan phrase (tw2sp)
    assert letters_key("  催 发货！！") == "催发货"
    assert letters_key("我的订单") != letters_key("我的订单呢")


def test_spelling_key_folds_width_case_and_spaces_but_keeps_the_script() -> None:
    assert spelling_key(" ６５Ｅ７Ｋ 挂 墙\t收费吗 ") == spelling_key("65e7k挂墙收费吗") == "65e7k挂墙收费吗"
    assert spelling_key("有次日達嗎") != spelling_key("有次日达吗")


@pytest.mark.parametrize(
    ("hong_kong", "simplified"),
    [
        ("衞生間", "卫生间"),
        ("張枱", "张台"),
        ("敍述", "叙述"),
        ("化粧品", "化妆品"),
        ("衹係", "只系"),
        ("閲讀", "阅读"),
    ],
)
def test_hong_kong_character_variants_become_simplified(hong_kong: str, simplified: str) -> None:
    assert normalize_text(hong_kong) == simplified


def test_simplified_characters_that_are_also_variants_stay() -> None:
    assert normalize_text("抬上楼") == "抬上楼"


def test_a_kept_result_is_never_served_for_another_table() -> None:
    # Results are kept per (text, table): a store that edits vocabulary/regional.yml gets a new
    # table object, and the same message must be read with the new words at once.
    before = PhraseTable({"冷气": "空调"}, {})
    after = PhraseTable({"冷气": "冷风机"}, {})

    assert normalize("冷氣好用嗎", before).text == "空调好用吗"
    assert normalize("冷氣好用嗎", after).text == "冷风机好用吗"
    assert normalize("冷氣好用嗎", before) == normalize("冷氣好用嗎", before)


def test_long_texts_are_normalised_the_same_without_being_kept() -> None:
    text = "請問６５ｅ７ｋ " * 200  # over the kept length
    assert len(text) > NORMALIZED_CACHE_MAX_CHARS
    assert normalize_text(text) == ("请问65E7K " * 200).strip()
