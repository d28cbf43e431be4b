"""The layering rules of docs/architecture.md, enforced."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ROOT / "xiaoer" / "settings.py"


def test_layers_and_forbidden_imports_hold():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def environment_reads(tree: ast.AST) -> list[int]:
    """Lines that read a variable: os.getenv(…), os.environ.get(…), os.environ[…], … in os.environ.

    Copying the whole environment for a child process, or setting variables, is not reading one.
    """
    found = []

    def is_environ(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "environ"

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "getenv" or (node.func.attr == "get" and is_environ(node.func.value)):
                found.append(node.lineno)
        elif isinstance(node, ast.Subscript) and is_environ(node.value) and isinstance(node.ctx, ast.Load):
            found.append(node.lineno)
        elif isinstance(node, ast.Compare) and any(is_environ(c) for c in node.comparators):
            found.append(node.lineno)
    return found


def test_only_the_settings_module_reads_the_environment():
    offenders = []
    for path in sorted([*ROOT.glob("xiaoer/**/*.py"), *ROOT.glob("actions/**/*.py")]):
        if path == SETTINGS:
            continue
        lines = environment_reads(ast.parse(path.read_text(encoding="utf-8")))
        offenders += [f"{path.relative_to(ROOT)}:{line}" for line in lines]
    assert offenders == []


def test_the_check_finds_a_read():
    assert environment_reads(ast.parse("import os\nx = os.environ.get('A')\ny = os.environ['B']")) == [2, 3]
    assert environment_reads(ast.parse("import os\nenv = dict(os.environ)\nos.environ.update(env)")) == []


def test_the_shared_bottom_loads_without_rasa_or_tensorflow():
    code = (
        "import sys\n"
        "import xiaoer.settings, xiaoer.text, xiaoer.vocabulary\n"
        "import xiaoer.storeapi.client, xiaoer.storeapi.orders, xiaoer.storeapi.lifecycle\n"
        "import xiaoer.rasa_ext.client, xiaoer.rasa_ext.trackers\n"
        "heavy = sorted(m for m in ('rasa', 'tensorflow', 'rasa_sdk') if m in sys.modules)\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
