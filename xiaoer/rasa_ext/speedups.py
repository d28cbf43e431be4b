"""Per-message waste in Rasa 3.6 removed, with the same behaviour.

RemoteAction checks every answer of the action server with `jsonschema.validate(result, schema)`,
which first re-checks the *schema* against the JSON-Schema meta-schema: in a profile of an
order-logistics question (`make bench`, py-spy) that was 12 % of the Rasa process's time per
message, more than TED. Here the schema is checked once and its validators kept.

The check itself was still 3 % after that: each event is tried against all 23 event schemas of a
`oneOf`. Those alternatives are told apart by their `event` constant, so an event can only ever
match the one named by its `event` field; a valid answer is now confirmed by checking each event
against that one alternative. Anything that fails this quick check goes through the whole schema
as before, so an invalid answer raises the very error Rasa's own check raises.

Two more, from the profile of this tree (docs/scaling.md):

- Rasa joins each message's sparse features (regex, lexical, word and character n-grams) pairwise
  with `scipy.sparse.hstack`, whose general block-matrix path took 6 % of the Rasa process's time
  for five joins of two COO matrices. Two COO matrices are joined here directly: the same data,
  rows, columns, dtype and format, in the same order.
- RulePolicy and MemoizationPolicy deep-copy the dialogue states on every prediction only to pass
  them to a debug log line, whatever the log level (2.5 %). When Rasa's server runs without debug
  logs, their `copy.deepcopy` hands the states over uncopied: the log line that would use them is
  dropped anyway.
"""

from __future__ import annotations

import copy
import functools
import types
from dataclasses import dataclass
from typing import Any, Dict, Mapping

import numpy as np
from rasa.core.actions.action import RemoteAction
from rasa.core.policies import memoization, rule_policy
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.nlu.training_data.features import Features
from scipy.sparse import coo_matrix

_ORIGINAL = RemoteAction._validate_action_result
_ORIGINAL_COMBINE_SPARSE = Features._combine_sparse_features


@dataclass(frozen=True)
class _Validators:
    whole: Any
    # The quick path; None when the schema is not shaped as expected (a newer Rasa): whole only.
    without_event_items: Any | None
    event_base: Any | None
    by_event: Mapping[str, Any]


@functools.lru_cache(maxsize=1)
def _validators() -> _Validators:
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    whole = cls(schema)
    try:
        events = schema["properties"]["events"]
        items = events["items"]
        alternatives = items["oneOf"]
        names = [alt["properties"]["event"]["const"] for alt in alternatives]
    except (KeyError, TypeError):
        return _Validators(whole, None, None, {})
    # Every alternative must name its own event, and nothing else may tie the parts together.
    if len(set(names)) != len(names) or not all(isinstance(n, str) for n in names) or "$ref" in str(schema):
        return _Validators(whole, None, None, {})
    without_items = {k: v for k, v in events.items() if k != "items"}
    return _Validators(
        whole=whole,
        without_event_items=cls({**schema, "properties": {**schema["properties"], "events": without_items}}),
        event_base=cls({k: v for k, v in items.items() if k != "oneOf"}),
        by_event={name: cls(alt) for name, alt in zip(names, alternatives, strict=True)},
    )


def _surely_valid(validators: _Validators, result: Any) -> bool:
    """True only when the whole schema accepts `result`; False means "ask the whole schema"."""
    if validators.without_event_items is None or not validators.without_event_items.is_valid(result):
        return False
    for event in result.get("events", ()):
        if not validators.event_base.is_valid(event):
            return False
        alternative = validators.by_event.get(event["event"])
        if alternative is None or not alternative.is_valid(event):
            return False
    return True


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    from jsonschema import ValidationError, exceptions

    validators = _validators()
    if _surely_valid(validators, result):
        return True
    error = exceptions.best_match(validators.whole.iter_errors(result))
    if error is None:
        return True
    if isinstance(error, ValidationError):
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
    raise error


def hstack_coo(left: coo_matrix, right: coo_matrix) -> coo_matrix:
    """`scipy.sparse.hstack([left, right])` for two COO matrices with the same index dtype."""
    dtype = np.result_type(left.dtype, right.dtype)
    return coo_matrix(
        (
            np.concatenate([left.data, right.data]).astype(dtype, copy=False),
            (np.concatenate([left.row, right.row]), np.concatenate([left.col, right.col + left.shape[1]])),
        ),
        shape=(left.shape[0], left.shape[1] + right.shape[1]),
    )


def _combine_sparse_features(self: Features, additional_features: Features) -> None:
    left, right = self.features, additional_features.features
    joinable = (
        type(left) is coo_matrix
        and type(right) is coo_matrix
        and left.shape[0] == right.shape[0]
        and left.row.dtype == right.row.dtype == left.col.dtype == right.col.dtype
        and left.shape[1] + right.shape[1] < np.iinfo(left.col.dtype).max
    )
    if not joinable:
        # Other formats, and Rasa's own error for rows that do not match.
        _ORIGINAL_COMBINE_SPARSE(self, additional_features)
        return
    self.features = hstack_coo(left, right)
    self._cached_fingerprint = None


def _copy_for_a_dropped_log_line(value: Any, memo: Any = None) -> Any:
    return value


# What rule_policy and memoization see as their `copy` module when debug logs are off.
_NO_DEBUG_COPY = types.SimpleNamespace(**{**vars(copy), "deepcopy": _copy_for_a_dropped_log_line})


def install_feature_joins() -> None:
    """Sparse features joined directly from now on: per message, and for all of DIET's training data
    when it builds its model data (about 5 s of `rasa train`, docs/nlu-tuning.md)."""
    Features._combine_sparse_features = _combine_sparse_features


def install(debug_logs: bool = False) -> None:
    """`debug_logs`: whether the Rasa server writes debug log lines (then the copies stay)."""
    RemoteAction._validate_action_result = _validate_action_result
    install_feature_joins()
    for module in (rule_policy, memoization):
        module.copy = copy if debug_logs else _NO_DEBUG_COPY
