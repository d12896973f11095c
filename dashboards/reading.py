"""Reading the published marts and the raw-layer fallbacks for the dashboard.

Eagerly (:func:`read_frames`, :func:`read_raw`) or lazily: :class:`LazyFrames` and
:class:`LazyRaw` are read-only mappings that know at plan time which tables are there (and
their row counts and columns, from DuckDB's catalogue) but read a table or a raw family only
when a page first asks for it, with the build's one read-only connection. A page group found in
the render cache, or a page that never touches a table, costs nothing; the zones map reads no
parcel row when the parsed parcel geometry is in the geometry store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import duckdb
import pandas as pd

log = logging.getLogger(__name__)

#: Tables read when present (all marts: fct_*, dim_*, ops_*, meta_*).
MART_PREFIXES = ("fct_", "dim_", "ops_", "meta_")
MAX_MART_ROWS = 250_000  # a mart larger than this is not something a page plots
#: Raw-layer families used as fallbacks: family -> columns read.
RAW_FALLBACKS = {
    "parcels": ["parcel_id", "county_code", "zone_id", "land_class", "area_mu", "geometry_wkt"],
    "fire_hotspots": ["latitude", "longitude", "acq_date", "acq_time_utc", "satellite",
                      "instrument", "confidence_pct", "frp_mw", "county_code", "parcel_id"],
    "fire_reports": ["report_id", "county_code", "parcel_id", "start_date", "end_date", "lon",
                     "lat", "burned_area_ha", "vegetation_type", "cause"],
    "pest_reports": ["report_id", "county_code", "parcel_id", "report_date", "pest", "host",
                     "affected_area_mu", "severity", "dead_trees", "damaged_rate_pct"],
}
#: Rows of a raw family the pages use (when the column exists): parcel geometry only draws the
#: zones (outlines, a zone's parcels); 60 % of the city's raw parcel rows are outside any zone.
RAW_ROWS = {"parcels": ("zone_id", "zone_id is not null")}


def raw_files(raw_dir: Path, family: str) -> list[Path]:
    return [f for f in sorted((raw_dir / family).glob("*.parquet")) if f.stat().st_size > 0]


def read_raw(con: duckdb.DuckDBPyConnection, raw_dir: Path, family: str,
             wanted: list[str]) -> pd.DataFrame | None:
    if not raw_files(raw_dir, family):
        return None
    glob = str(raw_dir / family / "*.parquet").replace("'", "''")
    try:
        rel = con.sql(f"select * from read_parquet('{glob}', union_by_name = true)")
        cols = [c for c in wanted if c in rel.columns]
        if not cols:
            return None
        rel = rel.select(", ".join(f'"{c}"' for c in cols))
        if family in RAW_ROWS and RAW_ROWS[family][0] in cols:
            rel = rel.filter(RAW_ROWS[family][1])
        return rel.df()
    except duckdb.Error as e:
        log.warning("raw %s unreadable, skipped: %s", family, e)
        return None


def present_marts(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main'"
    ).fetchall() if r[0].startswith(MART_PREFIXES)}


def _rows(con: duckdb.DuckDBPyConnection, name: str) -> int | None:
    """The mart's row count, or None (and a warning) when the dashboard does not read it."""
    n = con.execute(f'select count(*) from main."{name}"').fetchone()
    if n and n[0] > MAX_MART_ROWS:
        log.warning("mart %s has %s rows; not read by the dashboard", name, n[0])
        return None
    return int(n[0]) if n else 0


def read_frame(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    # in a fixed order: a mart built by parallel aggregation has no stable row order,
    # and the pages list rows in the order read (ties of a page's own sort included)
    return con.execute(f'select * from main."{name}" order by all').df()


def read_frames(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> dict[str, pd.DataFrame]:
    return {name: read_frame(con, name) for name in sorted(names) if _rows(con, name) is not None}


class LazyFrames(Mapping[str, pd.DataFrame]):
    """The marts ``names`` of ``con`` that the dashboard reads (not larger than
    ``MAX_MART_ROWS``), each read (as :func:`read_frame`) on first access. Membership, row
    counts and columns come from the catalogue at construction, without reading rows.
    ``loads`` records every table (and raw family, see :class:`LazyRaw`) read, in order."""

    def __init__(self, con: duckdb.DuckDBPyConnection, names: Iterable[str],
                 loads: list[str] | None = None) -> None:
        self._con = con
        self._rows: dict[str, int] = {}
        for name in sorted(set(names)):
            n = _rows(con, name)
            if n is not None:
                self._rows[name] = n
        self._cols: dict[str, list[str]] = {n: [] for n in self._rows}
        for table, column in con.execute(
                "select table_name, column_name from information_schema.columns "
                "where table_schema = 'main' order by table_name, ordinal_position").fetchall():
            if table in self._cols:
                self._cols[table].append(column)
        self._frames: dict[str, pd.DataFrame] = {}
        self.loads: list[str] = [] if loads is None else loads

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._rows:
            raise KeyError(name)
        if name not in self._frames:
            self._frames[name] = read_frame(self._con, name)
            self.loads.append(name)
        return self._frames[name]

    def __contains__(self, name: object) -> bool:
        return name in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def shape_of(self, name: str) -> tuple[int, list[str]]:
        """(rows, columns) of a mart in the mapping, without reading it."""
        return self._rows[name], list(self._cols[name])


class LazyRaw(Mapping[str, pd.DataFrame]):
    """The raw-layer fallbacks ``families`` under ``raw_dir``, each read (as :func:`read_raw`)
    on first access; a family whose files are missing or unreadable is not in the mapping."""

    def __init__(self, con: duckdb.DuckDBPyConnection, raw_dir: Path | None,
                 families: Iterable[str], loads: list[str] | None = None) -> None:
        self._con = con
        self._dir = raw_dir
        self._families = [f for f in RAW_FALLBACKS if f in set(families)]
        self._frames: dict[str, pd.DataFrame | None] = {}
        self.loads: list[str] = [] if loads is None else loads

    def available(self, family: str) -> bool:
        """Whether the family has non-empty Parquet files (without reading them)."""
        return (self._dir is not None and family in self._families
                and bool(raw_files(self._dir, family)))

    def _load(self, family: str) -> pd.DataFrame | None:
        if family not in self._frames:
            df = None
            if self._dir is not None and family in self._families and self._dir.is_dir():
                df = read_raw(self._con, self._dir, family, RAW_FALLBACKS[family])
                self.loads.append(f"raw:{family}")
            self._frames[family] = df
        return self._frames[family]

    def __getitem__(self, family: str) -> pd.DataFrame:
        df = self._load(family)
        if df is None:
            raise KeyError(family)
        return df

    def __contains__(self, family: object) -> bool:
        return isinstance(family, str) and self._load(family) is not None

    def __iter__(self) -> Iterator[str]:
        return iter([f for f in self._families if self._load(f) is not None])

    def __len__(self) -> int:
        return len(list(iter(self)))
