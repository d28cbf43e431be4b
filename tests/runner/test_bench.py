"""`make bench` on a small run: both bots are started, measured and stopped, and the table has
every figure with its ratio."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import MODEL, ROOT


def test_bench_measures_xiaoer_beside_the_echo_bot(tmp_path: Path) -> None:
    assert MODEL.exists(), "make test trains the model before pytest"
    out = tmp_path / "bench.json"
    args = [
        "--conversations",
        "2",
        "--turns",
        "2",
        "--concurrency",
        "2",
        "--seconds",
        "2",
        "--long-turns",
        "12",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "xiaoer.bench", *args, "--model", str(MODEL), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for row in (
        "sequential p95",
        "throughput, 2 buyers",
        "turns 1-10",
        "RSS rasa",
        "RSS echo-rasa",
        "RSS actions",
        "CPU per message under load, rasa",
        "messages per CPU core-second",
    ):
        assert row in result.stdout, result.stdout
    figures = json.loads(out.read_text())
    for bot in ("xiaoer", "echo"):
        assert figures[bot]["sequential"]["messages"] == 4
        assert figures[bot]["concurrent"]["messages"] > 0 and figures[bot]["concurrent"]["errors"] == 0
        assert figures[bot]["sequential"]["p95_ms"] > 0
    assert set(figures["xiaoer"]["rss_mb"]) == {"store", "actions", "rasa"}
    # Every process spent CPU answering; Rasa is where a message's NLU and dialogue run.
    cpu = figures["xiaoer"]["cpu_ms_per_message"]
    assert set(cpu) == {"store", "actions", "rasa"} and cpu["rasa"] > 0
    assert figures["xiaoer"]["messages_per_core_second"] == 1000 / sum(cpu.values())
