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
        "row 4: field latitude,longitude: outside_study_area" in reasons
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


# --- reference data shared across families, Data Docs once per run ------------------------------

def _parcels_geojson(parcels: dict[str, tuple[float, float]], year: int = 2025) -> str:
    """A parcels layer of 0.01-degree squares, keyed by parcel id -> (lon, lat) of a corner."""
    features = []
    for pid, (x, y) in parcels.items():
        ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
        features.append({
            "type": "Feature",
            "properties": {"parcel_id": pid, "county_code": "150222", "zone_id": "G01",
                           "land_class": "grassland", "grassland_type": "typical_steppe",
                           "survey_year": year},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        })
    return json.dumps({"type": "FeatureCollection", "features": features})


def _hotspot_csv(lat: float, lon: float) -> str:
    return (
        "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,"
        "confidence,version,bright_ti5,frp,daynight,type\n"
        f"{lat},{lon},330.0,0.40,0.37,2024-04-05,0530,N,VIIRS,n,2,289.0,4.2,D,0\n"
    )


P1, P2 = "150222-G-000001", "150222-G-000002"
SQUARES = {P1: (110.0, 41.0), P2: (110.05, 41.0)}


def test_parcels_layer_is_shared_across_contexts_and_reloaded_after_new_parcels(home, monkeypatch):
    from ingestion import context, spatial
    from ingestion.context import Context

    context.clear_cache()
    loads = {"parcels": 0, "parcel_ids": 0}
    real_parcels, real_ids = context.load_parcels, context.load_parcel_ids

    def count(kind, real):
        def counted(files):
            loads[kind] += 1
            return real(files)
        return counted

    monkeypatch.setattr(context, "load_parcels", count("parcels", real_parcels))
    monkeypatch.setattr(context, "load_parcel_ids", count("parcel_ids", real_ids))
    write(home.landing_for("parcels") / "p1.geojson", _parcels_geojson({P1: SQUARES[P1]}))
    [row] = ingest_family("parcels", home, gate=False)
    assert row.status == "loaded"

    # (a) two Contexts over the same files: one load, the same list objects, the same STRtree
    ids_only = Context(home).parcel_ids  # the ids alone, before any geometry is needed
    assert ids_only == [P1] and Context(home).parcel_ids is ids_only
    a, b = Context(home), Context(home)
    assert a.parcels[1] is b.parcels[1] and a.parcels[0] is b.parcels[0]
    assert b.parcel_ids is a.parcels[0]  # taken from the loaded layer, no query
    assert loads == {"parcels": 1, "parcel_ids": 1}
    assert spatial._tree(a.parcels[1]) is spatial._tree(b.parcels[1])
    assert a.counties is b.counties
    inside_p2 = (pd.Series([110.055]), pd.Series([41.005]))
    assert list(a.locate(*inside_p2)[1]) == [None]

    # (b) a new parcels file changes the key: the next Context reads the new layer
    write(home.landing_for("parcels") / "p2.geojson",
          _parcels_geojson({P2: SQUARES[P2]}, year=2026))
    [row] = ingest_family("parcels", home, gate=False)
    assert row.status == "loaded"
    c = Context(home)
    assert c.parcel_ids == [P1, P2] and P2 in c.refs.parcel_ids
    county, parcel = c.locate(*inside_p2)
    assert list(parcel) == [P2] and list(county) == ["150222"]
    assert c.parcels[1] is not a.parcels[1]
    assert loads == {"parcels": 2, "parcel_ids": 2}
    # and a family ingested afterwards in the same process finds the new parcel
    write(home.landing_for("fire_hotspots") / "fire_archive_SV-C2_1.csv",
          _hotspot_csv(41.005, 110.055))
    [row] = ingest_family("fire_hotspots", home, gate=False)
    assert row.rows_accepted == 1
    assert _raw(home, "fire_hotspots")["parcel_id"].tolist() == [P2]


def test_pipeline_ingest_builds_data_docs_once_for_all_gated_families(home, monkeypatch):
    from expectations import gates
    from ingestion import context
    from orchestration import pipeline

    context.clear_cache()
    calls, names = [], []
    real = gates.build_data_docs

    def counted(run_names=None):
        calls.append(1)
        names.append(sorted(run_names))
        return real(run_names)  # the real rebuild still runs

    monkeypatch.setattr(gates, "build_data_docs", counted)
    write(home.landing_for("parcels") / "p1.geojson", _parcels_geojson({P1: SQUARES[P1]}))
    write(home.landing_for("fire_hotspots") / "fire_archive_SV-C2_1.csv",
          _hotspot_csv(41.005, 110.005))
    write(home.landing_for("pest_reports") / "pests.csv",
          "报告编号,县区代码,报告日期,有害生物,发生面积(公顷),危害程度\n"
          "R9,150222,2024-05-01,美国白蛾,2,轻度\n")
    rows = pipeline.ingest(["parcels", "fire_hotspots", "pest_reports"], run_id="docs", p=home)
    assert {r.family for r in rows if r.gate_suite} == {"parcels", "fire_hotspots",
                                                         "pest_reports"}
    assert calls == [1]
    assert gates.data_docs_index().is_file()
    # only this call's batches are rendered (one page per gated file, and the index)
    assert names == [sorted(f"{r.family}:{r.sha256[:12]}" for r in rows)]
    pages = list((gates.data_docs_dir() / "validations").rglob("*.html"))
    assert len(pages) == 3
    # fire_hotspots, after parcels in the same call, located its point in the new layer
    assert _raw(home, "fire_hotspots")["parcel_id"].tolist() == [P1]
    # nothing gated: no rebuild
    assert pipeline.ingest(["pest_reports"], run_id="again", p=home) == [] and calls == [1]
    # a direct call keeps building the docs itself
    write(home.landing_for("pest_reports") / "pests2.csv",
          "报告编号,县区代码,报告日期,有害生物,发生面积(公顷),危害程度\n"
          "R10,150222,2024-05-02,美国白蛾,3,轻度\n")
    [row] = ingest_family("pest_reports", home)
    assert row.gate_suite and calls == [1, 1]
