"""Baseline FAQ matcher to compare the ResponseSelector against: the nearest knowledge-base
question or variant by character n-gram TF-IDF cosine similarity, over all entries at once."""

from __future__ import annotations

from typing import Sequence

from xiaoer.knowledge.lexical import LexicalMatcher

# The same lexical matcher the FAQ re-ranker uses, here over all entries at once.
TfidfFaqMatcher = LexicalMatcher


def baseline_top_k(
    matcher: TfidfFaqMatcher, messages: Sequence[tuple[str, str]], ks: Sequence[int] = (1, 3)
) -> dict:
    """messages: (text, gold intent_response_key). Right at k when the gold key is in the top k."""
    result: dict = {"messages": len(messages)}
    if not messages:
        return {**result, **{f"top{k}": 0.0 for k in ks}}
    rankings = [[key for key, _ in matcher.rank(text, max(ks))] for text, _ in messages]
    for k in ks:
        hits = sum(1 for (_, gold), ranked in zip(messages, rankings, strict=True) if gold in ranked[:k])
        result[f"top{k}"] = hits / len(messages)
    return result
