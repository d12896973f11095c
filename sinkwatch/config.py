"""Where everything lives. All runtime output goes under ``$SINKWATCH_HOME`` (default ``./var``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def cache(self) -> Path:
        """Caches that never change a result (e.g. parsed parcels uploads by sha256)."""
        return self.home / "cache"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse"

    @property
    def raw(self) -> Path:
        """Raw layer: one Parquet file per received file, per family."""
        return self.warehouse / "raw"

    @property
    def quarantine(self) -> Path:
        return self.warehouse / "quarantine"

    @property
    def manifest(self) -> Path:
        return self.warehouse / "manifest"

    @property
    def monitoring(self) -> Path:
        """Snapshots of the monitoring state (alert store, fire events, fire danger) as Parquet,
        written by the alerting runs and the nightly run, read by the dbt build."""
        return self.warehouse / "monitoring"

    @property
    def receipts(self) -> Path:
        """One row per file the ingest looked at (also duplicates and refused files)."""
        return self.warehouse / "receipts"

    @property
    def builds(self) -> Path:
        """Run-specific DuckDB files that dbt builds into before the gate."""
        return self.warehouse / "builds"

    @property
    def published(self) -> Path:
        """The one file analysts and dashboards read."""
        return self.warehouse / "marts.duckdb"

    @property
    def history(self) -> Path:
        """Previously published versions, named by run date."""
        return self.warehouse / "published"

    @property
    def site(self) -> Path:
        return self.home / "site"

    @property
    def airflow(self) -> Path:
        return self.home / "airflow"

    @property
    def gx(self) -> Path:
        return self.home / "gx"

    @property
    def dbt(self) -> Path:
        """dbt's target/ and logs/ (kept out of the source tree)."""
        return self.home / "dbt"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    def landing_for(self, family: str) -> Path:
        return self.landing / family

    def ensure(self) -> Paths:
        for p in (self.landing, self.archive, self.raw, self.quarantine, self.manifest,
                  self.receipts, self.builds, self.history, self.gx, self.dbt, self.logs):
            p.mkdir(parents=True, exist_ok=True)
        return self


def home() -> Path:
    return Path(os.environ.get("SINKWATCH_HOME", REPO_ROOT / "var")).resolve()


def paths() -> Paths:
    return Paths(home())


DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
BOUNDARIES_GEOJSON = REPO_ROOT / "sinkwatch" / "data" / "baotou_districts_datav.geojson"
