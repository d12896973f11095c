"""
### sinkwatch_nightly

The nightly accounting run (02:00 Beijing time):

1. `build_marts` — one `dbt build` (seeds, staging, intermediate, marts and their tests) into a
   run-specific DuckDB file `warehouse/builds/marts_<run>.duckdb`, which starts as a copy of the
   published warehouse so that the incremental models read the new partitions only; trigger
   with the param `full_refresh: true` to rebuild them from the whole raw layer;
2. `gate_marts` — Great Expectations mart suites on that file; a critical failure fails the
   task, and nothing after it runs;
3. `publish` — atomic swap of the validated file into `warehouse/marts.duckdb`, keeping the
   previous versions in `warehouse/published/`;
4. `refresh_dashboard` — render the static site from the published marts and swap it in;
5. `refresh_report_draft` — rewrite the draft annual report of the latest accounting year
   (`reports/<year>/draft/`, `sinkwatch report`); the `annual_report` DAG issues final ones.
6. `load_ledger_creditable` — load the published creditable tonnes per parcel-year into the
   carbon-offset ledger (gated numbers only). The ledger snapshot the build reconciles against
   is exported by `build_marts` before dbt runs (see `orchestration/trading.py`).

Every task that opens the build database runs in the 1-slot pool `duckdb_build`: DuckDB allows
one writer per file and a reader blocks a writer too. Analysts and the dashboard only read the
published copy. Every task emits OpenLineage events (START/COMPLETE with its inputs and
outputs; the dbt build one pair per model) to the configured transport (a file by default).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from orchestration.dagkit import (
    DEFAULT_ARGS,
    DUCKDB_POOL,
    MARTS_ASSET,
    OL_BUILD,
    OL_GATE,
    OL_LEDGER,
    OL_MARTS,
    OL_RAW,
    OL_REPORTS,
    OL_SITE,
    RAW_ASSETS,
)


@dag(
    dag_id="sinkwatch_nightly",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={"full_refresh": Param(
        False, type="boolean", description="rebuild incremental models from the whole raw layer")},
    tags=["sinkwatch", "accounting", "publish"],
    doc_md=__doc__,
)
def sinkwatch_nightly():
    @task(pool=DUCKDB_POOL, inlets=[*RAW_ASSETS.values(), *OL_RAW.values()], outlets=[OL_BUILD])
    def build_marts(run_id: str | None = None, params: dict | None = None) -> str:
        from orchestration import pipeline

        full_refresh = bool((params or {}).get("full_refresh", False))
        return str(pipeline.build(run_id, full_refresh=full_refresh))

    @task(pool=DUCKDB_POOL, retries=0, inlets=[OL_BUILD], outlets=[OL_GATE])
    def gate_marts(build_db: str, run_id: str | None = None) -> None:
        from orchestration import pipeline

        pipeline.gate(run_id)

    @task(pool=DUCKDB_POOL, inlets=[OL_BUILD], outlets=[MARTS_ASSET, OL_MARTS])
    def publish(run_id: str | None = None) -> str:
        from orchestration import pipeline

        return str(pipeline.publish(run_id))

    @task(inlets=[OL_MARTS], outlets=[OL_SITE])
    def refresh_dashboard(run_id: str | None = None) -> str:
        from orchestration import pipeline

        return str(pipeline.refresh_dashboard(run_id))

    @task(inlets=[OL_MARTS], outlets=[OL_REPORTS])
    def refresh_report_draft() -> list[str]:
        from orchestration import reports

        return reports.refresh_draft()

    @task(inlets=[OL_MARTS], outlets=[OL_LEDGER])
    def load_ledger_creditable(run_id: str | None = None) -> dict:
        from orchestration import trading

        return trading.load_creditable(run_id or "manual")

    built = build_marts()
    published = publish()
    gate_marts(built) >> published
    published >> refresh_dashboard() >> refresh_report_draft()
    published >> load_ledger_creditable()


sinkwatch_nightly()
