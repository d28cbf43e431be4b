"""The attribute-word matcher: linear in the text, and the same results as the quadratic one it replaced."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Iterable, List, Tuple

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from xiaoer.nlu import attributes, bench_mentions
from xiaoer.nlu.matching import WordAutomaton
from xiaoer.text import compact

Mentions = List[Tuple[int, int, Tuple[str, ...]]]

# Hypothesis caches Unicode tables and constants in ./.hypothesis unless told otherwise; the
# examples are not kept either (database=None below): nothing lands in the repository.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "xiaoer-hypothesis")


# --- The reference: find_mentions and _words_with as they were before the automaton, verbatim. ---


def reference_words_with(extra_names: Iterable[str]) -> attributes.Words:
    tables = attributes._tables()
    extra = {}
    for name in extra_names:
        word = compact(name)
        if word and word not in tables.by_word:
            extra[word] = (name,)
    if not extra:
        return tables.words
    return tuple(sorted((*tables.words, *extra.items()), key=lambda p: -len(p[0])))


def reference_find_mentions(text: str, extra_names: Iterable[str] = ()) -> Mentions:
    taken: List[Tuple[int, int, Tuple[str, ...]]] = []
    for word, names in reference_words_with(extra_names):
        start = text.find(word)
        while start >= 0:
            end = start + len(word)
            free = all(end <= s or start >= e for s, e, _ in taken)
            if free and (len(word) > 1 or attributes.QUESTION_PREFIX.search(text[:start])):
                taken.append((start, end, names))
            start = text.find(word, end)
    merged: List[Tuple[int, int, Tuple[str, ...]]] = []
    for start, end, names in sorted(taken):
        if merged and merged[-1][1] == start and set(merged[-1][2]) & set(names):
            last = merged.pop()
            shared = tuple(n for n in last[2] if n in names)
            merged.append((last[0], end, shared))
        else:
            merged.append((start, end, names))
    return merged


# --- Random buyer-like text: vocabulary words, pieces of them, question words, anything else. ---

TABLE_WORDS = [word for word, _ in attributes._tables().words]
CATEGORY_WORDS = [compact(w) for _, words in attributes._tables().categories for w in words]
FRAGMENTS = sorted({w[i:j] for w in TABLE_WORDS for i in range(len(w)) for j in range(i + 1, len(w) + 1)})
QUESTION_WORDS = ["多少", "几", "多", "多大", "多少\n", "几\n", "吗", "是什么", "的", "款", "?"]
# New attribute names a live catalogue may have: some overlap table words or each other, some
# are table words, some overlap themselves ("功耗功" twice in "功耗功耗功"), some compact to
# nothing or to the same word.
CATALOGUE_NAMES = [
    "功耗功",
    "待机功",
    "水水",
    "aba",
    "待机功耗",
    "新风换气量",
    "零冷水",
    "大小",
    "级能",
    "率多",
    "多大",
    "能效",
    "屏幕尺寸",
    "Ｈｚ",
    "hz刷新",
    "功耗",
    "耗电量",
    "新风",
    "风换",
    "水",
    "量",
    " ",
    "待机 功耗",
]

pieces = st.one_of(
    st.sampled_from(TABLE_WORDS),
    st.sampled_from(FRAGMENTS),
    st.sampled_from(QUESTION_WORDS),
    st.sampled_from(CATEGORY_WORDS),
    st.sampled_from([compact(n) for n in CATALOGUE_NAMES if compact(n)]),
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=3),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=4),
    st.sampled_from(["\n", " ", "，", "。", "65E7K", "4K", "2024"]),
)
texts = st.lists(pieces, max_size=40).map("".join)
extra_lists = st.lists(
    st.one_of(st.sampled_from(CATALOGUE_NAMES), st.sampled_from(TABLE_WORDS), st.text(max_size=4)),
    max_size=6,
)


@settings(max_examples=600, deadline=None, database=None)
@given(texts)
@example("")
@example("这台冰箱多少升")
@example("多少\n升升多升")
@example("几级能效几级能效多大小")
@example("升" * 50)
def test_find_mentions_equals_the_reference(text: str) -> None:
    assert attributes.find_mentions(text) == reference_find_mentions(text)


@settings(max_examples=600, deadline=None, database=None)
@given(texts, extra_lists)
@example("待机功耗多少，新风换气量多大", ["待机功耗", "新风换气量"])
@example("多大小", ["大小"])
@example("能效多大小级能效", ["级能", "大小"])
@example("能效多大小级能效", ["大小", "级能"])
@example("待机功耗多少", ["待机 功耗", "待机功耗"])
@example("功耗功耗功耗功多少", ["功耗功"])
@example("待机功耗功耗功", ["待机功", "功耗功"])  # str.find never looks at 功耗功 at 4
def test_find_mentions_with_catalogue_names_equals_the_reference(text: str, extra: List[str]) -> None:
    assert attributes.find_mentions(text, extra) == reference_find_mentions(text, extra)
    # The cached automaton for this list gives the same answer again, and a generator works too.
    assert attributes.find_mentions(text, iter(extra)) == reference_find_mentions(text, extra)


def test_the_benchmark_baseline_is_the_reference() -> None:
    text = bench_mentions.buyer_text(3_000)
    assert bench_mentions.quadratic_find_mentions(text) == reference_find_mentions(text)
    assert bench_mentions.quadratic_find_mentions(text, ["待机功耗"]) == reference_find_mentions(
        text, ["待机功耗"]
    )
    assert attributes.find_mentions(text) == reference_find_mentions(text)


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.lists(
        st.text(st.sampled_from("ab升多少c\n"), min_size=1, max_size=4), min_size=1, max_size=8, unique=True
    ),
    st.text(st.sampled_from("ab升多少cx\n"), max_size=60),
)
def test_automaton_finds_every_occurrence(words: List[str], text: str) -> None:
    automaton = WordAutomaton(words)
    every = [[m.start() for m in re.finditer(f"(?={re.escape(w)})", text)] for w in words]
    assert automaton.starts(text) == every
    found_by_find = []
    for word in words:
        starts, start = [], text.find(word)
        while start >= 0:
            starts.append(start)
            start = text.find(word, start + len(word))
        found_by_find.append(starts)
    assert automaton.nonoverlapping_starts(text) == found_by_find


def test_automaton_refuses_an_empty_word() -> None:
    with pytest.raises(ValueError):
        WordAutomaton(["能效", ""])


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        ("待机功耗多少", ["待机功耗"], ["待机功耗"]),
        ("零冷水款" * 1000 + "有零冷水吗", ["零冷水"], ["零冷水"]),
        ("零冷水款" * 1000, ["零冷水"], []),
        ("新风换气量的数值是什么", ["新风换气量", "待机功耗"], ["新风换气量"]),
    ],
)
def test_asked_names(text: str, names: List[str], expected: List[str]) -> None:
    assert attributes.asked_names(text, names) == expected


def test_time_per_character_does_not_grow_with_the_text() -> None:
    """Linear: 64 times the text costs at most ~3 times as much per character (generous for a
    loaded machine; the quadratic matcher took ~1.9× as long per character each time the text doubled)."""
    rows = bench_mentions.measure((1_000, 64_000), runs=5, baseline_up_to=0)
    small, large = rows
    assert large.baseline_seconds is None
    assert large.per_character <= 3 * small.per_character, bench_mentions.table(rows, 5)
