# Two commands matter: `make run` (install, demo data, serve) and `make test` (install, run every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint install install-test chromium axe i18n constraints bench docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.app: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.test: $(VENV)/.app
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.app
install-test: $(VENV)/.test

# `make run PORT=8080` serves on another port.
run:
	@echo "== installing the application (about a minute the first time)"
	@$(MAKE) -s --no-print-directory install
	@echo "== demo data (loaded on the first run only)"
	@$(BIN)/asalee-track demo --if-empty
	@echo "== serving on http://$(HOST):$(PORT) (Ctrl+C to stop)"
	@$(BIN)/asalee-track serve --host $(HOST) --port $(PORT)

# Browser tests drive Debian's Chromium (never a downloaded browser); chromium-l10n gives it French, so
# that date fields read jj/mm/aaaa as the practices see them.
chromium:
	@{ command -v chromium && dpkg -s chromium-l10n; } >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-l10n >/dev/null; }

# The accessibility checker the browser tests load into pages: axe-core, pinned in package-lock.json.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	cd tests/browser && npm ci --no-audit --no-fund
	touch $@

axe: $(AXE)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy

# Two processes: the machines this runs on have two cores (each has a database of its own).
test: install-test chromium axe lint
	$(BIN)/pytest -n 2

# Translators: extract new messages, then fill in the French catalog.
i18n: install-test
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --omit-header --sort-output -o messages.pot .
	$(BIN)/pybabel update -i messages.pot -d asalee_track/locales -l fr --no-fuzzy-matching --omit-header
	rm messages.pot

constraints: install-test
	{ head -2 constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -v '^-e'; } > constraints.new
	mv constraints.new constraints.txt

# Every figure of the README's Benchmarks section (long: BENCH_ARGS=--quick for a smoke run), then the
# protocol and chart micro-benchmarks. dataset.py only builds data for them.
bench: install-test
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/bench_protocols.py
	$(BIN)/python benchmarks/bench_charts.py

# The guides' screenshots, taken by a real Chromium from fresh demo data.
docs: install-test chromium
	$(BIN)/python docs/screenshots.py
