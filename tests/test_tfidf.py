"""The unchecked TF-IDF transform gives scikit-learn's matrix, entry for entry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer

from xiaoer import tfidf

ROOT = Path(__file__).resolve().parents[1]


def training_texts() -> list:
    texts = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            texts += [
                line[2:].strip()
                for line in (item.get("examples") or "").splitlines()
                if line.startswith("- ")
            ]
    return texts


@pytest.mark.parametrize(
    "settings",
    [
        {"analyzer": "char_wb", "ngram_range": (1, 4), "sublinear_tf": True},  # the linear models'
        {"analyzer": "char_wb", "ngram_range": (1, 3), "sublinear_tf": True, "min_df": 1},  # relevance's
        {"analyzer": "char", "ngram_range": (1, 2)},
        {"analyzer": "char_wb", "ngram_range": (1, 2), "use_idf": False, "norm": "l1"},
    ],
)
def test_the_same_matrix_as_scikit_learn(settings):
    texts = training_texts()
    assert len(texts) > 1000
    vectorizer = TfidfVectorizer(**settings).fit(texts[::2])
    unseen = texts[1::2] + ["", "65E7K 挂墙 😊", "完全没见过的字词龘靐"]
    for batch in ([t] for t in unseen[:300]):
        ours, theirs = tfidf.transform(vectorizer, batch), vectorizer.transform(batch)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        assert np.array_equal(ours.indptr, theirs.indptr)
        assert np.array_equal(ours.indices, theirs.indices)
        assert np.array_equal(ours.data, theirs.data)  # bit for bit
    ours, theirs = tfidf.transform(vectorizer, unseen), vectorizer.transform(unseen)
    assert (ours != theirs).nnz == 0


def test_an_unfitted_vectorizer_is_refused_as_scikit_learn_refuses_it():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        tfidf.transform(TfidfVectorizer(), ["你好"])
