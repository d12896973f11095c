"""The nightly pipeline as plain functions: build (dbt into a run-specific DuckDB file), gate
(Great Expectations on that file), publish (atomic swap into ``warehouse/marts.duckdb``) and
dashboard refresh. Airflow tasks and the CLI call these same functions.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sinkwatch.config import DBT_PROJECT_DIR, Paths, paths

log = logging.getLogger(__name__)

KEEP_PUBLISHED = int(os.environ.get("SINKWATCH_KEEP_PUBLISHED", "7"))


class BuildFailed(RuntimeError):
    pass


def safe_run_id(run_id: str) -> str:
    """Airflow run ids contain ':' and '+'; file names get a tame version."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id).strip("_") or "manual"


def build_path(run_id: str, p: Paths | None = None) -> Path:
    p = p or paths()
    return p.builds / f"marts_{safe_run_id(run_id)}.duckdb"


def dbt_env(p: Paths, build_db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SINKWATCH_HOME=str(p.home),
        SINKWATCH_BUILD_DB=str(build_db),
        DBT_PROFILES_DIR=str(DBT_PROJECT_DIR),
        DBT_PROJECT_DIR=str(DBT_PROJECT_DIR),
        DBT_TARGET_PATH=str(p.dbt / "target"),
        DBT_LOG_PATH=str(p.dbt / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="False",
        DBT_USE_COLORS="False",
    )
    return env


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(args: list[str], build_db: Path, p: Paths | None = None) -> str:
    """Run dbt as a subprocess (one process per DAG run; no DuckDB lock left behind)."""
    p = (p or paths()).ensure()
    cmd = [dbt_executable(), *args]
    log.info("running %s", " ".join(cmd))
    proc = subprocess.run(cmd, cwd=DBT_PROJECT_DIR, env=dbt_env(p, build_db), text=True,
                          capture_output=True)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        tail = "\n".join(out.strip().splitlines()[-40:])
        raise BuildFailed(f"dbt {' '.join(args)} failed (exit {proc.returncode}):\n{tail}")
    return out


def build(run_id: str, full_refresh: bool = False, p: Paths | None = None) -> Path:
    """``dbt build`` (seeds, models, tests) into a fresh run-specific DuckDB file."""
    p = (p or paths()).ensure()
    from ingestion.loader import ensure_empty_partitions

    ensure_empty_partitions(p)
    db = build_path(run_id, p)
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    args = ["build", "--vars", f"{{run_id: '{safe_run_id(run_id)}'}}"]
    if full_refresh:
        args.append("--full-refresh")
    out = run_dbt(args, db, p)
    summary = [line for line in out.splitlines() if "Done. PASS=" in line]
    log.info("dbt build done: %s", summary[-1] if summary else "(no summary)")
    return db


def gate(run_id: str, p: Paths | None = None) -> list:
    """Validate the run's build file with the mart suites; raises GateFailed on a critical failure."""
    from sinkwatch import gates

    p = p or paths()
    db = build_path(run_id, p)
    if not db.exists():
        raise FileNotFoundError(f"no build for run {run_id}: {db}")
    results = gates.validate_marts(db, run_id)
    gates.raise_for(results)
    return results


def publish(run_id: str, p: Paths | None = None) -> Path:
    """Swap the validated build in as ``warehouse/marts.duckdb`` (atomic rename) and keep it in
    ``warehouse/published/`` named by run date. Readers holding the old file open keep reading
    the old inode; nobody ever sees a half-written warehouse."""
    p = (p or paths()).ensure()
    db = build_path(run_id, p)
    if not db.exists():
        raise FileNotFoundError(f"no validated build for run {run_id}: {db}")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    kept = p.history / f"marts_{stamp}_{safe_run_id(run_id)}.duckdb"
    kept.unlink(missing_ok=True)
    os.link(db, kept)  # same bytes, no copy; the history name survives the rename below
    os.replace(db, p.published)
    _prune_history(p)
    log.info("published %s (kept as %s)", p.published, kept.name)
    return p.published


def _prune_history(p: Paths) -> None:
    versions = sorted(p.history.glob("marts_*.duckdb"), key=lambda f: f.stat().st_mtime)
    for old in versions[:-KEEP_PUBLISHED]:
        old.unlink(missing_ok=True)


def refresh_dashboard(run_id: str, p: Paths | None = None) -> Path:
    from dashboards.build import build_site

    p = p or paths()
    if not p.published.exists():
        raise FileNotFoundError(f"nothing published yet: {p.published}")
    return build_site(p.published, p.site, safe_run_id(run_id))


def ingest(families: list[str], run_id: str = "manual", gate: bool = True,
           p: Paths | None = None) -> list:
    from ingestion.loader import ingest_family

    p = p or paths()
    rows = []
    for family in families:
        rows += ingest_family(family, p, run_id=run_id, gate=gate)
    return rows


def run_all(run_id: str | None = None, p: Paths | None = None) -> Path:
    """The whole nightly path without Airflow (same functions the DAGs call)."""
    from ingestion.contracts import DAG_FAMILIES

    p = p or paths()
    run_id = run_id or datetime.now(UTC).strftime("cli_%Y%m%dT%H%M%S")
    for dag in ("ingest_surveys", "ingest_remote_sensing", "ingest_disturbances"):
        ingest(DAG_FAMILIES[dag], run_id=run_id, p=p)
    build(run_id, p=p)
    gate(run_id, p=p)
    publish(run_id, p=p)
    return refresh_dashboard(run_id, p=p)
