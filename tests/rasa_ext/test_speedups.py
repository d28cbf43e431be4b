"""The cached action-result validator accepts and refuses exactly what Rasa's own does."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from xiaoer.rasa_ext import speedups

GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "order_id", "value": "1"}], "responses": [{"text": "好"}]},
    {},
]
BAD = [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": [1, 2]},
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


def test_install_replaces_the_method(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", speedups._ORIGINAL)
    speedups.install()
    assert RemoteAction._validate_action_result is speedups._validate_action_result
