"""Lexical similarity of a buyer message to knowledge-base questions and variants.

Character 1–3-gram TF-IDF over every standard question and variant (after xiaoer.text.letters_key:
NFKC, traditional → simplified, case folding, letters and digits only); an entry scores its best
question's cosine. Used by the FAQ re-ranker in the NLU pipeline (xiaoer.nlu.faq_ranker) and, over
all entries at once, as the evaluation's baseline (xiaoer.evaluation.baseline).
"""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

from xiaoer.text import letters_key


class LexicalMatcher:
    def __init__(self, questions: Sequence[Tuple[str, str]], ngram_range: Tuple[int, int] = (1, 3)):
        """questions: (text, intent_response_key) pairs, e.g. ("挂架收费吗", "ask_installation/wall_mount_fee")."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        questions = [(text, key) for text, key in questions if letters_key(text)]
        if not questions:
            raise ValueError("the lexical matcher needs at least one knowledge-base question")
        self._keys = [key for _, key in questions]
        self._vectorizer = TfidfVectorizer(
            analyzer="char", ngram_range=ngram_range, sublinear_tf=True, preprocessor=letters_key
        )
        self._matrix = self._vectorizer.fit_transform([text for text, _ in questions])

    @property
    def keys(self) -> List[str]:
        return list(dict.fromkeys(self._keys))

    def scores(self, text: str) -> Dict[str, float]:
        """Every entry's score (its best question's cosine similarity to `text`), 0 to 1."""
        cosines = (self._matrix @ self._vectorizer.transform([text]).T).toarray().ravel()
        best: Dict[str, float] = {}
        for key, cosine in zip(self._keys, cosines, strict=True):
            if cosine > best.get(key, -1.0):
                best[key] = float(cosine)
        return best

    def rank(self, text: str, k: int = 3) -> List[Tuple[str, float]]:
        """The k best entries (intent_response_key, score)."""
        return sorted(self.scores(text).items(), key=lambda item: -item[1])[:k]
