"""Lexical similarity of a buyer message to knowledge-base questions and variants.

Character 1–3-gram TF-IDF over every standard question and variant (after xiaoer.text.letters_key:
NFKC, traditional → simplified, case folding, letters and digits only); an entry scores its best
question's cosine. Used by the FAQ re-ranker in the NLU pipeline (xiaoer.nlu.faq_ranker) and, over
all entries at once, as the evaluation's baseline (xiaoer.evaluation.baseline).

A message is matched once per retrieval intent in view, so the per-call work is kept small: the
transform skips scikit-learn's per-call checks (xiaoer.tfidf), the cosines are one product of the
questions with the message as a dense vector (no sparse product to build: the same sums, term by
term, in the same order), and an entry's best question is one reduction over its questions, which
are stored side by side.
"""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np

from xiaoer import tfidf
from xiaoer.text import letters_key


class LexicalMatcher:
    def __init__(self, questions: Sequence[Tuple[str, str]], ngram_range: Tuple[int, int] = (1, 3)):
        """questions: (text, intent_response_key) pairs, e.g. ("挂架收费吗", "ask_installation/wall_mount_fee")."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        questions = [(text, key) for text, key in questions if letters_key(text)]
        if not questions:
            raise ValueError("the lexical matcher needs at least one knowledge-base question")
        self._keys = list(dict.fromkeys(key for _, key in questions))
        # Each entry's questions side by side, entries in the order they first appear.
        position = {key: i for i, key in enumerate(self._keys)}
        entry = np.array([position[key] for _, key in questions])
        self._vectorizer = TfidfVectorizer(
            analyzer="char", ngram_range=ngram_range, sublinear_tf=True, preprocessor=letters_key
        )
        matrix = self._vectorizer.fit_transform([text for text, _ in questions])
        self._matrix = matrix[np.argsort(entry, kind="stable")]
        self._starts = np.concatenate(([0], np.cumsum(np.bincount(entry))[:-1]))

    @property
    def keys(self) -> List[str]:
        return list(self._keys)

    def scores(self, text: str) -> Dict[str, float]:
        """Every entry's score (its best question's cosine similarity to `text`), 0 to 1."""
        vector = tfidf.transform(self._vectorizer, [text])
        dense = np.zeros(self._matrix.shape[1])
        dense[vector.indices] = vector.data
        cosines = self._matrix @ dense
        best = np.maximum.reduceat(cosines, self._starts)
        return dict(zip(self._keys, best.tolist(), strict=True))

    def rank(self, text: str, k: int = 3) -> List[Tuple[str, float]]:
        """The k best entries (intent_response_key, score)."""
        return sorted(self.scores(text).items(), key=lambda item: -item[1])[:k]
