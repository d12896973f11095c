"""The benchmark (bench/) at small scale: an incremental nightly build gives the same tables as a
full refresh over the same data (late corrections included), and ``make bench SCALE=small``
writes a JSON with every stage and figure."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import duckdb
import pytest

from bench import generate
from bench.run import STAGES, TARGETS, _land
from orchestration import pipeline
from sinkwatch.config import Paths

#: Tables that legitimately differ between two builds: the run id and build time, the history.
VOLATILE = {"meta_run", "ops_run_history"}
#: Columns that do too: which dbt invocation built the row (the incremental partition watermark).
VOLATILE_COLUMNS = {"built_invocation_id"}


def _sort_key(row: tuple) -> tuple:
    """Floats to 4 significant digits first (last-bit noise does not reorder rows), then the
    values themselves (rows that differ only further down keep a stable order)."""
    coarse = tuple(f"{v:.4g}" if isinstance(v, float) else repr(v) for v in row)
    return coarse, tuple(repr(v) for v in row)


def _tables(db) -> dict[str, list[tuple]]:
    """Every base table's rows, sorted."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'main' "
            "order by 1").fetchall()]
        out = {}
        for t in names:
            if t in VOLATILE:
                continue
            cols = [r[0] for r in con.execute(
                "select column_name from duckdb_columns() where table_name = ? "
                "order by column_index", [t]).fetchall() if r[0] not in VOLATILE_COLUMNS]
            sql = "select " + ", ".join(f'"{c}"' for c in cols) + f' from "{t}"'
            out[t] = sorted(con.execute(sql).fetchall(), key=_sort_key)
        return out
    finally:
        con.close()


def _same(a: list[tuple], b: list[tuple]) -> bool:
    """Equal rows, floats to 1e-4 relative. Two full refreshes of this dataset already differ by
    up to ~1e-5 relative in the forest sink and its uncertainty (DuckDB's parallel aggregation
    sums floats in a varying order; stock differences and variance terms amplify the last
    bits), so the accounting tables are compared with a tolerance; the incremental facts are
    compared exactly."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        for u, v in zip(x, y, strict=True):
            if isinstance(u, float) and isinstance(v, float):
                if not (math.isclose(u, v, rel_tol=1e-4, abs_tol=2e-3)
                        or (math.isnan(u) and math.isnan(v))):
                    return False
            elif u != v:
                return False
    return True


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench-data")
    generate.generate(out, "small")
    return out


def _late_correction(data, dest) -> None:
    """A corrected upload for an old composite (cloud-screened again): new values for the first
    30 parcels of the July 2024 composite, arriving with the nightly files."""
    src = data / "full" / "vegetation_indices" / "mod13q1_ndvi_parcels_2024.csv"
    day = (date(2024, 1, 1) + timedelta(days=int(generate.DOY[12]) - 1)).isoformat()
    lines = [x for x in src.read_text().splitlines()[1:] if f",{day}," in x][:30]
    assert len(lines) == 30
    fixed = []
    for x in lines:
        pid, day, ndvi, evi, _ = x.split(",")
        fixed.append(f"{pid},{day},{float(ndvi) * 0.9:.4f},{evi},0")
    dest.mkdir(parents=True, exist_ok=True)
    (dest / f"mod13q1_ndvi_parcels_{day}_reprocessed.csv").write_text(
        "parcel_id,date,ndvi,evi,quality\n" + "\n".join(fixed) + "\n")


def test_incremental_build_equals_full_refresh(small_data, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("SINKWATCH_HOME", str(home))
    p = Paths(home).ensure()
    families = list(generate.FAMILY_NAMES)

    _land(small_data / "full", p.landing)
    pipeline.ingest(families, run_id="full", gate=False, p=p)
    pipeline.build("full", full_refresh=True, p=p)
    pipeline.publish("full", p=p)

    _land(small_data / "nightly", p.landing)
    _late_correction(small_data, p.landing / "vegetation_indices")
    pipeline.ingest(families, run_id="nightly", gate=False, p=p)
    incremental = pipeline.build("nightly", p=p)
    log = (p.dbt / "logs" / "dbt.log").read_text()
    assert "stg_rs__vegetation_indices: 2 new or superseded file(s), 2 composite date(s)" in log

    refreshed = pipeline.build("nightly-full", full_refresh=True, p=p)
    inc, full = _tables(incremental), _tables(refreshed)
    assert set(inc) == set(full)
    assert "stg_rs__vegetation_indices" in inc and "qa_vegetation_index_seasons" in inc
    assert len(inc["stg_rs__vegetation_indices"]) > 50_000
    # lineage too: its incremental build re-reads only the parts dbt rebuilt (macros/lineage.sql)
    assert len(inc["lineage"]) > 1_000
    for exact in ("stg_rs__vegetation_indices", "qa_vegetation_index_seasons",
                  "int_parcel_peak_ndvi", "lineage", "int_lineage__stock_rows",
                  "int_lineage__sink_rows", "int_lineage__stratum_files"):
        assert inc[exact] == full[exact], exact
    assert {t for t in inc if not _same(inc[t], full[t])} == set()

    con = duckdb.connect(str(incremental), read_only=True)
    try:
        n, corrected = con.execute(
            "select count(*), count(*) filter (where source_file like "
            "'%reprocessed%') from stg_rs__vegetation_indices").fetchone()
        newest = con.execute(
            "select max(composite_date)::varchar from stg_rs__vegetation_indices").fetchone()[0]
    finally:
        con.close()
    dataset = json.loads((small_data / "dataset.json").read_text())
    assert n == dataset["vegetation_index_rows"] + dataset["nightly_vegetation_index_rows"]
    assert corrected == 30 and newest == dataset["nightly_date"]


def test_generator_is_deterministic(small_data, tmp_path):
    again = tmp_path / "again"
    generate.generate(again, "small")
    for f in sorted((small_data / "full" / "vegetation_indices").glob("*.csv")):
        assert f.read_bytes() == (again / "full" / "vegetation_indices" / f.name).read_bytes()


@pytest.mark.slow
def test_small_bench_writes_every_figure(tmp_path, monkeypatch):
    from bench import run

    monkeypatch.setenv("SINKWATCH_HOME", str(tmp_path / "home"))
    out = tmp_path / "latest.json"
    result = run.main(["--scale", "small", "--compare", "none", "--work", str(tmp_path / "work"),
                       "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    for name in ("full", "nightly"):
        r = result["runs"][name]
        assert set(r["stages"]) == set(STAGES)
        for figures in [*r["stages"].values(), r["total"]]:
            assert figures["wall_s"] >= 0 and figures["peak_rss_mb"] > 50
            assert figures["rows"] is not None and figures["rows_per_s"] is not None
        assert r["total"]["wall_s"] == pytest.approx(
            sum(r["stages"][s]["wall_s"] for s in STAGES), abs=0.05)
        assert r["stages"]["mart_gate"]["passed"] == r["stages"]["mart_gate"]["suites"]
    full, nightly = result["runs"]["full"], result["runs"]["nightly"]
    assert full["stages"]["ingest"]["rows"] > 50_000 > nightly["stages"]["ingest"]["rows"] > 1_000
    fl = result["floor"]
    assert fl["rows"] == fl["rows_received"] == result["dataset"]["vegetation_index_rows"]
    # the floor accepts what the pipeline accepted from the same files
    accepted = full["stages"]["ingest"]["by_family"]["vegetation_indices"]["rows"]
    assert fl["rows_accepted"] + fl["rows_rejected"] == accepted == fl["rows_received"]
    assert fl["staging_rows"] == fl["rows_accepted"] and fl["season_rows"] > 0
    ix = result["index_path"]
    assert ix["ingest_with_raw_gate_s"] > 0 and set(ix["dbt_nodes_s"]) == {
        "stg_rs__vegetation_indices", "qa_vegetation_index_seasons", "int_parcel_peak_ndvi",
        "tests"}
    assert fl["wall_s"] > 0 and result["ratio_index_path_to_floor"] > 1
    assert set(result["targets"]) == {
        "index_path_vs_floor", "full_run_s", "nightly_s", "nightly_vs_compare", "peak_rss_mb",
        "alert_latency_s"}
    assert result["targets"]["nightly_vs_compare"] == {"value": None, "limit": 1.5,
                                                       "met": False}
    assert result["projection"] is None  # one scale: no line to draw
    a = result["alerting"]
    assert a["alerts_opened"] == 1 and 0 < a["latency_s"] < 60
    assert a["alerting_steady_s"] > 0 and a["evaluators_steady"][
        "monitoring.fire_events:evaluate"]["changes"] == 0
    assert {t["limit"] for t in result["targets"].values()} == set(TARGETS.values())


def test_floor_rejects_each_contract_failure(tmp_path):
    """The same-work floor (bench/floor.py) does the contract's checks: each bad row is
    rejected with its reason, the rest reaches staging and the statistics."""
    from bench import floor

    con = duckdb.connect()
    parcels = tmp_path / "parcels.parquet"
    con.execute(f"copy (select * from (values ('P1'), ('P2')) t(parcel_id)) to '{parcels}'")
    con.close()
    csv = tmp_path / "vi.csv"
    csv.write_text("\n".join([
        "parcel_id,date,ndvi,evi,quality",
        "P1,2024-07-11,0.61,0.40,0",   # good, peak season
        "P1,2024-07-27,0.65,,0",       # good, no EVI
        "P2,2024-01-01,0.10,0.05,2",   # good (snow)
        "P9,2024-07-11,0.50,0.30,0",   # unknown parcel
        "P2,2999-01-01,0.50,0.30,0",   # future
        "P2,2024-08-12,1.50,0.30,0",   # NDVI out of range
        "P2,2024-08-28,0.50,-3.0,0",   # EVI out of range (fill)
        "P2,2024-09-13,0.50,0.30,7",   # quality not in the set
        "P1,2024-07-11,0.62,0.41,0",   # duplicate key
        "P2,notadate,0.50,0.30,0",     # does not parse
    ]) + "\n")
    second = tmp_path / "vi2.csv"  # a second file: each file's rejects counted once
    second.write_text("parcel_id,date,ndvi,evi,quality\nP2,2024-10-01,0.3,0.2,0\n"
                      "P2,2024-13-01,0.3,0.2,0\n")
    r = floor.run([csv, second], str(parcels), tmp_path / "work")
    assert r["rows_received"] == 12 and r["rows_accepted"] == 4 and r["rows_rejected"] == 8
    assert r["staging_rows"] == 4
    assert r["season_rows"] == 3  # P1 summer, P2 winter and autumn
    assert r["peak_rows"] == 1  # P1 2024: July-August, good quality


def test_projection_is_a_line_through_two_scales():
    from bench import run

    def scale(rows, nightly_rows, seconds, mb):
        stage = {s: {"wall_s": seconds, "peak_rss_mb": mb} for s in STAGES}
        return {"dataset": {"vegetation_index_rows": rows,
                            "nightly_vegetation_index_rows": nightly_rows},
                "runs": {"full": {"stages": stage}, "nightly": {"stages": stage}}}

    big = scale(2_000_000, 20_000, 30.0, 500.0)
    big["compare"] = scale(1_000_000, 10_000, 20.0, 300.0)
    pr = run.projection(big, factor=10)
    st = pr["runs"]["full"]["stages"]["ingest"]
    # 10 s per million rows, 10 s fixed: 10 + 10 * 20 = 210 s at 20 M rows
    assert st["fixed_s"] == 10.0 and st["s_per_million_rows"] == 10.0
    assert st["projected_s"] == 210.0
    assert st["projected_peak_rss_mb"] == 500 + 200 * 2 * 9  # 200 MB per M rows beyond 2 M
    assert pr["runs"]["full"]["projected_total_s"] == 210.0 * len(STAGES)
    assert pr["runs"]["nightly"]["stages"]["ingest"]["projected_s"] == 210.0
