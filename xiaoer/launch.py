"""Processes started together by `make bench` and `make run-cluster`: on loopback ports, each logging
to a file in one directory, ready when they answer, stopped together (newest first)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

import requests

from xiaoer.settings import REPO_ROOT

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_ok(url: str | None) -> bool:
    try:
        return bool(url) and requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def _sum_over_tree(pid: int, measure: Callable[[int], float]) -> float:
    """`measure` summed over a process and its descendants (from /proc); a process that is gone,
    or whose figures cannot be read, adds nothing."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            total += measure(current)
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, StopIteration, IndexError, ValueError):
            continue
        pending += [int(child) for child in children]
    return total


def _rss_kb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))


def _cpu_ticks(pid: int) -> float:
    # The command name (field 2) may hold spaces: the fields after it start past ")".
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime, stime, and cutime, cstime: children that ended and were waited for.
    return sum(int(value) for value in fields[11:15])


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    return _sum_over_tree(pid, _rss_kb) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children, live or ended, in seconds (/proc)."""
    return _sum_over_tree(pid, _cpu_ticks) / os.sysconf("SC_CLK_TCK")


class Processes:
    def __init__(self, workdir: Path, env: Dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.running: Dict[str, subprocess.Popen] = {}

    def start(
        self,
        name: str,
        args: List[str],
        health_url: str | None = None,
        timeout: float = 300,
        ready: Callable[[], bool] | None = None,
        env: Dict[str, str] | None = None,
    ) -> subprocess.Popen:
        """Start `name` and wait until `health_url` answers 200 (or `ready()` is true)."""
        process = self.spawn(name, args, env)
        self.wait_ready(name, health_url, timeout, ready)
        return process

    def spawn(self, name: str, args: List[str], env: Dict[str, str] | None = None) -> subprocess.Popen:
        """Start `name` without waiting (wait_ready later: several start at once)."""
        log = (self.workdir / f"{name}.log").open("wb")
        process = subprocess.Popen(
            args,
            env={**self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=REPO_ROOT,
        )
        self.running[name] = process
        return process

    def wait_ready(
        self,
        name: str,
        health_url: str | None = None,
        timeout: float = 300,
        ready: Callable[[], bool] | None = None,
    ) -> None:
        process = self.running[name]
        check = ready or (lambda: http_ok(health_url))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = (self.workdir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited during start-up:\n{tail}")
            if check():
                return
            time.sleep(0.5)
        raise RuntimeError(f"{name} did not become ready within {timeout:.0f} s ({health_url or 'check'})")

    def stop_one(self, name: str, timeout: float = 20) -> None:
        process = self.running.pop(name, None)
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)

    def memory(self) -> Dict[str, float]:
        return {name: rss_mb(process.pid) for name, process in self.running.items()}

    def cpu(self) -> Dict[str, float]:
        return {name: cpu_seconds(process.pid) for name, process in self.running.items()}

    def stop(self) -> None:
        """Newest first: the front goes before what it fronts, the databases last."""
        for name in reversed(list(self.running)):
            self.stop_one(name)
