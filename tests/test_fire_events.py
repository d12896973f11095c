"""Fire events from FIRMS hotspots and the static-source mask (issue #14, items 1 and 2), through
the real ingestion (``orchestration.pipeline.ingest``) and the alerting step of the DAG
(``orchestration.alerting.run``), on a throw-away SINKWATCH_HOME per test.

The event counts of the real FIRMS file are checked against an independent brute-force
computation in this file (great-circle distances, every pair, no grid, no projection)."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from monitoring import fire_events, fire_masks, store
from orchestration import alerting, pipeline
from sinkwatch.config import Paths
from tests.conftest import FIXTURES, write

FAMILIES = ["fire_hotspots", "fire_reports", "pest_reports"]  # as ingest_disturbances
NRT_HEADER = ("latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,"
              "confidence,version,bright_ti5,frp,daynight")
ARCHIVE_HEADER = NRT_HEADER + ",type"
#: A forest parcel of the Wulashan forest zone (F03, 九原区), a grassland parcel outside the
#: zones (固阳县): 0.02-degree squares, keyed by id -> (lon, lat) of the south-west corner.
FOREST, GRASS = "150207-F-000001", "150222-G-000001"
PARCELS = {FOREST: (109.60, 40.70, "150207", "F03", "forest"),
           GRASS: (110.00, 41.20, "150222", None, "grassland")}
#: The relocation of the real MODIS file: a constant shift that puts its Jharkhand/Odisha
#: detections (22.5-24.7 N, 85.5-87.5 E) into Baotou; the rest falls outside and is quarantined.
DLAT, DLON = 18.1, 23.9


# --- helpers ------------------------------------------------------------------------------------

def _parcels(home: Paths) -> None:
    features = []
    for pid, (x, y, county, zone, land) in PARCELS.items():
        ring = [[x, y], [x + 0.02, y], [x + 0.02, y + 0.02], [x, y + 0.02], [x, y]]
        props = {"parcel_id": pid, "county_code": county, "zone_id": zone, "land_class": land,
                 "survey_year": 2025}
        if land == "forest":
            props.update(forest_type="conifer", origin="planted",
                         dominant_species="Pinus tabuliformis")
        else:
            props["grassland_type"] = "typical_steppe"
        features.append({"type": "Feature", "properties": props,
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    write(home.landing_for("parcels") / "parcels.geojson",
          json.dumps({"type": "FeatureCollection", "features": features}))
    pipeline.ingest(["parcels"], run_id="parcels", gate=False, p=home)


def _nrt(home: Paths, name: str, rows: list[tuple], sat: str = "N") -> Path:
    """A VIIRS NRT file: rows of (lat, lon, 'YYYY-MM-DD', 'HHMM', frp)."""
    lines = [NRT_HEADER] + [
        f"{lat:.5f},{lon:.5f},340.0,0.40,0.38,{day},{hhmm},{sat},VIIRS,n,2.0NRT,290.0,{frp},D"
        for lat, lon, day, hhmm, frp in rows]
    return write(home.landing_for("fire_hotspots") / name, "\n".join(lines) + "\n")


def _archive(home: Paths, name: str, rows: list[tuple]) -> Path:
    """A VIIRS archive file: rows of (lat, lon, 'YYYY-MM-DD', 'HHMM', frp, type)."""
    lines = [ARCHIVE_HEADER] + [
        f"{lat:.5f},{lon:.5f},340.0,0.40,0.38,{day},{hhmm},N,VIIRS,n,2,290.0,{frp},D,{t}"
        for lat, lon, day, hhmm, frp, t in rows]
    return write(home.landing_for("fire_hotspots") / name, "\n".join(lines) + "\n")


def _run(home: Paths, run_id: str) -> dict:
    """What ingest_disturbances does: its ingest tasks, then evaluate_alerts."""
    pipeline.ingest(FAMILIES, run_id=run_id, gate=False, p=home)
    return alerting.run(FAMILIES, run_id=run_id, p=home)


def _store() -> tuple[pd.DataFrame, pd.DataFrame]:
    with store.engine().connect() as con:
        alerts = pd.DataFrame(con.execute(sa.select(store.alerts)).mappings().all())
        changes = pd.DataFrame(con.execute(sa.select(store.alert_changes)).mappings().all())
    return alerts, changes


def _snapshot(home: Paths, name: str) -> pd.DataFrame:
    return pd.read_parquet(fire_events.snapshot_dir(home) / f"{name}.parquet")


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean earth radius), as the rules define distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


# --- the real FIRMS file, relocated -------------------------------------------------------------

def _relocated_modis(home: Paths) -> list[dict]:
    src = FIXTURES / "realdata" / "fire_nrt_M-C61_660891.csv"
    rows = list(csv.DictReader(src.open(encoding="utf-8", newline="")))
    for r in rows:
        r["latitude"] = f"{float(r['latitude']) + DLAT:.5f}"
        r["longitude"] = f"{float(r['longitude']) + DLON:.5f}"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    write(home.landing_for("fire_hotspots") / "fire_nrt_M-C61_660891_baotou.csv", buf.getvalue())
    return rows


def _brute_force(rows: list[dict]) -> dict:
    """The rules of monitoring.fire_masks / fire_events re-derived the slow, obvious way."""
    import shapely

    from ingestion.spatial import load_counties
    from sinkwatch.config import BOUNDARIES_GEOJSON

    city = shapely.union_all(load_counties(BOUNDARIES_GEOJSON)[1])
    det = {}
    for r in rows:
        lat, lon = float(r["latitude"]), float(r["longitude"])
        if not shapely.contains_xy(city, lon, lat):
            continue
        t = datetime.strptime(f"{r['acq_date']} {int(r['acq_time']):04d}", "%Y-%m-%d %H%M")
        det[(r["satellite"], round(lat, 4), round(lon, 4), t)] = (lat, lon, t)
    pts = sorted(det.values(), key=lambda d: (d[2], d[0], d[1]))
    seed = fire_masks.load_seed()
    n = len(pts)

    def recurrence(i: int, km: float) -> tuple[int, int]:
        near = [pts[j][2] for j in range(n) if _km(*pts[i][:2], *pts[j][:2]) <= km
                and abs((pts[j][2].date() - pts[i][2].date()).days) <= 365]
        return len({t.date() for t in near}), len({(t.year, t.month) for t in near})

    known = [any(_km(lat, lon, s.lat, s.lon) * 1000 <= s.radius_m for s in seed)
             for lat, lon, _ in pts]
    # any point within 500 m is in the 1.5 km square of a detection (sufficient), and no point
    # of that square is farther than its diagonal, 2.13 km (necessary)
    surely = [d >= 10 and m >= 3 for d, m in (recurrence(i, 0.5) for i in range(n))]
    maybe = [d >= 10 and m >= 3 for d, m in (recurrence(i, 2.13) for i in range(n))]
    return {"points": pts, "known": known, "surely": surely, "maybe": maybe}


def _components(pts: list[tuple], keep: list[bool]) -> tuple[list[int], int]:
    """Sizes of the connected components of the kept points (pairs within 2 km and 48 h), and
    the number of kept pairs within 2 km +- 1 m (where rounding could tip the result)."""
    parent = list(range(len(pts)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    borderline = 0
    idx = [i for i in range(len(pts)) if keep[i]]
    for a, i in enumerate(idx):
        for j in idx[a + 1:]:
            if abs((pts[i][2] - pts[j][2]).total_seconds()) > 48 * 3600:
                continue
            d = _km(*pts[i][:2], *pts[j][:2])
            borderline += 1.999 <= d <= 2.001
            if d <= 2.0:
                parent[find(j)] = find(i)
    sizes = defaultdict(int)
    for i in idx:
        sizes[find(i)] += 1
    return sorted(sizes.values(), reverse=True), borderline


def test_real_firms_file_relocated_into_baotou_gives_the_brute_force_events(home):
    rows = _relocated_modis(home)
    _run(home, "replay_real")
    det = _snapshot(home, "fire_detections")
    events = _snapshot(home, "fire_events")
    bf = _brute_force(rows)
    pts = bf["points"]

    # the counts, as computed once by hand from the brute force and pinned
    assert len(det) == len(pts) == 108
    assert det["mask_reason"].fillna("-").value_counts().to_dict() == {"-": 71, "persistence": 37}
    assert not any(bf["known"])  # nothing lands on a seeded plant
    assert len(events) == 52 and events["n_detections"].sum() == 71

    # persistence: every masked detection recurs within 2.13 km, every one that recurs within
    # 500 m is masked (the same thresholds: >= 10 days in >= 3 months within a year)
    masked = {(round(r.latitude, 5), round(r.longitude, 5), r.acquired_at.replace(tzinfo=None))
              for r in det[det["is_masked"]].itertuples()}
    key = [(round(lat, 5), round(lon, 5), t) for lat, lon, t in pts]
    for k, sure, maybe in zip(key, bf["surely"], bf["maybe"], strict=True):
        assert (not sure or k in masked) and (k not in masked or maybe), k
    assert sum(bf["surely"]) <= 37 <= sum(bf["maybe"])

    # events: connected components of the unmasked detections, pairs within 2 km and 48 h
    sizes, borderline = _components(pts, [k not in masked for k in key])
    assert borderline == 0  # no pair so close to 2 km that rounding could matter
    assert sizes == sorted(events["n_detections"].tolist(), reverse=True)
    assert len(sizes) == 52 and sizes[:4] == [4, 3, 3, 3]
    assert sizes.count(2) == 10 and sizes.count(1) == 38

    # alerts: the events still burning at the data clock (the newest overpass), no others
    assert set(events["status"]) == {"ended", "new"}
    alerts, changes = _store()
    live = events[events["status"] == "new"]
    assert sorted(alerts["alert_id"]) == sorted("fire_event:" + live["event_id"])
    assert len(changes) == len(live) == 2
    assert (events["last_detected_at"].max() - live["last_detected_at"].min()) <= timedelta(
        hours=fire_events.ENDED_AFTER_H)


# --- idempotence ---------------------------------------------------------------------------------

def test_same_file_twice_and_reruns_create_no_new_alert(home):
    _parcels(home)
    f = _nrt(home, "fire_nrt_SV-C2_1.csv", [(40.705, 109.605, "2026-04-05", "0530", 12.0),
                                            (40.708, 109.607, "2026-04-05", "0530", 20.0)])
    body = f.read_bytes()
    first = _run(home, "run_1")
    assert first["evaluators"]["monitoring.fire_events:evaluate"] == {
        "alerts": 1, "changes": 1, "seconds": pytest.approx(0, abs=60)}
    alerts1, changes1 = _store()
    events1 = _snapshot(home, "fire_events")

    write(home.landing_for("fire_hotspots") / "fire_nrt_SV-C2_1_again.csv", body.decode())
    again = _run(home, "run_2")  # the same bytes under another name: a no-op in ingestion
    rerun = alerting.run(FAMILIES, run_id="run_2", p=home)  # a rerun of the DAG's alert task
    for res in (again, rerun):
        assert res["evaluators"]["monitoring.fire_events:evaluate"]["changes"] == 0
        assert res["delivered"] == 0
    alerts2, changes2 = _store()
    assert list(alerts2["alert_id"]) == list(alerts1["alert_id"])
    assert len(changes2) == len(changes1) == 1
    events2 = _snapshot(home, "fire_events")
    assert list(events2["event_id"]) == list(events1["event_id"])
    assert events2["status"].tolist() == ["active"] and events1["status"].tolist() == ["new"]


def test_hotspot_in_a_forest_zone_is_alerted_by_the_run_that_ingested_it(home):
    _parcels(home)
    _nrt(home, "fire_nrt_SV-C2_old.csv", [(41.205, 110.005, "2026-04-04", "0530", 5.0)])
    _run(home, "run_before")
    _nrt(home, "fire_nrt_SV-C2_new.csv", [(40.705, 109.605, "2026-04-05", "0530", 12.0)])
    res = _run(home, "run_forest")
    assert res["evaluators"]["monitoring.fire_events:evaluate"]["changes"] == 1
    alerts, changes = _store()
    mine = changes[changes["changed_by"] == "run_forest"]
    assert list(mine["change"]) == ["opened"]
    a = alerts.set_index("alert_id").loc[mine["alert_id"].iloc[0]]
    assert a["alert_type"] == "fire_event" and a["severity"] == "high"
    assert json.loads(a["zone_ids"]) == ["F03"] and json.loads(a["parcel_ids"]) == [FOREST]
    assert json.loads(a["county_codes"]) == ["150207"]
    assert a["title"].startswith("林地火情 九原区") and "新发现" in a["message"]
    ev = json.loads(a["evidence"])
    assert ev["detections"] == 1 and len(ev["source_sha256"]) == 1
    # the grassland fire outside the zones of the earlier run: warning, still burning (< 48 h)
    grass = alerts[alerts["alert_id"] != a.name].iloc[0]
    assert grass["severity"] == "warning" and "草地" in grass["title"]


# --- the static-source mask ----------------------------------------------------------------------

def test_static_sources_are_masked_by_type_seed_and_persistence_not_deleted(home):
    _parcels(home)
    rows = [
        (40.705, 109.605, "2025-09-01", "0530", 30.0, 2),  # type 2 inside the forest zone
        (40.651, 109.829, "2025-09-01", "0530", 45.0, 0),  # Baogang, type 0: the seed list
        (41.205, 110.005, "2025-09-02", "0530", 6.0, 0),  # a grassland fire
    ]
    start = date(2025, 5, 1)  # an unlisted works: 12 days in 3 months, within 300 m
    for k in range(12):
        rows.append((41.500 + 0.001 * (k % 3), 110.300, (start + timedelta(days=9 * k))
                     .isoformat(), "0530", 15.0, 0))
    _archive(home, "fire_archive_SV-C2_static.csv", rows)
    _run(home, "run_static")

    det = _snapshot(home, "fire_detections").set_index(["latitude", "longitude"])
    assert det.loc[(40.705, 109.605), "mask_reason"] == "firms_type"
    assert det.loc[(40.651, 109.829), "mask_reason"] == "known_source"
    assert det.loc[(40.651, 109.829), "static_source_id"] == "baogang_steel_works"
    assert (det.xs(110.3, level="longitude")["mask_reason"] == "persistence").all()
    assert pd.isna(det.loc[(41.205, 110.005), "mask_reason"])
    assert len(det) == 15  # masked, not deleted: every detection is there
    raw = pd.concat(pd.read_parquet(f) for f in (home.raw / "fire_hotspots").glob("*.parquet"))
    assert len(raw) == 15

    events = _snapshot(home, "fire_events")
    assert len(events) == 1 and events["land_class"].tolist() == ["grassland"]
    alerts, _ = _store()
    assert alerts["alert_id"].tolist() == ["fire_event:" + events["event_id"].iloc[0]]

    static = _snapshot(home, "static_heat_sources").set_index("static_source_id")
    assert static.loc["baogang_steel_works", "n_detections"] == 1
    detected = static[static["location_status"] == "detected"]
    assert sorted(detected["rule"]) == ["firms_type", "persistence"]
    assert detected.set_index("rule").loc["persistence", "n_days"] == 12


# --- ids and statuses over time ------------------------------------------------------------------

def test_events_merge_under_the_older_id_and_end_after_48_h(home):
    _parcels(home)
    # two fires 3 km apart: two events, A ingested first
    _nrt(home, "a_1.csv", [(41.205, 110.005, "2026-04-05", "0530", 8.0),
                           (41.205, 110.041, "2026-04-05", "0530", 9.0)])
    _run(home, "run_1")
    two = _snapshot(home, "fire_events").sort_values("first_hotspot_id")
    assert len(two) == 2
    det = _snapshot(home, "fire_detections").set_index("longitude")
    older = det.loc[110.005, "event_id"]
    newer = det.loc[110.041, "event_id"]
    # a detection between them 12 h later bridges the two: one event, the older id
    _nrt(home, "a_2.csv", [(41.205, 110.023, "2026-04-05", "1730", 20.0)])
    _run(home, "run_2")
    ev = _snapshot(home, "fire_events").set_index("event_id")
    assert ev.loc[older, "status"] == "active" and ev.loc[older, "n_detections"] == 3
    assert ev.loc[newer, "status"] == "merged" and ev.loc[newer, "merged_into"] == older
    alerts, changes = _store()
    merged = alerts.set_index("alert_id").loc[f"fire_event:{newer}"]
    assert "已并入其他火情" in merged["message"] and older in merged["message"]
    assert set(changes["change"]) == {"opened"} and len(changes) == 2

    # a fire far away three days later moves the data clock: the first event has ended
    _nrt(home, "a_3.csv", [(40.705, 109.605, "2026-04-08", "0530", 10.0)])
    _run(home, "run_3")
    ev = _snapshot(home, "fire_events").set_index("event_id")
    assert ev.loc[older, "status"] == "ended"
    alerts, _ = _store()
    assert "已熄灭" in alerts.set_index("alert_id").loc[f"fire_event:{older}", "message"]


def test_an_event_that_proves_to_be_a_static_source_is_marked_masked(home):
    _parcels(home)
    _nrt(home, "b_1.csv", [(41.600, 110.500, "2025-06-01", "0530", 15.0)])
    _run(home, "run_1")
    [event_id] = _snapshot(home, "fire_events")["event_id"]
    start = date(2025, 6, 10)  # then the same place, day after day for months
    _nrt(home, "b_2.csv", [(41.600, 110.500 + 0.001 * (k % 2),
                            (start + timedelta(days=10 * k)).isoformat(), "0530", 15.0)
                           for k in range(12)])
    _run(home, "run_2")
    ev = _snapshot(home, "fire_events").set_index("event_id")
    assert ev.loc[event_id, "status"] == "masked" and ev.loc[event_id, "severity"] == "info"
    assert len(ev) == 1  # the later detections made no event
    alerts, changes = _store()
    a = alerts.set_index("alert_id").loc[f"fire_event:{event_id}"]
    assert a["severity"] == "info" and a["title"].startswith("已屏蔽")
    assert list(changes["change"]) == ["opened"]


# --- the demo's replay on the small sample ------------------------------------------------------

def test_sample_replay_alerts_the_fire_run_by_run_and_never_the_steel_works(home):
    from sample_data import generate

    pending = home.home / "landing_pending"
    generate(home.landing, scale="small", pending=pending)
    hot = list(csv.DictReader((home.landing / "fire_hotspots" /
                               "fire_archive_SV-C2_baotou_2021_2025.csv").open()))
    baogang = defaultdict(set)
    for r in hot:
        if _km(float(r["latitude"]), float(r["longitude"]), 40.650, 109.830) <= 3.0:
            baogang[r["acq_date"][:4]].add(r["acq_date"])
    assert all(len(days) > 365 / 2 for days in baogang.values()) and len(baogang) == 5

    pipeline.ingest(["parcels"], run_id="surveys", gate=False, p=home)
    res = _run(home, "history")  # five years of history: every event over, nothing to alert
    assert res["evaluators"]["monitoring.fire_events:evaluate"]["alerts"] == 0
    steps = sorted(pending.glob("step_*"))
    assert len(steps) == 3
    for k, step in enumerate(steps, start=1):
        shutil.copytree(step, home.landing, dirs_exist_ok=True)
        _run(home, f"replay_{k}")
    alerts, changes = _store()  # the pest evaluator of the same DAG has its own alerts
    alerts = alerts[alerts["alert_type"] == "fire_event"]
    changes = changes[changes["alert_id"].str.startswith("fire_event:")]
    assert sorted(changes["change"] + "@" + changes["changed_by"]) == [
        "escalated@replay_3", "opened@replay_1", "opened@replay_2"]
    forest = alerts[alerts["title"].str.startswith("林地")].iloc[0]
    assert forest["severity"] == "critical" and json.loads(forest["zone_ids"]) == ["F03"]
    assert len(alerts) == 2
    for a in alerts.itertuples():  # no alert anywhere near a static source
        for s in fire_masks.load_seed():
            assert _km(a.lat, a.lon, s.lat, s.lon) * 1000 > s.radius_m
    det = _snapshot(home, "fire_detections")
    assert set(det["mask_reason"].dropna()) == {"known_source", "firms_type", "persistence"}
    res = _run(home, "replay_again")
    assert res["evaluators"]["monitoring.fire_events:evaluate"]["changes"] == 0
