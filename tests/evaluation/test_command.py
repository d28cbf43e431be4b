"""`python -m xiaoer.evaluate` end to end on the trained model, with no store running."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import free_port
from xiaoer.evaluation.heldout import load_dir
from xiaoer.settings import REPO_ROOT

# CI trains models/xiaoer.tar.gz before pytest; a developer may point at another model.
MODEL = Path(os.environ.get("XIAOER_TEST_MODEL") or REPO_ROOT / "models" / "xiaoer.tar.gz")


def _run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "xiaoer.evaluate", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_reports_every_heldout_message_on_the_trained_model(tmp_path):
    # A port nobody listens on: the NLU's catalogue lookups must fall back, not fail.
    result = _run(
        "--model",
        str(MODEL),
        "--out",
        str(tmp_path),
        env={"XIAOER_STORE_URL": f"http://127.0.0.1:{free_port()}"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    messages = load_dir(REPO_ROOT / "eval" / "heldout")
    assert report["data"]["heldout_messages"] == len(messages)
    assert report["intents"]["support"] == len(messages)
    assert sum(m["support"] for m in report["intents"]["per_intent"].values()) == len(messages)
    assert 0.0 < report["intents"]["macro_f1"] <= 1.0
    assert 0.0 < report["trigger"]["rate"] <= 1.0
    assert report["trigger"]["threshold"] > 0.0, report["threshold_source"]
    assert report["overlaps"] == []
    if report["data"]["heldout_kb_messages"]:
        assert 0.0 <= report["faq"]["top1"] <= report["faq"]["top3"] <= 1.0
        assert 0.0 <= report["baseline"]["top1"] <= report["baseline"]["top3"] <= 1.0
    assert "intent macro-F1" in result.stdout and "answer trigger rate" in result.stdout
    assert (tmp_path / "report.md").read_text(encoding="utf-8").startswith("# Xiaoer NLU evaluation")
    assert "<table>" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_missing_model_is_a_clear_error(tmp_path):
    result = _run("--model", str(tmp_path / "nope.tar.gz"), "--out", str(tmp_path))
    assert result.returncode == 2
    assert "No trained model" in result.stderr
    assert not (tmp_path / "report.json").exists()


def test_malformed_heldout_file_is_a_clear_error(tmp_path):
    (tmp_path / "bad.yml").write_text("messages:\n  - text: 你好\n", encoding="utf-8")
    result = _run("--model", str(MODEL), "--heldout", str(tmp_path), "--out", str(tmp_path))
    assert result.returncode == 2
    assert "bad.yml:2: 'intent' must be a non-empty string" in result.stderr
