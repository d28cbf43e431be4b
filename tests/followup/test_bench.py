"""The benchmark itself, on a small run: it counts what it claims and finds no duplicate or loss."""

from __future__ import annotations

import math

from xiaoer.followup.bench import bench, percentile


def test_a_small_benchmark_run_delivers_everything_once(capsys):
    figures = bench(events=400, buyers=40)

    assert figures["events"] == 400
    assert figures["duplicates"] == 0
    assert figures["losses"] == 0
    assert figures["events_per_second"] > 0
    # Every job ended sent or skipped (with its reason); none is left claimed or pending.
    assert set(figures["jobs"]) <= {"sent", "skipped"}
    assert figures["delivered"] == figures["jobs"]["sent"] > 0
    assert 0 <= figures["lag_p50_ms"] <= figures["lag_p95_ms"] <= figures["lag_max_ms"]
    out = capsys.readouterr().out
    assert "bench: 400 events, 40 buyers:" in out and "duplicates 0; losses 0" in out


def test_percentile_of_nothing_and_of_a_few_values():
    assert math.isnan(percentile([], 0.5))  # no lag measured is not a zero lag
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.95) == 4.0
