# Xiaoer — `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.DEFAULT_GOAL := help
.PHONY: help setup run train knowledge validate lint format test test-dialogue evaluate evaluate-cv vendor lock clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

setup: ## Create .venv (Python 3.10) and install the pinned dependencies
	@bash scripts/setup.sh

run: setup ## Set up, train if needed, and start store, action server, Rasa, console and follow-up engine
	@$(BIN)/python -m xiaoer.run

train: setup ## Train the Rasa model into models/
	@$(BIN)/python -m xiaoer.run train

# Minutes, not a full train, after NLU examples or knowledge variants changed (docs/nlu-tuning.md).
# Rasa refuses it after any change to config.yml other than epochs, to the domain, or to the set
# of intents/entities: then `make train`. Records the fingerprint so `make run` keeps the model.
.PHONY: finetune
finetune: setup ## Fine-tune models/xiaoer.tar.gz on edited NLU examples / knowledge variants (20% of the epochs)
	@PYTHONHASHSEED=0 $(BIN)/python -m xiaoer.rasa_ext.train --finetune models/xiaoer.tar.gz --epoch-fraction 0.2 --fixed-model-name xiaoer --out models
	@$(BIN)/python -c "from xiaoer.run import FINGERPRINT, training_fingerprint; FINGERPRINT.write_text(training_fingerprint())"

knowledge: setup ## Build data/nlu/faq from knowledge/
	@$(BIN)/python -m xiaoer.knowledge build

validate: setup ## Check domain, stories, rules and NLU data for mistakes
	@$(BIN)/python scripts/validate_data.py

lint: setup ## ruff lint and format check, and the import rules between layers (docs/architecture.md)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/lint-imports --no-cache

format: setup ## ruff fix and format
	@$(BIN)/ruff check --fix .
	@$(BIN)/ruff format .

test: ## The whole suite, from a fresh machine: setup, lint, validate, train, pytest, dialogue tests
	@bash scripts/test.sh

test-dialogue: ## Rasa conversation tests (tests/test_*.yml) against the trained model
	@$(BIN)/rasa test core --e2e --stories tests/ --model models/xiaoer.tar.gz --fail-on-prediction-errors --out results/dialogue

.PHONY: run-cluster
run-cluster: setup ## Several replicas on one machine: nginx :5080, Rasa x2, actions x2, PostgreSQL, Redis, RabbitMQ (docs/scaling.md)
	@bash scripts/setup.sh --cluster
	@$(BIN)/python -m xiaoer.cluster

.PHONY: followup-report bench-followup bench
bench: setup ## Per-message speed beside a bare Rasa echo bot trained in the same run (p50/p95, throughput, turn 200 vs 10, RSS)
	@test -f models/xiaoer.tar.gz || $(BIN)/python -m xiaoer.run train
	@$(BIN)/python -m xiaoer.bench

followup-report: setup ## Follow-up engine: per-scenario sent / skipped / failed / converted counts and GMV
	@$(BIN)/python -m xiaoer.followup report

bench-followup: setup ## Follow-up engine benchmark: 100,000 events over 10,000 buyers on loopback
	@$(BIN)/python -m xiaoer.followup bench

evaluate: setup ## Trained model on the held-out set eval/heldout: report in results/evaluation (MODEL=path)
	@$(BIN)/python -m xiaoer.evaluate --model $(or $(MODEL),models/xiaoer.tar.gz)

evaluate-cv: setup ## NLU cross-validation report (results/nlu-cv), intent macro-F1 printed
	@$(BIN)/python -m xiaoer.evaluate_nlu

vendor: ## Re-fetch the console's front-end libraries from npm and check them (static/vendor/MANIFEST)
	@bash scripts/vendor.sh

lock: ## Re-pin requirements.lock from the current .venv
	@$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean: ## Remove models, results and runtime state (keeps .venv)
	rm -rf models results .rasa var
