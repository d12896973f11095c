"""Every upload layout of issue 3, read, normalised and counted: FIRMS (CSV layouts, JSON, zipped
shapefile), vegetation indices (AppEEARS real file, ORNL long format, Earth Engine, plain, Parquet,
GeoTIFF zonal statistics), parcels (GeoPackage, zipped shapefile, projected CRS), surveys (GBK,
BOM, tab, xlsx template, Chinese headers and units), file-level failures, re-upload supersession,
and the ``sinkwatch ingest PATH`` command. rows_received = accepted + quarantined everywhere."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import date, timedelta

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from shapely.geometry import Point, box

from ingestion.loader import ingest_family, ingest_paths
from orchestration import cli
from tests.conftest import FIXTURES, write

REAL = FIXTURES / "realdata"
# Two parcels in 固阳县 (150222) and one in 达茂旗 (150223), WGS84
PARCELS = [
    ("150222-F-000001", "150222", "forest", box(110.00, 41.00, 110.02, 41.02)),
    ("150222-G-000002", "150222", "grassland", box(110.03, 41.00, 110.05, 41.02)),
    ("150223-G-000003", "150223", "grassland", box(110.40, 41.89, 110.42, 41.91)),
]


def _raw(home, family):
    files = sorted(str(p) for p in (home.raw / family).glob("*.parquet"))
    con = duckdb.connect()
    try:
        return con.execute(f"select * from read_parquet({files}, union_by_name=true)").df()
    finally:
        con.close()


def _quarantine(home, family):
    files = list((home.quarantine / family).glob("*.parquet"))
    if not files:
        return pd.DataFrame(columns=["row_number", "reason", "reason_code", "raw_record"])
    return pd.concat([pd.read_parquet(p) for p in files], ignore_index=True)


def _manifest(home, family):
    return pd.concat(
        [pd.read_parquet(p) for p in (home.manifest / family).glob("*.parquet")], ignore_index=True
    )


def _identity(rows):
    for r in rows:
        assert r.rows_received == r.rows_accepted + r.rows_quarantined, r.file_name


def _parcels_gdf(crs="EPSG:4326"):
    gdf = gpd.GeoDataFrame(
        {
            "小班号": [p[0] for p in PARCELS],
            "县区代码": [p[1] for p in PARCELS],
            "地类": ["林地" if p[2] == "forest" else "草地" for p in PARCELS],
            "调查年度": [2025] * 3,
        },
        geometry=[p[3] for p in PARCELS],
        crs="EPSG:4326",
    )
    return gdf.to_crs(crs)


@pytest.fixture
def with_parcels(home):
    """The three parcels ingested from a GeoPackage in a projected CRS (CGCS2000 / GK zone 19)."""
    path = home.landing_for("parcels") / "parcels_2025.gpkg"
    path.parent.mkdir(parents=True, exist_ok=True)
    _parcels_gdf("EPSG:4497").to_file(path, driver="GPKG")
    [row] = ingest_family("parcels", home, gate=False)
    assert (row.status, row.rows_accepted, row.format) == ("loaded", 3, "gpkg"), row.detail
    return home


# --- parcels -----------------------------------------------------------------------------------


def test_parcels_gpkg_projected_crs_chinese_attributes(with_parcels):
    raw = _raw(with_parcels, "parcels").sort_values("parcel_id").reset_index(drop=True)
    assert list(raw["land_class"]) == ["forest", "grassland", "grassland"]
    assert list(raw["county_code"]) == ["150222", "150222", "150223"]
    # 0.02 x 0.02 deg at 41 N: ~1687 m x 2224 m = ~375 ha = ~5627 mu
    assert raw["area_mu"][0] == pytest.approx(5627, rel=0.01)
    assert raw["centroid_lon"][0] == pytest.approx(110.01, abs=1e-4)
    m = _manifest(with_parcels, "parcels").iloc[0]
    assert "reprojected from EPSG:4497" in m["detail"]


def test_parcels_zipped_shapefile_upper_case_dbf(home, tmp_path):
    gdf = _parcels_gdf("EPSG:3857").rename(
        columns={
            "小班号": "PARCEL_ID",
            "县区代码": "COUNTY_COD",
            "地类": "LAND_CLASS",
            "调查年度": "SURVEY_YEA",
        }
    )
    gdf["LAND_CLASS"] = ["forest", "grassland", "marsh"]
    shp = tmp_path / "shp" / "xiaoban.shp"
    shp.parent.mkdir()
    gdf.to_file(shp)
    dest = home.landing_for("parcels") / "xiaoban.zip"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w") as zf:
        for f in shp.parent.iterdir():
            zf.write(f, f.name)
    [row] = ingest_family("parcels", home, gate=False)
    assert (row.format, row.rows_received, row.rows_accepted, row.rows_quarantined) == (
        "zip/shapefile",
        3,
        2,
        1,
    )
    q = _quarantine(home, "parcels")
    assert q["reason"].iloc[0].startswith("xiaoban.zip row 3: field land_class: 'marsh'")


# --- FIRMS -------------------------------------------------------------------------------------

MODIS_ARCHIVE = (
    "latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,instrument,"
    "confidence,version,bright_t31,frp,daynight,type"
)


def test_firms_layouts_and_nrt_then_archive(home):
    land = home.landing_for("fire_hotspots")
    # 13-column regional VIIRS feed with brightness/bright_t31 names, unpadded HMM times
    write(
        land / "a_regional.csv",
        "\n".join(
            [
                "latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,confidence,version,"
                "bright_t31,frp,daynight",
                "41.9000,110.4000,330.0,0.40,0.37,2024-04-05,530,N,n,2.0NRT,289.0,4.2,D",
                "41.9100,110.4100,331.0,0.40,0.37,2024-04-05,5,N20,h,2.0NRT,289.0,4.2,N",
            ]
        )
        + "\n",
    )
    # 15-column MODIS archive: T/A satellites, 0-100 confidence, HH:MM:SS times, type 2
    write(
        land / "b_archive.csv",
        "\n".join(
            [
                MODIS_ARCHIVE,
                "40.6500,109.8300,340.1,1.0,1.0,2024-04-03,05:48:00,T,MODIS,85,6.1,290.2,25.3,D,2",
                "41.9000,110.4000,330.0,1.0,1.0,2024-04-05,0530,A,MODIS,25,6.1,289.0,4.2,D,0",
            ]
        )
        + "\n",
    )
    # FIRMS API JSON array, VIIRS NOAA-20 spelled "1", NRT, same detection as the archive below
    det = {
        "latitude": 41.905,
        "longitude": 110.405,
        "bright_ti4": 335.2,
        "scan": 0.4,
        "track": 0.4,
        "acq_date": "2024-04-06",
        "acq_time": 612,
        "satellite": "1",
        "instrument": "VIIRS",
        "confidence": "nominal",
        "version": "2.0NRT",
        "bright_ti5": 290.1,
        "frp": 3.3,
        "daynight": "D",
    }
    write(land / "c_api.json", json.dumps([det, {**det, "latitude": 35.0, "longitude": 100.0}]))
    rows = {r.file_name: r for r in ingest_family("fire_hotspots", home, gate=False)}
    _identity(rows.values())
    assert rows["a_regional.csv"].format == "firms/csv/regional_13"
    assert rows["b_archive.csv"].format == "firms/csv/archive_15"
    assert rows["c_api.json"].format == "firms/json/api_14_ti4"
    assert (rows["c_api.json"].rows_accepted, rows["c_api.json"].rows_quarantined) == (1, 1)
    assert json.loads(rows["c_api.json"].reason_counts) == {"outside_study_area": 1}

    # later: the archive zip (shapefile, upper-case DBF) of the same NOAA-20 detection
    gdf = gpd.GeoDataFrame(
        {
            "LATITUDE": [41.905],
            "LONGITUDE": [110.405],
            "BRIGHT_TI4": [335.2],
            "SCAN": [0.4],
            "TRACK": [0.4],
            "ACQ_DATE": ["2024-04-06"],
            "ACQ_TIME": ["0612"],
            "SATELLITE": ["N20"],
            "INSTRUMENT": ["VIIRS"],
            "CONFIDENCE": ["n"],
            "VERSION": ["2"],
            "BRIGHT_TI5": [290.1],
            "FRP": [3.3],
            "DAYNIGHT": ["D"],
            "TYPE": [0],
        },
        geometry=[Point(110.405, 41.905)],
        crs="EPSG:4326",
    )
    shp_dir = home.home / "shp"
    shp_dir.mkdir()
    gdf.to_file(shp_dir / "fire_archive_J1V-C2_1.shp")
    with zipfile.ZipFile(land / "d_fire_archive_J1V-C2_1.zip", "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f.name)
    [z] = ingest_family("fire_hotspots", home, gate=False)
    assert (z.format, z.rows_accepted) == ("firms/zip/shapefile/archive_15_ti4", 1)

    raw = _raw(home, "fire_hotspots")
    assert set(raw["instrument"]) == {"MODIS", "VIIRS"}
    assert set(raw["satellite"]) == {"N", "N20", "Terra", "Aqua"}
    t = raw.set_index("satellite")
    assert t.loc["Terra", "acq_time_utc"] == "05:48" and bool(t.loc["Terra", "is_non_vegetation"])
    assert (
        t.loc["Terra", "confidence_class"] == "high" and t.loc["Aqua", "confidence_class"] == "low"
    )
    assert set(raw.loc[raw["satellite"] == "N", "acq_time_utc"]) == {"05:30"}
    n20 = raw[raw["satellite"] == "N20"].sort_values(
        ["acq_date", "is_nrt"], ascending=[True, False]
    )
    assert list(n20["acq_time_utc"]) == ["00:05", "06:12", "06:12"]
    assert list(n20["is_nrt"]) == [True, True, False]  # the archive row supersedes the NRT row
    assert list(n20["confidence_pct"]) == [90.0, 60.0, 60.0]
    assert set(n20["confidence_raw"]) == {"h", "nominal", "n"}
    assert set(raw["county_code"]) == {"150203", "150223"}


def test_firms_unknown_layout_and_real_files(home):
    land = home.landing_for("fire_hotspots")
    land.mkdir(parents=True)
    write(land / "not_firms.csv", "lat,lon,when\n41,110,2024-01-01\n")
    shutil.copy(REAL / "fire_nrt_M-C61_660891.csv", land)
    rows = {r.file_name: r for r in ingest_family("fire_hotspots", home, gate=False)}
    bad = rows["not_firms.csv"]
    # refused whole, and its data row still counted and quarantined (issue 18 item 5)
    assert (bad.status, bad.rows_received, bad.rows_quarantined) == ("unknown_layout", 1, 1)
    assert "not a FIRMS layout" in bad.error
    real = rows["fire_nrt_M-C61_660891.csv"]
    assert (real.format, real.rows_received, real.rows_quarantined) == (
        "firms/csv/api_14",
        672,
        672,
    )
    q = _quarantine(home, "fire_hotspots").query("file_name == 'not_firms.csv'")
    assert q["row_number"].tolist() == [2] and q["reason_code"].tolist() == ["unknown_layout"]
    assert q["reason"].iloc[0].startswith("not_firms.csv row 2: not a FIRMS layout")
    assert json.loads(q["raw_record"].iloc[0]) == {"record": "41,110,2024-01-01"}


# --- vegetation indices -------------------------------------------------------------------------


def test_appeears_real_file_points_to_parcels(home):
    """The real AppEEARS export (Utah) against a parcel that holds 5 of its 9 sample points."""
    frame = pd.read_csv(
        REAL / "ONAQ-MOD13Q1-006-results.csv", usecols=["ID", "Latitude", "Longitude"]
    )
    pts = frame.drop_duplicates("ID").sort_values("ID").head(5)
    poly = box(
        pts["Longitude"].min() - 1e-4,
        pts["Latitude"].min() - 1e-4,
        pts["Longitude"].max() + 1e-4,
        pts["Latitude"].max() + 1e-4,
    )
    hull = (
        gpd.GeoSeries(gpd.points_from_xy(pts["Longitude"], pts["Latitude"])).union_all().convex_hull
    )
    poly = hull.buffer(1e-5) if hull.geom_type == "Polygon" else poly
    inside = int(
        frame.apply(lambda r: poly.covers(Point(r["Longitude"], r["Latitude"])), axis=1).sum()
    )
    (home.raw / "parcels").mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "parcel_id": ["ONAQ-1"],
                "survey_year": [2020],
                "geometry_wkt": [poly.wkt],
                "_ingested_at": pa.array([pd.Timestamp.now(tz="UTC")]),
            }
        ),
        home.raw / "parcels" / "fake.parquet",
    )
    land = home.landing_for("vegetation_indices")
    land.mkdir(parents=True)
    shutil.copy(REAL / "ONAQ-MOD13Q1-006-results.csv", land)
    [row] = ingest_family("vegetation_indices", home, gate=False)
    assert row.format == "csv/appeears/MOD13Q1.006" and row.rows_received == 1800
    _identity([row])
    reasons = json.loads(row.reason_counts)
    assert reasons["outside_parcels"] == 1800 - inside
    assert (
        row.rows_accepted + reasons.get("below_minimum", 0) + reasons.get("fill_value", 0)
        >= inside - 5
    )
    raw = _raw(home, "vegetation_indices")
    assert len(raw) == row.records_written == raw["composite_date"].nunique()
    assert raw["ndvi"].between(-0.2, 1).all() and (raw["pixel_count"] >= 1).all()
    assert set(raw["quality"]) <= {0, 1, 2, 3}
    q = _quarantine(home, "vegetation_indices")
    assert q["reason"].str.contains("is not inside any parcel").any()


def test_vi_layouts_scaled_and_unscaled(with_parcels):
    home = with_parcels
    land = home.landing_for("vegetation_indices")
    # plain CSV with unscaled MODIS integers and a fill value
    write(
        land / "a_plain.csv",
        "\n".join(
            [
                "parcel_id,date,ndvi,evi,quality",
                "150222-F-000001,2024-06-09,6512,4101,0",
                "150222-G-000002,2024-06-09,-3000,-3000,-1",
                "150222-G-000002,2024-06-25,3120,2011,1",
                "NOPE,2024-06-25,3120,2011,1",
            ]
        )
        + "\n",
    )
    # ORNL DAAC / MODISTools long format: 3 bands x 2 dates for one 1x1 pixel site
    head = (
        "xllcorner,yllcorner,cellsize,nrows,ncols,band,units,scale,latitude,longitude,site,"
        "product,start,end,complete,modis_date,calendar_date,tile,proc_date,pixel,value"
    )
    lines = [head]
    for d, nd, ev, rel in (("2024-07-11", 5012, 3001, 0), ("2024-07-27", 4890, 2950, 3)):
        for band, v, scale in (
            ("250m_16_days_NDVI", nd, "0.0001"),
            ("250m_16_days_EVI", ev, "0.0001"),
            ("250m_16_days_pixel_reliability", rel, "Not Available"),
        ):
            lines.append(
                f"NA,NA,231.66,1,1,{band},NDVI ratio,{scale},41.01,110.01,gy1,MOD13Q1,"
                f"A2024001,A2024366,TRUE,A2024193,{d},h26v04,2024,1,{v}"
            )
    write(land / "b_ornl.csv", "\n".join(lines) + "\n")
    # Earth Engine export: system:index, .geo, per-parcel property, time_start in ms
    ms = int(pd.Timestamp("2024-08-12").timestamp() * 1000)
    write(
        land / "c_gee.csv",
        "\n".join(
            [
                "system:index,NDVI,EVI,SummaryQA,parcel_id,system:time_start,.geo",
                f'2024_08_12_0,0.55,0.31,0,150223-G-000003,{ms},"{{""type"":""MultiPoint"",""coordinates"":[]}}"',
            ]
        )
        + "\n",
    )
    # plain Parquet with points instead of parcel ids
    pq.write_table(
        pa.table(
            {
                "longitude": [110.01, 110.011, 115.0],
                "latitude": [41.01, 41.011, 45.0],
                "date": [date(2024, 9, 1)] * 3,
                "ndvi": [0.4, 0.5, 0.6],
                "quality": [0, 0, 0],
            }
        ),
        land / "d_points.parquet",
    )
    rows = {r.file_name: r for r in ingest_family("vegetation_indices", home, gate=False)}
    _identity(rows.values())
    assert {k: r.format for k, r in rows.items()} == {
        "a_plain.csv": "csv/plain",
        "b_ornl.csv": "csv/ornl",
        "c_gee.csv": "csv/gee",
        "d_points.parquet": "parquet/plain",
    }
    a = rows["a_plain.csv"]
    assert (a.rows_accepted, a.rows_quarantined) == (2, 2) and "x 0.0001" in a.detail
    assert json.loads(a.reason_counts) == {"fill_value": 1, "unknown_parcel": 1}
    assert (rows["b_ornl.csv"].rows_received, rows["b_ornl.csv"].rows_accepted) == (2, 2)
    assert rows["d_points.parquet"].rows_accepted == 2
    assert rows["d_points.parquet"].records_written == 1
    raw = _raw(home, "vegetation_indices").set_index(["parcel_id", "composite_date"])
    assert raw.loc[("150222-F-000001", pd.Timestamp("2024-06-09")), "ndvi"] == pytest.approx(0.6512)
    assert raw.loc[("150222-F-000001", pd.Timestamp("2024-07-11")), "ndvi"] == pytest.approx(0.5012)
    assert raw.loc[("150222-F-000001", pd.Timestamp("2024-07-27")), "quality"] == 3
    assert raw.loc[("150223-G-000003", pd.Timestamp("2024-08-12")), "evi"] == pytest.approx(0.31)
    pts = raw.loc[("150222-F-000001", pd.Timestamp("2024-09-01"))]
    assert (pts["ndvi"], pts["pixel_count"]) == (pytest.approx(0.45), 2)
    assert pts["ndvi_std"] == pytest.approx(0.05)


def test_geotiff_zonal_statistics(with_parcels):
    import rasterio
    from rasterio.transform import from_origin

    home = with_parcels
    land = home.landing_for("vegetation_indices")
    land.mkdir(parents=True, exist_ok=True)
    # 0.001 deg pixels over the two 固阳县 parcels; int16 MODIS-scaled, one fill pixel
    width, height = 60, 30
    ndvi = np.full((height, width), 5000, dtype="int16")
    ndvi[:, 30:] = 3000
    ndvi[10, 5] = -3000
    rel = np.zeros((height, width), dtype="int16")
    rel[:, 40:] = 3  # cloudy half of the second parcel
    path = land / "MOD13Q1.A2024161.ndvi.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=2,
        dtype="int16",
        crs="EPSG:4326",
        nodata=-3000,
        transform=from_origin(110.0, 41.025, 0.001, 0.001),
    ) as ds:
        ds.write(ndvi, 1)
        ds.write(rel, 2)
        ds.set_band_description(1, "250m_16_days_NDVI")
        ds.set_band_description(2, "250m_16_days_pixel_reliability")
    [row] = ingest_family("vegetation_indices", home, gate=False)
    _identity([row])
    assert row.format == "geotiff/zonal" and (row.rows_received, row.rows_accepted) == (2, 2)
    raw = _raw(home, "vegetation_indices").set_index("parcel_id")
    f = raw.loc["150222-F-000001"]
    assert f["composite_date"] == pd.Timestamp("2024-06-09")  # A2024161
    assert f["ndvi"] == pytest.approx(0.5) and f["ndvi_std"] == pytest.approx(0.0)
    assert f["pixel_count"] == 20 * 20 - 1
    g = raw.loc["150222-G-000002"]
    assert g["ndvi"] == pytest.approx(0.3) and g["pixel_count"] == 20 * 10


def test_vi_streams_in_batches(home, monkeypatch):
    """A CSV larger than one read block streams (and dedupes across batches)."""
    from ingestion import vegetation

    monkeypatch.setattr(vegetation, "BATCH_BYTES", 4096)
    lines = ["parcel_id,date,ndvi,evi,quality"]
    start = date(2020, 1, 1)
    for i in range(3000):
        lines.append(f"P{i % 50:03d},{start + timedelta(days=16 * (i // 50))},0.{i % 9 + 1},,0")
    lines.append("P000,2020-01-01,0.5,,0")  # duplicate of row 2, far away in another batch
    write(home.landing_for("vegetation_indices") / "big.csv", "\n".join(lines) + "\n")
    [row] = ingest_family("vegetation_indices", home, gate=False)
    assert (row.rows_received, row.rows_accepted, row.rows_quarantined) == (3001, 3000, 1)
    assert json.loads(row.reason_counts) == {"duplicate_key": 1}
    assert row.records_written == 3000


# --- surveys -------------------------------------------------------------------------------------


def test_survey_chinese_headers_units_gbk_and_reference_checks(with_parcels):
    home = with_parcels
    future = (date.today() + timedelta(days=400)).year
    text = (
        "\n".join(
            [
                "样地号,小班号,调查年度,样地面积(平方米),经度,纬度,样木号,树种,胸径(英寸),树高(英尺),检尺类型",
                "P1,150222-F-000001,2024,600,110.01,41.01,T1,油松,5,30,活立木",
                "P1,150222-F-000001,2024,600,110.01,41.01,T2,Pinus tabuliformis,4,25,alive",
                "P1,150222-F-000001,2024,600,110.01,41.01,T3,Unknown tree,4,25,alive",
                "P2,150222-X-999999,2024,600,110.01,41.01,T1,油松,4,25,alive",
                f"P3,150222-F-000001,{future},600,110.01,41.01,T1,油松,4,25,alive",
            ]
        )
        + "\n"
    )
    write(home.landing_for("forest_plots") / "每木检尺.csv", text, encoding="gbk")
    [row] = ingest_family("forest_plots", home, gate=False)
    _identity([row])
    assert (row.rows_received, row.rows_accepted, row.rows_quarantined) == (5, 2, 3)
    assert json.loads(row.reason_counts) == {
        "future_date": 1,
        "unknown_parcel": 1,
        "unknown_species": 1,
    }
    raw = _raw(home, "forest_plots").set_index("tree_id")
    assert raw.loc["T1", "species"] == "Pinus tabuliformis" and raw.loc["T1", "status"] == "alive"
    assert raw.loc["T1", "dbh_cm"] == pytest.approx(12.7) and raw.loc[
        "T1", "height_m"
    ] == pytest.approx(9.144)
    q = _quarantine(home, "forest_plots").set_index("row_number")
    assert "field species: 'Unknown tree' is not in the species code list" in q.loc[4, "reason"]
    assert q.loc[5, "field"] == "parcel_id" and q.loc[6, "field"] == "inventory_year"


def test_stem_volume_is_optional_with_chinese_headers_and_units(with_parcels):
    """The station's volume-table reading (单株材积) is optional: blank stays null, dm3 is
    converted to m3, a value out of the contract range is quarantined."""
    home = with_parcels
    text = (
        "\n".join(
            [
                "样地号,小班号,调查年度,样地面积(平方米),经度,纬度,样木号,树种,胸径,树高,检尺类型,单株材积(立方分米)",
                "P1,150222-F-000001,2024,600,110.01,41.01,T1,刺槐,14,9,活立木,59.3",
                "P1,150222-F-000001,2024,600,110.01,41.01,T2,油松,12,8,活立木,",
                "P1,150222-F-000001,2024,600,110.01,41.01,T3,刺槐,14,9,活立木,0",
            ]
        )
        + "\n"
    )
    write(home.landing_for("forest_plots") / "材积.csv", text, encoding="gbk")
    [row] = ingest_family("forest_plots", home, gate=False)
    assert (row.rows_received, row.rows_accepted, row.rows_quarantined) == (3, 2, 1)
    raw = _raw(home, "forest_plots").set_index("tree_id")
    assert raw.loc["T1", "stem_volume_m3"] == pytest.approx(0.0593)
    assert pd.isna(raw.loc["T2", "stem_volume_m3"])
    q = _quarantine(home, "forest_plots").iloc[0]
    assert q["field"] == "stem_volume_m3" and "below the minimum" in q["reason"]


def test_tally_measurement_date_is_optional_with_chinese_headers(with_parcels):
    """The tally day (检尺日期) is optional: Chinese date spellings are read, blank stays null, a
    day in the future is quarantined."""
    home = with_parcels
    text = (
        "\n".join(
            [
                "样地号,小班号,调查年度,样地面积(平方米),经度,纬度,样木号,树种,胸径,树高,检尺类型,检尺日期",
                "P1,150222-F-000001,2024,600,110.01,41.01,T1,油松,14,9,活立木,2024年8月2日",
                "P1,150222-F-000001,2024,600,110.01,41.01,T2,油松,12,8,活立木,",
                "P1,150222-F-000001,2024,600,110.01,41.01,T3,油松,14,9,活立木,2099-08-02",
            ]
        )
        + "\n"
    )
    write(home.landing_for("forest_plots") / "检尺.csv", text, encoding="gbk")
    [row] = ingest_family("forest_plots", home, gate=False)
    assert (row.rows_received, row.rows_accepted, row.rows_quarantined) == (3, 2, 1)
    raw = _raw(home, "forest_plots").set_index("tree_id")
    assert pd.Timestamp(raw.loc["T1", "measurement_date"]) == pd.Timestamp("2024-08-02")
    assert pd.isna(raw.loc["T2", "measurement_date"])
    q = _quarantine(home, "forest_plots").iloc[0]
    assert q["field"] == "measurement_date" and "future" in q["reason"]


def test_survey_bom_tab_and_area_units(home):
    text = (
        "\ufeff"
        + "\n".join(
            [
                "\t".join(["编号", "县区代码", "年度", "地点", "面积(公顷)", "树种", "造林日期"]),
                "\t".join(["D1", "固阳县", "2023", "示范林", "2", "樟子松", "2023/4/20"]),
            ]
        )
        + "\n"
    )
    write(home.landing_for("demo_forests") / "demo.tsv", text)
    [row] = ingest_family("demo_forests", home, gate=False)
    assert (row.status, row.rows_accepted) == ("loaded", 1), row.detail
    raw = _raw(home, "demo_forests").iloc[0]
    assert (raw["county_code"], raw["area_mu"], raw["planting_date"]) == (
        "150222",
        30.0,
        pd.Timestamp("2023-04-20"),
    )
    assert raw["species"] == "Pinus sylvestris var. mongolica"


def test_filled_template_ingests_with_the_gate(home, tmp_path):
    """Fill the generated xlsx template (both header rows kept) and ingest it through GX."""
    from openpyxl import load_workbook

    from ingestion.templates import write_template

    path = write_template("grassland_quadrats", tmp_path)
    wb = load_workbook(path)
    ws = wb["数据 data"]
    assert ws["A1"].value == "样方号" and ws["A2"].value == "quadrat_id"
    ws.append(
        ["Q1", "150222-G-000002", date(2024, 8, 1), "典型草原", 1, 110.04, 41.01, 35, 12, 180, 65]
    )
    ws.append(
        [
            "Q2",
            "150222-G-000002",
            date(2024, 8, 1),
            "typical_steppe",
            1,
            110.04,
            41.01,
            "many",
            12,
            180,
            65,
        ]
    )
    wb.save(
        home.landing_for("grassland_quadrats").mkdir(parents=True)
        or home.landing_for("grassland_quadrats") / "样方.xlsx"
    )
    [row] = ingest_family("grassland_quadrats", home, gate=True)
    assert (row.format, row.rows_received, row.rows_accepted, row.rows_quarantined) == (
        "xlsx/sheet:数据 data",
        2,
        1,
        1,
    )
    assert row.gate_suite == "raw__grassland_quadrats" and row.gate_passed
    q = _quarantine(home, "grassland_quadrats").iloc[0]
    assert q["row_number"] == 4 and "cannot read 'many' as float" in q["reason"]
    assert json.loads(q["raw_record"])["cover_pct"] == "many"


# --- file-level failures, supersession, CLI --------------------------------------------------


def test_file_level_failures_never_stop_the_batch(home):
    land = home.landing_for("pest_reports")
    write(land / "a_empty.csv", "")
    write(land / "b_header_only.csv", "report_id,county_code\n")
    write(land / "c_missing.csv", "report_id,county_code\nR1,150222\n")
    (land / "d_broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    write(
        land / "e_good.csv",
        "报告编号,县区代码,报告日期,有害生物,发生面积(公顷),危害程度\n"
        "R9,150222,2024-05-01,美国白蛾,2,轻度\n",
    )
    rows = {r.file_name: r for r in ingest_family("pest_reports", home, gate=False)}
    _identity(rows.values())
    assert {k: r.status for k, r in rows.items()} == {
        "a_empty.csv": "empty",
        "b_header_only.csv": "empty",
        "c_missing.csv": "schema_error",
        "d_broken.xlsx": "unreadable",
        "e_good.csv": "loaded",
    }
    assert "required column(s) missing: report_date, pest" in rows["c_missing.csv"].error
    assert rows["c_missing.csv"].rows_quarantined == 1
    assert "not a readable .xlsx" in rows["d_broken.xlsx"].error
    assert rows["e_good.csv"].rows_accepted == 1
    assert _raw(home, "pest_reports")["affected_area_mu"].tolist() == [30.0]


def test_corrected_reupload_supersedes_and_rerun_is_a_no_op(home):
    head = "report_id,county_code,start_date,end_date,lon,lat,burned_area_ha,vegetation_type\n"
    first = (
        head
        + "F1,150222,2024-04-01,2024-04-02,110.1,41.1,5,forest\n"
        + "F2,150222,2024-04-03,2024-04-03,110.1,41.1,-1,grassland\n"
    )
    fixed = (
        head
        + "F1,150222,2024-04-01,2024-04-02,110.1,41.1,5,forest\n"
        + "F2,150222,2024-04-03,2024-04-03,110.1,41.1,1,grassland\n"
    )
    write(home.landing_for("fire_reports") / "fires_2024.csv", first)
    [a] = ingest_family("fire_reports", home, gate=False)
    assert (a.rows_accepted, a.rows_quarantined) == (1, 1)
    write(home.landing_for("fire_reports") / "fires_2024_fixed.csv", fixed)
    [b] = ingest_family("fire_reports", home, gate=False)
    assert b.supersedes == a.sha256 and b.batch_key == a.batch_key
    m = _manifest(home, "fire_reports").set_index("sha256")
    assert m.loc[a.sha256, "superseded_by"] == b.sha256 and pd.isna(
        m.loc[b.sha256, "superseded_by"]
    )
    # the same files again: nothing changes
    before = {p.name: p.read_bytes() for p in (home.manifest / "fire_reports").glob("*")}
    write(home.landing_for("fire_reports") / "again.csv", first)
    write(home.landing_for("fire_reports") / "again_fixed.csv", fixed)
    assert ingest_family("fire_reports", home, gate=False) == []
    assert before == {p.name: p.read_bytes() for p in (home.manifest / "fire_reports").glob("*")}


def test_cli_ingest_paths_json(home, tmp_path, capsys):
    folder = tmp_path / "upload" / "wetland_surveys"
    write(
        folder / "w.csv",
        "调查编号,小班号,年度,湿地类型,湿地面积(公顷),保护面积(亩),保护形式\n"
        "S1,150207-W-000001,2024,河流湿地,10,100,湿地公园\nS2,150207-W-000002,2024,湖泊,x,1,无\n",
    )
    write(tmp_path / "loose" / "d.csv", "")
    rc = cli.main(["ingest", str(tmp_path / "upload"), "--json", "--no-gate"])
    assert rc == 0
    [rec] = json.loads(capsys.readouterr().out)
    assert (rec["family"], rec["rows_received"], rec["rows_accepted"], rec["rows_quarantined"]) == (
        "wetland_surveys",
        2,
        1,
        1,
    )
    assert (folder / "w.csv").exists()  # files outside landing/ are left in place
    assert cli.main(["ingest", str(tmp_path / "loose" / "d.csv"), "--family", "demo_forests"]) == 0
    out = capsys.readouterr().out
    assert "demo_forests" in out and "empty" in out
    assert cli.main(["ingest", str(tmp_path / "nowhere.csv")]) == 2
    raw = _raw(home, "wetland_surveys").iloc[0]
    assert (raw["wetland_class"], raw["wetland_area_mu"], raw["protection_type"]) == (
        "river",
        150.0,
        "wetland_park",
    )


def test_ingest_paths_keeps_sources(home, tmp_path):
    src = write(tmp_path / "p.csv", "")
    [row] = ingest_paths("pest_reports", [src], home, gate=False)
    assert row.status == "empty" and src.exists()


# --- receipts (issue 18 item 3) ------------------------------------------------------------------


def _receipts(home, family):
    files = sorted((home.receipts / family).glob("*.parquet"))
    return pd.concat([pd.read_parquet(p) for p in files], ignore_index=True).sort_values(
        ["received_at", "file_name"], ignore_index=True)


def test_every_receipt_is_recorded_also_duplicates_and_published(home):
    """The same bytes under another name: one manifest row, two receipts, the second pointing to
    the first; the marts show both names (ingest_manifest.received_as, receipts)."""
    from orchestration import pipeline

    body = ("报告编号,县区代码,报告日期,有害生物,发生面积(亩),危害程度\n"
            "R1,150222,2024-05-01,美国白蛾,2,轻度\n")
    land = home.landing_for("pest_reports")
    write(land / "station_a.csv", body)
    [first] = ingest_family("pest_reports", home, gate=False)
    write(land / "station_b_resent.csv", body)
    assert ingest_family("pest_reports", home, gate=False) == []  # de-duplicated, as before
    r = _receipts(home, "pest_reports")
    assert list(r["file_name"]) == ["station_a.csv", "station_b_resent.csv"]
    assert set(r["sha256"]) == set(r["upload_sha256"]) == {first.sha256}
    assert list(r["is_duplicate"]) == [False, True]
    assert list(r["outcome"]) == ["ingested", "duplicate"]
    assert r["duplicate_of"][1] == r["receipt_id"][0] and pd.isna(r["duplicate_of"][0])
    assert list(r["landing_path"]) == ["landing/pest_reports/station_a.csv",
                                       "landing/pest_reports/station_b_resent.csv"]
    assert list(r["size_bytes"]) == [len(body.encode())] * 2
    assert r["archive_path"][0] == r["archive_path"][1] == first.archive_path
    assert "same bytes as station_a.csv" in r["detail"][1]
    assert len(_manifest(home, "pest_reports")) == 1
    # published: both names in the marts
    db = home.builds / "receipts.duckdb"
    pipeline.run_dbt(["build", "--select", "ingest_manifest receipts quarantine",
                      "--indirect-selection", "cautious"], db, home)
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = con.execute("select received_as, n_receipts from ingest_manifest").fetchall()
        rows = con.execute("select file_name, is_duplicate, manifest_file_name from receipts "
                           "order by received_at").fetchall()
    finally:
        con.close()
    assert names == [("station_a.csv, station_b_resent.csv", 2)]
    assert rows == [("station_a.csv", False, "station_a.csv"),
                    ("station_b_resent.csv", True, "station_a.csv")]


# --- AppEEARS by its column grammar, refused files counted (issue 18 item 5) ---------------------

APPEEARS = FIXTURES / "appeears"


def test_appeears_single_coordinate_other_product_read_by_grammar(with_parcels):
    """MOD13A1 v061 (500 m), one coordinate, no Category/ID columns: read by the column grammar
    <PRODUCT>_<VERSION>_<layer>, the point assigned to its parcel, quality from the decoded bits."""
    home = with_parcels
    land = home.landing_for("vegetation_indices")
    land.mkdir(parents=True, exist_ok=True)
    shutil.copy(APPEEARS / "Baotou-pt-MOD13A1-061-results.csv", land)
    [row] = ingest_family("vegetation_indices", home, gate=False)
    assert (row.status, row.format) == ("loaded", "csv/appeears/MOD13A1.061")
    assert (row.rows_received, row.rows_accepted, row.rows_quarantined) == (6, 6, 0)
    assert "NDVI from MOD13A1_061__500m_16_days_NDVI, EVI from MOD13A1_061__500m_16_days_EVI" \
        in row.detail
    raw = _raw(home, "vegetation_indices").sort_values("composite_date", ignore_index=True)
    assert set(raw["parcel_id"]) == {"150222-G-000002"}
    assert list(raw["ndvi"]) == [0.3012, 0.339, 0.4105, 0.2264, 0.4733, 0.4921]
    assert list(raw["evi"])[:2] == [0.1871, 0.2055]
    # VI_Quality 2112/2116 good, 2181 MODLAND 0b01 marginal, 3294 MODLAND 0b10 cloudy
    assert list(raw["quality"]) == [0, 0, 1, 3, 0, 0]


def test_appeears_evi_only_is_refused_with_every_row_counted(with_parcels):
    """The same export with EVI only: NDVI is required (contract and marts), so the file is
    refused as schema_error, and its six data rows are received and quarantined."""
    home = with_parcels
    land = home.landing_for("vegetation_indices")
    land.mkdir(parents=True, exist_ok=True)
    shutil.copy(APPEEARS / "Baotou-EVI-MOD13A1-061-results.csv", land)
    [row] = ingest_family("vegetation_indices", home, gate=False)
    assert row.status == "schema_error"
    assert (row.rows_received, row.rows_accepted, row.rows_quarantined) == (6, 0, 6)
    assert row.error == (
        "Baotou-EVI-MOD13A1-061-results.csv: AppEEARS export of MOD13A1.061 without an NDVI layer "
        "(layers: _500m_16_days_EVI, _500m_16_days_VI_Quality); the vegetation_indices contract "
        "requires NDVI (EVI alone is not accepted): request the product's NDVI layer too")
    q = _quarantine(home, "vegetation_indices").sort_values("row_number")
    assert list(q["row_number"]) == [2, 3, 4, 5, 6, 7]
    assert set(q["reason_code"]) == {"schema_error"}
    assert q["reason"].iloc[0].startswith(
        "Baotou-EVI-MOD13A1-061-results.csv row 2: AppEEARS export of MOD13A1.061 without")
    assert json.loads(q["raw_record"].iloc[0])["record"].startswith(
        "41.01,110.04,2024-05-08,h26v04,2157.0,728.0,0.1871,2112.0")


def test_files_refused_whole_count_their_data_rows(home):
    """Unknown layouts, unsafe or unreadable containers: rows_received = rows_quarantined = the
    data rows the container shows; a file-level record only where nothing can be counted."""
    vi = home.landing_for("vegetation_indices")
    write(vi / "a_unknown.csv", "site,when,greenness\nA,2024-05-01,0.3\n\nB,2024-05-17,0.4\n")
    (vi / "b_utf16.csv").write_bytes("parcel_id,date,ndvi,quality\nP1,2024-05-01,0.3,0\n"
                                     "P2,2024-05-01,0.4,0\n".encode("utf-16"))
    write(vi / "c_broken.csv", "parcel_id,date,ndvi,quality\nP1,2024-05-01,0.3,0\n"
                               "P2,2024-05-01,0.4,0,9,9\nP3,2024-05-01,0.5,0\n")
    rows = {r.file_name: r for r in ingest_family("vegetation_indices", home, gate=False)}
    assert {k: (r.status, r.rows_received, r.rows_quarantined) for k, r in rows.items()} == {
        "a_unknown.csv": ("unknown_layout", 2, 2),
        "b_utf16.csv": ("unreadable", 2, 2),
        "c_broken.csv": ("unreadable", 3, 3),
    }
    assert rows["a_unknown.csv"].error.startswith("a_unknown.csv: unknown vegetation-index layout")
    q = _quarantine(home, "vegetation_indices")
    assert sorted(q.loc[q["file_name"] == "a_unknown.csv", "row_number"]) == [2, 4]
    assert json.loads(q.loc[q["file_name"] == "b_utf16.csv", "raw_record"].iloc[0]) == {
        "record": "P1,2024-05-01,0.3,0"}

    fire = home.landing_for("fire_hotspots")
    write(fire / "d_not_firms.json", json.dumps([{"lat": 41, "lon": 110}] * 3))
    buf = fire / "e_notes.zip"
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("notes.csv", "station,remark\nS1,ok\nS2,smoke\n")
    with zipfile.ZipFile(fire / "f_unsafe.zip", "w") as zf:
        zf.writestr(zipfile.ZipInfo("../x.csv"), "a,b\n1,2\n")
    rows = {r.file_name: r for r in ingest_family("fire_hotspots", home, gate=False)}
    assert {k: (r.status, r.rows_received, r.rows_quarantined) for k, r in rows.items()} == {
        "d_not_firms.json": ("unknown_layout", 3, 3),
        "e_notes.zip": ("unknown_layout", 2, 2),
        "f_unsafe.zip": ("unsafe_archive", 0, 0),  # never opened: one file-level record
    }
    q = _quarantine(home, "fire_hotspots")
    assert json.loads(q.loc[q["file_name"] == "e_notes.zip", "raw_record"].iloc[0]) == {
        "member": "notes.csv", "record": "S1,ok"}
    assert q.loc[q["file_name"] == "f_unsafe.zip", "row_number"].isna().all()

    # parcels whose coordinates are neither degrees nor georeferenced: the features are counted
    shp = home.home / "tmp_shp" / "g_no_crs.shp"
    shp.parent.mkdir()
    english = {"小班号": "PARCEL_ID", "县区代码": "COUNTY", "地类": "LAND_CLASS",
               "调查年度": "YEAR"}
    _parcels_gdf("EPSG:4497").rename(columns=english).to_file(shp)
    shp.with_suffix(".prj").unlink()
    path = home.landing_for("parcels") / "g_no_crs.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for f in shp.parent.iterdir():
            zf.write(f, f.name)
    [p] = ingest_family("parcels", home, gate=False)
    assert (p.status, p.rows_received, p.rows_quarantined) == ("unknown_layout", 3, 3)
    for r in [*rows.values(), p]:
        _identity([r])


# --- shapefile sets and workbooks (issue 18 item 6) -----------------------------------------------


def _shapefile(folder, stem="xiaoban", crs="EPSG:4497"):
    """A 小班 layer as GIS staff deliver it: .shp .shx .dbf .prj .cpg, spatial indexes and the
    ArcGIS metadata beside them (DBF names upper case, cut to 10 characters)."""
    gdf = _parcels_gdf(crs).rename(columns={"小班号": "PARCEL_ID", "县区代码": "COUNTY_COD",
                                            "地类": "LAND_CLASS", "调查年度": "SURVEY_YEA"})
    gdf["LAND_CLASS"] = ["forest", "grassland", "grassland"]
    folder.mkdir(parents=True, exist_ok=True)
    gdf.to_file(folder / f"{stem}.shp", layer_options={"ENCODING": "UTF-8"})
    (folder / f"{stem}.qix").write_bytes(b"SQT\x01 not a real index")
    (folder / f"{stem}.sbn").write_bytes(b"\x00\x00\x27\x0a sbn")
    (folder / f"{stem}.sbx").write_bytes(b"\x00\x00\x27\x0a sbx")
    write(folder / f"{stem}.shp.xml", "<metadata/>")
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(stem + "."))


def test_loose_shapefile_set_is_one_upload(home):
    land = home.landing_for("parcels")
    names = _shapefile(land)
    assert {"xiaoban.shp", "xiaoban.shx", "xiaoban.dbf", "xiaoban.prj", "xiaoban.cpg"} <= set(names)
    sent = {n: (land / n).read_bytes() for n in names}
    [row] = ingest_family("parcels", home, gate=False)
    assert (row.file_name, row.format, row.status) == ("xiaoban.shp", "shapefile", "loaded")
    assert (row.rows_received, row.rows_accepted) == (3, 3)
    assert row.members.split(", ")[:3] == ["xiaoban.shp", "xiaoban.shx", "xiaoban.dbf"]
    assert sorted(row.members.split(", ")) == names
    assert row.size_bytes == sum(len(b) for b in sent.values())
    assert "reprojected from EPSG:4497" in row.detail
    folder = home.home / row.archive_path  # archived together, byte for byte
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == sent
    r = _receipts(home, "parcels")
    assert sorted(r["file_name"]) == names and set(r["upload_name"]) == {"xiaoban.shp"}
    assert set(r["upload_sha256"]) == {row.sha256} and not r["is_duplicate"].any()
    assert list(land.iterdir()) == []
    assert _raw(home, "parcels")["area_mu"].iloc[0] == pytest.approx(5627, rel=0.01)
    # the same set again, renamed: the same upload (one manifest row), receipts for every file
    _shapefile(land / "resent", stem="xiaoban_copy")
    assert ingest_family("parcels", home, gate=False) == []
    r = _receipts(home, "parcels")
    dup = r[r["is_duplicate"]]
    assert len(dup) == len(names) and set(dup["upload_sha256"]) == {row.sha256}
    assert set(dup["duplicate_of"]) <= set(r.loc[~r["is_duplicate"], "receipt_id"])
    assert not (land / "resent").exists()


def test_shapefile_set_waits_until_complete_and_in_a_folder(home, monkeypatch):
    land = home.landing_for("parcels")
    folder = land / "小班_2025"
    _shapefile(folder)
    (folder / "xiaoban.dbf").rename(home.home / "xiaoban.dbf")  # still being copied
    assert ingest_family("parcels", home, gate=False) == []
    assert (folder / "xiaoban.shp").exists() and not (home.receipts / "parcels").exists()
    (home.home / "xiaoban.dbf").rename(folder / "xiaoban.dbf")
    [row] = ingest_family("parcels", home, gate=False)
    assert (row.file_name, row.rows_accepted) == ("xiaoban.shp", 3)
    assert set(_receipts(home, "parcels")["landing_path"]) >= {
        "landing/parcels/小班_2025/xiaoban.shp", "landing/parcels/小班_2025/xiaoban.dbf"}
    assert not folder.exists()
    # a set that never gets its .dbf and .shx: refused once the wait is over, nothing lost
    _shapefile(land, stem="broken")
    (land / "broken.dbf").unlink()
    (land / "broken.shx").unlink()
    assert ingest_family("parcels", home, gate=False) == []
    monkeypatch.setenv("SINKWATCH_SHAPEFILE_WAIT_SECONDS", "0")
    [bad] = ingest_family("parcels", home, gate=False)
    assert (bad.status, bad.file_name) == ("incomplete_set", "broken.shp")
    assert bad.error.startswith("broken.shp: shapefile set 'broken' is incomplete: no .shx, .dbf")
    assert "SINKWATCH_SHAPEFILE_WAIT_SECONDS" in bad.error
    assert sorted(p.name for p in (home.home / bad.archive_path).iterdir()) == sorted(
        bad.members.split(", "))
    assert list(land.iterdir()) == []


def test_shapefile_set_for_firms_and_ready_marker(home, monkeypatch):
    import geopandas as gpd
    from shapely.geometry import Point

    monkeypatch.setenv("SINKWATCH_REQUIRE_READY", "1")
    land = home.landing_for("fire_hotspots")
    land.mkdir(parents=True)
    gdf = gpd.GeoDataFrame(
        {"LATITUDE": [41.01], "LONGITUDE": [110.01], "BRIGHTNESS": [320.5], "SCAN": [1.0],
         "TRACK": [1.0], "ACQ_DATE": ["2024-04-01"], "ACQ_TIME": ["0312"],
         "SATELLITE": ["Terra"], "INSTRUMENT": ["MODIS"], "CONFIDENCE": [80],
         "VERSION": ["6.1NRT"], "BRIGHT_T31": [290.1], "FRP": [12.3], "DAYNIGHT": ["D"],
         "TYPE": [0]},
        geometry=[Point(110.01, 41.01)], crs="EPSG:4326")
    gdf.to_file(land / "fire_archive_M-C61.shp")
    assert ingest_family("fire_hotspots", home, gate=False) == []  # no marker yet
    write(land / "fire_archive_M-C61.ready", "")  # marks the whole set
    [row] = ingest_family("fire_hotspots", home, gate=False)
    assert (row.format, row.rows_accepted) == ("firms/shapefile/archive_15", 1)
    assert list(land.iterdir()) == []


def _workbook(path, sheets: dict[str, list[list]]):
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


PEST_HEAD = ["报告编号", "县区代码", "报告日期", "有害生物", "发生面积(亩)", "危害程度"]
README_SHEET = [["本表为2024年林业有害生物发生情况上报表"], ["填报说明：每行一次调查。"],
                ["联系人：张三"]]


def test_workbook_every_sheet_is_tried(home):
    land = home.landing_for("pest_reports")
    _workbook(land / "a_readme_first.xlsx", {
        "说明": README_SHEET,
        "Sheet2": [],
        "病虫害": [["2024年病虫害发生情况"], [], PEST_HEAD,
                   ["R1", "150222", "2024-05-01", "美国白蛾", 2, "轻度"],
                   ["R2", "150222", "2024-05-02", "美国白蛾", "x", "中度"]],
    })
    _workbook(land / "b_nothing_fits.xlsx", {
        "说明": README_SHEET, "Sheet2": [], "统计": [["乡镇", "户数"], ["城关镇", 12]]})
    _workbook(land / "c_two_sheets.xlsx", {
        "2023": [PEST_HEAD, ["R3", "150222", "2023-05-01", "美国白蛾", 2, "轻度"]],
        "2024": [PEST_HEAD, ["R4", "150222", "2024-05-01", "美国白蛾", 2, "轻度"]]})
    rows = {r.file_name: r for r in ingest_family("pest_reports", home, gate=False)}
    _identity(rows.values())
    a = rows["a_readme_first.xlsx"]
    assert (a.status, a.format, a.rows_accepted, a.rows_quarantined) == (
        "loaded", "xlsx/sheet:病虫害", 1, 1)
    assert "read sheet '病虫害' (not: '说明', 'Sheet2')" in a.detail
    assert "header in row 3" in a.detail
    q = _quarantine(home, "pest_reports")
    assert q.loc[q["file_name"] == "a_readme_first.xlsx", "row_number"].tolist() == [5]
    b = rows["b_nothing_fits.xlsx"]
    assert b.status == "unknown_layout"
    assert b.error == (
        "b_nothing_fits.xlsx: no sheet matches the pest_reports contract; sheets: '说明' (no "
        "contract column; row 1: 本表为2024年林业有害生物发生情况上报表); 'Sheet2' (empty); "
        "'统计' (no contract column; row 1: 乡镇, 户数)")
    assert (b.rows_received, b.rows_quarantined) == (3, 3)  # 2 read-me lines + 1 row, counted
    c = rows["c_two_sheets.xlsx"]
    assert c.status == "unknown_layout" and "several sheets match" in c.error
    assert "'2023', '2024'" in c.error and (c.rows_received, c.rows_quarantined) == (2, 2)


def test_wetland_management_status_is_optional_with_chinese_headers(with_parcels):
    """The wetland management status (湿地管理状态) and the year it began (状态起始年) are optional:
    Chinese values map to the codes, blank stays null, an unknown status or a future year is
    quarantined."""
    home = with_parcels
    future = date.today().year + 2
    text = (
        "\n".join(
            [
                "调查编号,小班号,调查年度,湿地类型,湿地面积(亩),保护面积(亩),保护形式,湿地管理状态,状态起始年",
                "S1,150222-F-000001,2024,河流湿地,150,0,无,退耕还湿,2022",
                "S2,150222-G-000002,2024,湖泊湿地,90,90,湿地公园,保护,2013",
                "S3,150223-G-000003,2024,沼泽湿地,40,0,无,,",
                "S4,150222-F-000001,2023,沼泽湿地,40,0,无,开发,",
                f"S5,150222-G-000002,2023,沼泽湿地,40,0,无,created,{future}",
            ]
        )
        + "\n"
    )
    write(home.landing_for("wetland_surveys") / "湿地调查.csv", text, encoding="gbk")
    [row] = ingest_family("wetland_surveys", home, gate=False)
    assert (row.rows_received, row.rows_accepted, row.rows_quarantined) == (5, 3, 2)
    assert json.loads(row.reason_counts) == {"future_date": 1, "not_allowed": 1}
    raw = _raw(home, "wetland_surveys").set_index("survey_id")
    assert (raw.loc["S1", "management_status"], raw.loc["S1", "management_status_since"]) == (
        "restored", 2022)
    assert raw.loc["S2", "management_status"] == "protected"
    assert pd.isna(raw.loc["S3", "management_status"])
    assert pd.isna(raw.loc["S3", "management_status_since"])
