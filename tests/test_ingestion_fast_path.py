"""The DuckDB fast path for plain vegetation-index CSVs gives exactly what the row-by-row path
gives: the same accepted rows and values, the same quarantined rows with the same reasons."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pyarrow.parquet as pq
import pytest

from ingestion import vegetation_fast
from ingestion.loader import ingest_family, ingest_paths
from sinkwatch.config import Paths
from tests.conftest import write

PARCELS = [f"150222-F-{i:06d}" for i in range(1, 41)]


def _parcels(home: Paths) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame(
        {"parcel_id": PARCELS, "county_code": "150222", "land_class": "forest",
         "survey_year": 2024},
        geometry=[box(110 + i * 0.01, 41, 110.009 + i * 0.01, 41.009) for i in range(40)],
        crs="EPSG:4326")
    src = home.home / "parcels.geojson"
    gdf.to_file(src, driver="GeoJSON")
    ingest_paths("parcels", [src], home, gate=False)


def _messy_csv() -> str:
    start = date(2024, 1, 1)
    rows = ["parcel_id,date,ndvi,evi,quality"]
    for i in range(2000):
        d = start + timedelta(days=16 * (i // 40))
        rows.append(f"{PARCELS[i % 40]},{d},0.{(i * 7) % 9 + 1}{i % 10},0.2{i % 10},{i % 4}")
    rows += [
        f"{PARCELS[0]},2024-01-01,0.5,,0",  # duplicate of row 2 (same spelling)
        f" {PARCELS[1]},2024/1/1,0.5,,0",  # duplicate of row 3 once normalised
        f"{PARCELS[2]},2099-01-01,0.5,,0",  # future
        "NOPE,2024-02-03,0.5,,0",  # unknown parcel
        f"{PARCELS[3]},2024-02-03,-3000,-3000,-1",  # fill value
        f"{PARCELS[4]},2024-02-03,-0.5,,0",  # below minimum
        f"{PARCELS[5]},2024-02-03,abc,,0",  # unparseable
        f"{PARCELS[6]},2024-02-03,0.5,,7",  # quality not allowed
        f"{PARCELS[7]},2024-02-03,,,0",  # required value empty
        f"{PARCELS[8]},2024年3月6日,0.41,0.22,0",  # a Chinese date: row by row, accepted
        f"{PARCELS[9]},2024-03-07,0.1234567,,1",  # 7 decimals: rounded row by row
    ]
    return "\n".join(rows) + "\n"


def _ingest(home: Paths, text: str) -> tuple:
    _parcels(home)
    write(home.landing_for("vegetation_indices") / "messy.csv", text)
    [row] = ingest_family("vegetation_indices", home, gate=False)
    raw = pq.read_table(home.home / row.raw_path).to_pandas()
    raw = raw.drop(columns=["_source_file", "_ingested_at"]).sort_values("_source_row")
    if row.quarantine_path is None:
        return row, raw.reset_index(drop=True), None
    q = pq.read_table(home.home / row.quarantine_path).to_pandas()
    q = q[["row_number", "field", "reason_code", "reason"]].sort_values("row_number")
    return row, raw.reset_index(drop=True), q.reset_index(drop=True)


def test_fast_path_equals_row_by_row(tmp_path, monkeypatch):
    text = _messy_csv()
    monkeypatch.setenv("SINKWATCH_HOME", str(tmp_path / "fast"))
    fast_row, fast_raw, fast_q = _ingest(Paths(tmp_path / "fast").ensure(), text)
    assert "rows checked in DuckDB" in fast_row.detail

    monkeypatch.setattr(vegetation_fast, "fast_plan", lambda *a, **k: None)
    monkeypatch.setenv("SINKWATCH_HOME", str(tmp_path / "slow"))
    slow_row, slow_raw, slow_q = _ingest(Paths(tmp_path / "slow").ensure(), text)
    assert "rows checked in DuckDB" not in slow_row.detail

    counts = ("rows_received", "rows_accepted", "rows_quarantined", "records_written", "status")
    assert [getattr(fast_row, c) for c in counts] == [getattr(slow_row, c) for c in counts]
    assert json.loads(fast_row.reason_counts) == json.loads(slow_row.reason_counts)
    assert fast_row.rows_received == 2011 and fast_row.rows_quarantined >= 8
    assert {"duplicate_key", "future_date", "unknown_parcel", "fill_value", "below_minimum",
            "not_allowed"} <= set(json.loads(fast_row.reason_counts))
    pd.testing.assert_frame_equal(fast_raw, slow_raw)
    pd.testing.assert_frame_equal(fast_q, slow_q)
    seven = fast_raw.loc[fast_raw["_source_row"] == 2012, "ndvi"].item()
    assert seven == pytest.approx(0.123457, abs=1e-12)


def test_unscaled_file_takes_the_ordinary_path(tmp_path, monkeypatch):
    monkeypatch.setenv("SINKWATCH_HOME", str(tmp_path / "h"))
    home = Paths(tmp_path / "h").ensure()
    text = f"parcel_id,date,ndvi,evi,quality\n{PARCELS[0]},2024-06-09,6512,4101,0\n"
    row, raw, _ = _ingest(home, text)
    assert "rows checked in DuckDB" not in row.detail and "x 0.0001" in row.detail
    assert raw["ndvi"].item() == pytest.approx(0.6512)
