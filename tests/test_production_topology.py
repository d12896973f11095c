"""The production topology of docker-compose.yml, for real but without containers: Airflow with
CeleryExecutor on this machine's PostgreSQL and Redis, api-server, scheduler, dag-processor and a
Celery worker as separate processes; the three ingestion DAGs and then ``sinkwatch_nightly`` are
triggered through the REST API on the small sample data. Login as in production: the FAB auth
manager, the admin created (and later given a new password) by the init job's command, a viewer
created with ``airflow users create`` who can read but not trigger, JWTs from ``/auth/token``.

Skipped only when PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379) do not answer; ``.ci/run``
starts both."""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

import duckdb
import pytest

from tests.conftest import service_missing
from tests.harness import prod_topology
from tests.harness.prod_topology import NIGHTLY_DAG, Topology

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "prod_topology"


@pytest.fixture(scope="module")
def services():
    reason = prod_topology.unreachable()
    if reason:
        service_missing(f"production topology needs PostgreSQL and Redis: {reason}")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture
def workdir():
    """Its own temporary directory, not pytest's tmp_path: other pytest sessions on this machine
    rotate /tmp/pytest-of-<user>/ and could delete it under the running services. Removed after
    a pass; after a failure the process logs are copied to test-artifacts/prod_topology/."""
    d = Path(tempfile.mkdtemp(prefix="sinkwatch-topology-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _keep_logs(workdir: Path) -> None:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for src in (workdir / "logs", workdir / "home" / "airflow" / "logs"):
        if src.exists():
            shutil.copytree(src, ARTIFACTS / src.parent.name / src.name, dirs_exist_ok=True)


def test_celery_topology_runs_the_nightly_pipeline_through_the_rest_api(services, workdir):
    try:
        _run(workdir)
    except BaseException:
        _keep_logs(workdir)
        raise


def _run(workdir: Path) -> None:
    topo = Topology(workdir)
    with topo:
        pgids = {name: p.pid for name, p in topo.procs.items()}
        assert set(pgids) == set(prod_topology.COMPONENTS)
        env = topo.env
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
        assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith(".FabAuthManager")
        assert not [k for k in env if "SIMPLE_AUTH_MANAGER" in k]

        topo.wait_healthy(timeout=240)
        # the UI and the API require login: no token, no DAGs; a wrong password gets no token
        assert topo.request("GET", "/api/v2/dags", auth=False)[0] == 401
        assert topo.login("admin", "x")[0] == 401
        assert topo.login("nobody", topo.password)[0] == 401
        # the UI's login page is FAB's (users from the metadata database)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{topo.base_url}/auth/login/", timeout=30) as resp:
            assert resp.status == 200 and 'name="password"' in resp.read().decode()
        # a Viewer reads DAGs and runs but cannot unpause or trigger
        status, body = topo.login(topo.viewer, topo.viewer_password)
        assert status == 201, body
        viewer = body["access_token"]
        assert topo.request("GET", "/api/v2/dags", token=viewer)[0] == 200
        assert topo.request("PATCH", f"/api/v2/dags/{NIGHTLY_DAG}", {"is_paused": False},
                            token=viewer)[0] == 403
        assert topo.request("POST", f"/api/v2/dags/{NIGHTLY_DAG}/dagRuns",
                            {"logical_date": None}, token=viewer)[0] == 403

        states = topo.run_pipeline()
        assert set(states.values()) == {"success"}, states
        # the compose file's health checks, against the real processes
        probes = topo.probe_healthchecks()
        assert probes["scheduler"].startswith("200"), probes
        assert "Found one alive job" in probes["dag-processor"], probes
        assert "pong" in probes["worker"], probes
        # a new admin password from .env: the init job's command sets it, the old one is refused
        old = topo.password
        assert "updated" in topo.set_admin_password(old + "-new")
        assert topo.login("admin", old)[0] == 401
        assert topo.login("admin", old + "-new")[0] == 201
        db_name, redis_db = topo.db_name, topo.redis_db

    # everything it started is gone: processes (whole groups), the database, the Redis keys
    assert not [name for name, pgid in pgids.items() if _group_alive(pgid)]
    con, _ = prod_topology.pg_connect()
    try:
        cur = con.cursor()
        cur.execute("select count(*) from pg_database where datname = %s", (db_name,))
        assert cur.fetchone()[0] == 0
    finally:
        con.close()
    assert prod_topology.redis_client(redis_db).get(prod_topology.CLAIM_KEY) is None

    p = topo.paths
    assert (p.site / "index.html").exists()
    assert list(p.history.glob("marts_*.duckdb"))
    con = duckdb.connect(str(p.published), read_only=True)
    try:
        assert con.execute("select count(*) from fct_annual_sink").fetchone()[0] > 0
        run_id = con.execute("select run_id from meta_run").fetchone()[0]
    finally:
        con.close()
    assert run_id.startswith("manual__"), (run_id, NIGHTLY_DAG)
