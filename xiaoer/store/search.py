"""Product search: how well a buyer's text matches a product's name and aliases."""

from __future__ import annotations

from typing import Iterable, Tuple

from xiaoer.text import compact

# Match tiers, best first; within a tier the second number ranks (higher is better).
EXACT = 4  # the text is an alias or the name
ALIAS_IN_TEXT = 3  # "65E7K的刷新率是多少" holds the alias "65E7K"; a longer alias wins
TEXT_IN_NAME = 2  # "E7K" is part of an alias or the name; a shorter one wins
ALL_PARTS = 1  # each whitespace-separated part is in the name or an alias

Score = Tuple[int, int]


def score(query: str, name: str, aliases: Iterable[str]) -> Score | None:
    """How well query matches the product, or None when it does not."""
    wanted = compact(query)
    if not wanted:
        return None
    alias_keys = [key for key in map(compact, aliases) if key]
    keys = [compact(name), *alias_keys]
    if wanted in keys:
        return (EXACT, 0)
    inside = [len(key) for key in alias_keys if key in wanted]
    if inside:
        return (ALIAS_IN_TEXT, max(inside))
    around = [len(key) for key in keys if wanted in key]
    if around:
        return (TEXT_IN_NAME, -min(around))
    parts = [part for part in map(compact, query.split()) if part]
    if len(parts) > 1 and all(any(part in key for key in keys) for part in parts):
        return (ALL_PARTS, 0)
    return None
