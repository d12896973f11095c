"""The DAG folder imports cleanly and every DAG follows the house rules."""

from __future__ import annotations

import time

import pytest

from sinkwatch.config import REPO_ROOT

EXPECTED = {"alert_state", "ingest_surveys", "ingest_remote_sensing", "ingest_disturbances",
            "ingest_weather", "sinkwatch_nightly", "annual_report"}


@pytest.fixture(scope="module")
def dagbag():
    # conftest points AIRFLOW_HOME at a throw-away folder with examples off
    from airflow.dag_processing.dagbag import DagBag

    started = time.perf_counter()
    bag = DagBag(dag_folder=str(REPO_ROOT / "dags"))
    bag.parse_seconds = time.perf_counter() - started
    return bag


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_expected_dags_present(dagbag):
    assert set(dagbag.dag_ids) == EXPECTED


def test_dag_files_are_light(dagbag):
    # heavy libraries (GX ~14 s, dbt, pandas) must be imported inside tasks, not at parse time
    assert dagbag.parse_seconds < 20, dagbag.parse_seconds


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_house_rules(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.catchup is False
    assert "sinkwatch" in dag.tags and len(dag.tags) >= 2
    assert dag.doc_md and dag_id in dag.doc_md
    assert dag.max_active_runs == 1
    for t in dag.tasks:
        assert t.owner == "sinkwatch-data-engineering"
        if not t.task_id.startswith("gate"):
            assert t.retries >= 1, t.task_id


def test_nightly_uses_the_duckdb_pool_and_order(dagbag):
    dag = dagbag.dags["sinkwatch_nightly"]
    pools = {t.task_id: t.pool for t in dag.tasks}
    for tid in ("build_marts", "gate_marts", "publish"):
        assert pools[tid] == "duckdb_build"
    assert dag.get_task("gate_marts").downstream_task_ids == {"publish"}
    assert dag.get_task("publish").downstream_task_ids == {"refresh_dashboard",
                                                            "load_ledger_creditable"}
    # the gate is the only way to publish
    assert dag.get_task("publish").upstream_task_ids == {"gate_marts"}


def test_ingestion_dags_declare_assets(dagbag):
    from sinkwatch.contracts import DAG_FAMILIES

    for dag_id, families in DAG_FAMILIES.items():
        dag = dagbag.dags[dag_id]
        ingests = [t for t in dag.tasks if t.task_id.startswith("ingest_")]
        assert {t.task_id for t in ingests} == {f"ingest_{f}" for f in families}
        for t in ingests:
            # Airflow Assets (the OpenLineage datasets beside them have a name too)
            names = {o.name for o in t.outlets if type(o).__name__ == "Asset"}
            assert names == {f"sinkwatch-raw-{t.task_id.removeprefix('ingest_')}"}


def test_alerts_are_evaluated_in_the_ingest_dags_after_every_ingest(dagbag):
    for dag_id in ("ingest_disturbances", "ingest_remote_sensing"):
        dag = dagbag.dags[dag_id]
        alerts = dag.get_task("evaluate_alerts")
        ingests = {t.task_id for t in dag.tasks if t.task_id.startswith("ingest_")}
        assert alerts.upstream_task_ids == ingests
        # alerting runs even when one family's ingest failed: the others' data still counts
        assert alerts.trigger_rule == "all_done"


def test_weather_is_rated_then_alerted_in_its_own_run(dagbag):
    dag = dagbag.dags["ingest_weather"]
    assert dag.get_task("rate_fire_danger").upstream_task_ids == {"ingest_weather_daily"}
    assert dag.get_task("evaluate_alerts").upstream_task_ids == {"rate_fire_danger"}


def test_tasks_declare_openlineage_inputs_and_outputs(dagbag):
    """The OpenLineage provider takes a @task's inputs and outputs from its inlets/outlets: every
    nightly and report task lists OpenLineage datasets there; the nightly ends on the draft."""
    from openlineage.client.event_v2 import Dataset

    for dag_id in ("sinkwatch_nightly", "annual_report"):
        for t in dagbag.dags[dag_id].tasks:
            assert any(isinstance(o, Dataset) for o in t.outlets), (dag_id, t.task_id)
            assert any(isinstance(i, Dataset) for i in t.inlets), (dag_id, t.task_id)
    nightly = dagbag.dags["sinkwatch_nightly"]
    assert nightly.get_task("refresh_dashboard").downstream_task_ids == {"refresh_report_draft"}
    assert set(dagbag.dags["annual_report"].params) == {"year", "as_of", "final"}


def test_the_alert_notifier_is_attached(dagbag):
    """evaluate_alerts delivers through the Airflow notifier and has it as retry and failure
    callback; the alert_state DAG has it as success and failure callback."""
    from orchestration.notifier import AlertNotifier

    def notifiers(callbacks) -> list:
        cbs = callbacks if isinstance(callbacks, list | tuple) else [callbacks]
        return [c for c in cbs if isinstance(c, AlertNotifier)]

    for dag_id in ("ingest_disturbances", "ingest_remote_sensing", "ingest_weather"):
        t = dagbag.dags[dag_id].get_task("evaluate_alerts")
        assert notifiers(t.on_failure_callback) and notifiers(t.on_retry_callback), dag_id
        # the failure alert about the task itself is still sent
        assert any(getattr(c, "__name__", "") == "_on_failure" for c in t.on_failure_callback)
    dag = dagbag.dags["alert_state"]
    assert notifiers(dag.on_success_callback) and notifiers(dag.on_failure_callback)
