"""The embedded Airflow's settings: AIRFLOW_HOME under $SINKWATCH_HOME, SQLite metadata,
no examples, the project's dags/ folder, the simple auth manager. Values already in the
environment win, so the production deployment (PostgreSQL + Celery, FAB auth manager) configures
Airflow through its own variables."""

from __future__ import annotations

import os

from sinkwatch.config import REPO_ROOT, paths

SIMPLE_AUTH_MANAGER = (
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager")


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
    return env
