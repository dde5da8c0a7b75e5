# ocds-atlas: `make demo` sets up and runs the whole pipeline on the sandbox publishers; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Offline machines (tests, CI) read the standard's schemas from the shared copy beside the checkout, if present.
SHARED_OCDS := $(abspath ../shared/data/ocds)
ifneq ($(wildcard $(SHARED_OCDS)/1__1__5.zip),)
export OCDS_ATLAS_STANDARD_URL ?= $(SHARED_OCDS)
endif
# Likewise the org-id.guide register's lists and the extra exchange-rate and PPP tables, for normalizing.
SHARED_ORGID := $(abspath ../shared/data/org-id)
ifneq ($(wildcard $(SHARED_ORGID)/lists),)
export OCDS_ATLAS_ORGID_URL ?= $(SHARED_ORGID)
endif
SHARED_FX := $(abspath ../shared/data/fx)
ifneq ($(wildcard $(SHARED_FX)/annual),)
export OCDS_ATLAS_RATES_DIR ?= $(SHARED_FX)
endif
# The demo and the tests never leave this machine: what is not cached (extensions) is left out with a note.
demo test bench bench-scale: export OCDS_ATLAS_OFFLINE ?= 1
# bench-scale's size: releases generated (make bench-scale SCALE=1000000).
SCALE ?= 200000

.PHONY: install bytecode demo test bench bench-scale lint format lock clean

$(BIN)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --editable .
	touch $@

install: $(BIN)/.installed

# The project's own modules compiled to bytecode, as pip compiles a package it installs: an editable install has none
# until a process writes them, and where PYTHONDONTWRITEBYTECODE is set (this project's machines, many containers) no
# process does, so each one compiled every module it imported (0.08 CPU s in a load worker, 0.2 s in the load command).
# Only files changed since are compiled again.
bytecode: install
	$(BIN)/python -m compileall -q -j 0 aggregator crawler spiders tests

demo: install bytecode
	$(BIN)/ocds-atlas demo

test: install bytecode lint
	$(BIN)/pytest

# Benchmarks print ratios against the reference tools measured in the same run (not timed tests).
bench: install bytecode
	$(BIN)/python -m tests.bench.compile_bench --runs 3
	$(BIN)/python -m tests.bench.crawl_bench
	$(BIN)/python -m tests.bench.scale_bench --releases $(SCALE)

# Every stage alone at national scale (CPU per 1,000 releases, peak RSS, database size), then after a 1 % change.
bench-scale: install bytecode
	$(BIN)/python -m tests.bench.scale_bench --releases $(SCALE)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Regenerate the pinned lock file from pyproject.toml (after changing a dependency).
lock: install
	$(BIN)/pip install --quiet uv==0.13.8
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --no-header -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
