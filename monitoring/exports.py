"""What the nightly build reads from monitoring: the alert store exported as Parquet (it lives in
SQLite or PostgreSQL, which dbt on DuckDB does not read), and the evaluators' snapshots (written
as empty typed files when no evaluation ran yet, so that the dbt sources always resolve)."""

from __future__ import annotations

from pathlib import Path

from monitoring import fire_events, store
from sinkwatch.config import Paths


def export_for_marts(p: Paths, url: str | None = None) -> list[Path]:
    """Into ``warehouse/monitoring/``: ``alerts.parquet`` and ``alert_changes.parquet`` now, and
    the fire-event snapshots where missing."""
    out = store.export_parquet(fire_events.snapshot_dir(p), url=url)
    fire_events.ensure_snapshots(p)
    return out
