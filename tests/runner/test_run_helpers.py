"""The run command's dev tokens and model staleness."""

from __future__ import annotations

from pathlib import Path

import pytest

from xiaoer import run


@pytest.fixture
def tokens_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "var" / "dev-tokens.env"
    monkeypatch.setattr(run, "TOKENS_FILE", path)
    monkeypatch.setattr(run, "VAR_DIR", path.parent)
    for var in run.TOKEN_VARS:
        monkeypatch.delenv(var, raising=False)
    return path


def test_unset_tokens_are_generated_once_and_kept_private(tokens_file: Path) -> None:
    first = run.dev_tokens()
    assert all(len(first[v]) >= 24 for v in run.TOKEN_VARS)
    assert first["XIAOER_STORE_TOKEN"] != first["XIAOER_RASA_TOKEN"]
    assert tokens_file.stat().st_mode & 0o777 == 0o600
    assert run.dev_tokens() == first  # the next start reuses them


def test_tokens_from_the_environment_win_and_are_not_written(
    tokens_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = {name: f"from-env-{i}" for i, name in enumerate(run.TOKEN_VARS)}
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    assert run.dev_tokens() == given
    assert not tokens_file.exists()


def test_every_secret_is_generated_and_the_dev_tools_can_read_them(tokens_file: Path) -> None:
    generated = run.dev_tokens()
    assert set(run.TOKEN_VARS) >= {"XIAOER_BUYER_TOKEN_SECRET", "XIAOER_STORE_READ_TOKEN"}
    assert len(set(generated.values())) == len(run.TOKEN_VARS)  # no two secrets alike
    assert run.saved_dev_secret("XIAOER_BUYER_TOKEN_SECRET") == generated["XIAOER_BUYER_TOKEN_SECRET"]
    assert run.saved_dev_secret("XIAOER_NOT_A_SECRET") == ""


def test_fingerprint_changes_with_training_data_only(tmp_path: Path) -> None:
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "config.yml").write_text("language: zh\n")
    (tmp_path / "domain.yml").write_text("intents: [greet]\n")
    (tmp_path / "data" / "nlu" / "a.yml").write_text("nlu: []\n")
    (tmp_path / "README.md").write_text("docs\n")
    before = run.training_fingerprint(tmp_path)
    (tmp_path / "README.md").write_text("other docs\n")
    assert run.training_fingerprint(tmp_path) == before
    (tmp_path / "data" / "nlu" / "a.yml").write_text("nlu: [x]\n")
    assert run.training_fingerprint(tmp_path) != before
    # The code and table that normalise the training data are inputs too; compiled files are not.
    changed = run.training_fingerprint(tmp_path)
    (tmp_path / "xiaoer" / "nlu" / "__pycache__").mkdir(parents=True)
    (tmp_path / "xiaoer" / "nlu" / "__pycache__" / "cards.pyc").write_bytes(b"x")
    assert run.training_fingerprint(tmp_path) == changed
    (tmp_path / "vocabulary").mkdir()
    (tmp_path / "vocabulary" / "regional.yml").write_text("regional:\n  冷氣: 空调\n")
    assert run.training_fingerprint(tmp_path) != changed


def test_model_is_stale_without_model_or_with_another_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, fingerprint = tmp_path / "xiaoer.tar.gz", tmp_path / "xiaoer.fingerprint"
    monkeypatch.setattr(run, "MODEL", model)
    monkeypatch.setattr(run, "FINGERPRINT", fingerprint)
    monkeypatch.setattr(run, "training_fingerprint", lambda: "abc")
    assert run.model_is_stale()
    model.write_bytes(b"model")
    fingerprint.write_text("abc")
    assert not run.model_is_stale()
    fingerprint.write_text("old")
    assert run.model_is_stale()


def test_non_default_action_port_gets_its_own_endpoints_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "VAR_DIR", tmp_path)
    assert run.endpoints_file(5055).endswith("/endpoints.yml")
    copy = Path(run.endpoints_file(6055))
    assert copy.parent == tmp_path
    assert "http://127.0.0.1:6055/webhook" in copy.read_text()
