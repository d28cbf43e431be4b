"""The lexical matcher's scores: each entry's best question's cosine, as scikit-learn computes it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from xiaoer.knowledge.lexical import LexicalMatcher
from xiaoer.knowledge.repository import KnowledgeRepository
from xiaoer.text import letters_key

ROOT = Path(__file__).resolve().parents[2]
ASKED = ["送货上门要预约吗", "挂架收费吗", "有次日達嗎？😊", "65E7K 挂墙", "", "😊", "龘靐", "怎么做红烧肉"]


def reference_scores(questions: list, text: str) -> dict:
    """scikit-learn's own transform and sparse product, then each entry's best question in a loop."""
    questions = [(q, key) for q, key in questions if letters_key(q)]
    vectorizer = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, preprocessor=letters_key
    )
    matrix = vectorizer.fit_transform([q for q, _ in questions])
    cosines = (matrix @ vectorizer.transform([text]).T).toarray().ravel()
    best: dict = {}
    for (_, key), cosine in zip(questions, cosines, strict=True):
        if cosine > best.get(key, -1.0):
            best[key] = float(cosine)
    return best


@pytest.fixture(scope="module")
def questions_by_intent() -> dict:
    knowledge = KnowledgeRepository(ROOT / "knowledge").current()
    by_intent: dict = {}
    for category in knowledge.categories:
        for entry in category.entries:
            for text in (entry.question, *entry.variants):
                by_intent.setdefault(entry.intent, []).append((text, entry.key))
    return by_intent


def test_scores_are_scikit_learns_to_the_last_bit_in_the_same_order(questions_by_intent) -> None:
    intent = "ask_installation"
    questions = questions_by_intent[intent]
    matcher = LexicalMatcher(questions)
    asked = ASKED + [q for q, _ in questions[::7]]
    for text in asked:
        ours, theirs = matcher.scores(text), reference_scores(questions, text)
        assert list(ours.items()) == list(theirs.items()), text  # keys in first-seen order, bit for bit
    assert matcher.keys == list(dict.fromkeys(key for _, key in questions))


def test_an_entry_scores_its_best_question_even_when_its_questions_are_apart() -> None:
    # The entries' questions interleaved: each entry still scores its best one.
    questions = [
        ("挂架收费吗", "a/fee"),
        ("几天送到", "b/days"),
        ("安装要钱吗", "a/fee"),
        ("今天能到吗", "b/days"),
    ]
    matcher = LexicalMatcher(questions)

    scores = matcher.scores("安装要钱吗")

    assert list(scores) == ["a/fee", "b/days"]
    assert scores["a/fee"] == pytest.approx(1.0)
    assert scores == reference_scores(questions, "安装要钱吗")
    assert matcher.rank("今天能到吗", k=1) == [("b/days", pytest.approx(1.0))]


def test_every_retrieval_intent_and_all_entries_at_once_match_the_reference(questions_by_intent) -> None:
    everything = [pair for pairs in questions_by_intent.values() for pair in pairs]
    for questions in [*questions_by_intent.values(), everything]:
        matcher = LexicalMatcher(questions)
        for text in ASKED[:4]:
            got = matcher.scores(text)
            assert np.array_equal(list(got.values()), list(reference_scores(questions, text).values()))


def test_questions_without_letters_are_refused() -> None:
    with pytest.raises(ValueError):
        LexicalMatcher([("？？", "a/b"), ("😊", "a/c")])
