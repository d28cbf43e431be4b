"""Attribute names buyers use, and product categories: one lookup for NLU and actions.

The catalogue's attribute keys are Chinese display names ("屏幕尺寸", "能效等级"); buyers say
"多大", "几级能效", "刷新率多少". Both the NLU component (xiaoer.nlu.catalogue) and the product
actions map buyer words through the store vocabulary (vocabulary/attributes.yml and
categories.yml, read by xiaoer.vocabulary), compared in xiaoer.text.compact form; attribute names
the live catalogue has beyond the vocabulary are words for themselves.

Every lookup here is linear in the text: buyers (and abusers) send messages of any length, and a
message of 200,000 characters once took 15 s in the matcher (docs/nlu-text.md, "Long messages").
"""

from __future__ import annotations

import functools
import re
from typing import Dict, Iterable, List, NamedTuple, Tuple

from xiaoer import vocabulary
from xiaoer.nlu.matching import WordAutomaton
from xiaoer.text import compact
from xiaoer.vocabulary import Vocabulary

# One-character words ("升", "匹", "重") count only right after a question word: "多少升", "几匹".
QUESTION_PREFIX = re.compile(r"(多少|几|多)$")

Words = Tuple[Tuple[str, Tuple[str, ...]], ...]


class _Tables(NamedTuple):
    words: Words  # (compact word, display names), longest word first
    by_word: Dict[str, Tuple[str, ...]]
    categories: Words  # (category, its words in compact form), in file order
    display_names: Tuple[str, ...]
    automaton: WordAutomaton  # finds `words`, indexed as they are


def _tables() -> _Tables:
    """The lookups of the configured vocabulary (read once per directory, xiaoer.vocabulary)."""
    return _tables_of(vocabulary.load())


@functools.lru_cache(maxsize=4)
def _tables_of(vocab: Vocabulary) -> _Tables:
    # Display names the catalogue uses are each also a word for themselves.
    table: Dict[str, List[str]] = {}
    for name in vocab.display_names:
        table.setdefault(compact(name), []).append(name)
    for word, names in vocab.attributes:
        entry = table.setdefault(compact(word), [])
        entry += [n for n in names if n not in entry]
    words = tuple(sorted(((w, tuple(n)) for w, n in table.items()), key=lambda p: -len(p[0])))
    categories = tuple((category, tuple(map(compact, ws))) for category, ws in vocab.categories)
    automaton = WordAutomaton([word for word, _ in words])
    return _Tables(words, dict(words), categories, vocab.display_names, automaton)


def display_names() -> List[str]:
    """The catalogue display names the vocabulary knows, sorted; each is a word for itself."""
    return list(_tables().display_names)


def candidates(asked: str) -> List[str]:
    """Display names the buyer's words may mean, most likely first ("多大" -> 屏幕尺寸, 总容积…)."""
    folded = compact(asked)
    hits = [mapped for word, mapped in _tables().words if word and word in folded]
    # A word with one meaning says what a vague one is about: "冷藏室多大" is 冷藏室容积.
    hits.sort(key=lambda mapped: len(mapped) > 1)
    names: List[str] = []
    for mapped in hits:
        names += [n for n in mapped if n not in names]
    return names


def _words_with(extra_names: Iterable[str]) -> Tuple[Words, WordAutomaton]:
    """The word table plus display names only the live catalogue has ("待机功耗" of a new product),
    longest first (equally long ones in table order, then in the order given), and their automaton."""
    tables = _tables()
    extra = tuple(extra_names)
    if not extra:
        return tables.words, tables.automaton
    return _extended(tables.words, extra)


@functools.lru_cache(maxsize=16)
def _extended(table_words: Words, extra_names: Tuple[str, ...]) -> Tuple[Words, WordAutomaton]:
    # The live catalogue's new names change rarely: one automaton per list of them, the last few
    # kept. A list, not a set: which of two equally long overlapping words wins follows its order.
    by_word = dict(table_words)
    extra: Dict[str, Tuple[str, ...]] = {}
    for name in extra_names:
        word = compact(name)
        if word and word not in by_word:
            extra[word] = (name,)
    words = tuple(sorted((*table_words, *extra.items()), key=lambda p: -len(p[0])))
    return words, WordAutomaton([word for word, _ in words])


def meanings(word: str) -> Tuple[str, ...]:
    """The display names this exact word stands for in the table ("多大" → many, "能效" → one)."""
    return _tables().by_word.get(compact(word), ())


def is_table_word(name: str) -> bool:
    """Whether the vocabulary already knows this word (training data uses the same words)."""
    return bool(meanings(name))


def is_vague(word: str) -> bool:
    """A word with several meanings ("多大"): the product decides which one is asked."""
    return len(meanings(word)) > 1


# A product's own attribute name is asked about where a question follows it ("新风换气量多大",
# "有零冷水吗"), not where it describes the product ("零冷水款", "熄火保护型").
_DESCRIBES = re.compile(r"^(?:款|型|版|系列|的款)")
_QUESTION_AFTER = re.compile(
    r"^(?:的)?.{0,3}?(?:多少|多大|多高|多宽|多重|多长|几|是什么|是啥|啥|怎么样|如何|吗|嘛|么|呢|\?)"
)


# Both patterns look at most 7 characters past a name ("的" + 3 + "是什么"): the rest of the text
# is never copied for them.
_AFTER_WINDOW = 16


def asked_names(text: str, names: Iterable[str]) -> List[str]:
    """Of these attribute names, the ones the text asks about, longest first."""
    folded = compact(text)
    asked = []
    for name in names:
        word = compact(name)
        start = folded.find(word) if word else -1
        while start >= 0:
            after = folded[start + len(word) : start + len(word) + _AFTER_WINDOW]
            if not _DESCRIBES.match(after) and _QUESTION_AFTER.match(after):
                asked.append(str(name))
                break
            start = folded.find(word, start + 1)
    return sorted(asked, key=lambda n: -len(compact(n)))


def find_mentions(text: str, extra_names: Iterable[str] = ()) -> List[Tuple[int, int, Tuple[str, ...]]]:
    """(start, end, display names) for attribute words in normalised text, in text order.

    `extra_names` are attribute names from the live catalogue, each a word for itself.
    Longest words win and never overlap; touching words meaning the same ("几级"+"能效") merge.
    One pass of the word automaton finds every occurrence; words are then taken longest first
    (equally long ones in table order), each left to right as repeated `str.find` meets them, where
    no character is taken yet: linear in the text for a given vocabulary.
    """
    words, automaton = _words_with(extra_names)
    occupied = bytearray(len(text))  # 1 where a taken word is
    taken: List[Tuple[int, int, Tuple[str, ...]]] = []
    for (word, names), starts in zip(words, automaton.nonoverlapping_starts(text), strict=True):
        length = len(word)
        for start in starts:
            end = start + length
            if occupied.find(1, start, end) >= 0:
                continue
            # The prefix pattern ends the text before the word; it needs at most "多少\n".
            if length == 1 and not QUESTION_PREFIX.search(text[max(0, start - 3) : start]):
                continue
            occupied[start:end] = b"\x01" * length
            taken.append((start, end, names))
    taken.sort()
    merged: List[Tuple[int, int, Tuple[str, ...]]] = []
    for start, end, names in taken:
        if merged and merged[-1][1] == start and set(merged[-1][2]) & set(names):
            last = merged.pop()
            shared = tuple(n for n in last[2] if n in names)
            merged.append((last[0], end, shared))
        else:
            merged.append((start, end, names))
    return merged


def category_in(text: str) -> str | None:
    """The product category a text names ("这台冰箱" -> 冰箱), or None."""
    folded = compact(text)
    for category, words in _tables().categories:
        if any(w in folded for w in words):
            return category
    return None
