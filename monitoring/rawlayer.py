"""The raw layer as the monitoring evaluators read it: DuckDB over the per-file Parquet of a
family, with the rows of superseded files dropped and one row per natural key (the latest
ingested), as the dbt staging models do. Alerts must not wait for the nightly build.
"""

from __future__ import annotations

import duckdb

from sinkwatch.config import Paths
from sinkwatch.contracts import FAMILIES


def has_rows(p: Paths, family: str) -> bool:
    """Any received file of ``family`` in the raw layer (the typed ``_empty.parquet`` aside)."""
    d = p.raw / family
    return d.is_dir() and any(f.name != "_empty.parquet" for f in d.glob("*.parquet"))


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for one evaluation (never the warehouse file: it has one writer)."""
    return duckdb.connect()


def _files_overlap(con: duckdb.DuckDBPyConnection, src: str, column: str) -> bool:
    """Whether two received files have overlapping ranges of ``column`` (then they may repeat
    a natural key)."""
    ranges = con.execute(
        f"select min({column}), max({column}) from {src} "
        f"where {column} is not null group by _source_sha256 order by 1").fetchall()
    return any(b[0] <= a[1] for a, b in zip(ranges, ranges[1:], strict=False))


def view(con: duckdb.DuckDBPyConnection, p: Paths, family: str,
         columns: list[str] | None = None, disjoint_by: str | None = None,
         with_source: bool = False) -> str:
    """Create the temp view ``raw_<family>``: the current rows of ``family`` (``columns``,
    default every contract column; ``with_source``: and ``_source_sha256``, the sha256 of the
    received file each row came from, for an alert's evidence). A column that no file has yet
    (a contract column added after the files were written) reads as null. Returns the view's
    name.

    One row per natural key, from the latest ingested file; ``disjoint_by`` (a key column)
    skips that sort when no two files overlap in that column (the yearly composite files of
    ``vegetation_indices``: the sort was most of the evaluation's time at city scale)."""
    fam = FAMILIES[family]
    cols = list(columns or fam.column_names) + (["_source_sha256"] if with_source else [])
    src = f"read_parquet('{p.raw / family}/*.parquet', union_by_name = true)"
    present = {r[0] for r in con.execute(f"describe select * from {src}").fetchall()}
    select = ", ".join(c if c in present else f"null as {c}" for c in cols)
    superseded = ""
    manifest = sorted((p.manifest / family).glob("*.parquet")) if p.manifest.is_dir() else []
    if manifest:
        files = ", ".join(f"'{m}'" for m in manifest)
        superseded = (f"where _source_sha256 not in (select sha256 from read_parquet([{files}], "
                      "union_by_name = true) where superseded_by is not null)")
    name = f"raw_{family}"
    latest = (f"qualify row_number() over (partition by {', '.join(fam.key)} "
              "order by _ingested_at desc, _source_row desc) = 1")
    if disjoint_by and not _files_overlap(con, f"(select * from {src} {superseded})",
                                          disjoint_by):
        latest = ""
    con.execute(f"create or replace temp view {name} as "
                f"select {select} from {src} {superseded} {latest}")
    return name
