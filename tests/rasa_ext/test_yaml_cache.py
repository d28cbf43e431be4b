"""The training-only YAML cache: the same data, domain and stories as Rasa reads them, fresh copies."""

from __future__ import annotations

import pytest
import rasa.shared.utils.io
import rasa.shared.utils.validation
from rasa.shared.exceptions import YamlException
from rasa.shared.importers.importer import TrainingDataImporter

from xiaoer.rasa_ext import yaml_cache
from xiaoer.settings import REPO_ROOT


@pytest.fixture
def installed(monkeypatch):
    monkeypatch.setattr(rasa.shared.utils.io, "read_yaml", rasa.shared.utils.io.read_yaml)
    monkeypatch.setattr(
        rasa.shared.utils.validation,
        "validate_yaml_schema",
        rasa.shared.utils.validation.validate_yaml_schema,
    )
    monkeypatch.setattr(yaml_cache, "_parsed", {})
    monkeypatch.setattr(yaml_cache, "_valid", set())
    yaml_cache.install()


def project_fingerprints() -> tuple:
    importer = TrainingDataImporter.load_from_config(
        str(REPO_ROOT / "config.yml"), str(REPO_ROOT / "domain.yml"), [str(REPO_ROOT / "data")]
    )
    return (
        importer.get_nlu_data().fingerprint(),
        importer.get_domain().fingerprint(),
        importer.get_stories().fingerprint(),
    )


def test_the_project_reads_the_same_three_times(monkeypatch):
    rasas = project_fingerprints()
    monkeypatch.setattr(yaml_cache, "_parsed", {})
    monkeypatch.setattr(yaml_cache, "_valid", set())
    monkeypatch.setattr(rasa.shared.utils.io, "read_yaml", yaml_cache.read_yaml)
    monkeypatch.setattr(rasa.shared.utils.validation, "validate_yaml_schema", yaml_cache.validate_yaml_schema)
    assert [project_fingerprints() for _ in range(3)] == [rasas] * 3
    assert yaml_cache._parsed and yaml_cache._valid


def test_every_caller_gets_its_own_copy(installed):
    content = "nlu:\n- intent: greet\n  examples: |\n    - 你好\n"
    first = rasa.shared.utils.io.read_yaml(content)
    first["nlu"].append("changed by the first caller")
    assert rasa.shared.utils.io.read_yaml(content) == {"nlu": [{"intent": "greet", "examples": "- 你好\n"}]}


def test_an_invalid_file_fails_every_time(installed):
    invalid = 'version: "3.1"\nnlu:\n- intent: greet\n  examples: 3\n'
    for _ in range(2):
        with pytest.raises(YamlException):
            rasa.shared.utils.validation.validate_yaml_schema(
                invalid, "shared/nlu/training_data/schemas/nlu.yml"
            )
    assert not yaml_cache._valid


def test_an_edited_file_is_read_again(installed):
    assert rasa.shared.utils.io.read_yaml("a: 1\n") == {"a": 1}
    assert rasa.shared.utils.io.read_yaml("a: 2\n") == {"a": 2}
