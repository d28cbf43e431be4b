"""var/ is private: dev tokens, SQLite databases and logs readable by their user only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xiaoer import run


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    var = tmp_path / "var"
    monkeypatch.setattr(run, "TOKENS_FILE", var / "dev-tokens.env")
    monkeypatch.setattr(run, "VAR_DIR", var)
    for name in run.TOKEN_VARS:
        monkeypatch.delenv(name, raising=False)
    return var


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_dev_tokens_leave_a_private_file_in_a_private_directory(var_dir: Path) -> None:
    run.dev_tokens()
    assert mode(var_dir / "dev-tokens.env") == 0o600
    assert mode(var_dir) == 0o700


def test_a_var_directory_made_before_becomes_private(var_dir: Path) -> None:
    var_dir.mkdir(mode=0o755)
    os.chmod(var_dir, 0o755)  # whatever the test runner's umask
    run.dev_tokens()
    assert mode(var_dir) == 0o700
    assert mode(var_dir / "dev-tokens.env") == 0o600


def test_the_endpoints_copy_goes_into_a_private_directory(var_dir: Path) -> None:
    copy = Path(run.endpoints_file(5999))
    assert copy.parent == var_dir and mode(var_dir) == 0o700
    assert "127.0.0.1:5999/" in copy.read_text()


def test_start_sets_a_private_umask_before_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file the run command and its children create (they inherit the umask) is 0600."""

    class Stop(Exception):
        pass

    seen = []

    def first_step():
        current = os.umask(0o077)
        seen.append(current)
        raise Stop

    monkeypatch.setattr(run, "RunSettings", first_step)
    before = os.umask(0o022)
    try:
        with pytest.raises(Stop):
            run.start()
    finally:
        os.umask(before)
    assert seen == [0o077]
