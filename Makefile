# Everyday commands. Each sets up .venv first (and again when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: install serve test lint format bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## serve: migrate and serve on http://127.0.0.1:8000 (ARGS=--demo loads sample events)
serve: install
	$(BIN)/sitrep serve $(ARGS)

## test: every test; PostgreSQL ones need SITREP_TEST_POSTGRES_URL
test: install
	$(BIN)/pytest $(ARGS)

## lint: ruff and mypy, as CI runs them
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app tests

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: the benchmark suite (bench/run.py); needs wrk (apt-get install wrk)
bench: install
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.run $(ARGS)
