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
