# Two commands matter: `make run` (install, demo data, serve) and `make test` (install, run every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: run test lint install install-test chromium i18n constraints bench docs

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

run: install
	$(BIN)/asalee-track demo --if-empty
	$(BIN)/asalee-track serve

# Browser tests drive Debian's Chromium (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: install-test
	$(BIN)/ruff check .

# Two processes: the machines this runs on have two cores (each has a database of its own).
test: install-test chromium lint
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
