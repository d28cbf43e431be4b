"""Rasa 3.6's YAML files parsed and schema-checked once per `rasa train`, not three times.

`rasa train` reads the domain, stories, rules and NLU files three times: to validate them, for the
fingerprint run that decides what the training cache already holds, and for the training itself.
Each read checks the file against Rasa's schema (which parses it again, keeping line numbers) and
then parses it: about 4 s of pure-Python YAML a read (docs/nlu-tuning.md).

Here a schema check that passed is remembered by the file's text and schema, and a parse is kept by
the text and reader, each caller getting its own deep copy to change. A file edited in between has
other text, so it is checked and parsed again; a check that failed is not remembered, so it fails
again with Rasa's own error. Installed for training only.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Set, Tuple, Union

import rasa.shared.utils.io
import rasa.shared.utils.validation
from rasa.shared.constants import PACKAGE_NAME

_RASA_READ_YAML = rasa.shared.utils.io.read_yaml
_RASA_VALIDATE = rasa.shared.utils.validation.validate_yaml_schema

_parsed: Dict[Tuple[str, Any], Any] = {}
_valid: Set[Tuple[str, str, str]] = set()


def read_yaml(content: str, reader_type: Union[str, List[str]] = "safe") -> Any:
    key = (content, tuple(reader_type) if isinstance(reader_type, list) else reader_type)
    if key not in _parsed:
        _parsed[key] = _RASA_READ_YAML(content, reader_type)
    return copy.deepcopy(_parsed[key])


def validate_yaml_schema(yaml_file_content: str, schema_path: str, package_name: str = PACKAGE_NAME) -> None:
    key = (yaml_file_content, schema_path, package_name)
    if key in _valid:
        return
    _RASA_VALIDATE(yaml_file_content, schema_path, package_name)
    _valid.add(key)


def install() -> None:
    rasa.shared.utils.io.read_yaml = read_yaml
    rasa.shared.utils.validation.validate_yaml_schema = validate_yaml_schema
