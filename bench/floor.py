"""The same-work floor of the vegetation-index path (issue #17): what the pipeline does to the
index files, written as directly as DuckDB allows, in one process.

    python -m bench.floor <result.json> <parcels.parquet glob> <work dir> <index CSV> ...

Per file, as the pipeline does per uploaded file:

1. sha256 of the file, streamed (the manifest's identity of a file);
2. ``read_csv`` with explicit types; a row that does not parse (a bad date or number) goes to
   DuckDB's reject table (``store_rejects``) with the line and the error;
3. the contract's checks of ``vegetation_indices`` (sinkwatch/contracts.py) as SQL, each failing
   row written to a reject table with its file, line and reason: parcel id present and in the
   parcels table, composite date not in the future, NDVI in [-0.2, 1] (MODIS fill values such
   as -0.3 / -3000 fall outside), EVI empty or in [-0.2, 1], quality in the MODIS pixel
   reliability set (-1 fill, 0 good, 1 marginal, 2 snow, 3 cloud), no duplicate
   (parcel_id, date) earlier in the file;
4. the accepted rows ``COPY``-ed to one Parquet file (the raw layer).

Then, from the Parquet, the staging table (``stg_rs__vegetation_indices``: year, good-quality
flag, source file and sha256) and the per-parcel statistics the marts use: seasonal counts, snow
and cloud share and newest composite (``qa_vegetation_index_seasons``) and the July-August peak
NDVI per parcel and year (``int_parcel_peak_ndvi``).

Not done here, and done by the pipeline (the reason the ratio can never be 1): the manifest,
the archive copy of every upload, the GX raw gate over the accepted batch, the run log, dbt's
own tests and bookkeeping.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

PARSE = """
create or replace table batch as
select row_number() over () + 1 as line, *
from read_csv(?, header = true, store_rejects = true, rejects_table = 'parse_rejects',
    rejects_scan = 'parse_scans',
    columns = {'parcel_id': 'varchar', 'date': 'date', 'ndvi': 'double', 'evi': 'double',
               'quality': 'integer'})
"""

CHECK = """
create or replace table checked as
select
    batch.*,
    case
        when batch.parcel_id is null or trim(batch.parcel_id) = '' then 'parcel_id: required'
        when parcels.parcel_id is null then 'parcel_id: not in the parcels layer'
        when date is null then 'date: required'
        when date > current_date then 'date: in the future'
        when ndvi is null then 'ndvi: required'
        when ndvi not between -0.2 and 1.0 then 'ndvi: outside [-0.2, 1.0]'
        when evi is not null and evi not between -0.2 and 1.0 then 'evi: outside [-0.2, 1.0]'
        when quality is null or quality not in (-1, 0, 1, 2, 3) then 'quality: not in {-1..3}'
        when row_number() over (partition by batch.parcel_id, date order by line) > 1
            then 'duplicate key (parcel_id, date) earlier in the file'
    end as reason
from batch
left join parcels on batch.parcel_id = parcels.parcel_id
"""

STAGE = """
create or replace table stg_vegetation_indices as
select
    parcel_id,
    composite_date,
    year(composite_date) as composite_year,
    ndvi,
    evi,
    quality as pixel_reliability,
    quality = 0 as is_good_quality,
    source_file,
    source_sha256,
from read_parquet(?);

create or replace table vegetation_index_seasons as
select
    parcel_id,
    composite_year,
    case
        when month(composite_date) in (3, 4, 5) then 'spring'
        when month(composite_date) in (6, 7, 8) then 'summer'
        when month(composite_date) in (9, 10, 11) then 'autumn'
        else 'winter'
    end as season,
    count(*) as n_composites,
    round(avg(case when pixel_reliability in (2, 3) then 1.0 else 0.0 end), 4)
        as snow_cloud_share,
    max(composite_date) as newest_composite_date,
from stg_vegetation_indices
group by all;

create or replace table parcel_peak_ndvi as
select
    parcel_id,
    composite_year,
    max(ndvi) as peak_ndvi,
    count(*) as n_composites,
    max(composite_date) as newest_composite_date,
from stg_vegetation_indices
where is_good_quality and month(composite_date) in (7, 8)
group by all;
"""


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def run(files: list[Path], parcels_glob: str, work: Path) -> dict:
    import duckdb

    work.mkdir(parents=True, exist_ok=True)
    db = work / "floor.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    t: dict[str, float] = {"sha256_s": 0.0, "read_check_s": 0.0, "copy_parquet_s": 0.0}
    con.execute("create table parcels as select distinct parcel_id from read_parquet(?)",
                [parcels_glob])
    con.execute("create table rejects (source_file varchar, line bigint, reason varchar)")
    out: list[str] = []
    received = accepted = 0
    for i, f in enumerate(files):
        t0 = time.perf_counter()
        digest = sha256(f)
        t1 = time.perf_counter()
        con.execute(PARSE, [str(f)])
        con.execute(CHECK)
        con.execute("insert into rejects select ?, line, reason from checked "
                    "where reason is not null", [f.name])
        con.execute("insert into rejects select ?, line, error_message from parse_rejects",
                    [f.name])
        t2 = time.perf_counter()
        dest = work / f"vi_{i:03d}.parquet"
        con.execute(
            f"copy (select parcel_id, date as composite_date, ndvi, evi, quality, "
            f"'{f.name}' as source_file, '{digest}' as source_sha256, line as source_row "
            f"from checked where reason is null) to '{dest}' (format parquet)")
        t3 = time.perf_counter()
        n_in, n_ok = con.execute("select count(*), count(*) filter (where reason is null) "
                                 "from checked").fetchone()
        n_parse = con.execute("select count(*) from parse_rejects").fetchone()[0]
        con.execute("drop table parse_rejects; drop table parse_scans")  # per file
        received += n_in + n_parse
        accepted += n_ok
        out.append(str(dest))
        t["sha256_s"] += t1 - t0
        t["read_check_s"] += t2 - t1
        t["copy_parquet_s"] += t3 - t2
    t0 = time.perf_counter()
    for q in (s for s in STAGE.split(";") if s.strip()):
        con.execute(q, [out] if "read_parquet(?)" in q else [])
    t["staging_stats_s"] = time.perf_counter() - t0
    rejected = con.execute("select count(*) from rejects").fetchone()[0]
    figures = {
        "files": len(files), "rows_received": received, "rows_accepted": accepted,
        "rows_rejected": rejected,
        "staging_rows": con.execute("select count(*) from stg_vegetation_indices").fetchone()[0],
        "season_rows": con.execute("select count(*) from vegetation_index_seasons").fetchone()[0],
        "peak_rows": con.execute("select count(*) from parcel_peak_ndvi").fetchone()[0],
    } | {k: round(v, 2) for k, v in t.items()}
    con.close()
    for f in (db, *map(Path, out)):
        f.unlink(missing_ok=True)
    return figures


def main(argv: list[str]) -> None:
    result, parcels_glob, work, *files = argv
    figures = run([Path(f) for f in files], parcels_glob, Path(work))
    Path(result).write_text(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1:])
