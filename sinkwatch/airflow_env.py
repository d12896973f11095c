"""The embedded Airflow's settings: AIRFLOW_HOME under $SINKWATCH_HOME, SQLite metadata,
no examples, the project's dags/ folder, the simple auth manager. Values already in the
environment win, so the production deployment (PostgreSQL + Celery, FAB auth manager) configures
Airflow through its own variables."""

from __future__ import annotations

import json
import os

from sinkwatch.config import REPO_ROOT, paths

SIMPLE_AUTH_MANAGER = (
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager")

#: Variables through which a deployment configures OpenLineage itself: when one is set, the
#: default file transport below is not added.
OPENLINEAGE_SETTINGS = (
    "AIRFLOW__OPENLINEAGE__TRANSPORT", "AIRFLOW__OPENLINEAGE__CONFIG_PATH",
    "AIRFLOW__OPENLINEAGE__CONFIG_CONN_ID", "OPENLINEAGE_URL", "OPENLINEAGE_CONFIG",
)


def default_openlineage_transport(home: str | None = None) -> dict:
    """OpenLineage events appended to ``$SINKWATCH_HOME/lineage/openlineage.jsonl``."""
    from pathlib import Path

    folder = Path(home) if home else paths().home
    (folder / "lineage").mkdir(parents=True, exist_ok=True)
    return {"type": "file", "log_file_path": str(folder / "lineage" / "openlineage.jsonl"),
            "append": True}


def airflow_env(base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    p = paths()
    defaults = {
        "SINKWATCH_HOME": str(p.home),
        "AIRFLOW_HOME": str(p.airflow),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        # embedded (`make demo`): the simple auth manager; production sets the FAB auth manager
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "GX_ANALYTICS_ENABLED": "False",
        "NO_PROXY": "*",
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    # OpenLineage (apache-airflow-providers-openlineage): events of every task to a file unless
    # the deployment points them elsewhere (Marquez: AIRFLOW__OPENLINEAGE__TRANSPORT='{"type":
    # "http", "url": "http://marquez:5000"}'); dataset and job namespace "sinkwatch"
    env.setdefault("AIRFLOW__OPENLINEAGE__NAMESPACE", "sinkwatch")
    if not any(k in env for k in OPENLINEAGE_SETTINGS) and \
            not any(k.startswith("OPENLINEAGE__TRANSPORT") for k in env):
        env["AIRFLOW__OPENLINEAGE__TRANSPORT"] = json.dumps(
            default_openlineage_transport(env["SINKWATCH_HOME"]))
    return env
