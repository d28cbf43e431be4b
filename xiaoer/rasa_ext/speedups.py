"""Per-message waste in Rasa 3.6 removed, with the same behaviour.

RemoteAction checks every answer of the action server with `jsonschema.validate(result, schema)`,
which first re-checks the *schema* against the JSON-Schema meta-schema: in a profile of an
order-logistics question (`make bench`, py-spy) that was 12 % of the Rasa process's time per
message, more than TED. Here the schema is checked once and its validator kept; answers are
validated exactly as before, with the same error.
"""

from __future__ import annotations

import functools
from typing import Any, Dict

from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_ORIGINAL = RemoteAction._validate_action_result


@functools.lru_cache(maxsize=1)
def _validator():
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    from jsonschema import ValidationError, exceptions

    error = exceptions.best_match(_validator().iter_errors(result))
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
