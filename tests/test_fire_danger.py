"""Weather readers (GSOD, CMA daily table), the fire-danger rating per station, county and zone,
its idempotent output and the alert records."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from ingestion import weather
from ingestion.loader import ingest_paths
from monitoring import fire_alerts, fire_danger
from sinkwatch.config import Paths

FIXTURES = Path(__file__).parent / "fixtures" / "weather"
GSOD = FIXTURES / "53446099999.csv"
CMA = FIXTURES / "cma_daily_53352_202404.csv"


def _rows(path: Path) -> list[dict]:
    frame, fmt, _notes, _unknown = weather.read(path)
    return fmt, frame.drop(columns=["_source_row"]).to_dict("records")


def test_gsod_as_published():
    fmt, rows = _rows(GSOD)
    assert fmt == "gsod_csv" and len(rows) == 5
    first = rows[0]
    assert first["station_id"] == "53446"  # 53446099999: USAF 534460 + WBAN 99999
    assert first["obs_date"] == "2024-04-01" and first["obs_basis"] == "daily_mean"
    assert float(first["temp_c"]) == pytest.approx((45.3 - 32) * 5 / 9, abs=0.01)
    assert float(first["wind_kmh"]) == pytest.approx(7.8 * 1.852, abs=0.01)
    assert float(first["rh_pct"]) == pytest.approx(28.2, abs=0.1)  # Magnus, TEMP 45.3 DEWP 14.2
    assert first["precip_mm"] == "0.0" and first["precip_flag"] == "I"
    assert float(rows[2]["precip_mm"]) == pytest.approx(0.12 * 25.4, abs=0.01)
    # 9999.9 / 99.99 / 999.9 are missing, not numbers
    assert rows[3]["temp_c"] == "" and rows[3]["rh_pct"] == "" and rows[3]["precip_mm"] == ""
    assert rows[4]["wind_kmh"] == ""


def test_gsod_station_ids_and_us_dates():
    assert weather.gsod_station_id("53446099999") == "53446"
    assert weather.gsod_station_id("72503014732") == "72503014732"
    text = pd.Series(["04/01/2024", "2024-04-02"], dtype="string")
    assert weather._iso_date(text).tolist() == ["2024-04-01", "2024-04-02"]


def test_cma_daily_table_codes_and_units():
    fmt, rows = _rows(CMA)
    assert fmt == "cma_daily" and len(rows) == 6
    r = rows[0]
    assert r["station_id"] == "53352" and r["obs_date"] == "2024-04-01"
    assert float(r["lat"]) == pytest.approx(41 + 42 / 60, abs=1e-4)  # 4142 度分
    assert float(r["temp_c"]) == 11.8  # 14时气温 (0.1℃) wins over 平均气温
    assert float(r["rh_pct"]) == 18.0 and float(r["wind_kmh"]) == pytest.approx(4.5 * 3.6)
    assert float(r["elevation_m"]) == pytest.approx(1376.8)
    assert r["obs_basis"] == "mixed"  # 14h temperature and humidity, daily mean wind
    assert (rows[1]["precip_mm"], rows[1]["precip_flag"]) == ("0.0", "trace")  # 32700
    assert float(rows[2]["precip_mm"]) == pytest.approx(2.3)
    assert (float(rows[4]["precip_mm"]), rows[4]["precip_flag"]) == (1.2, "snow")  # 30012
    assert rows[4]["wind_kmh"] == ""  # 32766


def test_cma_unlabelled_tenths_are_refused(tmp_path):
    f = tmp_path / "cma.csv"
    f.write_text("区站号,日期,平均气温,平均相对湿度,平均风速,20-20时降水量\n"
                 "53446,2024-04-01,123,30,3.1,0\n", encoding="utf-8")
    with pytest.raises(weather.UnknownLayout, match="0.1"):
        weather.read(f)


def _ingest(home: Paths) -> list:
    return ingest_paths("weather_daily", [GSOD, CMA], home, gate=False)


def test_ingest_and_rate(home):
    rows = {r.file_name: r for r in _ingest(home)}
    assert rows[GSOD.name].format == "gsod_csv" and rows[GSOD.name].rows_accepted == 5
    cma = rows[CMA.name]
    assert (cma.rows_received, cma.rows_accepted, cma.rows_quarantined) == (6, 5, 1)
    rating = fire_danger.compute(home)
    st = pd.DataFrame(rating.stations).set_index(["station_id", "obs_date"])
    # a missing input: no rating, and the input is named
    gap = st.loc[("53446", date(2024, 4, 4))]
    assert not gap["is_rated"] and gap["missing_inputs"] == "temp_c,rh_pct,precip_mm"
    assert pd.isna(gap["fwi"]) and pd.isna(gap["danger_class"])
    assert st.loc[("53352", date(2024, 4, 2)), "is_rated"]
    assert st.loc[("53352", date(2024, 4, 1)), "is_restart"]
    # 9 counties + 22 zones, every day of the station table
    areas = pd.DataFrame(rating.areas)
    assert len(areas) == 31 * 5
    assert set(areas["area_kind"]) == {"county", "zone"}
    dm = areas[(areas["area_id"] == "150223") & (areas["obs_date"] == date(2024, 4, 2))].iloc[0]
    assert dm["is_rated"] and dm["method"] == "idw" and dm["station_ids"].startswith("53352")
    assert dm["danger_class"] == fire_danger.classify(dm["fwi"], fire_danger.load_classes()) \
        .danger_class
    # zones without parcels take their county's centroid
    assert set(areas.loc[areas["area_kind"] == "zone", "centroid_basis"]) == {"county"}


def test_rerun_is_idempotent(home):
    _ingest(home)
    first = fire_danger.compute(home)
    files = [fire_danger.output_path(home, t) for t in (fire_danger.STATION_TABLE,
                                                        fire_danger.AREA_TABLE)]
    snap = [pq.read_table(f) for f in files]
    assert _ingest(home) == []  # the same bytes again: no-op
    again = fire_danger.compute(home)
    assert [pq.read_table(f) for f in files] == snap
    assert snap[0].num_rows == len(first.stations) and snap[1].num_rows == len(first.areas)
    assert first.changed and again.changed == []  # nothing new to alert on


def test_corrected_upload_supersedes(home, tmp_path):
    _ingest(home)
    fixed = tmp_path / "cma_daily_53352_202404_v2.csv"
    text = CMA.read_text(encoding="utf-8")
    fixed.write_text(text.replace(",17,900,0", ",17,90,0"), encoding="utf-8")  # 90 m/s -> 9
    first = [r for r in ingest_paths("weather_daily", [GSOD, CMA], Paths(tmp_path / "x"),
                                     gate=False) if r.file_name == CMA.name][0]
    [row] = ingest_paths("weather_daily", [fixed], home, gate=False)
    assert row.rows_accepted == 6 and row.supersedes == first.sha256
    st = pd.DataFrame(fire_danger.compute(home).stations)
    assert (st["station_id"] == "53352").sum() == 6
    assert not st.duplicated(["station_id", "obs_date"]).any()


def _station(sid, lon, lat, d, fwi, sha="f" * 64):
    return {"station_id": sid, "obs_date": d, "lon": lon, "lat": lat, "is_rated": fwi is not None,
            "fwi": fwi, "source_sha256": sha}


def test_idw_mapping_per_county():
    classes = fire_danger.load_classes()
    periods = fire_danger.load_seasons()
    d = date(2025, 4, 10)
    areas = pd.DataFrame([
        {"area_kind": "county", "area_id": "A", "area_name_zh": "甲", "county_code": "A",
         "centroid_lon": 110.0, "centroid_lat": 41.0, "centroid_basis": "polygon"},
        {"area_kind": "county", "area_id": "B", "area_name_zh": "乙", "county_code": "B",
         "centroid_lon": 110.5, "centroid_lat": 41.0, "centroid_basis": "polygon"},
        {"area_kind": "zone", "area_id": "Z", "area_name_zh": "远", "county_code": "B",
         "centroid_lon": 114.9, "centroid_lat": 44.9, "centroid_basis": "county"},
    ])
    stations = [_station("S1", 110.0, 41.0, d, 40.0, "a" * 64),  # on A's centroid
                _station("S2", 110.5, 41.1, d, 20.0, "b" * 64),
                _station("S3", 110.5, 40.9, d, 30.0, "c" * 64)]
    out = {r["area_id"]: r for r in fire_danger.area_days(stations, areas, classes, periods)}
    assert out["A"]["method"] == "station" and out["A"]["fwi"] == 40.0
    assert out["A"]["danger_class"] == 5 and out["A"]["station_ids"] == "S1"
    b = out["B"]
    assert b["method"] == "idw" and b["n_stations"] == 3
    # S2 and S3 (11 km, weight 1/d^2) dominate S1 (42 km): (20 + 30) / 2 pulled up a little
    assert 25.0 < b["fwi"] < 26.0 and b["danger_class"] == 4
    assert b["source_sha256s"] == ",".join(["a" * 64, "b" * 64, "c" * 64])
    assert not out["Z"]["is_rated"] and out["Z"]["danger_class"] is None  # none within 150 km
    assert out["A"]["is_fire_season"] and out["A"]["is_closure_period"]


def test_classes_and_seasons():
    classes = fire_danger.load_classes()
    assert [c.class_zh for c in classes] == ["一级", "二级", "三级", "四级", "五级"]
    assert [fire_danger.classify(v, classes).danger_class
            for v in (0.0, 5.19, 5.2, 11.2, 21.3, 37.9, 38.0, 99.0)] == [1, 1, 2, 3, 4, 4, 5, 5]
    assert fire_danger.classify(None, classes) is None
    periods = fire_danger.load_seasons("ulanqab_and_west")
    flags = {d: fire_danger.season_flags(d, periods) for d in
             (date(2025, 1, 10), date(2025, 6, 15), date(2025, 7, 20), date(2025, 9, 15),
              date(2025, 10, 5), date(2025, 4, 1))}
    assert flags[date(2025, 1, 10)] == (True, False)  # 9.15 to 6.15 runs over the new year
    assert flags[date(2025, 6, 15)] == (True, False)
    assert flags[date(2025, 7, 20)] == (False, False)
    assert flags[date(2025, 10, 5)] == (True, True) and flags[date(2025, 4, 1)] == (True, True)


def _area_row(cls, d, season=True, kind="county", aid="150223"):
    return {"area_kind": kind, "area_id": aid, "area_name_zh": "达尔罕茂明安联合旗",
            "county_code": "150223", "obs_date": d, "is_rated": cls is not None,
            "danger_class": cls, "fwi": {None: None, 3: 15.0, 4: 30.0, 5: 45.0}[cls],
            "method": "idw", "station_ids": "53352,53446", "nearest_station_km": 28.6,
            "source_sha256s": "a" * 64 + "," + "b" * 64, "is_fire_season": season,
            "is_closure_period": False}


def test_alert_records():
    d = date(2025, 4, 20)
    rows = [_area_row(5, d), _area_row(4, d, kind="zone", aid="G01"), _area_row(3, d),
            _area_row(None, d), _area_row(5, d + timedelta(days=90), season=False)]
    alerts = fire_alerts.alert_records(rows)
    assert [(a["place"]["kind"], a["danger_class"]) for a in alerts] == [("county", 5),
                                                                         ("zone", 4)]
    a = alerts[0]
    assert a["type"] == "fire_danger" and a["severity"] == "critical"
    assert a["alert_id"] == fire_alerts.alert_id("county", "150223", d)
    assert a["alert_id"] == fire_alerts.alert_records([_area_row(4, d)])[0]["alert_id"]
    assert a["alert_id"] != fire_alerts.alert_id("county", "150223", d + timedelta(days=1))
    assert a["evidence"]["stations"] == ["53352", "53446"]
    assert a["evidence"]["files_sha256"] == ["a" * 64, "b" * 64]
    assert "五级" in a["title"] and "达尔罕茂明安联合旗" in a["title"]
    assert alerts[1]["severity"] == "warning"


def test_empty_outputs_before_any_weather(home):
    fire_danger.ensure_empty_outputs(home)
    rating = fire_danger.compute(home)
    assert rating.stations == [] and rating.areas == []
    for t, schema in ((fire_danger.STATION_TABLE, fire_danger.STATION_SCHEMA),
                      (fire_danger.AREA_TABLE, fire_danger.AREA_SCHEMA)):
        assert pq.read_schema(fire_danger.output_path(home, t)) == schema
    shutil.rmtree(home.monitoring)


def _dry_spell(path: Path, start: date, days: int) -> Path:
    lines = ["station_id,obs_date,lat,lon,temp_c,rh_pct,wind_kmh,precip_mm,obs_basis"]
    for i in range(days):  # hot, dry and windy: the codes climb into 四级/五级 within days
        d = start + timedelta(days=i)
        lines.append(f"53352,{d.isoformat()},41.7,110.4333,28,12,35,0,noon")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_rate_step_alerts_on_recent_new_ratings_only(home, tmp_path):
    from orchestration import fire

    src = _dry_spell(tmp_path / "weather_table.csv", date(2025, 4, 1), 12)
    [row] = ingest_paths("weather_daily", [src], home, gate=False)
    assert row.format == "table" and row.rows_accepted == 12
    out = fire.rate("r1", home, today=date(2025, 4, 12))
    alerts = out["alerts"]
    assert alerts and {a["date"] for a in alerts} <= {f"2025-04-{d:02d}" for d in range(9, 13)}
    assert {a["place"]["id"] for a in alerts} >= {"150223", "G01"}  # 达茂旗 and its zones
    assert all(a["danger_class"] >= 4 for a in alerts)
    assert out["area_days"] == 31 * 12
    again = fire.rate("r2", home, today=date(2025, 4, 12))
    assert again["alerts"] == [] and again["changed"] == 0


def test_sample_weather_ingests_and_reaches_high_danger(home, tmp_path):
    from sample_data.weather import write_weather

    files = write_weather(tmp_path / "a", seed=7, years=(2025,))
    again = write_weather(tmp_path / "b", seed=7, years=(2025,))
    assert [f.read_bytes() for f in files] == [f.read_bytes() for f in again]
    rows = ingest_paths("weather_daily", files, home, gate=False)
    assert {r.format for r in rows} == {"gsod_csv", "cma_daily"}
    assert all(r.status == "loaded" and r.rows_quarantined == 0 for r in rows)
    st = pd.DataFrame(fire_danger.compute(home).stations)
    spell = st[(st["obs_date"] >= date(2025, 4, 14)) & (st["obs_date"] <= date(2025, 4, 20))]
    assert spell["danger_class"].max() >= 4
    assert (~st["is_rated"]).any()  # the sample's gaps and missing values: no rating


def test_weather_run_records_danger_alerts_once(home, tmp_path, monkeypatch):
    """The weather DAG's last task: the recent 四级+ area-days become alerts in the store, with
    ids from place and day; rerunning the same rating records nothing new."""
    from monitoring import store
    from orchestration import alerting, fire

    monkeypatch.setenv("SINKWATCH_ALERT_FILE", str(tmp_path / "alerts.jsonl"))
    src = _dry_spell(tmp_path / "weather_table.csv", date(2025, 4, 1), 12)
    ingest_paths("weather_daily", [src], home, gate=False)
    fire.rate("r1", home, today=date(2025, 4, 12))
    first = alerting.run(["weather_daily"], run_id="r1", p=home)
    figures = first["evaluators"]["monitoring.fire_alerts:evaluate"]
    assert figures["alerts"] > 0 and figures["changes"] == figures["alerts"]
    assert first["delivered"] == figures["changes"]
    found = fire_alerts.evaluate(home, "x", today=date(2025, 4, 12))
    by_id = {a.alert_id: a for a in found}
    # one alert per county and episode of 四级+ days, named by its first day: 达茂旗
    dm = [a for a in found if a.county_codes == ("150223",)]
    assert len(dm) == 1 and dm[0].alert_id.startswith("fire_danger:150223:2025-04-")
    assert dm[0].evidence["days"][-1] == "2025-04-12" and "G01" in dm[0].zone_ids
    assert len(by_id) == len(found) <= 9  # at most one per county
    # a later day of the same episode updates the alert, it does not add one
    earlier = fire_alerts.evaluate(home, "x", today=date(2025, 4, 11))
    assert {a.alert_id for a in earlier} <= set(by_id)
    again = alerting.run(["weather_daily"], run_id="r2", p=home)
    assert again["evaluators"]["monitoring.fire_alerts:evaluate"]["changes"] == 0
    assert again["delivered"] == 0
    for url in list(store._ENGINES):
        store._ENGINES.pop(url).dispose()
