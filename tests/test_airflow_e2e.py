"""End to end through a real Airflow (SQLite metadata, `airflow dags test`), on the small sample,
exactly as `make demo` runs it; twice, to show that a rerun gives the same marts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from sinkwatch.config import Paths
from tests.test_pipeline import FACTS, _digest

pytestmark = pytest.mark.slow
DAGS = ("ingest_surveys", "ingest_remote_sensing", "ingest_disturbances", "ingest_weather",
        "sinkwatch_nightly")
SW = str(Path(sys.executable).with_name("sinkwatch"))


def _sw(home: Path, *args: str, timeout: int = 300) -> str:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["SINKWATCH_HOME"] = str(home)
    proc = subprocess.run([SW, *args], env=env, capture_output=True, text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"sinkwatch {' '.join(args)} failed:\n{out[-4000:]}"
    return out


def _demo_round(home: Path) -> None:
    _sw(home, "sample-data", "--scale", "small")
    for dag in DAGS:
        out = _sw(home, "airflow", "dags", "test", dag)
        assert f"dag_id={dag}" in out and "state=success" in out, out[-3000:]


def test_dags_run_end_to_end_and_rerun_is_identical(tmp_path):
    home = tmp_path / "home"
    p = Paths(home).ensure()
    _sw(home, "airflow", "db", "migrate")
    _sw(home, "airflow", "pools", "set", "duckdb_build", "1", "one writer per DuckDB file")
    errors = _sw(home, "airflow", "dags", "list-import-errors", "--local")
    assert "No data found" in errors, errors

    _demo_round(home)
    assert p.published.exists() and (p.site / "index.html").exists()
    con = duckdb.connect(str(p.published), read_only=True)
    try:
        for t in FACTS:
            assert con.execute(f"select count(*) from {t}").fetchone()[0] > 0, t
        run_1 = con.execute("select run_id from meta_run").fetchone()[0]
    finally:
        con.close()
    assert run_1.startswith("manual__")
    first = _digest(p.published)
    html_1 = (p.site / "index.html").read_text(encoding="utf-8")
    assert run_1 in html_1 or run_1.replace("_", "") in html_1.replace("_", "")
    _assert_openlineage_events(home)

    # a second demo round: the same files again are no-ops, the marts are the same
    _demo_round(home)
    assert _digest(p.published) == first
    con = duckdb.connect(str(p.published), read_only=True)
    try:
        assert con.execute("select run_id from meta_run").fetchone()[0] != run_1
        n_files = con.execute("select count(*) from ops_ingestion_manifest").fetchone()[0]
    finally:
        con.close()
    assert n_files == len(list(p.manifest.glob("*/*.parquet"))) - 1  # minus the _empty partition
    assert len(list(p.history.glob("marts_*.duckdb"))) == 2


def _assert_openlineage_events(home: Path) -> None:
    """The provider wrote START and COMPLETE with inputs and outputs for every nightly task to
    the default file transport, and the dbt build one pair per model under the build task."""
    import json

    events = [json.loads(line) for line in
              (home / "lineage" / "openlineage.jsonl").read_text().splitlines()]
    tasks = ("build_marts", "gate_marts", "publish", "refresh_dashboard", "refresh_report_draft")
    for task in tasks:
        mine = [e for e in events if e["job"]["name"] == f"sinkwatch_nightly.{task}"]
        assert {e["eventType"] for e in mine} >= {"START", "COMPLETE"}, task
        assert all(e["inputs"] and e["outputs"] for e in mine), task
    build = next(e for e in events if e["job"]["name"] == "sinkwatch_nightly.build_marts")
    dbt = [e for e in events if e["job"]["name"].endswith("fct_annual_sink.build.run")]
    assert {e["eventType"] for e in dbt} == {"START", "COMPLETE"}
    assert dbt[0]["run"]["facets"]["parent"]["run"]["runId"] == build["run"]["runId"]
    assert dbt[0]["outputs"][0]["name"] == "warehouse/fct_annual_sink"
