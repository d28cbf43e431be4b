"""The training-only fingerprint patch gives Rasa's own fingerprints, whatever changed in between."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import scipy.sparse
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data import util
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from xiaoer.rasa_ext import fingerprints


@pytest.fixture
def installed(monkeypatch):
    """install() patches Rasa for the whole process: put everything back after the test."""
    monkeypatch.setattr(Message, "fingerprint", Message.fingerprint)
    monkeypatch.setattr(Message, "set", Message.set)
    monkeypatch.setattr(Message, "add_diagnostic_data", Message.add_diagnostic_data)
    monkeypatch.setattr(util, "sparse_matrix_to_string", util.sparse_matrix_to_string)
    fingerprints.install()


def rasas_fingerprint(message: Message) -> str:
    """What Rasa's own code computes for the message as it is now, from nothing cached."""
    fresh = Message(data=copy.deepcopy(message.data), features=[
        Features(f.features, f.type, f.attribute, f.origin) for f in message.features
    ])  # fmt: skip
    sparse_to_string = util.sparse_matrix_to_string
    util.sparse_matrix_to_string = fingerprints._RASA_SPARSE_TO_STRING
    try:
        return fingerprints._RASA_FINGERPRINT(fresh)
    finally:
        util.sparse_matrix_to_string = sparse_to_string


def sparse(dtype, seed: int) -> scipy.sparse.coo_matrix:
    rng = np.random.default_rng(seed)
    dense = rng.integers(0, 4, size=(5, 40)) * (rng.random((5, 40)) < 0.3)
    return scipy.sparse.coo_matrix(dense.astype(dtype))


def test_the_fingerprint_follows_every_kind_of_change(installed):
    message = Message.build(text="洗衣机怎么安装", intent="ask_installation")
    steps = [
        lambda: None,
        lambda: message.set("text", "洗衣机怎么装"),
        lambda: message.set("text_tokens", [Token("洗衣机", 0, 3), Token("怎么", 3, 5), Token("装", 5, 6)]),
        lambda: message.add_features(Features(sparse(np.int64, 1), "sequence", "text", "cvf")),
        lambda: message.add_features(Features(sparse(np.float64, 2), "sentence", "text", "regex")),
        lambda: message.add_diagnostic_data("diet", {"attention": [0.5]}),
        lambda: message.data.update(extra_key="seen by the key count"),
        lambda: setattr(message, "data", dict(message.data, text="换了一个字典")),
        lambda: message.add_features(Features(sparse(np.float32, 3), "sequence", "text", "lexical")),
    ]
    seen = set()
    for step in steps:
        step()
        # Rasa recomputes after a change it knows of; after a direct change to the data, only once
        # something else resets its cache (a featurizer adding features): then the data's hash kept
        # here must not be the old one either.
        message._cached_fingerprint = None
        assert message.fingerprint() == rasas_fingerprint(message)
        seen.add(message.fingerprint())
    assert len(seen) == len(steps)


def test_a_copied_message_does_not_reuse_the_original_data_hash(installed):
    message = Message.build(text="发货了吗", intent="ask_delivery")
    message.fingerprint()
    twin = copy.deepcopy(message)
    twin.set("text", "到货了吗")
    assert twin.fingerprint() == rasas_fingerprint(twin) != message.fingerprint()
    assert message.fingerprint() == rasas_fingerprint(message)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.float64, np.float32, np.bool_])
def test_sparse_text_is_rasas(dtype):
    for seed in range(5):
        matrix = sparse(dtype, seed)
        assert fingerprints.sparse_matrix_to_string(matrix) == fingerprints._RASA_SPARSE_TO_STRING(matrix)
        csr = matrix.tocsr()
        assert fingerprints.sparse_matrix_to_string(csr) == fingerprints._RASA_SPARSE_TO_STRING(csr)


def test_float64_values_print_as_numpy_prints_them():
    values = np.array([0.1, 1 / 3, 1e-5, 1e-4, 1e15, 1e16, 1.5e300, -0.0, 2.0, np.nan, np.inf, -np.inf])
    matrix = scipy.sparse.coo_matrix(
        (values, (np.zeros(len(values), dtype=np.int32), np.arange(len(values))))
    )
    assert fingerprints.sparse_matrix_to_string(matrix) == fingerprints._RASA_SPARSE_TO_STRING(matrix)
