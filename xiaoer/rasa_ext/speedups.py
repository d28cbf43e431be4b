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
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Dict, Mapping

from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_ORIGINAL = RemoteAction._validate_action_result


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


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result
