"""Shared pieces of the DAG files. Light on purpose: DAG files are parsed often, so nothing here
imports pandas, dbt or Great Expectations (tasks import them when they run)."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset, task

from orchestration.notifier import AlertNotifier
from orchestration.openlineage import dataset
from sinkwatch.contracts import FAMILIES

DUCKDB_POOL = "duckdb_build"

def _on_failure(context) -> None:
    # imported lazily: DAG files stay light
    from sinkwatch.alerts import on_failure_callback

    on_failure_callback(context)


DEFAULT_ARGS = {
    "owner": "sinkwatch-data-engineering",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "on_failure_callback": _on_failure,
}

RAW_ASSETS = {name: Asset(name=f"sinkwatch-raw-{name}", uri=f"sinkwatch://raw/{name}")
              for name in FAMILIES}
MARTS_ASSET = Asset(name="sinkwatch-marts", uri="sinkwatch://warehouse/marts")
FIRE_DANGER_ASSET = Asset(name="sinkwatch-fire-danger", uri="sinkwatch://monitoring/fire_danger")

# OpenLineage datasets (namespace "sinkwatch"): the provider reads a @task's inputs and outputs
# from its inlets/outlets, and has no converter for the sinkwatch:// Assets above, so the tasks
# list these too (orchestration/openlineage.py).
OL_LANDING = {name: dataset(f"landing/{name}") for name in FAMILIES}
OL_RAW = {name: dataset(f"raw/{name}") for name in FAMILIES}
OL_BUILD = dataset("warehouse/build")
OL_GATE = dataset("gx/validations")
OL_MARTS = dataset("warehouse/marts")
OL_SITE = dataset("site")
OL_REPORTS = dataset("reports")
OL_LEDGER = dataset("ledger")


def ingest_task(family: str):
    """One task per family: ingest everything waiting in landing/<family>/."""

    @task(task_id=f"ingest_{family}", inlets=[OL_LANDING[family]],
          outlets=[RAW_ASSETS[family], OL_RAW[family]])
    def _ingest(run_id: str | None = None) -> dict:
        from orchestration import pipeline

        rows = pipeline.ingest([family], run_id=run_id or "manual")
        return {
            "files": len(rows),
            "rows_read": sum(r.rows_read for r in rows),
            "rows_accepted": sum(r.rows_accepted for r in rows),
            "rows_quarantined": sum(r.rows_quarantined for r in rows),
            "statuses": sorted({r.status for r in rows}),
        }

    return _ingest()


def alert_task(families: tuple[str, ...]):
    """After the ingest tasks: evaluate, record and deliver the alerts on what just arrived.

    The task delivers through the Airflow notifier (:class:`orchestration.notifier.AlertNotifier`);
    the notifier is also its retry and failure callback, so the changes an evaluator recorded
    before another one failed are delivered at once (each change once: the store's outbox)."""
    notifier = AlertNotifier()

    @task(task_id="evaluate_alerts", trigger_rule="all_done", on_retry_callback=notifier,
          on_failure_callback=[_on_failure, notifier])
    def _alerts(run_id: str | None = None) -> dict:
        from airflow.sdk import get_current_context

        from orchestration import alerting

        return alerting.run(list(families), run_id=run_id or "manual",
                            context=get_current_context())

    return _alerts()
