"""Fast path for a clean plain vegetation-index CSV (``parcel_id, date, ndvi, evi, quality``):
every row is checked in DuckDB, the rows that pass are written without a trip through pandas, the
rest go through the ordinary reader (:mod:`ingestion.vegetation`) and row checks. Used by
:func:`ingestion.loader.ingest_file`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ingestion import headers
from ingestion.tabular import EmptyFile, UnknownLayout, UnreadableFile
from ingestion.vegetation import FAMILY, FILL, State, _finish, _header, _plain, layout_of

_DECIMAL = r"-?[0-9]+(\.[0-9]{1,6})?"
FAST_COLUMNS = ("parcel_id", "composite_date", "ndvi", "evi", "quality", "ndvi_std", "pixel_count")


@dataclass
class FastPlan:
    """A plain ``parcel_id, date, ndvi, evi, quality`` CSV split in DuckDB into the rows that pass
    every check of the contract as written (accepted without a round trip through pandas), and
    the rest, which go through the ordinary reader and row checks (:func:`split_rows`) and so get
    exactly the usual verdicts and reasons. A row is fast only when it is unambiguous: ISO date,
    plain decimals within range, an allowed quality, a known parcel, and a (parcel, date) key no
    other row of the file spells the same way; duplicates that only normalising reveals are
    resolved after the fact, as for any streamed file (``raw._finalize_streamed``)."""

    con: object
    columns: dict[str, str]  # contract name -> the file's header
    n_fast: int
    n_slow: int
    state: State
    format: str = "csv/plain"

    def slow_batches(self, ctx) -> Iterator[pd.DataFrame]:
        cols = ", ".join(f'coalesce("{h}", \'\') as "{h}"' for h in self.columns.values())
        reader = self.con.sql(
            f"select _source_row, {cols} from src semi join slow using (_source_row) "
            "order by _source_row").to_arrow_reader(200_000)
        for rb in reader:
            frame = rb.to_pandas()
            frame["_source_row"] = frame["_source_row"].astype("int64")
            yield _finish(_plain(frame), ctx, self.state)

    def accepted(self, schema: pa.Schema, lineage: dict) -> Iterator[pa.Table]:
        c = self.columns

        def val(name: str, cast: str) -> str:
            return f'try_cast(nullif(trim("{c[name]}"), \'\') as {cast})' if name in c else \
                f"null::{cast}"

        rel = self.con.sql(f"""
            select {val('parcel_id', 'varchar')} as parcel_id,
                {val('composite_date', 'date')} as composite_date,
                {val('ndvi', 'double')} as ndvi, {val('evi', 'double')} as evi,
                {val('quality', 'bigint')} as quality, {val('ndvi_std', 'double')} as ndvi_std,
                {val('pixel_count', 'bigint')} as pixel_count, _source_row
            from src anti join slow using (_source_row)
            order by _source_row
        """)
        for rb in rel.to_arrow_reader(500_000):
            n = rb.num_rows
            cols = {}
            for f in schema:
                if f.name in rb.schema.names:
                    cols[f.name] = rb.column(f.name).cast(f.type)
                elif f.name in lineage:
                    cols[f.name] = pa.array([lineage[f.name]] * n, type=f.type)
                else:
                    cols[f.name] = pa.nulls(n, type=f.type)
            yield pa.Table.from_pydict(cols, schema=schema)

    def copy_accepted(self, dest: Path, schema: pa.Schema, lineage: dict) -> int:
        """Write the accepted rows straight to ``dest`` (Parquet, the raw layer's ``schema``, in
        file order: src is scanned in insertion order, which DuckDB keeps with
        preserve_insertion_order) with DuckDB's parallel writer: the same rows and values as
        :meth:`accepted`, without the trip through Python. Only for a plan without slow rows
        (these are written by the loader, batch by batch, before the fast ones)."""
        if self.n_slow:
            raise ValueError("copy_accepted: the plan has rows for the ordinary reader")
        c = self.columns
        duck = {pa.string(): "varchar", pa.int64(): "bigint", pa.float64(): "double",
                pa.date32(): "date", pa.bool_(): "boolean",
                pa.timestamp("us", tz="UTC"): "timestamptz"}
        select = []
        for f in schema:
            cast = duck[f.type]
            if f.name in c:
                expr = f'try_cast(nullif(trim("{c[f.name]}"), \'\') as {cast})'
            elif f.name == "_source_row":
                expr = "_source_row::bigint"
            elif f.name in lineage:
                v = lineage[f.name]
                v = v.isoformat() if hasattr(v, "isoformat") else str(v)
                expr = "?::" + cast
                select.append((expr, f.name, v))
                continue
            else:
                expr = f"null::{cast}"
            select.append((expr, f.name, None))
        params = [v for _, _, v in select if v is not None]
        cols = ", ".join(f'{e} as "{n}"' for e, n, _ in select)
        self.con.execute("set timezone = 'UTC'")
        self.con.execute(
            f"copy (select {cols} from src) to '{dest}' "
            "(format parquet, compression snappy, row_group_size 122880)", params)
        return self.n_fast

    def close(self) -> None:
        self.con.close()


def fast_plan(path: Path, ctx, temp_dir: Path | None = None) -> FastPlan | None:
    """A :class:`FastPlan` for a plain CSV with a parcel_id column and only contract columns,
    or None (any other layout, an unscaled or unreadable file: the ordinary reader decides)."""
    import duckdb

    if path.suffix.lower() not in (".csv", ".txt") or path.stat().st_size == 0:
        return None
    try:
        cols, delim = _header(path)
        if layout_of(cols) != "plain":
            return None
    except (UnreadableFile, UnknownLayout, EmptyFile):
        return None
    mapped, unknown = headers.resolve(FAMILY, cols)
    columns = {m.column: m.source for m in mapped}
    if (unknown or any(m.factor != 1.0 for m in mapped)
            or not {"parcel_id", "composite_date", "ndvi", "quality"} <= set(columns)
            or not set(columns) <= set(FAST_COLUMNS) or len(set(cols)) != len(cols)):
        return None
    con = duckdb.connect()

    def run(query: str, params: list | None = None) -> list:
        return con.execute(query, params or []).fetchall()  # DuckDB 2.0: fetch every result

    try:
        run("set preserve_insertion_order = true")
        run("set memory_limit = '1GB'")
        if temp_dir is not None:
            temp_dir.mkdir(parents=True, exist_ok=True)
            run(f"set temp_directory = '{temp_dir}'")
        run(
            "create temp table src as select row_number() over () + 1 as _source_row, * "
            "from read_csv(?, header = true, all_varchar = true, delim = ?, quote = '\"', "
            "escape = '\"', auto_detect = false, columns = "
            + "{" + ", ".join(f"'{h}': 'varchar'" for h in cols) + "})",
            [str(path), delim],
        )
        n_ndvi, n_evi = (f'try_cast("{columns[k]}" as double)' if k in columns else "null"
                         for k in ("ndvi", "evi"))
        biggest = run(
            f"select greatest(max(abs({n_ndvi})) filter (where {n_ndvi} <> {FILL}), "
            f"max(abs({n_evi})) filter (where {n_evi} <> {FILL})) from src")[0][0]
        if biggest is not None and biggest > 1.0:
            con.close()
            return None  # unscaled MODIS integers: the ordinary reader scales them

        def txt(name: str) -> str:
            return f"coalesce(\"{columns[name]}\", '')" if name in columns else "''"

        def number(name: str, lo: float, hi: float, pattern: str = _DECIMAL,
                   optional: bool = True) -> str:
            t = txt(name)
            ok = (f"(regexp_full_match({t}, '{pattern}') and "
                  f"try_cast({t} as double) between {lo} and {hi})")
            return f"({t} = '' or {ok})" if optional else ok

        parcel = "true"
        if ctx.parcel_ids is not None:
            con.register("known_parcels", pa.table({"parcel_id": pa.array(ctx.parcel_ids)}))
            parcel = f"{txt('parcel_id')} in (select parcel_id from known_parcels)"
        today = ctx.refs.today.isoformat()
        iso = "'[0-9]{4}-[0-9]{2}-[0-9]{2}'"
        run(f"""
            create temp table slow as
            with checked as materialized (
                select _source_row, {txt('parcel_id')} as k_parcel,
                    {txt('composite_date')} as k_date,
                    coalesce(
                        regexp_full_match({txt('parcel_id')}, '\\S(.*\\S)?')
                        and {parcel}
                        and regexp_full_match({txt('composite_date')}, {iso})
                        and try_cast({txt('composite_date')} as date) <= date '{today}'
                        and {number('ndvi', -0.2, 1.0, optional=False)}
                        and {number('evi', -0.2, 1.0)}
                        and regexp_full_match({txt('quality')}, '-?[0-9]+')
                        and try_cast({txt('quality')} as bigint) in (-1, 0, 1, 2, 3)
                        and {number('ndvi_std', 0, 1.2)}
                        and {number('pixel_count', 0, 100_000_000, pattern='[0-9]+')},
                        false) as clean
                from src
            )
            select _source_row from checked where not clean
            union
            select _source_row from checked semi join (
                select k_parcel, k_date from checked group by all having count(*) > 1
            ) using (k_parcel, k_date)
        """)
        n_all = run("select count(*) from src")[0][0]
        n_slow = run("select count(*) from slow")[0][0]
    except duckdb.Error as exc:
        con.close()
        import logging

        logging.getLogger(__name__).info("%s: no DuckDB fast path (%s)", path.name, exc)
        return None  # malformed for DuckDB's reader: the ordinary reader reports it
    return FastPlan(con, columns, n_all - n_slow, n_slow, State())
