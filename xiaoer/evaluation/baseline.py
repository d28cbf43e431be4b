"""Baseline FAQ matcher to compare the ResponseSelector against: the nearest knowledge-base
question or variant by character n-gram TF-IDF cosine similarity, over all entries at once."""

from __future__ import annotations

from typing import Sequence

from xiaoer.evaluation.text import overlap_key


class TfidfFaqMatcher:
    def __init__(self, questions: Sequence[tuple[str, str]], ngram_range: tuple[int, int] = (1, 3)):
        """questions: (text, intent_response_key) pairs, e.g. ("挂架收费吗", "ask_installation/wall_mount_fee")."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not questions:
            raise ValueError("the baseline matcher needs at least one knowledge-base question")
        self._keys = [key for _, key in questions]
        self._vectorizer = TfidfVectorizer(
            analyzer="char", ngram_range=ngram_range, sublinear_tf=True, preprocessor=overlap_key
        )
        self._matrix = self._vectorizer.fit_transform([text for text, _ in questions])

    def rank(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The k best entries (intent_response_key, score), each scored by its best question/variant."""
        scores = (self._matrix @ self._vectorizer.transform([text]).T).toarray().ravel()
        best: dict[str, float] = {}
        for index in scores.argsort()[::-1]:
            key = self._keys[index]
            if key not in best:
                best[key] = float(scores[index])
                if len(best) == k:
                    break
        return list(best.items())


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
