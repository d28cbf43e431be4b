"""Generates the jieba user dictionary and the NLU product lookup table from a catalogue."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Iterable, List

from xiaoer.settings import REPO_ROOT

USERDICT = REPO_ROOT / "data" / "jieba" / "userdict.txt"
LOOKUP = REPO_ROOT / "data" / "nlu" / "lookups" / "product.yml"

# Store vocabulary buyers use; jieba would otherwise cut these apart.
STORE_TERMS = [
    "以旧换新",
    "价保",
    "价格保护",
    "保价",
    "国补",
    "国家补贴",
    "一级能效",
    "新一级能效",
    "二级能效",
    "滚筒",
    "波轮",
    "洗烘一体",
    "烘干机",
    "油烟机",
    "燃气灶",
    "洗碗机",
    "微波炉",
    "蒸烤箱",
    "消毒柜",
    "热水器",
    "净水器",
    "十字门",
    "对开门",
    "法式多门",
    "风冷无霜",
    "直冷",
    "变频",
    "定频",
    "自清洁",
    "新风",
    "挂机",
    "柜机",
    "风管机",
    "中央空调",
    "匹数",
    "刷新率",
    "高刷",
    "分辨率",
    "能效等级",
    "京东物流",
    "顺丰",
    "顺丰速运",
    "日日顺",
    "日日顺物流",
    "中通",
    "德邦",
    "运费险",
    "七天无理由",
    "7天无理由",
    "催发货",
    "订单号",
    "物流单号",
    "运单号",
    "转人工",
    "人工客服",
    "预约安装",
    "上门安装",
    "增值税专用发票",
    "专票",
    "普票",
    "花呗",
    "白条",
    "免息",
    "分期",
    "定金",
    "尾款",
    "满减",
    "优惠券",
]


def alias_words(products: Iterable[Dict[str, Any]]) -> List[str]:
    """Every alias, and the parts of aliases jieba cannot hold whole (spaces, slashes)."""
    words: List[str] = []
    for product in products:
        for alias in product.get("aliases") or []:
            for part in [alias, *re.split(r"[\s/]+", alias)]:
                part = part.strip()
                if part and not re.search(r"[\s/]", part) and part not in words:
                    words.append(part)
    return words


def write_userdict(products: List[Dict[str, Any]], path: Path = USERDICT) -> int:
    words = alias_words(products) + [t for t in STORE_TERMS if t not in alias_words(products)]
    path.parent.mkdir(parents=True, exist_ok=True)
    # jieba format "word freq tag"; no comment lines, jieba would load them as words.
    path.write_text("".join(f"{w} 20000 nz\n" for w in words), encoding="utf-8")
    return len(words)


def write_lookup(products: List[Dict[str, Any]], path: Path = LOOKUP) -> int:
    names = sorted({a for p in products for a in p.get("aliases") or []}, key=lambda a: (-len(a), a))
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Generated from the catalogue by `python -m xiaoer.demo userdict`; do not edit by hand.",
        'version: "3.1"',
        "nlu:",
        "  - lookup: product",
        "    examples: |",
        *[f"      - {name}" for name in names],
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(names)
