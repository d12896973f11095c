# sinkwatch — two commands: `make demo` and `make test`. Both create the virtualenv if missing.
PYTHON ?= python3.11
UV_VERSION := 0.13.9
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
SINKWATCH_HOME ?= $(CURDIR)/var
export SINKWATCH_HOME
SW := $(VENV)/bin/sinkwatch
PYTEST_ARGS ?=

.PHONY: demo test venv lint bench clean-var help

help:
	@echo "make demo   - create the venv, run the ingest DAGs, a fire replay and the nightly pipeline"
	@echo "              through Airflow on the sample data"
	@echo "make test   - create the venv, run the test suite"
	@echo "make lint   - ruff"
	@echo "make bench  - benchmark: full + nightly run on a generated dataset (SCALE=city|medium|small)"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The venv is (re)synced from the lock file whenever pyproject.toml or uv.lock change.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --compile-bytecode --python $(PYTHON)
	touch $@

venv: $(VENV)/.synced

demo: venv
	$(SW) sample-data --scale demo
	$(SW) airflow db migrate > /dev/null
	$(SW) airflow pools set duckdb_build 1 "one writer per DuckDB file" > /dev/null
	@# After the first ingest_disturbances run, the fire replay: each landing_pending/step_NN
	@# (one FIRMS NRT file of a burning fire) lands and gets its own ingest_disturbances run.
	@for run in ingest_surveys ingest_remote_sensing ingest_disturbances \
			$$(cd $(SINKWATCH_HOME)/landing_pending 2>/dev/null && ls -d step_* | sed 's/^/replay_/') \
			ingest_weather sinkwatch_nightly; do \
		dag=$$run; \
		case $$run in replay_*) step=$${run#replay_}; dag=ingest_disturbances; \
			echo "== fire replay $$step lands: $$(cd $(SINKWATCH_HOME)/landing_pending/$$step && ls */*)"; \
			cp -r $(SINKWATCH_HOME)/landing_pending/$$step/. $(SINKWATCH_HOME)/landing/ \
				&& rm -r $(SINKWATCH_HOME)/landing_pending/$$step;; esac; \
		echo "== airflow dags test $$dag"; \
		$(SW) airflow dags test $$dag > $(SINKWATCH_HOME)/logs/demo_$$run.log 2>&1 \
			|| { tail -n 60 $(SINKWATCH_HOME)/logs/demo_$$run.log; exit 1; }; \
		grep -E "DagRun Finished|state=" $(SINKWATCH_HOME)/logs/demo_$$run.log | tail -n 1; \
		grep -ho "fire events: .*" $(SINKWATCH_HOME)/logs/demo_$$run.log | tail -n 1 || true; \
	done
	@echo "== SAMPLE ledger transactions (issue, subscribe, retire, fire loss), then the nightly run again"
	$(SW) trading demo-trades > $(SINKWATCH_HOME)/logs/demo_trades.json
	$(SW) airflow dags test sinkwatch_nightly > $(SINKWATCH_HOME)/logs/demo_sinkwatch_nightly_2.log 2>&1 \
		|| { tail -n 60 $(SINKWATCH_HOME)/logs/demo_sinkwatch_nightly_2.log; exit 1; }
	@$(VENV)/bin/python -m orchestration.summary

test: venv
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# The benchmark of issue #7: SCALE=city (200,000 parcels, ~23 M index rows), medium or small (CI).
SCALE ?= city
bench: venv
	$(VENV)/bin/python -m bench.run --scale $(SCALE)

lint: venv
	$(VENV)/bin/ruff check .
