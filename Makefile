# Lasting — the two commands a newcomer needs are `make demo` and `make test`.
# Both create .venv/ and install the pinned dependencies themselves.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed

.PHONY: demo test test-clocks install lock lint typecheck check clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

## Set everything up and run the demo clinic on http://127.0.0.1:8000 (web + worker).
demo: $(STAMP)
	$(BIN)/lasting demo

## Set everything up and run the whole test suite (SQLite, database task backend).
test: $(STAMP)
	$(BIN)/pytest -q

## The suite again at each pinned wall-clock instant of tests/clocks.txt (CI runs this too).
# The browser tests run in the two full passes, not at the pinned instants: the pin moves
# Python's clock only, Chromium keeps the real one, so there they would mix two clocks;
# the server code they drive is tested at every instant by the page tests. Nor do the
# pure core's tests: neither the core nor they read the clock
# (tests/core/test_no_wall_clock.py), so a pin changes nothing there.
test-clocks: $(STAMP)
	@for instant in $$(grep -v '^#' tests/clocks.txt); do \
		echo "-- wall clock starts at $$instant"; \
		$(BIN)/pytest -q -p no:cacheprovider -m "not e2e" --ignore=tests/core --clock "$$instant" || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/lint-imports

check: $(STAMP)
	$(BIN)/python -m django check --settings=lasting.settings
	$(BIN)/python -m django makemigrations --check --dry-run --settings=lasting.settings

## Re-pin every dependency after editing pyproject.toml.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
