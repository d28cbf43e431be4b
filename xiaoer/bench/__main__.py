"""`python -m xiaoer.bench` (`make bench`): Xiaoer against a bare Rasa echo bot, in one run.

Prints, side by side: sequential p50/p95 (conversations × turns), throughput with concurrent
buyers, the last ten turns of a long conversation against its first ten, and every process's RSS;
each with its ratio and the target. Also writes results/bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict

from xiaoer.bench import echo
from xiaoer.bench.load import Timings, concurrent, long_conversation, sequential
from xiaoer.bench.stack import XiaoerStack, buyer_of, order_of
from xiaoer.launch import Processes
from xiaoer.settings import REPO_ROOT, RasaServerSettings


@dataclass
class Figures:
    sequential: Timings
    concurrent: Timings
    first_turns: Timings
    last_turns: Timings
    memory: Dict[str, float]
    # CPU milliseconds each process spent per message answered under concurrent load: what a
    # message costs a core, the figure docs/scaling.md sizes hosts with.
    cpu_ms: Dict[str, float]

    @property
    def per_core_second(self) -> float:
        total = sum(self.cpu_ms.values())
        return 1000 / total if total else float("nan")


def measure(url: str, request, check: str, args: argparse.Namespace, processes: Processes) -> Figures:
    seq = sequential(url, request, args.conversations, args.turns, check)
    before = processes.cpu()
    conc = concurrent(url, request, args.concurrency, args.seconds, check, first_buyer=args.conversations)
    after = processes.cpu()
    answered = max(1, len(conc.ms))
    cpu_ms = {name: (after[name] - before.get(name, 0.0)) * 1000 / answered for name in after}
    long = long_conversation(
        url, request, args.long_turns, check, buyer=args.conversations + args.concurrency
    )
    return Figures(seq, conc, long["first"], long["last"], processes.memory(), cpu_ms)


def table(xiaoer: Figures, baseline: Figures, args: argparse.Namespace) -> str:
    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}x" if b else "n/a"

    rows = [
        ("measure", "Xiaoer", "echo bot", "ratio", "target"),
        (
            f"sequential p50 ({args.conversations} buyers x {args.turns} turns)",
            f"{xiaoer.sequential.p50:.0f} ms", f"{baseline.sequential.p50:.0f} ms",
            ratio(xiaoer.sequential.p50, baseline.sequential.p50), "",
        ),
        (
            "sequential p95", f"{xiaoer.sequential.p95:.0f} ms", f"{baseline.sequential.p95:.0f} ms",
            ratio(xiaoer.sequential.p95, baseline.sequential.p95), "<= 2x",
        ),
        (
            f"throughput, {args.concurrency} buyers for {args.seconds:.0f} s",
            f"{xiaoer.concurrent.per_second:.1f} msg/s", f"{baseline.concurrent.per_second:.1f} msg/s",
            ratio(xiaoer.concurrent.per_second, baseline.concurrent.per_second), ">= 0.5x",
        ),
        (
            "  p95 under that load", f"{xiaoer.concurrent.p95:.0f} ms", f"{baseline.concurrent.p95:.0f} ms",
            ratio(xiaoer.concurrent.p95, baseline.concurrent.p95), "",
        ),
        (
            f"p95 of turns 1-10 / of the last 10 of {args.long_turns}",
            f"{xiaoer.first_turns.p95:.0f} / {xiaoer.last_turns.p95:.0f} ms",
            f"{baseline.first_turns.p95:.0f} / {baseline.last_turns.p95:.0f} ms",
            ratio(xiaoer.last_turns.p95, xiaoer.first_turns.p95), "<= 1.5x (Xiaoer, last/first)",
        ),
        (
            "messages per CPU core-second (all processes)", f"{xiaoer.per_core_second:.1f}",
            f"{baseline.per_core_second:.1f}", ratio(xiaoer.per_core_second, baseline.per_core_second), "",
        ),
    ]  # fmt: skip
    for name in sorted(set(xiaoer.cpu_ms) | set(baseline.cpu_ms)):
        rows.append(
            (
                f"CPU per message under load, {name}",
                f"{xiaoer.cpu_ms[name]:.1f} ms" if name in xiaoer.cpu_ms else "",
                "" if name in xiaoer.cpu_ms else f"{baseline.cpu_ms[name]:.1f} ms",
                "",
                "",
            )
        )
    for name in sorted(set(xiaoer.memory) | set(baseline.memory)):
        figure = xiaoer.memory.get(name, baseline.memory.get(name, 0.0))
        rows.append(
            (
                f"RSS {name}",
                f"{figure:.0f} MB" if name in xiaoer.memory else "",
                "" if name in xiaoer.memory else f"{figure:.0f} MB",
                "",
                "",
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(5)]
    lines = ["  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    errors = xiaoer.concurrent.errors + baseline.concurrent.errors
    if errors:
        lines.append(
            f"errors under load: Xiaoer {xiaoer.concurrent.errors}, echo bot {baseline.concurrent.errors}"
        )
    return "\n".join(lines)


def as_json(figures: Figures) -> dict:
    def t(timings: Timings) -> dict:
        return {"p50_ms": timings.p50, "p95_ms": timings.p95, "messages": len(timings.ms),
                "per_second": timings.per_second, "errors": timings.errors}  # fmt: skip

    return {
        "sequential": t(figures.sequential),
        "concurrent": t(figures.concurrent),
        "first_turns": t(figures.first_turns),
        "last_turns": t(figures.last_turns),
        "rss_mb": figures.memory,
        "cpu_ms_per_message": figures.cpu_ms,
        "messages_per_core_second": figures.per_core_second,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m xiaoer.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--long-turns", type=int, default=200)
    parser.add_argument("--model", type=Path, default=RasaServerSettings().model)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results" / "bench.json")
    args = parser.parse_args(argv)
    if not args.model.is_file():
        raise SystemExit(f"xiaoer.bench: no model at {args.model}: run `make train`")
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONUNBUFFERED": "1",
    }
    with tempfile.TemporaryDirectory(prefix="xiaoer-bench-") as tmp:
        workdir = Path(tmp)
        print("bench: training the echo bot…", flush=True)
        project = echo.train(workdir, env)
        buyers = args.conversations + args.concurrency + 1

        baseline_processes = Processes(workdir, dict(env))
        try:
            url = echo.start(baseline_processes, project)
            print("bench: measuring the echo bot…", flush=True)

            def echo_request(i: int, turn: int) -> tuple:
                return f"echo_{i}", {}, {"sender": f"echo_{i}", "message": f"订单{order_of(i)}到哪了"}

            baseline = measure(url, echo_request, "收到", args, baseline_processes)
        finally:
            baseline_processes.stop()

        processes = Processes(workdir, dict(env))
        try:
            stack = XiaoerStack(processes, args.model)
            print("bench: starting Xiaoer…", flush=True)
            stack.start(buyers)
            headers = {i: stack.headers(buyer_of(i)) for i in range(buyers)}

            def xiaoer_request(i: int, turn: int) -> tuple:
                return buyer_of(i), headers[i], {"message": f"订单{order_of(i)}到哪了"}

            print("bench: measuring Xiaoer…", flush=True)
            xiaoer = measure(stack.url, xiaoer_request, "JDBENCH", args, processes)
        finally:
            processes.stop()

    print()
    print(table(xiaoer, baseline, args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"xiaoer": as_json(xiaoer), "echo": as_json(baseline), "args": vars(args)}, default=str, indent=2
        )
    )
    print(f"\n(also in {args.out})")


if __name__ == "__main__":
    main()
