"""The raw layer: the Parquet schema of a family's accepted rows (contract columns + lineage),
atomic Parquet writes, and the post-pass over a streamed file's batches (duplicate keys across
batches to quarantine, points averaged per parcel and composite) that writes
``raw/<family>/<sha256>.parquet``. Used by :mod:`ingestion.loader`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sinkwatch.contracts import Family

if TYPE_CHECKING:
    from ingestion.quarantine import _Quarantine

#: DuckDB's memory cap for the streaming post-pass (it spills to disk beyond it).
DUCKDB_MEMORY_LIMIT = "512MB"

ARROW_TYPES = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "date": pa.date32(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
TS = pa.timestamp("us", tz="UTC")


def raw_schema(family: Family) -> pa.Schema:
    fields = [pa.field(c.name, ARROW_TYPES[c.dtype]) for c in family.columns]
    fields += [
        pa.field("_source_file", pa.string()),
        pa.field("_source_sha256", pa.string()),
        pa.field("_source_row", pa.int64()),
        pa.field("_ingested_at", TS),
    ]
    return pa.schema(fields)


def _write_parquet_atomic(table: pa.Table, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    pq.write_table(table, tmp)
    tmp.replace(dest)


def _raw_table(frame: pd.DataFrame, schema: pa.Schema, lineage: dict) -> pa.Table:
    n = len(frame)
    cols = []
    for f in schema:
        if f.name in lineage:
            cols.append(pa.array([lineage[f.name]] * n, type=f.type))
        elif f.name in frame.columns:
            cols.append(pa.Array.from_pandas(frame[f.name], type=f.type))
        else:
            cols.append(pa.nulls(n, type=f.type))
    return pa.Table.from_arrays(cols, schema=schema)


def _finalize_streamed(
    family: Family, tmp_raw: Path, dest: Path, points: bool, quarantine: _Quarantine, file_name: str
) -> int:
    """Duplicate keys across batches -> quarantine; points averaged per parcel and composite.
    Returns the number of accepted source rows removed as duplicates."""
    key = ", ".join(family.key)
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = false")
    con.execute(f"set memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    con.execute(f"set temp_directory = '{tmp_raw.parent.parent.parent / '.duckdb_tmp'}'")
    try:
        src = f"read_parquet('{tmp_raw}')"
        if points:
            good = "quality in (0, 1)"
            con.execute(f"""
                copy (
                    select parcel_id, composite_date,
                        coalesce(avg(ndvi) filter (where {good}), avg(ndvi)) as ndvi,
                        coalesce(avg(evi) filter (where {good}), avg(evi)) as evi,
                        case when count(*) filter (where {good}) > 0
                             then max(quality) filter (where {good})
                             else mode(quality) end::bigint as quality,
                        coalesce(stddev_pop(ndvi) filter (where {good}), stddev_pop(ndvi))
                            as ndvi_std,
                        case when count(*) filter (where {good}) > 0
                             then count(*) filter (where {good}) else count(*)
                        end::bigint as pixel_count,
                        any_value(_source_file) as _source_file,
                        any_value(_source_sha256) as _source_sha256,
                        min(_source_row) as _source_row,
                        any_value(_ingested_at) as _ingested_at
                    from {src}
                    group by parcel_id, composite_date
                    order by _source_row
                ) to '{dest}' (format parquet)
            """)
            return 0
        n_dup = con.execute(f"""
            select count(*) from (select {key} from {src} group by all having count(*) > 1)
        """).fetchone()[0]
        if n_dup == 0:  # the common case: the batches are written as they are, in file order
            tmp_raw.replace(dest)
            return 0
        dups = con.execute(f"""
            select _source_row, {key} from (
                select *, row_number() over (partition by {key} order by _source_row) as rn
                from {src}) where rn > 1 order by _source_row
        """).df()
        if len(dups):
            quarantine.write(
                dups["_source_row"].astype("int64"),
                [key] * len(dups),
                ["duplicate_key"] * len(dups),
                [
                    f"{file_name} row {r}: duplicate key ({key}) already seen earlier in the file"
                    for r in dups["_source_row"]
                ],
                [
                    json.dumps(
                        {k: str(v) for k, v in r.items() if k != "_source_row"}, ensure_ascii=False
                    )
                    for r in dups.to_dict("records")
                ],
            )
        con.execute(f"""
            copy (select * exclude (rn) from (
                select *, row_number() over (partition by {key} order by _source_row) as rn
                from {src}) where rn = 1 order by _source_row) to '{dest}' (format parquet)
        """)
        return len(dups)
    finally:
        con.close()
