"""`TfidfVectorizer.transform` of a fitted vectorizer without its per-call checks: the same matrix,
bit for bit, in a fraction of the time (issue 12).

For one short message the checks were most of the work. `CountVectorizer.transform` re-checks the
vocabulary, and its integer counts were copied to float64 in a second matrix.
TfidfTransformer.transform checks that the idf is fitted by reading the `idf_` property, which sums
the whole n-gram × n-gram diagonal idf matrix, re-validates the counts it was just given, multiplies
them by that diagonal with a sparse product whose work arrays are as long as the vocabulary, and
normalises through `normalize`, which validates again. Here the same steps run without them: the
vectorizer's own analyzer and vocabulary, sublinear tf, each count times its n-gram's idf, and the
row norm with scikit-learn's own routine.

TF-IDF rows come out in the order scipy's product leaves them (each row's n-grams reversed), so a
later product with a model's weights adds them up in the same order: the same probabilities to
the last bit (tests/test_tfidf.py). Used by the linear models, domain relevance and the FAQ
matcher.
"""

from __future__ import annotations

from typing import Iterable
from weakref import WeakKeyDictionary

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l1, inplace_csr_row_normalize_l2

_NORMALIZE = {"l1": inplace_csr_row_normalize_l1, "l2": inplace_csr_row_normalize_l2}
# The idf vector of each fitted diagonal, kept while the transformer lives; a refit replaces the
# diagonal, so the vector is read again.
_IDF: WeakKeyDictionary[TfidfTransformer, tuple[sp.csr_matrix, np.ndarray]] = WeakKeyDictionary()


def _idf(tfidf: TfidfTransformer) -> np.ndarray | None:
    """The fitted idf as a vector (None: unfitted, or not shaped as in scikit-learn 1.1)."""
    diagonal = getattr(tfidf, "_idf_diag", None)
    cached = _IDF.get(tfidf)
    if cached is not None and cached[0] is diagonal:
        return cached[1]
    if not sp.isspmatrix_csr(diagonal) or diagonal.nnz != diagonal.shape[0]:
        return None
    if not np.array_equal(diagonal.indices, np.arange(diagonal.shape[0])):
        return None
    idf = np.asarray(diagonal.data, dtype=np.float64)
    _IDF[tfidf] = (diagonal, idf)
    return idf


def _counts(vectorizer: TfidfVectorizer, texts: Iterable[str], descending: bool) -> sp.csr_matrix:
    """`CountVectorizer.transform`'s counts as float64, built once: each row's n-grams in ascending
    order as scikit-learn leaves them, or descending as a product with the idf diagonal leaves them."""
    analyze, vocabulary = vectorizer.build_analyzer(), vectorizer.vocabulary_
    indices: list = []
    counts: list = []
    indptr = [0]
    for text in texts:
        row: dict = {}
        for gram in analyze(text):
            index = vocabulary.get(gram)
            if index is not None:
                row[index] = row.get(index, 0) + 1
        ordered = sorted(row, reverse=descending)
        indices += ordered
        counts += [1] * len(ordered) if vectorizer.binary else [row[i] for i in ordered]
        indptr.append(len(indices))
    matrix = sp.csr_matrix(
        (
            np.asarray(counts, dtype=np.float64),
            np.asarray(indices, dtype=np.int32),
            np.asarray(indptr, dtype=np.int32),
        ),
        shape=(len(indptr) - 1, len(vocabulary)),
    )
    matrix.has_sorted_indices = not descending
    return matrix


def transform(vectorizer: TfidfVectorizer, texts: Iterable[str]) -> sp.csr_matrix:
    tfidf = getattr(vectorizer, "_tfidf", None)
    idf = _idf(tfidf) if tfidf is not None and tfidf.use_idf else None
    normalize = _NORMALIZE.get(tfidf.norm) if tfidf is not None and tfidf.norm else None
    unusual = tfidf is None or (tfidf.use_idf and idf is None) or (tfidf.norm and normalize is None)
    if unusual or isinstance(texts, str) or not getattr(vectorizer, "vocabulary_", None):
        return vectorizer.transform(texts)  # unfitted, not shaped as in 1.1, or "max": its own checks
    matrix = _counts(vectorizer, texts, descending=idf is not None)
    if tfidf.sublinear_tf:
        np.log(matrix.data, matrix.data)
        matrix.data += 1
    if idf is not None:
        matrix.data *= idf[matrix.indices]
    if normalize is not None:
        normalize(matrix)
    return matrix
