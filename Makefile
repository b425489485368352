# Two commands from a fresh clone: `make demo` and `make test`. Everything else is set up here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)

.PHONY: demo test dev lint bench clean install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make demo: the simulator, the last 7 complete days of every asset through the Dagster CLI, a summary
demo: $(STAMP)
	$(BIN)/python -m chat_assets.demo run

## make test: lint, then the whole test suite (unit, simulator integration, Dagster end-to-end)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -q

## make dev: the simulator plus `dagster dev` on http://127.0.0.1:3000
dev: $(STAMP)
	$(BIN)/python -m chat_assets.demo dev

## make bench: normalization and sentiment throughput, peak memory, on simulated 150,000-message days
bench: $(STAMP)
	$(BIN)/python -m benchmarks.normalize
	$(BIN)/python -m benchmarks.sentiment

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf data/raw data/warehouse data/inbox data/state data/dagster .pytest_cache
