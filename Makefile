# The marketplace's one-command entry points (GNU make).
#
#   make run    run the marketplace on embedded defaults at http://127.0.0.1:5000
#   make test   lint, then the whole test suite (SQLite; again on PostgreSQL if
#               TEST_DATABASE_URL is set)
#
# Both prepare everything on a fresh clone: the virtualenv in .venv, the Python packages
# (re-installed only when pyproject.toml changes), the npm packages (only when
# package-lock.json changes) and the compiled translations.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed-from-pyproject
NODE_STAMP := node_modules/.installed-from-lock
# The example third-party plugin package: installed like any plugin, tested with the kit.
EXAMPLE := examples/o2o-new-arrivals
EXAMPLE_STAMP := $(VENV)/.installed-example-plugin
VENDOR := marketplace/static/vendor/pico/pico.min.css
TRANSLATIONS := marketplace/translations
POT := $(TRANSLATIONS)/messages.pot

HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: help setup run test lint bench bench-checkout bench-redeem bench-slots bench-search translations compile-translations clean

help:
	@echo "make run           run the marketplace with demo data at http://$(HOST):$(PORT)"
	@echo "make test          lint + the whole test suite"
	@echo "make lint          ruff"
	@echo "make bench         HTTP benchmark against a minimal Flask app"
	@echo "make bench-checkout checkout throughput on PostgreSQL (hot and mixed variants)"
	@echo "make bench-redeem  redemptions at the counter per second on PostgreSQL"
	@echo "make bench-slots   appointment availability and holds on PostgreSQL"
	@echo "make bench-search  search on 100k listings and 10k stores, both backends"
	@echo "make translations  extract messages and update the catalogs"
	@echo "make clean         remove .venv, node_modules and caches (never your data)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# --no-deps: the marketplace it depends on is this checkout, installed just above.
$(EXAMPLE_STAMP): $(EXAMPLE)/pyproject.toml $(PY_STAMP)
	$(BIN)/python -m pip install --quiet --no-deps -e $(EXAMPLE)
	touch $@

$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The postinstall script copies the vendored CSS/JS; copy again if someone removed them.
$(VENDOR): | $(NODE_STAMP)
	node scripts/copy-vendor-assets.mjs

compile-translations: $(PY_STAMP)
	@if compgen -G '$(TRANSLATIONS)/*/LC_MESSAGES/*.po' > /dev/null; then \
		$(BIN)/pybabel compile -d $(TRANSLATIONS) -f --statistics; \
	fi

setup: $(PY_STAMP) $(EXAMPLE_STAMP) $(NODE_STAMP) $(VENDOR) compile-translations

run: setup
	$(BIN)/marketplace db upgrade
	$(BIN)/marketplace demo-data
	$(BIN)/marketplace search reindex
	$(BIN)/marketplace run --host $(HOST) --port $(PORT)

# pytest exits non-zero (5) when it collects no test, so an empty run fails make too.
test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@echo "== the example plugin package's own tests (the test kit) =="
	$(BIN)/python -m pytest $(EXAMPLE)/tests $(PYTEST_ARGS)
	@if [ -n "$${TEST_DATABASE_URL:-}" ]; then \
		echo "== the whole suite again on PostgreSQL =="; \
		$(BIN)/python -m pytest --db=postgres -m "not browser" $(PYTEST_ARGS); \
		$(BIN)/python -m pytest --db=postgres $(EXAMPLE)/tests $(PYTEST_ARGS); \
	fi

lint: $(PY_STAMP)
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/run_http.py

bench-checkout: setup
	$(BIN)/python bench/run_checkout.py

bench-redeem: setup
	$(BIN)/python bench/redeem.py

bench-slots: setup
	$(BIN)/python bench/slots.py

bench-search: setup
	$(BIN)/python bench/search.py

translations: $(PY_STAMP)
	mkdir -p $(TRANSLATIONS)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file \
		--ignore-dirs '.* ._ node_modules build dist examples' --project o2o-marketplace -o $(POT) .
	@if [ -f $(TRANSLATIONS)/vi/LC_MESSAGES/messages.po ]; then \
		$(BIN)/pybabel update -i $(POT) -d $(TRANSLATIONS) --no-fuzzy-matching; \
	else \
		echo "no catalog yet: create one with '$(BIN)/pybabel init -i $(POT) -d $(TRANSLATIONS) -l vi'"; \
	fi

clean:
	rm -rf $(VENV) node_modules marketplace/static/vendor .pytest_cache .ruff_cache .hypothesis \
		*.egg-info build dist
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
