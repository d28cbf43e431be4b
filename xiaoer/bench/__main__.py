"""`python -m xiaoer.bench` (`make bench`): Xiaoer against a bare Rasa echo bot, in one run.

Prints, side by side: sequential p50/p95 (conversations × turns), throughput with concurrent
buyers, the last ten turns of long conversations against their first ten, and every process's CPU
per message and RSS; each with its ratio and the target. Every measure is taken in several rounds,
the two bots alternating, and reported as the median with the range of the rounds' ratios: on a
shared 2-core machine one run of the same tree moves by ±15 %. Also writes results/bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Tuple

from xiaoer.bench import echo
from xiaoer.bench.load import Timings, concurrent, long_conversations, sequential
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


def measure(
    url: str, request, check: str, args: argparse.Namespace, processes: Processes, first_buyer: int
) -> Figures:
    """One round; buyers from `first_buyer` on, so every round starts fresh conversations."""
    seq = sequential(url, request, args.conversations, args.turns, check, first_buyer=first_buyer)
    before = processes.cpu()
    conc = concurrent(
        url, request, args.concurrency, args.seconds, check, first_buyer=first_buyer + args.conversations
    )
    after = processes.cpu()
    answered = max(1, len(conc.ms))
    cpu_ms = {name: (after[name] - before.get(name, 0.0)) * 1000 / answered for name in after}
    long = long_conversations(
        url, request, args.long_turns, check, args.long_conversations,
        first_buyer=first_buyer + args.conversations + args.concurrency,
    )  # fmt: skip
    return Figures(seq, conc, long["first"], long["last"], processes.memory(), cpu_ms)


def buyers_per_round(args: argparse.Namespace) -> int:
    return args.conversations + args.concurrency + args.long_conversations


def median(values: List[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(xiaoer: List[Figures], baseline: List[Figures], args: argparse.Namespace) -> str:
    """Each figure is the median over the rounds; each ratio the median of the rounds' ratios, with
    their range (a round measures both bots back to back, so a ratio compares like with like)."""

    def figure(rounds: List[Figures], get: Callable[[Figures], float]) -> float:
        return median([get(f) for f in rounds])

    def spread(pairs: Iterable[Tuple[float, float]]) -> Tuple[str, str]:
        """The median of a/b over the rounds, and its range; a round with b = 0 or a figure
        missing (nan: nothing measured) has no ratio."""
        ratios = [r for r in (a / b for a, b in pairs if b) if r == r]
        if not ratios:
            return "n/a", ""
        return f"{median(ratios):.2f}x", (f"{min(ratios):.2f}-{max(ratios):.2f}x" if len(ratios) > 1 else "")

    def ratio(get: Callable[[Figures], float]) -> Tuple[str, str]:
        return spread((get(ours), get(theirs)) for ours, theirs in zip(xiaoer, baseline, strict=True))

    def row(label: str, get: Callable[[Figures], float], digits: int, unit: str, target: str = "") -> tuple:
        ours, theirs = figure(xiaoer, get), figure(baseline, get)
        return (label, f"{ours:.{digits}f}{unit}", f"{theirs:.{digits}f}{unit}", *ratio(get), target)

    seq_p50, seq_p95 = attrgetter("sequential.p50"), attrgetter("sequential.p95")
    per_second, conc_p95 = attrgetter("concurrent.per_second"), attrgetter("concurrent.p95")
    first, last = attrgetter("first_turns.p95"), attrgetter("last_turns.p95")
    per_core = attrgetter("per_core_second")

    long = (
        f"p95 of turns 1-10 / of the last 10 of {args.long_turns} ({args.long_conversations} conversations)"
    )
    growth, growth_spread = spread((last(f), first(f)) for f in xiaoer)
    rows = [
        ("measure", "Xiaoer", "echo bot", "ratio", f"ratio range, {len(xiaoer)} rounds", "target"),
        row(f"sequential p50 ({args.conversations} buyers x {args.turns} turns)", seq_p50, 0, " ms"),
        row("sequential p95", seq_p95, 0, " ms", "<= 2x"),
        row(f"throughput, {args.concurrency} buyers for {args.seconds:.0f} s", per_second, 1, " msg/s", ">= 0.5x"),
        row("  p95 under that load", conc_p95, 0, " ms"),
        (
            long,
            f"{figure(xiaoer, first):.0f} / {figure(xiaoer, last):.0f} ms",
            f"{figure(baseline, first):.0f} / {figure(baseline, last):.0f} ms",
            growth, growth_spread, "<= 1.5x (Xiaoer, last/first)",
        ),
        row("messages per CPU core-second (all processes)", per_core, 1, ""),
    ]  # fmt: skip

    def per_process(label: str, text: str, ours: bool) -> tuple:
        return (label, *((text, "") if ours else ("", text)), "", "", "")

    for name in sorted(set(xiaoer[-1].cpu_ms) | set(baseline[-1].cpu_ms)):
        ours = name in xiaoer[-1].cpu_ms
        value = median([f.cpu_ms[name] for f in (xiaoer if ours else baseline)])
        rows.append(per_process(f"CPU per message under load, {name}", f"{value:.1f} ms", ours))
    for name in sorted(set(xiaoer[-1].memory) | set(baseline[-1].memory)):
        ours = name in xiaoer[-1].memory
        value = (xiaoer if ours else baseline)[-1].memory[name]
        rows.append(per_process(f"RSS {name}", f"{value:.0f} MB", ours))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    errors = sum(f.concurrent.errors for f in xiaoer), sum(f.concurrent.errors for f in baseline)
    if any(errors):
        lines.append(f"errors under load: Xiaoer {errors[0]}, echo bot {errors[1]}")
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
    parser.add_argument(
        "--long-conversations", type=int, default=3, help="long conversations per round, their turns pooled"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of every measure, alternating bots; figures are medians"
    )
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
        per_round = buyers_per_round(args)

        # Both bots stay up, and each round measures one and then the other: the machine's drift
        # between rounds (it is shared) then moves both sides of a ratio alike.
        baseline_processes = Processes(workdir, dict(env))
        processes = Processes(workdir, dict(env))
        baseline: List[Figures] = []
        xiaoer: List[Figures] = []
        try:
            url = echo.start(baseline_processes, project)

            def echo_request(i: int, turn: int) -> tuple:
                return f"echo_{i}", {}, {"sender": f"echo_{i}", "message": f"订单{order_of(i)}到哪了"}

            stack = XiaoerStack(processes, args.model)
            print("bench: starting Xiaoer…", flush=True)
            warm_up_buyer = per_round * args.rounds
            stack.start(warm_up_buyer + 1)
            headers = {i: stack.headers(buyer_of(i)) for i in range(warm_up_buyer + 1)}

            def xiaoer_request(i: int, turn: int) -> tuple:
                return buyer_of(i), headers[i], {"message": f"订单{order_of(i)}到哪了"}

            # Not measured: a process's first messages build TensorFlow's graphs and warm caches.
            sequential(url, echo_request, 1, 5, "收到", first_buyer=warm_up_buyer)
            sequential(stack.url, xiaoer_request, 1, 5, "JDBENCH", first_buyer=warm_up_buyer)
            for number in range(args.rounds):
                first_buyer = number * per_round
                print(f"bench: round {number + 1} of {args.rounds}: the echo bot…", flush=True)
                baseline.append(measure(url, echo_request, "收到", args, baseline_processes, first_buyer))
                print(f"bench: round {number + 1} of {args.rounds}: Xiaoer…", flush=True)
                xiaoer.append(measure(stack.url, xiaoer_request, "JDBENCH", args, processes, first_buyer))
        finally:
            processes.stop()
            baseline_processes.stop()

    print()
    print(table(xiaoer, baseline, args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "xiaoer": [as_json(f) for f in xiaoer],
                "echo": [as_json(f) for f in baseline],
                "args": vars(args),
            },
            default=str,
            indent=2,
        )
    )
    print(f"\n(also in {args.out}: every round)")


if __name__ == "__main__":
    main()
