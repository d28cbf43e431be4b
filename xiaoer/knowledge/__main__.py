"""python -m xiaoer.knowledge {build,check,validate}: the trainers' knowledge-base commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xiaoer.knowledge.build import ROOT, Paths, build, load_valid, stale
from xiaoer.knowledge.model import KnowledgeError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xiaoer.knowledge", description=__doc__)
    parser.add_argument(
        "command",
        choices=["build", "check", "validate"],
        help="build: write data/nlu/faq/ from knowledge/; check: fail if data/nlu/faq/ is stale or "
        "the knowledge is invalid; validate: only check the knowledge files",
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="project root (default: this checkout)")
    parser.add_argument("--knowledge", type=Path, help="knowledge directory (default: ROOT/knowledge)")
    parser.add_argument("--out", type=Path, help="generated data directory (default: ROOT/data/nlu/faq)")
    parser.add_argument(
        "--domain", type=Path, help="domain file for intent checks (default: ROOT/domain.yml)"
    )
    args = parser.parse_args(argv)
    default = Paths.default(args.root)
    paths = Paths(
        knowledge=args.knowledge or default.knowledge,
        out=args.out or default.out,
        domain=args.domain or default.domain,
        root=args.root,
    )
    try:
        if args.command == "validate":
            knowledge = load_valid(paths)
            print(_summary(knowledge))
            return 0
        if args.command == "build":
            written = build(paths)
            print(_summary(load_valid(paths)))
            print(f"knowledge: {len(written)} generated file(s) changed in {paths.out}")
            return 0
        reasons = stale(paths)
    except KnowledgeError as exc:
        print(f"knowledge: {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if reasons:
        print("knowledge: data/nlu/faq is stale; run `make knowledge`:", file=sys.stderr)
        for reason in reasons:
            print(f"  {reason}", file=sys.stderr)
        return 1
    print("knowledge: data/nlu/faq is up to date")
    return 0


def _summary(knowledge) -> str:
    entries = sum(len(c.entries) for c in knowledge.categories)
    examples = sum(1 + len(e.variants) for c in knowledge.categories for e in c.entries)
    return (
        f"knowledge: {len(knowledge.categories)} categories, {entries} entries, {examples} examples — valid"
    )


if __name__ == "__main__":
    sys.exit(main())
