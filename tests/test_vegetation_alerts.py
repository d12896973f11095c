"""NDVI anomaly alerts (monitoring/vegetation.py): one alert per episode, snow/cloud/marginal
composites excluded, nothing without enough baseline years, stable ids as composites arrive."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from conftest import write
from shapely.geometry import box, mapping

from ingestion.loader import ingest_family
from monitoring import store, vegetation

YEARS = range(2021, 2026)
DOYS = range(1, 354, 16)
#: parcel -> land class; each a 500 m square of its own
PARCELS = {"G1": "grassland", "G2": "grassland", "G3": "grassland", "G4": "grassland",
           "G5": "grassland", "F1": "forest", "O1": "other"}


def usual(doy: int, year: int) -> float:
    """The parcels' usual NDVI: a summer peak, and years a little apart (median of 2021-2024
    is the 2022/2023 midpoint; 2025 is the greenest year, so a usual 2025 value is above it)."""
    return 0.10 + 0.30 * math.exp(-(((doy - 200) / 45) ** 2)) + 0.002 * (year - 2023)


def day(year: int, doy: int) -> dt.date:
    return dt.date(year, 1, 1) + dt.timedelta(days=doy - 1)


#: 2025 changes: parcel -> {doy: (factor of the usual NDVI, quality)}
HALF = (0.5, 0)
CHANGES = {
    "G1": {161: HALF, 177: HALF, 193: HALF, 209: HALF},            # one episode, 4 composites
    "G2": {161: (0.1, 2), 177: (0.1, 1), 193: (0.1, 3)},           # snow, marginal, cloud
    "G3": {161: HALF, 177: (0.2, 3), 193: HALF},                   # cloud between: still 2 in a row
    "G4": {161: HALF, 177: HALF},                                  # only 2 years of baseline
    "G5": {161: HALF, 177: HALF, 241: HALF, 257: HALF},            # two episodes
    "F1": {161: HALF},                                             # one composite only
    "O1": {161: HALF, 177: HALF},                                  # not grassland or forest
}


def rows(until: dt.date | None = None, after: dt.date | None = None) -> list[str]:
    out = []
    for pid in PARCELS:
        for y in YEARS:
            if pid == "G4" and y < 2023:
                continue
            for d in DOYS:
                when = day(y, d)
                if (until and when > until) or (after and when <= after):
                    continue
                factor, q = CHANGES[pid].get(d, (1.0, 0)) if y == 2025 else (1.0, 0)
                ndvi = usual(d, y) * factor
                out.append(f"{pid},{when.isoformat()},{ndvi:.4f},{ndvi * 0.6:.4f},{q}")
    return out


def parcels_geojson() -> str:
    feats = []
    for k, (pid, lc) in enumerate(PARCELS.items()):
        g = box(110.0 + 0.01 * k, 41.0, 110.006 + 0.01 * k, 41.0045)
        feats.append({"type": "Feature", "geometry": mapping(g), "properties": {
            "parcel_id": pid, "county_code": "150223", "land_class": lc, "survey_year": 2024,
            "grassland_type": "typical_steppe" if lc == "grassland" else None,
            "forest_type": "broadleaf" if lc == "forest" else None}})
    return json.dumps({"type": "FeatureCollection", "features": feats})


HEADER = "parcel_id,date,ndvi,evi,quality"
CUT = dt.date(2025, 6, 26)  # the first file ends with the composite of 2025-06-26 (doy 177)


def ingest(home, name: str, lines: list[str]) -> str:
    """Ingest one file; returns its sha256."""
    write(home.landing_for("vegetation_indices") / name, "\n".join([HEADER, *lines]) + "\n")
    got = ingest_family("vegetation_indices", home, gate=False, docs=False)
    assert [r.status for r in got] == ["loaded"], [r.detail for r in got]
    return got[0].sha256


def raw_files(home) -> list[str]:
    """The sha256 of the received vegetation files (the raw layer names its files by them)."""
    return sorted(f.stem for f in (home.raw / "vegetation_indices").glob("*.parquet")
                  if f.name != "_empty.parquet")


@pytest.fixture
def layer(home):
    write(home.landing_for("parcels") / "parcels.geojson", parcels_geojson())
    assert [r.status for r in ingest_family("parcels", home, gate=False, docs=False)] == [
        "loaded"]
    ingest(home, "vi_a.csv", rows(until=CUT))
    return home


def test_one_alert_per_episode_and_what_is_excluded(layer) -> None:
    [file_a] = raw_files(layer)
    file_b = ingest(layer, "vi_b.csv", rows(after=CUT))
    found = {a.alert_id: a for a in vegetation.evaluate(layer, "test")}
    assert set(found) == {
        "ndvi_anomaly:G1:2025-06-10",  # G1: one episode, not one alert per composite
        "ndvi_anomaly:G3:2025-06-10",  # G3: the cloudy composite is skipped, not a break
        "ndvi_anomaly:G5:2025-06-10", "ndvi_anomaly:G5:2025-08-29",  # G5: two episodes
    }  # G2 (snow/marginal/cloud), G4 (2 baseline years), F1 (1 composite), O1 (other land): none
    g1 = found["ndvi_anomaly:G1:2025-06-10"]
    assert g1.severity == "high"  # 4 anomalous composites
    assert g1.evidence["composites_anomalous"] == 4 and g1.evidence["composites_below"] == 4
    assert g1.evidence["ended_on"] == "2025-08-13"  # doy 225: back above its baseline
    deepest = min(0.5 * usual(d, 2025) / usual(d, 2022.5) for d in (161, 177, 193, 209))
    assert g1.evidence["max_drop_pct"] == pytest.approx(100 * (1 - deepest), abs=0.1)
    latest = g1.evidence["composites"][0]
    assert latest["date"] == "2025-07-28" and latest["baseline_years"] == 4
    assert latest["baseline_ndvi"] == pytest.approx(usual(209, 2022.5), abs=1e-4)
    g3 = found["ndvi_anomaly:G3:2025-06-10"]
    assert g3.severity == "warning" and g3.evidence["composites_anomalous"] == 2
    assert [c["date"] for c in g3.evidence["composites"]] == ["2025-07-12", "2025-06-10"]
    assert g1.county_codes == ("150223",) and g1.parcel_ids == ("G1",)
    # evidence: the received files behind the episode's composites (06-10 and 06-26 came in the
    # first file, 07-12 and 07-28 in the second; G5's second episode only in the second)
    assert g1.evidence["source_sha256"] == sorted([file_a, file_b])
    assert found["ndvi_anomaly:G5:2025-08-29"].evidence["source_sha256"] == [file_b]


def test_not_raised_without_enough_baseline_years(layer) -> None:
    ingest(layer, "vi_b.csv", rows(after=CUT))
    assert not [a for a in vegetation.evaluate(layer, "t") if ":G4:" in a.alert_id]
    assert vegetation.parameters()["min_baseline_years"] == 3  # G4 has 2023 and 2024 only


def test_episode_id_is_stable_as_composites_arrive_and_reruns_change_nothing(layer, tmp_path
                                                                             ) -> None:
    url = f"sqlite:///{tmp_path / 'alerts.sqlite'}"
    first = store.record(vegetation.evaluate(layer, "r1"), by="r1", url=url)
    # up to doy 177: G1 and G5 have 2 anomalous composites so far, G3 only one valid one
    assert {(c["alert_id"], c["change"], c["severity"]) for c in first} == {
        ("ndvi_anomaly:G1:2025-06-10", "opened", "warning"),
        ("ndvi_anomaly:G5:2025-06-10", "opened", "warning")}
    assert store.record(vegetation.evaluate(layer, "r1"), by="r1", url=url) == []
    ingest(layer, "vi_b.csv", rows(after=CUT))
    later = store.record(vegetation.evaluate(layer, "r2"), by="r2", url=url)
    assert {(c["alert_id"], c["change"], c["severity"]) for c in later} == {
        ("ndvi_anomaly:G1:2025-06-10", "escalated", "high"),
        ("ndvi_anomaly:G3:2025-06-10", "opened", "warning"),
        ("ndvi_anomaly:G5:2025-08-29", "opened", "warning")}
    assert store.record(vegetation.evaluate(layer, "r3"), by="r3", url=url) == []


def test_a_corrected_redelivery_replaces_the_composite(layer) -> None:
    """A later file repeating a key wins (the raw layer keeps both files)."""
    [file_a] = raw_files(layer)
    file_b = ingest(layer, "vi_b.csv", rows(after=CUT))
    fixed = f"G1,2025-06-10,{usual(161, 2025):.4f},0.1,0"  # the 06-10 composite was fine
    file_c = ingest(layer, "vi_c_correction.csv", [fixed])
    found = {a.alert_id: a for a in vegetation.evaluate(layer, "t") if ":G1:" in a.alert_id}
    assert set(found) == {"ndvi_anomaly:G1:2025-06-26"}
    # the correction holds a composite that is not below its baseline: not evidence
    files = found["ndvi_anomaly:G1:2025-06-26"].evidence["source_sha256"]
    assert files == sorted([file_a, file_b]) and file_c not in files
