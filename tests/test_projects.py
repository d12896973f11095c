"""The projects family (#15 item 1): the three ways of naming parcels, zh/en headers, and a
parcel in two projects at the same time quarantined with a reason naming both."""

from __future__ import annotations

import json

import pandas as pd

from ingestion.loader import ingest_paths
from tests.conftest import write

# Three 1 km x 1 km parcels in a row in 九原区 (test geometry, not real parcels).
PARCELS = [("T-P1", 109.800), ("T-P2", 109.812), ("T-P3", 109.824)]
HEADER = ("project_id,project_name,project_type,methodology,scheme_code,owner,start_date,"
          "crediting_years,planned_area_mu,species,forest_use,nonforest_since_year,"
          "has_tenure_certificate,parcel_ids,boundary_wkt\n")


def _square(x0: float, y0: float = 40.650, d: float = 0.011) -> list:
    return [[[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]]


def _parcels(home) -> None:
    feats = [{"type": "Feature", "properties": {
        "parcel_id": pid, "county_code": "150207", "land_class": "forest",
        "forest_type": "conifer", "origin": "planted", "survey_year": 2025},
        "geometry": {"type": "Polygon", "coordinates": _square(x)}} for pid, x in PARCELS]
    f = write(home.landing / "parcels" / "parcels.geojson",
              json.dumps({"type": "FeatureCollection", "features": feats}))
    [row] = ingest_paths("parcels", [f], home, gate=False, docs=False)
    assert row.rows_accepted == 3


def _raw(home) -> pd.DataFrame:
    files = [f for f in (home.raw / "projects").glob("*.parquet") if f.name != "_empty.parquet"]
    return pd.concat([pd.read_parquet(f) for f in files]).sort_values(["project_id", "parcel_id"])


def _quarantine(home) -> pd.DataFrame:
    files = list((home.quarantine / "projects").glob("*.parquet"))
    return pd.concat([pd.read_parquet(f) for f in files]) if files else pd.DataFrame()


def test_list_rows_and_boundary_each_give_one_row_per_project_parcel(home):
    _parcels(home)
    boundary = "POLYGON ((109.8225 40.645, 109.84 40.645, 109.84 40.67, 109.8225 40.67, " \
               "109.8225 40.645))"
    a = write(home.landing / "projects" / "a_list.csv", HEADER
              + "PA,甲项目,afforestation,CCER-14-001-V01,CCER,林场,2020-04-01,30,300,油松,"
                "防护林,2010,true,T-P1;T-P2,\n"
              + f'PC,丙项目,造林,VM0047,VCS,公司,2021-04-01,40,150,,,2010,是,,"{boundary}"\n')
    # one row per project-parcel, Chinese headers
    b = write(home.landing / "projects" / "b_rows.csv",
              "项目编号,项目名称,项目类型,方法学,项目业主,项目开始日期,计入期,小班号\n"
              "PB,乙项目,森林经营,AR-CM-003-V01,林场,2026-01-01,20,T-P1\n")
    rows = ingest_paths("projects", [a, b], home, gate=True, docs=False)
    by_file = {r.file_name: r for r in rows}
    assert (by_file["a_list.csv"].rows_received, by_file["a_list.csv"].rows_accepted) == (3, 3)
    raw = _raw(home)
    got = {(r.project_id, r.parcel_id, r.parcel_source) for r in raw.itertuples()}
    assert {("PA", "T-P1", "list"), ("PA", "T-P2", "list"), ("PC", "T-P3", "boundary")} <= got
    pa = raw[raw.project_id == "PA"].iloc[0]
    assert (pa.species, pa.forest_use, bool(pa.has_tenure_certificate)) == \
        ("Pinus tabuliformis", "protection", True)
    # PB starts 2026, after PA's period? No: PA runs 2020-2050, so T-P1 overlaps -> quarantined
    assert (by_file["b_rows.csv"].rows_accepted, by_file["b_rows.csv"].rows_quarantined) == (0, 1)


def test_parcel_in_two_projects_is_quarantined_naming_both(home):
    _parcels(home)
    first = write(home.landing / "projects" / "1.csv", HEADER
                  + "P1,一号,afforestation,CCER-14-001-V01,CCER,甲,2020-04-01,20,1,,,2010,true,"
                    "T-P1;T-P2,\n")
    [r1] = ingest_paths("projects", [first], home, gate=False, docs=False)
    assert r1.rows_accepted == 2
    second = write(home.landing / "projects" / "2.csv", HEADER
                   # T-P2 overlaps P1 (2020-2040); T-P3 is free; the same file also names T-P3
                   # for P3, which P2 took a line earlier
                   + "P2,二号,afforestation,CCER-14-001-V01,LOCAL,乙,2025-01-01,20,1,,,2010,"
                     "true,T-P2;T-P3,\n"
                   + "P3,三号,afforestation,CCER-14-001-V01,LOCAL,丙,2030-01-01,20,1,,,2010,"
                     "true,T-P3,\n"
                   # after P1's period ends, T-P1 may join another project
                   + "P4,四号,afforestation,CCER-14-001-V01,LOCAL,丁,2040-04-01,20,1,,,2010,"
                     "true,T-P1;T-NOPE,\n")
    [r2] = ingest_paths("projects", [second], home, gate=False, docs=False)
    assert (r2.rows_received, r2.rows_accepted, r2.rows_quarantined) == (5, 2, 3)
    assert json.loads(r2.reason_counts) == {"parcel_in_two_projects": 2, "unknown_parcel": 1}
    q = _quarantine(home)
    overlap = q[q.reason_code == "parcel_in_two_projects"].sort_values("reason")
    texts = list(overlap.reason)
    assert any("parcel T-P2 is already in project P1" in t and "project P2" in t
               and "1.csv" in t for t in texts), texts
    assert any("parcel T-P3 is already in project P2" in t and "project P3" in t
               and "earlier in this file" in t for t in texts), texts
    accepted = {(r.project_id, r.parcel_id) for r in _raw(home).itertuples()}
    assert accepted == {("P1", "T-P1"), ("P1", "T-P2"), ("P2", "T-P3"), ("P4", "T-P1")}
    # a corrected re-upload of P1 itself is not an overlap with P1
    again = write(home.landing / "projects" / "3.csv", HEADER
                  + "P1,一号（更正）,afforestation,CCER-14-001-V01,CCER,甲,2020-04-01,20,1,,,"
                    "2010,true,T-P1;T-P2,\n")
    [r3] = ingest_paths("projects", [again], home, gate=False, docs=False)
    assert (r3.rows_accepted, r3.rows_quarantined) == (2, 0)
    assert r3.supersedes  # same project set: the earlier file of P1 is superseded


def test_boundary_without_parcels_layer_is_explained(home):
    f = write(home.landing / "projects" / "b.csv", HEADER
              + 'PX,X,afforestation,VM0047,VCS,o,2021-01-01,40,1,,,2000,true,,'
                '"POLYGON ((109 40, 110 40, 110 41, 109 41, 109 40))"\n')
    [r] = ingest_paths("projects", [f], home, gate=False, docs=False)
    assert (r.rows_accepted, r.rows_quarantined) == (0, 1)
    assert "no_parcels_layer" in r.reason_counts
