"""`python -m xiaoer.evaluate`: the trained model on the held-out set (eval/heldout/*.yml).

Loads the model in-process (no server, no store needed), parses every held-out message (and the
realistic and out-of-scope slices, each reported apart: --slice, --no-slices) and
prints per-intent precision/recall/F1, the most confused pairs, FAQ top-1/top-3 (model and a
TF-IDF baseline) and the answer trigger rate; writes report.md, report.html and report.json.
Held-out texts that equal a training example are reported as overlaps (--strict: exit 1).
Definitions: docs/evaluation.md and the report itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from xiaoer.settings import REPO_ROOT

# Issue 9's second held-out set, written from another angle than eval/heldout (docs/evaluation.md).
DEFAULT_SLICES = {"realistic": "eval/realistic/buyers.yml", "out_of_scope": "eval/realistic/out_of_scope.yml"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xiaoer.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/xiaoer.tar.gz", help="trained model (default %(default)s)")
    parser.add_argument("--heldout", default="eval/heldout", help="held-out directory (default %(default)s)")
    parser.add_argument(
        "--slice",
        action="append",
        metavar="NAME=PATH",
        help="a further held-out file or directory reported as its own slice (repeatable; default: "
        + ", ".join(f"{name}={path}" for name, path in DEFAULT_SLICES.items())
        + ")",
    )
    parser.add_argument("--no-slices", action="store_true", help="only the held-out set")
    parser.add_argument("--data", default="data", help="training data, for the overlap check")
    parser.add_argument(
        "--knowledge", default="knowledge", help="knowledge base, for overlaps and the baseline"
    )
    parser.add_argument("--out", default="results/evaluation", help="report directory (default %(default)s)")
    parser.add_argument("--threshold", type=float, help="override the fallback threshold read from the model")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a held-out text overlaps training data"
    )
    args = parser.parse_args(argv)
    for name, value in {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}.items():
        os.environ.setdefault(name, value)

    from xiaoer.evaluation.heldout import HeldoutError, load_dir, load_file
    from xiaoer.evaluation.report import to_console, write_reports
    from xiaoer.evaluation.run import build_report, load_agent, parse_all, threshold_from_schema

    def resolve(path: str) -> Path:
        return Path(path) if Path(path).is_absolute() else REPO_ROOT / path

    model = resolve(args.model)
    if not model.is_file():
        print(f"No trained model at {model}: run `make train` or pass --model.", file=sys.stderr)
        return 2
    named = dict(item.split("=", 1) for item in args.slice or [] if "=" in item)
    if args.slice and len(named) != len(args.slice):
        print("--slice takes NAME=PATH", file=sys.stderr)
        return 2
    if not named and not args.no_slices:
        named = {name: path for name, path in DEFAULT_SLICES.items() if resolve(path).exists()}
    try:
        messages = load_dir(resolve(args.heldout))
        slices = {
            name: load_dir(resolve(path)) if resolve(path).is_dir() else load_file(resolve(path))
            for name, path in ({} if args.no_slices else named).items()
        }
    except (HeldoutError, OSError) as exc:
        print(f"Held-out data error: {exc}", file=sys.stderr)
        return 2
    agent = load_agent(model)
    metadata = agent.processor.model_metadata
    threshold, source = threshold_from_schema(metadata.predict_schema)
    if args.threshold is not None:
        threshold, source = args.threshold, "--threshold"
    report = build_report(
        messages,
        lambda texts: parse_all(agent, texts),
        data_dir=resolve(args.data),
        knowledge_dir=resolve(args.knowledge),
        threshold=threshold if threshold is not None else 0.0,
        threshold_source=source,
        model=str(model),
        model_trained_at=metadata.trained_at.isoformat(timespec="seconds"),
        slices=slices,
    )
    paths = write_reports(report, resolve(args.out))
    print(to_console(report))
    print("  reports: " + ", ".join(str(p) for p in paths.values()))
    return 1 if args.strict and report["overlaps"] else 0


if __name__ == "__main__":
    sys.exit(main())
