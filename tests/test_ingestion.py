"""Ingestion on real and hand-made files: archive as received, quarantine with reasons that name
file, row and field, accepted + quarantined = received, and reruns are no-ops."""

from __future__ import annotations

import hashlib
import json
import shutil

import duckdb
import pandas as pd
import pytest

from ingestion.loader import ingest_family
from tests.conftest import FIXTURES, write

PLOTS_HEADER = (
    "plot_id,parcel_id,inventory_year,plot_area_m2,plot_lon,plot_lat,tree_id,species,dbh_cm,"
    "height_m,status"
)


def _raw(home, family):
    files = sorted(str(p) for p in (home.raw / family).glob("*.parquet"))
    con = duckdb.connect()
    try:
        return con.execute(f"select * from read_parquet({files}, union_by_name=true)").df()
    finally:
        con.close()


def _quarantine(home, family):
    q = pd.concat(
        [pd.read_parquet(p) for p in (home.quarantine / family).glob("*.parquet")],
        ignore_index=True,
    )
    values = pd.DataFrame([json.loads(r) if r else {} for r in q["raw_record"]])
    return pd.concat([q, values], axis=1)


def test_bad_rows_are_quarantined_with_file_row_and_field(home):
    text = (
        "\n".join(
            [
                PLOTS_HEADER,
                "P1,150205-F-000001,2021,600,110.2,40.7,T1,Pinus tabuliformis,12.5,8.1,alive",
                "P1,150205-F-000001,2021,600,110.2,40.7,T2,Pinus tabuliformis,-3,8.1,alive",
                "P1,150205-F-000001,2021,600,110.2,40.7,T3,Pinus tabuliformis,14,abc,alive",
                "P1,150205-F-000001,2021,600,110.2,40.7,T4,Pinus tabuliformis,14,9,sleeping",
                "P1,150205-F-000001,2021,600,110.2,40.7,T1,Pinus tabuliformis,12.5,8.1,alive",
                "P1,150205-F-000001,2021,600,110.2,40.7,T5,,11,7,alive",
            ]
        )
        + "\n"
    )
    src = write(home.landing_for("forest_plots") / "plots_2021.csv", text)
    original = src.read_bytes()
    [row] = ingest_family("forest_plots", home, gate=False)

    assert (row.rows_read, row.rows_accepted, row.rows_quarantined) == (6, 1, 5)
    assert row.rows_accepted + row.rows_quarantined == row.rows_read
    reasons = dict(
        zip(
            _quarantine(home, "forest_plots")["row_number"],
            _quarantine(home, "forest_plots")["reason"],
            strict=True,
        )
    )
    assert (
        "plots_2021.csv row 3" in reasons[3] and "dbh_cm" in reasons[3] and "minimum" in reasons[3]
    )
    assert "height_m" in reasons[4] and "cannot read 'abc'" in reasons[4]
    assert "status" in reasons[5] and "sleeping" in reasons[5]
    assert "duplicate key" in reasons[6]
    assert "species" in reasons[7] and "required" in reasons[7]
    # archived byte for byte, landing emptied, lineage on the accepted row
    assert (home.home / row.archive_path).read_bytes() == original
    assert not src.exists()
    raw = _raw(home, "forest_plots")
    assert list(raw["tree_id"]) == ["T1"]
    assert raw["_source_sha256"][0] == hashlib.sha256(original).hexdigest()
    assert raw["_source_row"][0] == 2


def test_same_file_twice_is_a_no_op(home):
    text = PLOTS_HEADER + "\nP1,X,2021,600,110.2,40.7,T1,Pinus tabuliformis,12.5,8.1,alive\n"
    write(home.landing_for("forest_plots") / "a.csv", text)
    assert len(ingest_family("forest_plots", home, gate=False)) == 1
    write(home.landing_for("forest_plots") / "a_again.csv", text)
    assert ingest_family("forest_plots", home, gate=False) == []
    assert len(_raw(home, "forest_plots")) == 1
    assert len(list((home.manifest / "forest_plots").glob("*.parquet"))) == 1


def test_gbk_tab_separated_file(home):
    text = (
        "\t".join(
            [
                "record_id",
                "county_code",
                "year",
                "site_name",
                "area_mu",
                "species",
                "planting_date",
                "zone_id",
                "sponsor",
            ]
        )
        + "\n"
    )
    text += (
        "\t".join(
            [
                "D1",
                "150222",
                "2023",
                "固阳县碳汇示范林",
                "620",
                "Pinus tabuliformis",
                "2023-04-20",
                "",
                "包钢集团",
            ]
        )
        + "\n"
    )
    write(home.landing_for("demo_forests") / "示范林.csv", text, encoding="gbk")
    [row] = ingest_family("demo_forests", home, gate=False)
    assert row.status == "loaded" and row.rows_accepted == 1
    raw = _raw(home, "demo_forests")
    assert raw["site_name"][0] == "固阳县碳汇示范林" and raw["sponsor"][0] == "包钢集团"
    assert pd.isna(raw["zone_id"][0])


def test_missing_required_column_quarantines_every_row(home):
    text = "record_id,county_code,year\nD1,150222,2023\nD2,150221,2023\n"
    write(home.landing_for("demo_forests") / "short.csv", text)
    [row] = ingest_family("demo_forests", home, gate=False)
    assert row.status == "schema_error"
    assert (row.rows_read, row.rows_accepted, row.rows_quarantined) == (2, 0, 2)
    assert "area_mu" in row.detail and "short.csv" in row.detail


def test_real_firms_files_outside_baotou_are_kept_as_outside_study_area(home):
    home.landing_for("fire_hotspots").mkdir(parents=True)
    for name in ("SUOMI_VIIRS_C2_South_Asia_24h.csv", "fire_nrt_M-C61_660891.csv"):
        shutil.copy(FIXTURES / "realdata" / name, home.landing_for("fire_hotspots") / name)
    rows = {r.file_name: r for r in ingest_family("fire_hotspots", home, gate=False)}
    viirs = rows["SUOMI_VIIRS_C2_South_Asia_24h.csv"]
    modis = rows["fire_nrt_M-C61_660891.csv"]
    assert (viirs.rows_read, viirs.rows_accepted, viirs.rows_quarantined) == (545, 0, 545)
    assert (modis.rows_read, modis.rows_accepted, modis.rows_quarantined) == (672, 0, 672)
    q = _quarantine(home, "fire_hotspots")
    assert q["reason"].str.contains("outside_study_area").all()
    v = q[q["file_name"].str.contains("SUOMI")]
    assert set(v["instrument"]) == {"VIIRS"} and set(v["confidence_raw"]) <= {
        "low",
        "nominal",
        "high",
    }
    assert v["acq_time_utc"].str.match(r"^\d\d:\d\d$").all()
    m = q[q["file_name"].str.contains("M-C61")]
    assert set(m["instrument"]) == {"MODIS"} and set(m["is_nrt"]) == {"true"}


def test_firms_archive_layout_inside_baotou(home):
    header = (
        "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,"
        "confidence,version,bright_ti5,frp,daynight,type"
    )
    lines = [
        header,
        # Baogang (static source), Darhan steppe, Beijing, a bad confidence
        "40.6500,109.8300,340.1,0.39,0.36,2024-04-03,548,N,VIIRS,h,2,290.2,25.3,D,2",
        "41.9000,110.4000,330.0,0.40,0.37,2024-04-05,0530,N,VIIRS,n,2,289.0,4.2,D,0",
        "39.9000,116.4000,330.0,0.40,0.37,2024-04-05,0530,N,VIIRS,n,2,289.0,4.2,D,0",
        "41.9000,110.4000,330.0,0.40,0.37,2024-04-05,05:31:00,N,VIIRS,x,2,289.0,4.2,D,0",
    ]
    write(home.landing_for("fire_hotspots") / "fire_archive_SV-C2_1.csv", "\n".join(lines) + "\n")
    [row] = ingest_family("fire_hotspots", home, gate=False)
    assert (row.rows_read, row.rows_accepted, row.rows_quarantined) == (4, 2, 2)
    raw = _raw(home, "fire_hotspots").sort_values("latitude").reset_index(drop=True)
    assert list(raw["county_code"]) == ["150203", "150223"]  # 昆都仑区 (Baogang), 达茂旗
    assert list(raw["fire_type"]) == [2, 0]
    assert list(raw["acq_time_utc"]) == ["05:48", "05:30"]
    assert list(raw["confidence_pct"]) == [90.0, 60.0]
    assert not raw["is_nrt"].any()
    reasons = " ".join(_quarantine(home, "fire_hotspots")["reason"])
    assert (
        "row 4: outside_study_area" in reasons
        and "row 5" in reasons
        and "confidence_pct" in reasons
    )


def test_parcels_geojson_area_in_mu(home):
    # a 0.01 deg x 0.01 deg square near Baotou: ~ 843 m x 1112 m = ~ 93.8 ha = ~ 1407 mu
    square = [[110.0, 41.0], [110.01, 41.0], [110.01, 41.01], [110.0, 41.01], [110.0, 41.0]]
    props = {
        "parcel_id": "150222-G-000001",
        "county_code": "150222",
        "zone_id": "G01",
        "land_class": "grassland",
        "grassland_type": "typical_steppe",
        "survey_year": 2025,
    }
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Polygon", "coordinates": [square]},
            },
            {
                "type": "Feature",
                "properties": {**props, "parcel_id": "150222-G-000002"},
                "geometry": None,
            },
        ],
    }
    write(home.landing_for("parcels") / "p.geojson", json.dumps(fc))
    [row] = ingest_family("parcels", home, gate=False)
    assert (row.rows_accepted, row.rows_quarantined) == (1, 1)
    raw = _raw(home, "parcels")
    assert raw["area_mu"][0] == pytest.approx(1407, rel=0.01)
    assert raw["geometry_wkt"][0].startswith("POLYGON")
    reason = _quarantine(home, "parcels")["reason"].iloc[0]
    assert "p.geojson row 2" in reason and "geometry_wkt" in reason
