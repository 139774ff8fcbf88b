# kpi-pipeline: the two promised commands are `make demo` and `make test` (see README.md).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: setup system-deps demo test lint bench dagster clean

$(BIN)/kpi-pipeline: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

## system-deps: Debian libraries the PDF renderer needs and the tools the tests use (root: installs)
system-deps:
	@bash scripts/system-deps.sh

## setup: virtualenv with the pinned package and test tools
setup: system-deps $(BIN)/kpi-pipeline

## demo: build the warehouse from the demo source and write the latest weekly report
demo: setup
	$(BIN)/kpi-pipeline demo

## test: the whole test suite (what CI runs)
test: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 --dist loadfile

## dagster: the Dagster UI with every asset (http://127.0.0.1:3000), by `dg dev` on [tool.dg]
dagster: setup
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/.kpi/dagster} \
	DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS=$${DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS:-true} \
	VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(BIN):$$PATH \
	bash -c 'mkdir -p "$$DAGSTER_HOME" && cp -n kpi_pipeline/dagster.yaml "$$DAGSTER_HOME/" ; $(BIN)/dg dev'

## bench: every benchmark in bench/, one after another (tables on stdout, JSON in bench/results/; see bench/README.md)
BENCHES := backfill dagster_overhead ga4_ingest report_render launched_run demo cli_startup cli_runner forecast_backtest calibration many_sites
bench: setup
	@set -e; for b in $(BENCHES); do echo "== bench/$$b.py"; $(BIN)/python bench/$$b.py; done

clean:
	rm -rf $(VENV) .kpi
