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
        "--long-conversations",
        "2",
        "--rounds",
        "2",
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
    assert "ratio range, 2 rounds" in result.stdout, result.stdout
    saved = json.loads(out.read_text())
    for bot in ("xiaoer", "echo"):
        assert len(saved[bot]) == 2
        for figures in saved[bot]:
            assert figures["sequential"]["messages"] == 4
            assert figures["concurrent"]["messages"] > 0 and figures["concurrent"]["errors"] == 0
            assert figures["sequential"]["p95_ms"] > 0
            # Two long conversations, their first and last ten turns pooled.
            assert figures["first_turns"]["messages"] == figures["last_turns"]["messages"] == 20
    for figures in saved["xiaoer"]:
        assert set(figures["rss_mb"]) == {"store", "actions", "rasa"}
        # Every process spent CPU answering; Rasa is where a message's NLU and dialogue run.
        cpu = figures["cpu_ms_per_message"]
        assert set(cpu) == {"store", "actions", "rasa"} and cpu["rasa"] > 0
        assert figures["messages_per_core_second"] == 1000 / sum(cpu.values())
