# Two commands matter: `make run` (demo on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HTMX := static/vendor/htmx.min.js

.PHONY: install run test test-postgres bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

$(HTMX): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $(HTMX)

install: $(STAMP) $(HTMX)

run: install
	$(BIN)/forum migrate
	$(BIN)/forum seed-demo
	$(BIN)/forum serve

test: install
	$(BIN)/ruff check app tests
	$(BIN)/pytest

test-postgres: install
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/pytest

# Benchmarks (not part of `make test`): the real server under wrk on loopback, SQLite and, when
# PostgreSQL answers on 127.0.0.1:5432, PostgreSQL too (database cg_bench, recreated each run).
bench: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  BENCH_POSTGRES_URL=$${BENCH_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/cg_bench} $(BIN)/forum bench; \
	else $(BIN)/forum bench; fi
	$(BIN)/forum bench-digests --subscribers 10000

# Extract every user-facing string into app/locales/messages.pot (for Welsh and other catalogues).
messages: install
	$(BIN)/pybabel extract -F app/locales/babel.cfg -k _ -k gettext -k ngettext:1,2 -o app/locales/messages.pot .

clean:
	rm -rf $(VENV) node_modules static/vendor var/forum.db*
