# make run: local virtualenv, install, migrate, serve on http://127.0.0.1:8000 (SQLite)
# make test: install and run every check and test (lint, types, the suite on SQLite;
#            KURO_DATABASE_URL=postgresql://... for PostgreSQL)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The suite runs in 3 processes (pytest-xdist): most of its time is spent waiting on live
# servers, browsers and leases, not computing, so 3 beat 2 on this 2-core machine.
# `make test PYTEST_WORKERS=0` runs it in one process.
PYTEST_WORKERS ?= 3
# `make run` needs only the server; `make test` and the rest install everything (dev tools and
# the frameworks the integrations are tested with: torch alone is ~1 GB).
SERVER_STAMP := $(VENV)/.installed-server

.PHONY: run test bench lint types format install clean chromium plotly-bundle docs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[server,dev,frameworks]'
	touch $(STAMP) $(SERVER_STAMP)

$(SERVER_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[server]'
	touch $(SERVER_STAMP)

install: $(STAMP)

run: $(SERVER_STAMP)
	$(BIN)/kuro server --host 127.0.0.1 --port 8000

test: $(STAMP) chromium
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

# The dashboard's browser tests drive Debian's Chromium through Playwright (never a downloaded browser).
chromium:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium chromium-driver)

# The documentation site (mkdocs.yml, docs/), rebuilt on every change; `make test` builds it
# with --strict into site/.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8001

bench: $(STAMP) chromium
	$(BIN)/python -m benchmarks

# The dashboard's partial plotly.js (only the trace types Kuro draws), rebuilt from the npm
# registry with the versions pinned in src/kuro/dashboard/assets-src/package-lock.json.
plotly-bundle:
	cd src/kuro/dashboard/assets-src && npm ci --no-audit --no-fund && node build.mjs

types: $(STAMP)
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

clean:
	rm -rf $(VENV) build dist site *.egg-info src/*.egg-info
