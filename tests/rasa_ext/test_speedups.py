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


def test_install_replaces_the_method(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", speedups._ORIGINAL)
    speedups.install()
    assert RemoteAction._validate_action_result is speedups._validate_action_result


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
