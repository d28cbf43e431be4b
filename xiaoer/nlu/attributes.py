"""Attribute names buyers use, and product categories: one table for NLU and actions.

The catalogue's attribute keys are Chinese display names ("屏幕尺寸", "能效等级"); buyers say
"多大", "几级能效", "刷新率多少". Both the NLU component (xiaoer.nlu.catalogue) and the product
actions map buyer words through ATTRIBUTE_SYNONYMS, compared in normalised form (xiaoer.nlu.text);
attribute names the live catalogue has beyond the table are words for themselves.
"""

from __future__ import annotations

import functools
import re
from typing import Dict, Iterable, List, Tuple

from xiaoer.nlu.text import normalize_text

# Buyers' words for an attribute → the catalogue's display names, most likely first.
# The first name a product actually has wins, so "多大" is a TV's screen and a fridge's volume.
ATTRIBUTE_SYNONYMS: Dict[str, List[str]] = {
    "多大": ["屏幕尺寸", "总容积", "洗涤容量", "适用面积", "容量", "产品尺寸"],
    "几寸": ["屏幕尺寸"],
    "寸": ["屏幕尺寸"],
    "英寸": ["屏幕尺寸"],
    "屏幕": ["屏幕尺寸"],
    "尺寸": ["屏幕尺寸", "产品尺寸", "室内机尺寸"],
    "长宽高": ["产品尺寸", "室内机尺寸"],
    "体积": ["产品尺寸"],
    "多宽": ["产品尺寸"],
    "多高": ["产品尺寸"],
    "升": ["总容积", "容量"],
    "容积": ["总容积", "容量"],
    "容量": ["总容积", "洗涤容量", "容量", "存储容量"],
    "冷藏": ["冷藏室容积"],
    "冷冻": ["冷冻室容积"],
    "能效": ["能效等级"],
    "几级": ["能效等级"],
    "省电": ["能效等级"],
    "耗电": ["能效等级"],
    "刷新": ["刷新率"],
    "hz": ["刷新率"],
    "高刷": ["刷新率"],
    "分辨率": ["分辨率"],
    "解析度": ["分辨率"],
    "清晰度": ["分辨率"],
    "4k": ["分辨率"],
    "清晰": ["分辨率"],
    "背光": ["背光类型"],
    "miniled": ["背光类型"],
    "系统": ["操作系统"],
    "内存": ["运行内存", "存储容量"],
    "运存": ["运行内存"],
    "存储": ["存储容量"],
    "hdmi": ["HDMI接口"],
    "接口": ["HDMI接口"],
    "音响": ["音响功率"],
    "音质": ["音响功率"],
    "喇叭": ["音响功率"],
    "重": ["整机重量"],
    "重量": ["整机重量"],
    "斤": ["整机重量"],
    "上市": ["上市时间"],
    "什么时候出": ["上市时间"],
    "新款": ["上市时间"],
    "门": ["门款式"],
    "开门": ["门款式"],
    "风冷": ["制冷方式"],
    "直冷": ["制冷方式"],
    "结霜": ["制冷方式"],
    "制冷方式": ["制冷方式"],
    "变频": ["变频"],
    "定频": ["变频"],
    "噪音": ["噪音"],
    "噪声": ["噪音"],
    "声音": ["噪音"],
    "吵": ["噪音"],
    "静音": ["噪音"],
    "分贝": ["噪音"],
    "颜色": ["颜色"],
    "色": ["颜色"],
    "匹": ["匹数"],
    "面积": ["适用面积"],
    "平米": ["适用面积"],
    "平方": ["适用面积"],
    "冷暖": ["冷暖类型"],
    "制热": ["制热量", "冷暖类型"],
    "制冷量": ["制冷量"],
    "制冷": ["制冷量", "制冷方式"],
    "外机": ["室外机尺寸"],
    "内机": ["室内机尺寸"],
    "自清洁": ["自清洁"],
    "清洁": ["自清洁"],
    "公斤": ["洗涤容量"],
    "kg": ["洗涤容量"],
    "洗涤": ["洗涤容量"],
    "烘干": ["烘干容量", "烘干方式"],
    "滚筒": ["类型"],
    "波轮": ["类型"],
    "类型": ["类型"],
    "电机": ["电机"],
    "转速": ["最高转速"],
    "脱水": ["最高转速"],
    "除菌": ["除菌"],
    "杀菌": ["除菌"],
    "功率": ["额定功率", "音响功率"],
    "瓦": ["额定功率"],
    "吸力": ["吸力"],
    "风量": ["风量"],
    "热负荷": ["热负荷"],
    "火力": ["热负荷"],
    "灶眼": ["灶眼数"],
    "套": ["套数"],
}

CATEGORY_WORDS = {
    "电视": ["电视", "tv", "电視", "显示器", "屏"],
    "冰箱": ["冰箱", "冰柜"],
    "空调": ["空调", "空調", "挂机", "柜机"],
    "洗衣机": ["洗衣机", "洗衣機", "滚筒", "波轮", "洗烘"],
    "厨房电器": ["油烟机", "烟机", "燃气灶", "灶", "洗碗机", "微波炉", "厨房", "烤箱"],
}


CATEGORY_WORDS = {
    "电视": ["电视", "tv", "电視", "显示器", "屏"],
    "冰箱": ["冰箱", "冰柜"],
    "空调": ["空调", "空調", "挂机", "柜机"],
    "洗衣机": ["洗衣机", "洗衣機", "滚筒", "波轮", "洗烘"],
    "厨房电器": ["油烟机", "烟机", "燃气灶", "灶", "洗碗机", "微波炉", "厨房", "烤箱"],
}

# Display names the catalogue uses, each also a word for itself.
DISPLAY_NAMES = sorted({name for names in ATTRIBUTE_SYNONYMS.values() for name in names})

# One-character words ("升", "匹", "重") count only right after a question word: "多少升", "几匹".
QUESTION_PREFIX = re.compile(r"(多少|几|多)$")


def key(text: str) -> str:
    """The form words are compared in: normalised, no spaces ("Hz " -> "HZ")."""
    return normalize_text(text).replace(" ", "")


@functools.lru_cache(maxsize=1)
def _words() -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    """(word key, display names) pairs, longest word first."""
    table: Dict[str, List[str]] = {}
    for name in DISPLAY_NAMES:
        table.setdefault(key(name), []).append(name)
    for word, names in ATTRIBUTE_SYNONYMS.items():
        entry = table.setdefault(key(word), [])
        entry += [n for n in names if n not in entry]
    return tuple(sorted(((w, tuple(n)) for w, n in table.items()), key=lambda p: -len(p[0])))


def candidates(asked: str) -> List[str]:
    """Display names the buyer's words may mean, most likely first ("多大" -> 屏幕尺寸, 总容积…)."""
    folded = key(asked)
    hits = [mapped for word, mapped in _words() if word and word in folded]
    # A word with one meaning says what a vague one is about: "冷藏室多大" is 冷藏室容积.
    hits.sort(key=lambda mapped: len(mapped) > 1)
    names: List[str] = []
    for mapped in hits:
        names += [n for n in mapped if n not in names]
    return names


@functools.lru_cache(maxsize=1)
def _meanings_by_word() -> Dict[str, Tuple[str, ...]]:
    return dict(_words())


def _words_with(extra_names: Iterable[str]) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    """The word table plus display names only the live catalogue has ("待机功耗" of a new product)."""
    known = _meanings_by_word()
    extra = {key(name): (name,) for name in extra_names if key(name) and key(name) not in known}
    if not extra:
        return _words()
    return tuple(sorted((*_words(), *extra.items()), key=lambda p: -len(p[0])))


def meanings(word: str) -> Tuple[str, ...]:
    """The display names this exact word stands for in the table ("多大" → many, "能效" → one)."""
    return _meanings_by_word().get(key(word), ())


def is_table_word(name: str) -> bool:
    """Whether the synonym table already knows this word (training data uses the same words)."""
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


def asked_names(text: str, names: Iterable[str]) -> List[str]:
    """Of these attribute names, the ones the text asks about, longest first."""
    compact = key(text)
    asked = []
    for name in names:
        word = key(name)
        start = compact.find(word) if word else -1
        while start >= 0:
            after = compact[start + len(word) :]
            if not _DESCRIBES.match(after) and _QUESTION_AFTER.match(after):
                asked.append(str(name))
                break
            start = compact.find(word, start + 1)
    return sorted(asked, key=lambda n: -len(key(n)))


def find_mentions(text: str, extra_names: Iterable[str] = ()) -> List[Tuple[int, int, Tuple[str, ...]]]:
    """(start, end, display names) for attribute words in normalised text, in text order.

    `extra_names` are attribute names from the live catalogue, each a word for itself.
    Longest words win and never overlap; touching words meaning the same ("几级"+"能效") merge.
    """
    taken: List[Tuple[int, int, Tuple[str, ...]]] = []
    for word, names in _words_with(extra_names):
        start = text.find(word)
        while start >= 0:
            end = start + len(word)
            free = all(end <= s or start >= e for s, e, _ in taken)
            if free and (len(word) > 1 or QUESTION_PREFIX.search(text[:start])):
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


def category_in(text: str) -> str | None:
    """The product category a text names ("这台冰箱" -> 冰箱), or None."""
    folded = key(text)
    for category, words in CATEGORY_WORDS.items():
        if any(key(w) in folded for w in words):
            return category
    return None
