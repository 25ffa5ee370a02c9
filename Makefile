# Fabrika — developer and CI entry points. See README.md.
#
#   make run                 install, migrate, load the demo (first time), serve http://127.0.0.1:8000
#   make test                the whole suite on SQLite
#   make test DB=postgres    the same suite (plus concurrency tests) on PostgreSQL at 127.0.0.1:5432
#   make test PYTEST_ARGS="src/fabrika/crm -x"    pass options to pytest; N=2 for two xdist workers
#   make lint / make fmt     ruff
#   make bench               benchmarks (printed as a table)

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# uv is installed with pip when missing; `python3 -m uv` works wherever pip put it.
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
RUN := $(UV) run --frozen
FABRIKA := $(RUN) fabrika
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# make test N=2: run on 2 pytest-xdist workers (serial is the default, see docs/decisions.md).
XDIST := $(if $(N),-n $(N))

# make test DB=postgres: pytest-django creates and drops test_fabrika itself.
ifeq ($(DB),postgres)
export FABRIKA_DATABASE_URL := postgres://postgres@127.0.0.1:5432/fabrika
endif

.PHONY: help uv sync messages run test bench lint fmt clean

help:
	@echo "make run                 install, migrate, demo data (first time), serve http://$(HOST):$(PORT)"
	@echo "make test                run the whole test suite on SQLite"
	@echo "make test DB=postgres    the same suite on PostgreSQL (127.0.0.1:5432, user postgres)"
	@echo "make lint | fmt | bench"

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv \
		|| $(PYTHON) -m pip install --quiet --break-system-packages uv

sync: uv
	@$(UV) sync --frozen

# Compiled .mo files are committed; recompile only where gettext's msgfmt is available.
messages: sync
	@if find src/fabrika -name '*.po' -path '*/locale/*' 2>/dev/null | grep -q .; then \
		if command -v msgfmt >/dev/null 2>&1; then \
			cd src/fabrika && $(RUN) fabrika compilemessages -v0; \
		else \
			echo "msgfmt not found: using the committed .mo files"; \
		fi; \
	fi

run: messages
	@$(FABRIKA) migrate --noinput -v0
	@if $(FABRIKA) isempty; then echo "Empty database: loading the demo company…"; $(FABRIKA) demo; fi
	@echo
	@echo "Fabrika is starting on http://$(HOST):$(PORT)/"
	@echo "Demo logins (password fabrika-demo): director, sales, sales2, economist, engineer, production,"
	@echo "storekeeper, purchaser, support, admin (admin needs TOTP: the demo printed its secret)."
	@echo "Stop with Ctrl+C."
	@$(FABRIKA) runserver $(HOST):$(PORT)

test: sync
	@$(RUN) pytest $(XDIST) $(PYTEST_ARGS)

bench: sync
	@if [ -d src/fabrika/bench ]; then $(RUN) python -m fabrika.bench; else echo "no benchmarks yet"; fi

lint: sync
	@$(RUN) ruff check src
	@$(RUN) ruff format --check src

fmt: sync
	@$(RUN) ruff check --fix src
	@$(RUN) ruff format src

clean:
	rm -rf var/static var/screenshots .pytest_cache .ruff_cache
