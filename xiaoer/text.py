"""Buyer text in one canonical form, and the comparison keys built on it: the bottom layer.

normalize("這款６５ｅ７ｋ  多大😡") -> "这款65E7K 多大生气": traditional to simplified (OpenCC t2s),
regional words to the store's words (介面 → 接口, 冷氣 → 空调: vocabulary/regional.yml always,
OpenCC's Taiwan phrases when the message is written in traditional characters), full-width to
half-width (NFKC), Latin letters upper-cased (catalogue model numbers are written
"65E7K"), whitespace runs collapsed to one space and trimmed, emoji mapped to a word when they
carry meaning for customer service and dropped otherwise. Every output character remembers which
input characters produced it, so entity spans can move between the two texts.

Keys for comparing texts, each for its own job:
    compact(text)       normalize_text without spaces: words, aliases and queries matched by
                        containment (attribute words, product search, budgets)
    letters_key(text)   letters and digits only: held-out overlap and lexical FAQ similarity
    spelling_key(text)  width, case and spaces folded, script kept: duplicate knowledge variants

Imports nothing from xiaoer but the settings (where vocabulary/ is): everything else builds on it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

REGIONAL_FILE = "regional.yml"

# Emoji that change what a message means here (anger → complaint, thumbs-up → yes). Others are
# decoration and are dropped; a word keeps "😡😡" from reading like a calm "好的".
EMOJI_WORDS = {
    "😡": "生气",
    "😠": "生气",
    "🤬": "生气",
    "💢": "生气",
    "😤": "生气",
    "😭": "难过",
    "😢": "难过",
    "😞": "失望",
    "👎": "差评",
    "👍": "好的",
    "👌": "好的",
    "🙏": "谢谢",
    "❤": "喜欢",
    "❓": "?",
    "❔": "?",
    "❗": "!",
}

# Joiners and modifiers inside emoji sequences (ZWJ, variation selectors, skin tones).
_EMOJI_PARTS = {0x200D, 0xFE0E, 0xFE0F, 0x20E3} | set(range(0x1F3FB, 0x1F400))


@functools.lru_cache(maxsize=1)
def _t2s():
    """The one OpenCC converter: local dictionaries, loaded on first use rather than at import."""
    from opencc import OpenCC

    return OpenCC("t2s")


class PhraseTable:
    """Regional words → the store's words, matched longest first on simplified text.

    Two kinds of entry: `always` ones (the store's own table: 介面 is a connector here, not a user
    interface, however the buyer writes it) and `traditional` ones (OpenCC's Taiwan phrases, tw2sp's
    phrase step), used only for a message written in traditional characters: 资料 → 数据 is right
    for a Taiwanese buyer and wrong for a mainland one.
    """

    def __init__(self, always: Dict[str, str], traditional: Dict[str, str]) -> None:
        # An `always` entry that maps a word to itself is kept: it stops a traditional phrase.
        self.always = {k: v for k, v in always.items() if k}
        self.traditional = {**{k: v for k, v in traditional.items() if k and k != v}, **self.always}
        self.longest = max((len(k) for k in self.traditional), default=0)

    def split(self, simplified: str, traditional: bool) -> List[Tuple[str, int, int]]:
        """(text, start, end) pieces covering `simplified`: a replaced word, or one character."""
        table = self.traditional if traditional else self.always
        pieces: List[Tuple[str, int, int]] = []
        i = 0
        while i < len(simplified):
            for size in range(min(self.longest, len(simplified) - i), 1, -1):
                word = table.get(simplified[i : i + size])
                if word is not None:
                    pieces.append((word, i, i + size))
                    i += size
                    break
            else:
                pieces.append((simplified[i], i, i + 1))
                i += 1
        return pieces

    def convert(self, simplified: str, traditional: bool) -> str:
        return "".join(piece for piece, _, _ in self.split(simplified, traditional))


def _opencc_taiwan_phrases() -> Dict[str, str]:
    """tw2sp's phrase dictionary (軟體 → 软件, 螢幕 → 屏幕), both sides simplified; first reading."""
    import opencc

    path = Path(opencc.__file__).parent / "dictionary" / "TWPhrasesRev.txt"
    phrases: Dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        regional, _, standard = line.partition("\t")
        if regional and standard:
            phrases[to_simplified(regional)] = to_simplified(standard.split()[0])
    return phrases


def read_regional(path: Path) -> Dict[str, str]:
    """vocabulary/regional.yml as {regional word, simplified: store word}; `make validate` checks
    the file strictly (xiaoer.vocabulary), so a file it rejects is not used here at all."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        pairs: Iterable = (data.get("regional") or {}).items()
        return {to_simplified(str(k)): str(v) for k, v in pairs if isinstance(v, str)}
    except (OSError, AttributeError, yaml.YAMLError):
        return {}


@functools.lru_cache(maxsize=1)
def regional_table() -> PhraseTable:
    from xiaoer.settings import KnowledgeSection

    return PhraseTable(
        read_regional(KnowledgeSection().vocabulary_dir / REGIONAL_FILE), _opencc_taiwan_phrases()
    )


def is_emoji(char: str) -> bool:
    code = ord(char)
    if code in _EMOJI_PARTS:
        return True
    if 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF or 0x2B00 <= code <= 0x2BFF:
        return True
    return unicodedata.category(char) == "So"


@functools.lru_cache(maxsize=1)
def _hong_kong_variants() -> Dict[int, str]:
    """hk2s's character variants that t2s alone leaves traditional (衞生間, 枱, 敍, 粧…), as a
    translate table: OpenCC's HKVariantsRev, kept where the variant is not already simplified
    Chinese (GB2312) and the standard form's simplified one is (抬 stays 抬)."""
    import opencc

    def simplified(char: str) -> bool:
        try:
            char.encode("gb2312")
            return True
        except UnicodeEncodeError:
            return False

    table: Dict[int, str] = {}
    path = Path(opencc.__file__).parent / "dictionary" / "HKVariantsRev.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        variant, _, standard = line.partition("\t")
        target = _t2s().convert(standard.split()[0]) if standard.strip() else ""
        if len(variant) == 1 and len(target) == 1 and not simplified(variant) and simplified(target):
            table[ord(variant)] = target
    return table


def to_simplified(text: str) -> str:
    """t2s (after Hong Kong character variants), character for character when a phrase rule
    would change the length."""
    text = text.translate(_hong_kong_variants())
    converted = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(c if len(c) == 1 else ch for ch, c in ((ch, _t2s().convert(ch)) for ch in text))


@dataclass(frozen=True)
class Normalized:
    """The normalised text and, per output character, the [start, end) it came from."""

    original: str
    text: str
    spans: Tuple[Tuple[int, int], ...]

    def to_original(self, start: int, end: int) -> Tuple[int, int]:
        """The buyer's characters behind the normalised span [start, end)."""
        if not self.spans or end <= start:
            position = self.spans[start][0] if start < len(self.spans) else len(self.original)
            return position, position
        return self.spans[start][0], self.spans[min(end, len(self.spans)) - 1][1]

    def from_original(self, start: int, end: int) -> Tuple[int, int]:
        """The normalised span covering the buyer's characters [start, end), spaces trimmed."""
        inside = [i for i, (s, e) in enumerate(self.spans) if s < end and e > start]
        while inside and self.text[inside[0]] == " ":
            inside.pop(0)
        while inside and self.text[inside[-1]] == " ":
            inside.pop()
        if not inside:
            after = next((i for i, (s, _) in enumerate(self.spans) if s >= start), len(self.text))
            return after, after
        return inside[0], inside[-1] + 1


# A message is normalised by several NLU components and guards in turn (six calls per message,
# 4 % of the Rasa process's time in the issue 12 profile): results for short texts are kept. The
# table is part of the key, so a reconfigured regional table never sees an old result.
NORMALIZED_CACHE_SIZE = 2048
NORMALIZED_CACHE_MAX_CHARS = 500


def normalize(text: str, phrases: PhraseTable | None = None) -> Normalized:
    """`phrases` defaults to the configured regional table (regional_table())."""
    original = text or ""
    table = regional_table() if phrases is None else phrases
    if len(original) > NORMALIZED_CACHE_MAX_CHARS:
        return _normalize(original, table)
    return _normalize_cached(original, table)


def _normalize(original: str, table: PhraseTable) -> Normalized:
    simplified = to_simplified(original)
    out: List[str] = []
    spans: List[Tuple[int, int]] = []
    pending_space: Tuple[int, int] | None = None

    def emit(piece: str, start: int, end: int) -> None:
        nonlocal pending_space
        if pending_space is not None and out:
            out.append(" ")
            spans.append(pending_space)
        pending_space = None
        for char in piece:
            out.append(char)
            spans.append((start, end))

    # A replaced word's characters all come from the whole regional word.
    for word, start, end in table.split(simplified, traditional=simplified != original):
        for char in word:
            folded = unicodedata.normalize("NFKC", char)
            if char in EMOJI_WORDS:
                piece = EMOJI_WORDS[char]
            elif ord(char) in _EMOJI_PARTS:
                piece = ""  # part of the emoji before it, already handled
            elif folded == char and is_emoji(char):
                piece = " "
            else:
                piece = folded  # "６" -> "6", "㎏" -> "kg", "①" -> "1"
            piece = "".join(c.upper() if "a" <= c <= "z" else c for c in piece)
            for part in _split_spaces(piece):
                if part == " ":
                    if pending_space is None:
                        pending_space = (start, end)
                else:
                    emit(part, start, end)
    return Normalized(original, "".join(out), tuple(spans))


_normalize_cached = functools.lru_cache(maxsize=NORMALIZED_CACHE_SIZE)(_normalize)


def _split_spaces(piece: str) -> List[str]:
    """Runs of non-space characters, and one " " per whitespace character."""
    parts: List[str] = []
    for char in piece:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            parts.append(" ")
        elif parts and parts[-1] != " ":
            parts[-1] += char
        else:
            parts.append(char)
    return parts


def normalize_text(text: str) -> str:
    return normalize(text).text


def compact(text: str) -> str:
    """normalize_text without spaces ("６５ｅ７ｋ 寸" -> "65E7K寸"): the form in which words are
    looked for inside other words: attribute and category words, product names and aliases in
    store search, budget amounts. Spaces carry no meaning there ("Hz " is "HZ")."""
    return normalize_text(text).replace(" ", "")


def letters_key(text: str) -> str:
    """Letters and digits only, after NFKC, t2s, regional words and case folding ("６５Ｅ７Ｋ 有貨嗎？😊" -> "65e7k有货吗").

    Two texts with equal keys count as the same question: the evaluation's overlap check (at least
    as strict as the NLU's normaliser, so a held-out message the model would see as a training
    example is caught) and the lexical FAQ matcher's preprocessing.
    """
    text = unicodedata.normalize("NFKC", text)
    simplified = to_simplified(text)
    text = regional_table().convert(simplified, traditional=simplified != text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in ("L", "N"))


def spelling_key(text: str) -> str:
    """NFKC, whitespace removed, case folded ("６５Ｅ７Ｋ 挂 墙" -> "65e7k挂墙"); script kept.

    The knowledge base's duplicate-variant check: a traditional variant ("有次日達嗎") is a
    deliberate extra training example beside its simplified twin, not a duplicate of it.
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


_MARKUP = re.compile(r"<[^<>]{0,200}>")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# What a buyer may type without any Chinese and still mean something here: an order number (three
# digits or more) or a model number (Latin letters mixed with digits: "65E7K", "X1", "1.5P").
_IDENTIFIER = re.compile(
    r"(?<![A-Z0-9.])(?:\d{3,}|(?=[A-Z0-9.-]*\d)(?=[A-Z0-9.-]*[A-Z])[A-Z0-9][A-Z0-9.-]+)(?![A-Z0-9])"
)


def is_markup(text: str) -> bool:
    """Markup with nothing to act on beside it ("<script>alert(1)</script>"): never a question,
    however sure a classifier is about it."""
    normalized = normalize_text(text or "")
    return bool(_MARKUP.search(normalized)) and not has_content(text)


def has_content(text: str) -> bool:
    """Whether a message holds anything a store assistant could act on.

    False for blank text, emoji or punctuation only, and markup or Latin words with no Chinese
    and no order or model number ("<script>alert(1)</script>"): such a message gets a request to
    rephrase, not an agent's time.
    """
    plain = _MARKUP.sub(" ", normalize_text(text or ""))
    return bool(_CJK.search(plain) or _IDENTIFIER.search(plain))
