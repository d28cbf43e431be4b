#!/usr/bin/env bash
# The whole test suite from a fresh machine. `make test` and .ci/run call this.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2
BIN=.venv/bin
step() { printf '\n== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

step "setup"
bash scripts/setup.sh --test

step "lint"
$BIN/ruff check .
$BIN/ruff format --check .
$BIN/lint-imports --no-cache

step "rasa data validate"
$BIN/python scripts/validate_data.py

step "rasa train"
$BIN/python -m xiaoer.run train

step "rasa conversation tests (tests/test_*.yml)"
# --e2e: NLU runs on the user text of each step and must predict the story's intent and entities.
$BIN/rasa test core --e2e --stories tests --model models/xiaoer.tar.gz \
  --fail-on-prediction-errors --out results/dialogue

step "pytest: store backend, demo data, actions, end-to-end"
# Last, so its summary line closes the run.
$BIN/python -m pytest tests
