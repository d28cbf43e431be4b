"""The cached action-result validator accepts and refuses exactly what Rasa's own does."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from xiaoer.rasa_ext import speedups

LOGISTICS_ANSWER = {
    "events": [
        {"event": "slot", "timestamp": None, "name": "order_id", "value": "269800000001"},
        {"event": "slot", "timestamp": None, "name": "last_topic", "value": "logistics"},
        {"event": "pause", "timestamp": 1700000000.5},
        {"event": "bot", "text": "订单已发货", "data": {"buttons": []}, "metadata": {}},
        {"event": "followup", "name": "action_listen"},
    ],
    "responses": [{"text": "订单 269800000001 正在运输中", "buttons": [], "template": None}],
}
GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "order_id", "value": "1"}], "responses": [{"text": "好"}]},
    {},
    LOGISTICS_ANSWER,
    # Oddities Rasa's schema lets through, and so must the quick path.
    {"events": [{"event": "bot", "text": 3}]},
    {"events": [{"event": "slot", "name": "a", "value": 1}, {"event": "followup"}]},
]
BAD = [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": [1, 2]},
    [],
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": 7}]},
    {"events": [{"event": "slot", "name": 3, "value": "1"}]},
    {"events": [{"event": "slot", "value": "1"}]},  # a slot event names its slot
    {"events": [{"event": "slot", "name": "a", "value": 1, "timestamp": "noon"}]},
]


@pytest.mark.parametrize("result", GOOD)
def test_valid_answers_pass_both(result):
    assert speedups._ORIGINAL(RemoteAction, result) is True
    assert speedups._validate_action_result(RemoteAction, result) is True


@pytest.mark.parametrize("result", BAD)
def test_invalid_answers_fail_both_with_the_docs_hint(result):
    with pytest.raises(ValidationError) as original:
        speedups._ORIGINAL(RemoteAction, result)
    with pytest.raises(ValidationError) as cached:
        speedups._validate_action_result(RemoteAction, result)
    assert cached.value.message == original.value.message
    assert "custom-actions" in cached.value.message


@pytest.fixture
def restored(monkeypatch):
    """install() patches Rasa for the whole process: put everything back after the test."""
    import copy

    from rasa.core.policies import memoization, rule_policy
    from rasa.shared.nlu.training_data.features import Features

    monkeypatch.setattr(RemoteAction, "_validate_action_result", speedups._ORIGINAL)
    monkeypatch.setattr(Features, "_combine_sparse_features", speedups._ORIGINAL_COMBINE_SPARSE)
    monkeypatch.setattr(rule_policy, "copy", copy)
    monkeypatch.setattr(memoization, "copy", copy)


def test_install_replaces_the_methods(restored):
    from rasa.shared.nlu.training_data.features import Features

    speedups.install()
    assert RemoteAction._validate_action_result is speedups._validate_action_result
    assert Features._combine_sparse_features is speedups._combine_sparse_features


def test_the_quick_path_is_taken_for_a_real_answer():
    # Were the schema's shape not recognised, every answer would silently take the slow path.
    validators = speedups._validators()
    assert len(validators.by_event) == 23
    assert speedups._surely_valid(validators, LOGISTICS_ANSWER) is True


def test_every_event_kind_is_judged_as_the_whole_schema_judges_it():
    whole = speedups._validators().whole
    for name in speedups._validators().by_event:
        for event in (
            {"event": name},
            {"event": name, "name": "x", "timestamp": 1.0},
            {"event": name, "name": 3},
        ):
            result = {"events": [event]}
            assert speedups._surely_valid(speedups._validators(), result) == whole.is_valid(result), event


def coo(rows: int, cols: int, dtype, seed: int):
    from scipy.sparse import random as sparse_random

    matrix = sparse_random(rows, cols, density=0.2, format="coo", random_state=seed)
    matrix.data = (matrix.data * 10).astype(dtype)
    return matrix


@pytest.mark.parametrize(
    ("rows", "left_cols", "right_cols"), [(5, 23, 3279), (1, 2, 40), (3, 1, 1), (4, 0, 7)]
)
def test_joined_features_are_what_scipy_hstack_gives(rows, left_cols, right_cols):
    import numpy as np
    from rasa.shared.nlu.training_data.features import Features
    from scipy.sparse import hstack

    left, right = coo(rows, left_cols, np.float64, 1), coo(rows, right_cols, np.int64, 2)
    expected = hstack([left, right])
    features = Features(left, "sequence", "text", "a")
    speedups._combine_sparse_features(features, Features(right, "sequence", "text", "b"))
    joined = features.features
    assert type(joined) is type(expected)
    assert joined.shape == expected.shape and joined.dtype == expected.dtype
    for part in ("data", "row", "col"):
        assert np.array_equal(getattr(joined, part), getattr(expected, part)), part


def test_features_that_cannot_be_joined_get_rasas_own_treatment():
    import numpy as np
    from rasa.shared.nlu.training_data.features import Features

    features = Features(coo(2, 3, np.float64, 1), "sequence", "text", "a")
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        speedups._combine_sparse_features(
            features, Features(coo(3, 3, np.float64, 2), "sequence", "text", "b")
        )
    csr = Features(coo(2, 3, np.float64, 1).tocsr(), "sequence", "text", "a")
    speedups._combine_sparse_features(
        csr, Features(coo(2, 4, np.float64, 2).tocsr(), "sequence", "text", "b")
    )
    assert csr.features.shape == (2, 7)


def test_debug_only_copies_are_skipped_unless_debug_logs_are_written(restored):
    from rasa.core.policies import memoization, rule_policy

    states = [{"user": {"intent": "greet"}}]
    speedups.install(debug_logs=False)
    assert rule_policy.copy.deepcopy(states) is states
    assert memoization.copy.deepcopy(states) is states
    speedups.install(debug_logs=True)
    assert rule_policy.copy.deepcopy(states) == states and rule_policy.copy.deepcopy(states) is not states
