"""The nightly pipeline as plain functions: build (dbt into a run-specific DuckDB file that starts
as a copy of the published warehouse, so that incremental models read new partitions only), gate
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

from sinkwatch import runlog
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


def dbt_env(p: Paths, build_db: Path, run_id: str = "manual") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SINKWATCH_HOME=str(p.home),
        SINKWATCH_BUILD_DB=str(build_db),
        SINKWATCH_RUN_ID=safe_run_id(run_id),
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


def run_dbt(args: list[str], build_db: Path, p: Paths | None = None, run_id: str = "manual"
            ) -> str:
    """Run dbt as a subprocess (one process per DAG run; no DuckDB lock left behind)."""
    p = (p or paths()).ensure()
    cmd = [dbt_executable(), *args]
    log.info("running %s", " ".join(cmd))
    proc = subprocess.run(cmd, cwd=DBT_PROJECT_DIR, env=dbt_env(p, build_db, run_id), text=True,
                          capture_output=True)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        tail = "\n".join(out.strip().splitlines()[-40:])
        raise BuildFailed(f"dbt {' '.join(args)} failed (exit {proc.returncode}):\n{tail}")
    return out


def _mart_rows(db: Path) -> int:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and table_name like 'fct_%'").fetchall()]
        return sum(con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables)
    finally:
        con.close()


def _clone(src: Path, dest: Path) -> str:
    """Copy ``src`` to ``dest`` (a reflink where the file system can, else a byte copy) through a
    temporary name, so that ``dest`` is either absent or a complete copy."""
    import fcntl
    import shutil

    tmp = dest.with_name(f".{dest.name}.copy")
    tmp.unlink(missing_ok=True)
    how = "reflink"
    with src.open("rb") as fin, tmp.open("wb") as fout:
        try:
            fcntl.ioctl(fout.fileno(), 0x40049409, fin.fileno())  # FICLONE
        except OSError:
            how = "copy"
            shutil.copyfileobj(fin, fout, 16 << 20)
    os.replace(tmp, dest)
    return how


#: Where a build records what it was built from (published with the warehouse).
INPUTS_TABLE = "_sinkwatch.build_inputs"
#: Models rebuilt by every incremental build: the run's own bookkeeping (ops marts on the
#: manifest and quarantine, meta_run with the run id and build time).
EVERY_RUN = "tag:every_run+"


def _code_fingerprint() -> str:
    """sha256 over the dbt project's files (models, macros, seeds, tests, project and profile):
    any change of code, factors or configuration makes the next build a whole one."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted(DBT_PROJECT_DIR.rglob("*")):
        rel = f.relative_to(DBT_PROJECT_DIR)
        if not f.is_file() or rel.parts[0] in ("target", "logs", "dbt_packages") \
                or rel.name.startswith("."):
            continue
        h.update(str(rel).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _family_sources() -> dict[str, str]:
    """Raw family -> its dbt source (``source:<source>.<table>``), from the sources files."""
    import yaml

    out = {}
    for f in sorted((DBT_PROJECT_DIR / "models").rglob("_*sources.yml")):
        for src in (yaml.safe_load(f.read_text()) or {}).get("sources", []):
            if src["name"] == "ops":
                continue
            for t in src.get("tables", []):
                out[t["name"]] = f"source:{src['name']}.{t['name']}"
    return out


def build_inputs(p: Paths) -> dict[str, str]:
    """What a build reads, as fingerprints: per raw family, sha256 over its manifest rows (every
    received file with its status and what superseded it), per monitoring snapshot the sha256 of
    its file, and the dbt code (``__code__``)."""
    import hashlib

    import duckdb

    out = {"__code__": _code_fingerprint()}
    for snapshot in sorted([*p.monitoring.glob("*.parquet"),  # alert store, events: by content
                            *(p.warehouse / "ledger").glob("*.parquet")]):  # ledger snapshot
        out[snapshot.stem] = hashlib.sha256(snapshot.read_bytes()).hexdigest()
    files = sorted(str(f) for f in p.manifest.glob("*/*.parquet"))
    if files:
        con = duckdb.connect()
        try:
            rows = con.execute(
                "select family, sha256, status, coalesce(superseded_by, '') "
                "from read_parquet(?, union_by_name = true) order by all", [files]).fetchall()
        finally:
            con.close()
        per: dict[str, list[str]] = {}
        for fam, sha, status, sup in rows:
            per.setdefault(fam, []).append(f"{sha}|{status}|{sup}")
        for fam, items in per.items():
            out[fam] = hashlib.sha256("\n".join(items).encode()).hexdigest()
    return out


def _published_inputs(published: Path) -> dict[str, str] | None:
    import duckdb

    con = duckdb.connect(str(published), read_only=True)
    try:
        return dict(con.execute(f"select input, fingerprint from {INPUTS_TABLE}").fetchall())
    except duckdb.Error:
        return None  # published before builds recorded their inputs
    finally:
        con.close()


def selection(current: dict[str, str], published: dict[str, str] | None) -> list[str] | None:
    """The ``--select`` of an incremental build: the models downstream of the raw families whose
    files changed since the published build, and the run's bookkeeping. None (build every
    node) when the published build's inputs are unknown or the dbt code changed."""
    if published is None or published.get("__code__") != current["__code__"]:
        return None
    sources = _family_sources()
    changed = sorted(f for f in set(current) | set(published)
                     if f != "__code__" and current.get(f) != published.get(f))
    unknown = [f for f in changed if f not in sources]
    if unknown:
        return None
    return [f"{sources[f]}+" for f in changed] + [EVERY_RUN]


def _record_inputs(db: Path, inputs: dict[str, str]) -> None:
    import duckdb

    con = duckdb.connect(str(db))
    try:
        con.execute("create schema if not exists _sinkwatch")
        con.execute(f"create or replace table {INPUTS_TABLE} (input varchar primary key, "
                    "fingerprint varchar)")
        con.executemany(f"insert into {INPUTS_TABLE} values (?, ?)", sorted(inputs.items()))
        con.execute(f"comment on table {INPUTS_TABLE} is 'What this build was made from: per raw "
                    "family a sha256 over its manifest rows, and the dbt code (__code__). The "
                    "next incremental build rebuilds only the models downstream of families "
                    "whose fingerprint changed (orchestration.pipeline.selection).'")
    finally:
        con.close()


def export_monitoring(p: Paths) -> list[Path]:
    """Snapshot the alert store for the build (the marts read Parquet, never the live store)."""
    from monitoring import store

    return store.export_parquet(p.monitoring)


def build(run_id: str, full_refresh: bool = False, p: Paths | None = None,
          unit_tests: bool | None = None) -> Path:
    """``dbt build`` (seeds, models, tests) into a run-specific DuckDB file.

    The build starts from a copy of the last published warehouse, so that the incremental models
    (the large facts) only read the partitions that new files touched; the published file itself
    is never written. ``full_refresh`` (or no published warehouse yet) starts from an empty file
    and rebuilds everything (``dbt build --full-refresh``). An incremental build selects the
    models downstream of the raw families that changed since the published build (and the run's
    bookkeeping); the others are already in the copy, built from the same inputs by the same
    code (:func:`selection`; any change of the dbt project builds every node).

    dbt unit tests check the SQL, not the data: they run on a full refresh (the first build, or
    after a change of code or factors) and in ``make test``, and are left out of incremental
    nightly builds (``unit_tests=None``, dbt's own advice for production runs); ``True`` or
    ``False`` forces them in or out."""
    p = (p or paths()).ensure()
    from ingestion.loader import ensure_empty_partitions
    from monitoring.fire_danger import ensure_empty_outputs
    from monitoring.fire_events import ensure_snapshots

    with runlog.stage(run_id, "dbt_build", p) as rec:
        ensure_empty_partitions(p)
        export_monitoring(p)
        ensure_empty_outputs(p)
        ensure_snapshots(p)  # the fire-event snapshots, typed and empty before any evaluation
        from orchestration import trading

        trading.export_snapshot(p)  # the ledger as the reconciliation will see it
        db = build_path(run_id, p)
        # dbt writes into one fixed file, renamed to the run's name when it is done: the profile
        # (and the run id, an env var) stay the same from run to run, so dbt's partial parsing
        # survives and a build does not pay a full parse of the project (~7 s)
        work = p.builds / "_dbt_build.duckdb"
        for stale in (db, work):
            for f in (stale, stale.with_name(stale.name + ".wal")):
                f.unlink(missing_ok=True)
        start = "empty"
        inputs = build_inputs(p)
        selected = None
        if not full_refresh and p.published.exists():
            selected = selection(inputs, _published_inputs(p.published))
            start = f"{_clone(p.published, work)} of {p.published.name}"
        args = ["build"]
        if full_refresh or start == "empty":
            args.append("--full-refresh")
        elif selected is not None:
            args += ["--select", *selected]
        if not (("--full-refresh" in args) if unit_tests is None else unit_tests):
            args += ["--exclude-resource-type", "unit_test"]
        out = run_dbt(args, work, p, run_id)
        from orchestration import openlineage

        openlineage.emit_dbt(p, work, run_id)  # one event pair per model, seed and test
        _record_inputs(work, inputs)
        os.replace(work, db)
        summary = [line for line in out.splitlines() if "Done. PASS=" in line]
        mode = "full refresh" if "--full-refresh" in args else f"incremental from {start}"
        if selected is not None:
            mode += " (selected: " + " ".join(selected) + ")"
        rec.detail = f"{mode}; " + (summary[-1].split("]: ")[-1].strip() if summary else "")
        rec.rows_out = _mart_rows(db)
        log.info("dbt build done (%s)", rec.detail or "(no summary)")
    return db


def build_stats(db: Path, p: Paths | None = None) -> dict:
    """Figures of a finished build for the benchmark: rows per table and what dbt reported."""
    import json

    import duckdb

    p = p or paths()
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {r[0]: r[1] for r in con.execute(
            "select table_name, estimated_size from duckdb_tables()").fetchall()}
    finally:
        con.close()
    stats: dict = {"table_rows": tables, "rows_out": sum(tables.values())}
    results = p.dbt / "target" / "run_results.json"
    if results.exists():
        rr = json.loads(results.read_text())
        stats["dbt_elapsed_s"] = round(rr.get("elapsed_time", 0.0), 2)
        stats["dbt_nodes"] = len(rr.get("results", []))
        slow = sorted(rr.get("results", []), key=lambda r: -r.get("execution_time", 0))[:8]
        stats["dbt_slowest"] = {r["unique_id"]: round(r["execution_time"], 2) for r in slow}
    return stats


def gated_rows(db: Path) -> int:
    """Rows in the mart tables the gate validates (the ones present in ``db``)."""
    import duckdb

    from expectations.definitions import MARTS

    con = duckdb.connect(str(db), read_only=True)
    try:
        present = {r[0] for r in con.execute(
            "select table_name from duckdb_tables()").fetchall()}
        return sum(con.execute(f'select count(*) from "{t}"').fetchone()[0]
                   for t in MARTS if t in present)
    finally:
        con.close()


def gate(run_id: str, p: Paths | None = None) -> list:
    """Validate the run's build file with the mart suites; raises GateFailed on a critical
    failure. Every suite's result goes into the run history; failures and warnings alert."""
    from expectations import gates
    from sinkwatch import alerts

    p = p or paths()
    db = build_path(run_id, p)
    if not db.exists():
        raise FileNotFoundError(f"no build for run {run_id}: {db}")
    with runlog.stage(run_id, "gate", p) as rec:
        started = datetime.now(UTC)
        results = gates.validate_marts(db, run_id)
        rec.extra_rows = runlog.gate_rows(results, started)
        rec.rows_in = len(results)
        rec.detail = f"{sum(r.passed for r in results)}/{len(results)} suites passed"
        failed = [r for r in results if not r.passed]
        warned = [r for r in results if r.passed and r.n_failed_warning]
        if failed:
            err = gates.GateFailed(failed)
            alerts.notify(f"gate failed for run {run_id}: nothing published", str(err),
                          level="error", run_id=run_id, stage="gate")
            raise err
        if warned:
            alerts.notify(
                f"gate passed with warnings for run {run_id}",
                "\n".join(r.summary() + "".join(f"\n  - {gates.describe_failure(f)}"
                                                 for f in r.warnings) for r in warned),
                level="warning", run_id=run_id, stage="gate")
    return results


def publish(run_id: str, p: Paths | None = None) -> Path:
    """Swap the validated build in as ``warehouse/marts.duckdb`` (atomic rename) and keep it in
    ``warehouse/published/`` named by run date. Readers holding the old file open keep reading
    the old inode; nobody ever sees a half-written warehouse."""
    p = (p or paths()).ensure()
    db = build_path(run_id, p)
    if not db.exists():
        raise FileNotFoundError(f"no validated build for run {run_id}: {db}")
    runlog.write(run_id, "publish", [{"status": "succeeded", "started_at": datetime.now(UTC),
                                      "finished_at": datetime.now(UTC),
                                      "detail": f"published as {p.published.name}"}], p)
    _attach_run_history(db, p)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    kept = p.history / f"marts_{stamp}_{safe_run_id(run_id)}.duckdb"
    kept.unlink(missing_ok=True)
    os.link(db, kept)  # same bytes, no copy; the history name survives the rename below
    os.replace(db, p.published)
    _prune_history(p)
    log.info("published %s (kept as %s)", p.published, kept.name)
    return p.published


def _attach_run_history(db: Path, p: Paths) -> None:
    """Copy the run history (every run's stages, this run's gate results and publish included)
    into the validated build as ``ops_run_history``, just before it is swapped in."""
    import duckdb

    con = duckdb.connect(str(db))
    try:
        con.execute(
            "create or replace table ops_run_history as "
            "select * from read_parquet(?, union_by_name = true) "
            "order by started_at, run_id, stage, suite nulls first",
            [runlog.glob_pattern(p)],
        )
        con.execute("comment on table ops_run_history is 'Every stage of every run: status, "
                    "timings, rows in/out and gate results per suite (sinkwatch/runlog.py)'")
    finally:
        con.close()


def _prune_history(p: Paths) -> None:
    versions = sorted(p.history.glob("marts_*.duckdb"), key=lambda f: f.stat().st_mtime)
    for old in versions[:-KEEP_PUBLISHED]:
        old.unlink(missing_ok=True)


def refresh_dashboard(run_id: str, p: Paths | None = None) -> Path:
    from dashboards import incremental
    from dashboards.build import build_site

    p = p or paths()
    if not p.published.exists():
        raise FileNotFoundError(f"nothing published yet: {p.published}")
    with runlog.stage(run_id, "dashboard", p) as rec:
        site = build_site(p.published, p.site, safe_run_id(run_id))
        # only the page groups whose marts changed are rendered (build-manifest.json says which)
        groups = incremental.read_manifest(site).get("groups", {})
        rec.detail = f"{site}; rendered: " + (
            ", ".join(g for g, v in groups.items() if v.get("rendered")) or "none")
    return site


def ingest(families: list[str], run_id: str = "manual", gate: bool = True,
           p: Paths | None = None) -> list:
    """Ingest what waits in landing/ for each family, in the order given (parcels first: the
    later families check against the new layer). The GX Data Docs are rebuilt once at the end
    when any file was gated (their pages and the index), also when a family fails
    after earlier ones were gated."""
    from ingestion import loader

    p = p or paths()
    rows = []
    ok = False
    try:
        for family in families:
            with runlog.stage(run_id, f"ingest:{family}", p) as rec:
                got = loader.ingest_family(family, p, run_id=run_id, gate=gate, docs=False)
                rec.rows_in = sum(r.rows_read for r in got)
                rec.rows_out = sum(r.rows_accepted for r in got)
                rec.detail = f"{len(got)} new file(s)" + "".join(
                    f"; {r.file_name}: {r.status}" for r in got if r.status != "loaded")
            rows += got
        ok = True
    finally:
        if any(r.gate_suite for r in rows):
            from expectations import gates

            try:
                gates.build_data_docs(gates.docs_run_names(rows))
            except Exception:
                if ok:
                    raise
                # a family failed: its error is the one to see, not this one
                log.exception("Data Docs rebuild after a failed ingest failed too")
    return rows


def run_all(run_id: str | None = None, p: Paths | None = None, full_refresh: bool = False
            ) -> Path:
    """The whole nightly path without Airflow (same functions the DAGs call)."""
    from sinkwatch.contracts import INGEST_ORDER

    p = p or paths()
    run_id = run_id or datetime.now(UTC).strftime("cli_%Y%m%dT%H%M%S")
    ingest(INGEST_ORDER, run_id=run_id, p=p)  # one call: one Data Docs rebuild
    from orchestration import alerting, fire

    fire.rate(run_id, p)  # as the weather DAG does after its ingest
    alerting.run(list(alerting.EVALUATORS), run_id=run_id, p=p)  # as the ingest DAGs do
    build(run_id, full_refresh=full_refresh, p=p)
    gate(run_id, p=p)
    publish(run_id, p=p)
    from orchestration import trading

    trading.load_creditable(run_id, p=p)  # gated numbers only (see orchestration/trading.py)
    return refresh_dashboard(run_id, p=p)
