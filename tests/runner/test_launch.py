"""Process accounting the benchmark and the clustered run report: CPU time and memory from /proc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from xiaoer.launch import cpu_seconds, rss_mb

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < {0}: pass\n"
# A parent that sleeps while one child burns CPU and ends, and another burns and stays alive.
PARENT = f"""
import subprocess, sys, time
subprocess.run([sys.executable, "-c", {BURN.format(0.4)!r}])
subprocess.Popen([sys.executable, "-c", {BURN.format(0.4) + "time.sleep(30)"!r}])
time.sleep(30)
"""


def test_cpu_seconds_counts_children_that_ended_and_children_still_running():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while cpu_seconds(parent.pid) < 0.8 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert cpu_seconds(parent.pid) >= 0.8
        assert rss_mb(parent.pid) > 5  # two Python interpreters
    finally:
        os.killpg(parent.pid, signal.SIGKILL)  # the sleeping child too
        parent.wait()


def test_a_process_that_is_gone_costs_nothing():
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    assert cpu_seconds(ended.pid) == 0.0 and rss_mb(ended.pid) == 0.0
