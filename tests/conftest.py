from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from sinkwatch.airflow_env import airflow_env
from sinkwatch.config import Paths

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = REPO / "test-artifacts"

# Airflow reads its configuration when first imported: point it at a throw-away home before any
# test module imports it (embedded settings: SQLite metadata, no examples, the project's dags/).
_AIRFLOW_TMP = tempfile.mkdtemp(prefix="sinkwatch-test-airflow-")
os.environ.update({
    k: v for k, v in airflow_env({"SINKWATCH_HOME": _AIRFLOW_TMP}).items()
    if k.startswith("AIRFLOW")
})
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
# tests write a file and ingest it at once: no waiting for landing/ files to settle (the tests
# of the settle check set it themselves)
os.environ.setdefault("SINKWATCH_SETTLE_SECONDS", "0")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Paths:
    """A fresh SINKWATCH_HOME for one test."""
    h = tmp_path / "home"
    monkeypatch.setenv("SINKWATCH_HOME", str(h))
    return Paths(h).ensure()


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def service_missing(reason: str) -> None:
    """A test needs a service this machine does not offer (PostgreSQL, Redis, Chromium): skip it,
    or fail it when ``SINKWATCH_REQUIRE_SERVICES=1`` (set by .ci/run, whose machine has them all),
    so that a green CI cannot hide a skipped ledger, topology or browser test."""
    if os.environ.get("SINKWATCH_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (SINKWATCH_REQUIRE_SERVICES=1: required here)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url():
    """A throw-away PostgreSQL database on this machine's server (127.0.0.1:5432, trust auth, as
    on CI, where .ci/run starts it); dropped at the end of the session. Skips only when the
    server does not answer."""
    import uuid

    from tests.harness.prod_topology import pg_connect

    try:
        con, user = pg_connect()
    except ConnectionError as exc:
        service_missing(str(exc))
    name = f"sinkwatch_test_{uuid.uuid4().hex[:10]}"
    with con.cursor() as cur:
        cur.execute(f'create database "{name}"')
    try:
        yield f"postgresql+psycopg2://{user}@127.0.0.1:5432/{name}"
    finally:
        with con.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        con.close()
