# Two commands from a fresh clone: `make demo` and `make test`. Everything else is set up here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)

.PHONY: demo test dev lint bench clean install browser postgres lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml deploy/constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c deploy/constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make demo: the simulator, the last 7 complete days of every asset through the Dagster CLI, a summary.
## `make demo VARIANT=independent` (or spreadsheet) serves another faithful rendering: the summary is the same.
VARIANT ?= default
demo: $(STAMP)
	$(BIN)/python -m chat_assets.demo run --variant $(VARIANT)

## make test: lint and format check, `dg check defs`/`dg list defs`, then the whole test suite
## (unit, simulator integration, Dagster end-to-end, UI)
test: $(STAMP) browser postgres
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m chat_assets.demo check
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

## make dev: the simulator plus `dagster dev` on http://127.0.0.1:3000
dev: $(STAMP)
	$(BIN)/python -m chat_assets.demo dev

## make bench: a 365-day backfill of every vendor through the CLI against the bound the vendors' limits
## impose (100 ms a request), normalization against pyarrow's JSON/CSV readers on 150,000-message days,
## a year of derived tables, sentiment throughput. Every figure also prints as `BENCH <name> <value> <unit>`.
## `make bench SHORT=1`: the same on 7 days and smaller days, in a few minutes (what CI can afford).
SHORT ?=
bench: $(STAMP)
	$(BIN)/python -m benchmarks.backfill $(if $(SHORT),--short)
	$(BIN)/python -m benchmarks.normalize $(if $(SHORT),--messages 30000 --repeat 2)
	$(BIN)/python -m benchmarks.derived $(if $(SHORT),--days 30)
	$(BIN)/python -m benchmarks.sentiment $(if $(SHORT),--messages 30000)

# Debian's chromium for the UI test; installed where this user may (root), else that one test skips.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; } || \
	  echo "chromium not installed: the UI test will be skipped"

# Debian's PostgreSQL server for the production tests (they start their own temporary cluster).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null; } || \
	  echo "PostgreSQL not installed: the production tests will be skipped (CI requires them)"

## make lock: re-resolve every dependency (dev and deploy) into deploy/constraints.txt
lock:
	rm -rf /tmp/chat_assets_lock && $(PYTHON) -m venv /tmp/chat_assets_lock
	/tmp/chat_assets_lock/bin/pip install --quiet --upgrade pip
	/tmp/chat_assets_lock/bin/pip install --quiet -e '.[dev,deploy]'
	{ echo "# Exact versions for make install, CI and deploy/Dockerfile (one resolve, used everywhere)."; \
	  echo "# Regenerate with \`make lock\` after changing dependencies in pyproject.toml."; \
	  /tmp/chat_assets_lock/bin/pip freeze --exclude-editable; } > deploy/constraints.txt

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf data/raw data/warehouse data/inbox data/state data/dagster .pytest_cache
