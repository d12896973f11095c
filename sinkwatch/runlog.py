"""Run history: one Parquet file per run and stage under ``warehouse/ops/run_history/``, written
by every stage (ingest, dbt build, gate, publish, dashboard) whether it succeeds or fails, and
published with the marts as the table ``ops_run_history``. A rerun of the same stage of the same
run replaces its row(s), so retries do not duplicate history."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sinkwatch.config import Paths, paths

log = logging.getLogger(__name__)

SCHEMA = pa.schema([
    ("run_id", pa.string()),
    ("stage", pa.string()),
    ("suite", pa.string()),
    ("status", pa.string()),  # running | succeeded | failed | passed | passed_with_warnings
    ("started_at", pa.timestamp("us", tz="UTC")),
    ("finished_at", pa.timestamp("us", tz="UTC")),
    ("duration_s", pa.float64()),
    ("rows_in", pa.int64()),
    ("rows_out", pa.int64()),
    ("n_expectations", pa.int64()),
    ("n_passed", pa.int64()),
    ("n_failed_critical", pa.int64()),
    ("n_failed_warning", pa.int64()),
    ("detail", pa.string()),
])


def history_dir(p: Paths | None = None) -> Path:
    return (p or paths()).warehouse / "ops" / "run_history"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "x"


def write(run_id: str, stage: str, rows: list[dict], p: Paths | None = None) -> Path:
    """Replace the history rows of (run, stage)."""
    d = history_dir(p)
    d.mkdir(parents=True, exist_ok=True)
    dest = d / f"{_slug(run_id)}__{_slug(stage)}.parquet"
    full = [{f.name: r.get(f.name) for f in SCHEMA} | {"run_id": run_id, "stage": stage}
            for r in rows]
    tmp = dest.with_name(f".{dest.name}.tmp")
    pq.write_table(pa.Table.from_pylist(full, schema=SCHEMA), tmp)
    tmp.replace(dest)
    return dest


@dataclass
class StageRecord:
    rows_in: int | None = None
    rows_out: int | None = None
    detail: str = ""
    extra_rows: list[dict] = field(default_factory=list)


@contextlib.contextmanager
def stage(run_id: str, name: str, p: Paths | None = None) -> Iterator[StageRecord]:
    """Record a stage: 'running' on entry, then 'succeeded' or 'failed' (with the error)."""
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    rec = StageRecord()
    write(run_id, name, [{"status": "running", "started_at": started}], p)
    status, err = "succeeded", None
    try:
        yield rec
    except BaseException as exc:
        status, err = "failed", f"{type(exc).__name__}: {exc}"
        raise
    finally:
        row = {
            "status": status, "started_at": started, "finished_at": datetime.now(UTC),
            "duration_s": round(time.perf_counter() - t0, 3), "rows_in": rec.rows_in,
            "rows_out": rec.rows_out, "detail": (err or rec.detail or "")[:4000],
        }
        write(run_id, name, [row, *rec.extra_rows], p)


def gate_rows(results: list, started: datetime) -> list[dict]:
    """One history row per validated suite."""
    now = datetime.now(UTC)
    rows = []
    for r in results:
        status = "failed" if not r.passed else (
            "passed_with_warnings" if r.n_failed_warning else "passed")
        detail = "; ".join(
            f"{f['expectation_type']}[{', '.join(f.get('columns') or [])}] "
            f"{f['severity']}: {f.get('unexpected_count')} unexpected"
            for f in r.failures)
        rows.append({
            "suite": r.suite, "status": status, "started_at": started, "finished_at": now,
            "n_expectations": r.n_expectations, "n_passed": r.n_passed,
            "n_failed_critical": r.n_failed_critical, "n_failed_warning": r.n_failed_warning,
            "detail": detail[:4000],
        })
    return rows


def glob_pattern(p: Paths | None = None) -> str:
    return str(history_dir(p) / "*.parquet")
