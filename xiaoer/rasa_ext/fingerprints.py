"""Rasa 3.6's fingerprints of training messages, with each message's data hashed once per change.

Rasa's training cache fingerprints every node's output. For the NLU training data that means every
message, after each of the seven nodes that hand it on (the data provider, our normaliser, the
tokenizer and four featurizers). A message's fingerprint is the hash of two hashes, one of its data
(text, intent, entities and every token, each token hashed through JSON) and one of its features.
Rasa keeps the result until the message changes, and a featurizer adding features is a change: so
the data, tokens and all, was hashed again after every featurizer although only the features had
changed. That was 6–8 s of a `rasa train` (docs/nlu-tuning.md, third round).

Here the data's hash is kept beside Rasa's own, and dropped when the data changes the way Rasa's
own cache knows of (`Message.set`, `add_diagnostic_data`), or when the dict is replaced or gains or
loses a key. The fingerprint is the same string, computed the same way
(tests/rasa_ext/test_fingerprints.py). Installed for training only: the training graph changes
messages through those methods alone (our normaliser too), while a parse writes intents into
`message.data` directly, and a parse never fingerprints.

A sparse feature's fingerprint hashes a line per stored value, `  (row, column)\tvalue`, which Rasa
formats from numpy scalars one by one. For integer and float64 matrices (all of ours) the lines are
formatted from Python numbers: the same text, several times faster.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import scipy.sparse
from rasa.shared.nlu.training_data import util
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.io import deep_container_fingerprint, get_text_hash

_RASA_FINGERPRINT = Message.fingerprint
_RASA_SET = Message.set
_RASA_ADD_DIAGNOSTIC_DATA = Message.add_diagnostic_data
_RASA_SPARSE_TO_STRING = util.sparse_matrix_to_string

# (the data dict's id, its number of keys, the data's hash), in the message's own __dict__.
_DATA_HASH = "_xiaoer_data_hash"


def _data_hash(message: Message) -> str:
    data = message.data
    kept = message.__dict__.get(_DATA_HASH)
    if kept is not None and kept[0] == id(data) and kept[1] == len(data):
        return kept[2]
    hashed = deep_container_fingerprint(data)
    message.__dict__[_DATA_HASH] = (id(data), len(data), hashed)
    return hashed


def fingerprint(self: Message) -> str:
    """Rasa's `deep_container_fingerprint([self.data, self.features])`, with the data's part kept."""
    if self._cached_fingerprint is None:
        parts = [_data_hash(self), deep_container_fingerprint(self.features)]
        self._cached_fingerprint = get_text_hash(json.dumps(parts))
    return self._cached_fingerprint


def _set(self: Message, prop: str, info: Any, add_to_output: bool = False) -> None:
    self.__dict__.pop(_DATA_HASH, None)
    _RASA_SET(self, prop, info, add_to_output)


def _add_diagnostic_data(self: Message, origin: str, data: Any) -> None:
    self.__dict__.pop(_DATA_HASH, None)
    _RASA_ADD_DIAGNOSTIC_DATA(self, origin, data)


def sparse_matrix_to_string(matrix: scipy.sparse.spmatrix) -> str:
    """Rasa's `sparse_matrix_to_string`: numpy prints its integers and float64s as Python does."""
    coo = matrix.tocoo()
    if coo.data.dtype.kind not in "iu" and coo.data.dtype != np.float64:
        return _RASA_SPARSE_TO_STRING(matrix)
    lines = zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    return "\n".join([f"  ({row}, {col})\t{value}" for row, col, value in lines])


def install() -> None:
    util.sparse_matrix_to_string = sparse_matrix_to_string
    Message.fingerprint = fingerprint
    Message.set = _set
    Message.add_diagnostic_data = _add_diagnostic_data
