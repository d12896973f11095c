"""The DAG folder imports cleanly and every DAG follows the house rules."""

from __future__ import annotations

import time

import pytest

from sinkwatch.config import REPO_ROOT

EXPECTED = {"ingest_surveys", "ingest_remote_sensing", "ingest_disturbances", "ingest_weather",
            "sinkwatch_nightly"}
#: Tasks an ingestion DAG runs after its ingest tasks (monitoring on the data just received).
AFTER_INGEST = {"ingest_weather": {"rate_fire_danger"}}


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
    assert dag.get_task("publish").downstream_task_ids == {"refresh_dashboard"}
    # the gate is the only way to publish
    assert dag.get_task("publish").upstream_task_ids == {"gate_marts"}


def test_ingestion_dags_declare_assets(dagbag):
    from sinkwatch.contracts import DAG_FAMILIES

    for dag_id, families in DAG_FAMILIES.items():
        dag = dagbag.dags[dag_id]
        extra = AFTER_INGEST.get(dag_id, set())
        assert {t.task_id for t in dag.tasks} == {f"ingest_{f}" for f in families} | extra
        for t in dag.tasks:
            if t.task_id in extra:
                assert t.upstream_task_ids == {f"ingest_{f}" for f in families}
                continue
            names = {o.name for o in t.outlets}
            assert names == {f"sinkwatch-raw-{t.task_id.removeprefix('ingest_')}"}
