# Everyday commands. Each sets up .venv and the explorer's npm packages first (and again when
# pyproject.toml or package-lock.json changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: install serve test lint format bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The explorer's map and chart libraries, from npm; the API runs without them.
EXPLORER := app/explorer
$(EXPLORER)/node_modules/.package-lock.json: $(EXPLORER)/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix $(EXPLORER) --no-audit --no-fund; \
	else echo "npm not found: the explorer at / needs Node.js and npm (the API works without)"; fi

install: $(VENV)/.installed $(EXPLORER)/node_modules/.package-lock.json

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
