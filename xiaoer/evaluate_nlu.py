"""`python -m xiaoer.evaluate_nlu`: NLU cross-validation and its intent macro-F1.

Runs `rasa test nlu --cross-validation` on data/ and prints the figures the
README records. Reports land in results/nlu-cv/ (intent_report.json, confusion
matrix, errors).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from xiaoer.settings import REPO_ROOT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--out", default="results/nlu-cv")
    args = parser.parse_args()
    out = REPO_ROOT / args.out
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    started = time.monotonic()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "rasa"), "test", "nlu", "--nlu", "data",
            "--config", "config.yml", "--cross-validation", "--folds", str(args.folds),
            "--out", str(out),
        ],
        cwd=REPO_ROOT,
        env=env,
        check=True,
    )  # fmt: skip
    report = json.loads((out / "intent_report.json").read_text())
    macro = report["macro avg"]
    print(
        f"\nNLU cross-validation ({args.folds} folds), {date.today().isoformat()}, {time.monotonic() - started:.0f} s"
    )
    print(f"  intent macro-F1   {macro['f1-score']:.3f}")
    print(f"  intent macro-P/R  {macro['precision']:.3f} / {macro['recall']:.3f}")
    print(f"  intent accuracy   {report['accuracy']:.3f}")
    worst = sorted(
        (
            (k, v["f1-score"])
            for k, v in report.items()
            if isinstance(v, dict) and "support" in v and k not in ("macro avg", "weighted avg", "micro avg")
        ),
        key=lambda kv: kv[1],
    )[:5]
    print("  weakest intents   " + ", ".join(f"{k} {f:.2f}" for k, f in worst))
    entity_report = out / "DIETClassifier_report.json"
    if entity_report.exists():
        entities = json.loads(entity_report.read_text())
        print(f"  entity macro-F1   {entities['macro avg']['f1-score']:.3f} (DIET)")


if __name__ == "__main__":
    main()
