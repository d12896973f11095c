"""Parcels as GeoParquet and FlatGeobuf (issue #17): the sample parcels converted with GeoPandas
give the same accepted rows and the same quarantined rows and reasons as the GeoJSON they come
from; a Parquet decompression bomb or a Parquet without geo metadata is refused like any bad
upload; the parsed layer is cached by the upload's sha256 (the same bytes are parsed once, a
damaged cache entry is never used) and the cache changes no result."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion import parcel_cache, parcels, readers
from ingestion.context import Context
from ingestion.loader import ingest_family
from sample_data.landscape import build_landscape
from sample_data.surveys import _write_parcels

LINEAGE = ["_source_file", "_source_sha256", "_ingested_at"]


@pytest.fixture(scope="module")
def sample_geojson(tmp_path_factory) -> bytes:
    """The small sample's 2025 parcels layer, plus a bowtie and a parcel of an unknown land class
    (so that the quarantine is compared too)."""
    out = tmp_path_factory.mktemp("sample")
    paths = _write_parcels(build_landscape("small", 20211008), out)
    (path,) = [p for p in paths if p.name == "baotou_parcels_2025.geojson"]
    fc = json.loads(path.read_text(encoding="utf-8"))
    first = fc["features"][0]
    x, y, d = 110.0, 41.0, 0.005
    bowtie = [[[x, y], [x + 4 * d, y + 4 * d], [x + 4 * d, y], [x, y + 4 * d], [x, y]]]
    fc["features"].append({**first, "properties": {**first["properties"],
                                                  "parcel_id": "150222-F-999999"},
                           "geometry": {"type": "Polygon", "coordinates": bowtie}})
    fc["features"].append({**first, "properties": {**first["properties"],
                                                  "parcel_id": "150222-F-999998",
                                                  "land_class": "marsh"}})
    return json.dumps(fc, ensure_ascii=False).encode("utf-8")


def _land(home, name: str, data: bytes) -> None:
    dest = home.landing_for("parcels") / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)


def _convert(data: bytes, tmp_path, suffix: str) -> bytes:
    src = tmp_path / "src.geojson"
    src.write_bytes(data)
    gdf = gpd.read_file(src)
    out = tmp_path / f"conv{suffix}"
    if suffix == ".parquet":
        gdf.to_parquet(out)
    else:  # no spatial index (GDAL would reorder the features: row numbers follow the file),
        # and Polygon and MultiPolygon kept apart (GDAL would make every polygon a multi)
        gdf.to_file(out, driver="FlatGeobuf", SPATIAL_INDEX="NO", promote_to_multi=False)
    return out.read_bytes()


def _result(home, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accepted raw rows and quarantined rows of the last ingest, without lineage and with the
    file name taken out of the reasons."""
    raw = pd.concat([pd.read_parquet(p) for p in (home.raw / "parcels").glob("*.parquet")
                     if p.name != "_empty.parquet"], ignore_index=True)
    raw = raw.drop(columns=LINEAGE).sort_values(["parcel_id", "survey_year"])
    q = pd.concat([pd.read_parquet(p) for p in (home.quarantine / "parcels").glob("*.parquet")],
                  ignore_index=True).sort_values("row_number")
    q = q[["row_number", "field", "reason_code", "reason"]].assign(
        reason=q["reason"].str.replace(name, "<file>", regex=False))
    return raw.reset_index(drop=True), q.reset_index(drop=True)


def _reset(home) -> None:
    for sub in (home.raw, home.quarantine, home.manifest):
        shutil.rmtree(sub / "parcels", ignore_errors=True)


def test_geoparquet_and_flatgeobuf_give_the_geojson_rows(home, tmp_path, sample_geojson):
    results = {}
    for suffix, fmt in ((".geojson", "geojson"), (".parquet", "geoparquet"),
                        (".fgb", "flatgeobuf")):
        _reset(home)
        data = sample_geojson if suffix == ".geojson" else _convert(sample_geojson, tmp_path,
                                                                     suffix)
        name = f"xiaoban{suffix}"
        _land(home, name, data)
        [row] = ingest_family("parcels", home, gate=False)
        assert (row.status, row.format, row.rows_quarantined) == ("loaded", fmt, 2), row.detail
        assert row.rows_received == row.rows_accepted + 2
        results[suffix] = _result(home, name)
    raw, q = results[".geojson"]
    assert len(q) == 2 and "invalid_geometry" in set(q["reason_code"]), q
    for suffix in (".parquet", ".fgb"):
        pd.testing.assert_frame_equal(results[suffix][0], raw, check_exact=True)
        pd.testing.assert_frame_equal(results[suffix][1], q, check_exact=True)


def test_parquet_without_geo_metadata_or_expanding_too_far_is_refused(home, monkeypatch):
    plain = pa.table({"parcel_id": ["150222-F-000001"], "survey_year": [2025]})
    path = home.home / "plain.parquet"
    pq.write_table(plain, path)
    _land(home, "plain.parquet", path.read_bytes())
    # a column of zeros, 16 MB as written in the pages, a few KB on disk
    bomb = pa.table({"x": pa.array(np.zeros(2_000_000, dtype="int64"))})
    pq.write_table(bomb, path, compression="zstd", use_dictionary=False)
    _land(home, "bomb.parquet", path.read_bytes())
    rows = {r.file_name: r for r in ingest_family("parcels", home, gate=False)}
    assert rows["plain.parquet"].status == "unknown_layout"
    assert "must be GeoParquet" in rows["plain.parquet"].error
    assert (rows["plain.parquet"].rows_received, rows["plain.parquet"].rows_quarantined) == (1, 1)
    b = rows["bomb.parquet"]
    assert b.status == "unsafe_archive" and "SINKWATCH_MAX_ZIP_RATIO" in b.error
    assert b.rows_received == 0  # not opened to count its rows
    # the expanded-size limit, configurable like the zip one
    monkeypatch.setenv("SINKWATCH_MAX_EXPANDED_BYTES", "1000")
    with pytest.raises(ValueError, match="SINKWATCH_MAX_EXPANDED_BYTES"):
        parcels.check_parquet(path, "bomb.parquet")


def _counting(monkeypatch) -> list:
    calls = []
    real = parcels.parse

    def counted(path):
        calls.append(path.name)
        return real(path)

    monkeypatch.setattr(parcels, "parse", counted)
    return calls


def test_the_same_bytes_are_parsed_once_and_the_cache_changes_nothing(
        home, tmp_path, monkeypatch, sample_geojson):
    calls = _counting(monkeypatch)
    _land(home, "xiaoban.geojson", sample_geojson)
    [row] = ingest_family("parcels", home, gate=False)
    assert calls == ["xiaoban.geojson"]
    first = _result(home, "xiaoban.geojson")
    [entry] = (home.cache / "parcels").glob("*.parquet")
    assert entry.name.startswith(row.sha256)
    # the run is redone (its results lost) and the same bytes land again, under another name:
    # not parsed again, same rows and reasons
    _reset(home)
    _land(home, "xiaoban_again.geojson", sample_geojson)
    [again] = ingest_family("parcels", home, gate=False)
    assert calls == ["xiaoban.geojson"]
    assert (again.sha256, again.rows_accepted, again.rows_quarantined) == (
        row.sha256, row.rows_accepted, row.rows_quarantined)
    second = _result(home, "xiaoban_again.geojson")
    pd.testing.assert_frame_equal(second[0], first[0], check_exact=True)
    pd.testing.assert_frame_equal(second[1], first[1], check_exact=True)


def test_a_damaged_cache_entry_is_not_used(home, tmp_path, monkeypatch, sample_geojson):
    calls = _counting(monkeypatch)
    src = tmp_path / "xiaoban.geojson"
    src.write_bytes(sample_geojson)
    ctx = Context(home)
    digest = "ab" * 32
    fresh = next(readers.read("parcels", src, ctx, digest).batches)
    entry = parcel_cache.entry(home.cache / "parcels", digest)
    whole = entry.read_bytes()
    entry.write_bytes(whole[: len(whole) // 2])  # as if a writer had died half-way
    again = next(readers.read("parcels", src, ctx, digest).batches)
    assert len(calls) == 2  # parsed again, the damaged entry replaced
    pd.testing.assert_frame_equal(again, fresh, check_exact=True)
    hit = next(readers.read("parcels", src, ctx, digest).batches)
    assert len(calls) == 2
    pd.testing.assert_frame_equal(hit, fresh, check_exact=True)
    assert not list((home.cache / "parcels").glob(".*.tmp"))


def test_the_cache_keeps_attribute_types(home, tmp_path, monkeypatch):
    """Integers with gaps, floats, text, dates, times, booleans, a projected CRS: the frame from
    the cache is the frame from the file."""
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame(
        {"小班号": ["150222-F-000001", "150222-F-000002", "150222-F-000003"],
         "县区代码": ["150222", "150222", None],
         "地类": ["林地", "草地", "林地"],
         "调查年度": [2025, 2025, 2024],
         "status_since": pd.array([2019, None, 2021], dtype="Int64"),
         "score": [1.5, np.nan, 2.0],
         "flag": [True, False, True],
         "surveyed": pd.to_datetime(["2025-05-01 00:00", None, "2024-07-02 10:30"])},
        geometry=[box(110.00, 41.00, 110.02, 41.02), box(110.03, 41.00, 110.05, 41.02), None],
        crs="EPSG:4326").to_crs("EPSG:4497")
    path = tmp_path / "typed.gpkg"
    gdf.to_file(path, driver="GPKG")
    calls = _counting(monkeypatch)
    fresh = parcels.read(path, home.cache / "parcels", "cd" * 32)
    cached = parcels.read(path, home.cache / "parcels", "cd" * 32)
    assert calls == ["typed.gpkg"]
    pd.testing.assert_frame_equal(cached[0], fresh[0], check_exact=True)
    assert cached[1:] == fresh[1:]
