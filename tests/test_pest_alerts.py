"""Pest outbreak alerts (monitoring/pests.py): the pine wilt control zone selects exactly the
parcels a hand check selects, escalation rules, reruns change nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import write
from pyproj import Geod
from shapely.geometry import Polygon, mapping

from ingestion import spatial
from ingestion.loader import ingest_family
from monitoring import pests, store

GEOD = Geod(ellps="WGS84")
C_LON, C_LAT = 110.30, 40.70  # the infected tree
COUNTY = "150205"


def _fwd(lon: float, lat: float, az: float, d: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, az, d)
    return x, y


def radial_square(az: float, near_m: float, side_m: float = 100.0) -> Polygon:
    """A square whose near edge is perpendicular to azimuth ``az`` at ``near_m`` metres from the
    tree (its nearest point, the edge's midpoint) and ``side_m`` wide and deep."""
    half = side_m / 2
    near = _fwd(C_LON, C_LAT, az, near_m)
    far = _fwd(C_LON, C_LAT, az, near_m + side_m)
    return Polygon([_fwd(*near, az - 90, half), _fwd(*near, az + 90, half),
                    _fwd(*far, az + 90, half), _fwd(*far, az - 90, half)])


def local_rect(x0: float, x1: float, y0: float, y1: float) -> Polygon:
    """A rectangle given in metres east (x) and north (y) of the tree."""
    def pt(x: float, y: float) -> tuple[float, float]:
        lon, lat = _fwd(C_LON, C_LAT, 90.0, x) if x else (C_LON, C_LAT)
        return _fwd(lon, lat, 0.0, y) if y else (lon, lat)
    return Polygon([pt(x0, y0), pt(x1, y0), pt(x1, y1), pt(x0, y1)])


PINE, MONGOLICA, POPLAR = ("Pinus tabuliformis", "Pinus sylvestris var. mongolica",
                           "Populus simonii")
#: parcel -> (geometry, land class, dominant species)
PARCELS = {
    # the infected parcel: 100 m wide, from 50 m north to 1,500 m south of the tree
    "P-IN": (local_rect(-50, 50, -1500, 50), "forest", PINE),
    # adjoins P-IN at its far south end only: 1,401 m from the tree, outside 500 m
    "P-ADJ": (local_rect(50, 150, -1500, -1400), "forest", PINE),
    "P-250": (radial_square(30.0, 250.0), "forest", PINE),
    # north and east, where the city Albers stretches distances by +1.6 % and -1.6 %: measured
    # there, P-499 would lie 507 m away and P-501 493 m
    "P-499": (radial_square(0.0, 499.0), "forest", MONGOLICA),
    "P-501": (radial_square(90.0, 501.0), "forest", PINE),
    "P-800": (radial_square(270.0, 800.0), "forest", MONGOLICA),
    "B-100": (radial_square(315.0, 100.0), "forest", POPLAR),  # not a host
    "G-300": (radial_square(225.0, 300.0), "grassland", None),
}
HAND_CHECK_500M = {"P-IN", "P-250", "P-499"}


def parcels_geojson() -> str:
    feats = [{"type": "Feature", "geometry": mapping(g),
              "properties": {"parcel_id": pid, "county_code": COUNTY, "land_class": lc,
                             "forest_type": "conifer" if lc == "forest" else None,
                             "dominant_species": sp, "survey_year": 2025,
                             "grassland_type": "typical_steppe" if lc == "grassland" else None}}
             for pid, (g, lc, sp) in PARCELS.items()]
    return json.dumps({"type": "FeatureCollection", "features": feats})


def plots_csv() -> str:
    rows = ["plot_id,parcel_id,inventory_year,plot_area_m2,plot_lon,plot_lat,tree_id,species,"
            "dbh_cm,height_m,status"]
    for plot, parcel, az, d, trees in (
        ("FP-1", "P-250", 30.0, 300.0, [(PINE, "alive")] * 3 + [(PINE, "dead"), (POPLAR, "alive")]),
        ("FP-2", "P-501", 90.0, 550.0, [(PINE, "alive")] * 2),
    ):
        lon, lat = _fwd(C_LON, C_LAT, az, d)
        rows += [f"{plot},{parcel},2025,600,{lon:.6f},{lat:.6f},{plot}-T{k},{sp},15,9,{st}"
                 for k, (sp, st) in enumerate(trees)]
    return "\n".join(rows) + "\n"


PEST_HEADER = ("report_id,county_code,parcel_id,report_date,pest,host,affected_area_mu,severity,"
               "dead_trees,damaged_rate_pct,lon,lat")


@pytest.fixture
def layer(home):
    write(home.landing_for("parcels") / "parcels.geojson", parcels_geojson())
    write(home.landing_for("forest_plots") / "plots.csv", plots_csv())
    write(home.landing_for("pest_reports") / "pests.csv", "\n".join([
        PEST_HEADER,
        f"PW-1,{COUNTY},P-IN,2025-10-15,pine_wilt_nematode,{PINE},1.5,light,2,,"
        f"{C_LON:.6f},{C_LAT:.6f}",
        "PW-2,150222,,2025-09-20,松材线虫病,,3,轻,1,,,",  # no point
    ]) + "\n")
    for fam in ("parcels", "forest_plots", "pest_reports"):
        rows = ingest_family(fam, home, gate=False, docs=False)
        assert [r.status for r in rows] == ["loaded"], (fam, [r.detail for r in rows])
    return home


def _pest_files(p) -> list[str]:
    """The sha256 of the received pest report files (the raw layer names its files by them)."""
    return sorted(f.stem for f in (p.raw / "pest_reports").glob("*.parquet")
                  if f.name != "_empty.parquet")


def _pine_alerts(p) -> dict[str, store.Alert]:
    return {a.alert_id: a for a in pests.evaluate(p, "test") if "pine_wilt" in a.alert_id}


def test_clear_cut_radius_selects_the_hand_checked_parcels(layer) -> None:
    alerts = _pine_alerts(layer)
    a = alerts[f"pest_outbreak:pine_wilt_nematode:point:{C_LON:.4f},{C_LAT:.4f}"]
    assert a.severity == "critical" and (a.lon, a.lat) == (C_LON, C_LAT)
    clear = a.evidence["zones"]["clear_cut"]
    assert clear["radius_m"] == 500
    assert {x["parcel_id"] for x in clear["parcels"]} == HAND_CHECK_500M
    dist = {x["parcel_id"]: x["distance_m"] for x in clear["parcels"]}
    assert dist["P-IN"] == 0 and abs(dist["P-250"] - 250) < 0.5 and abs(dist["P-499"] - 499) < 0.5
    # the 小班 rule: infected parcel and its adjoining host parcels, wherever they reach
    assert a.evidence["infected_parcel"] == "P-IN"
    assert a.evidence["adjoining_host_parcels"] == ["P-ADJ"]
    assert set(a.parcel_ids) == HAND_CHECK_500M | {"P-ADJ"}
    # the survey zone (20 km) has every host parcel
    survey = a.evidence["zones"]["survey"]
    assert survey["radius_m"] == 20000 and survey["host_parcels"] == 6
    # plots inside the circle, with their live host trees
    assert clear["plot_list"] == [{"plot_id": "FP-1", "distance_m": 300.0, "host_trees": 3}]
    assert "FP-1" in a.message and "3 host parcel(s)" in a.message
    # evidence: the reports and the received file they came from
    assert a.evidence["report_ids"] == ["PW-1"]
    assert a.evidence["source_sha256"] == _pest_files(layer) and len(_pest_files(layer)) == 1


def test_the_city_albers_would_misplace_the_circle() -> None:
    """Why the zone is drawn around the point and not in the city's Albers projection."""
    tr = spatial._to_equal_area()
    tree = shapely.Point(tr.transform(C_LON, C_LAT))

    def albers_m(pid: str) -> float:
        g = shapely.transform(PARCELS[pid][0],
                              lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
        return float(shapely.distance(g, tree))

    assert albers_m("P-499") > 500 > albers_m("P-501")


def test_host_area_inside_the_circle_in_an_equal_area_projection(layer) -> None:
    a = _pine_alerts(layer)[f"pest_outbreak:pine_wilt_nematode:point:{C_LON:.4f},{C_LAT:.4f}"]
    area = {x["parcel_id"]: x["area_in_zone_ha"] for x in a.evidence["zones"]["clear_cut"][
        "parcels"]}
    # P-250 lies wholly inside: its full area, as the ingestion's Albers measures it
    full_ha = spatial.area_mu(PARCELS["P-250"][0]) * spatial.M2_PER_MU / 10_000
    assert area["P-250"] == pytest.approx(full_ha, rel=1e-4) and area["P-250"] == pytest.approx(
        1.0, rel=1e-3)
    # P-499: the circular segment beyond its near edge, r^2 acos(d/r) - d sqrt(r^2 - d^2)
    r, d = 500.0, 499.0
    segment = r * r * math.acos(d / r) - d * math.sqrt(r * r - d * d)
    assert area["P-499"] * 10_000 == pytest.approx(segment, rel=0.02)
    # P-IN inside the circle: the 100 m strip from 50 m north to the circle's edge
    strip = sum(min(1500.0, math.sqrt(r * r - x * x)) + 50.0 for x in
                (-49.95 + 0.1 * k for k in range(1000))) * 0.1
    assert area["P-IN"] * 10_000 == pytest.approx(strip, rel=1e-3)
    assert a.evidence["zones"]["clear_cut"]["host_area_ha"] == pytest.approx(sum(area.values()))


def test_a_report_without_a_point_gets_a_county_level_alert(layer) -> None:
    a = _pine_alerts(layer)["pest_outbreak:pine_wilt_nematode:county:150222:2025"]
    assert a.severity == "critical" and a.lon is None and a.county_codes == ("150222",)
    assert a.evidence["has_point"] is False and "cannot be placed" in a.message
    assert a.evidence["source_sha256"] == _pest_files(layer)


def test_rerun_records_no_new_change(layer, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'alerts.sqlite'}"
    first = store.record(pests.evaluate(layer, "run-1"), by="run-1", url=url)
    assert {c["change"] for c in first} == {"opened"} and len(first) == 2
    assert store.record(pests.evaluate(layer, "run-2"), by="run-2", url=url) == []


# --- escalation rules on report tables (no geometry) -------------------------------------------


def reports(*rows: tuple) -> pd.DataFrame:
    cols = ["report_id", "county_code", "parcel_id", "report_date", "pest", "affected_area_mu",
            "severity", "damaged_rate_pct"]
    df = pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows])
    df["report_date"] = [dt.date.fromisoformat(d) for d in df["report_date"]]
    df["_source_sha256"] = [year_file(d.year) for d in df["report_date"]]  # one file a year
    return df


def year_file(year: int) -> str:
    return hashlib.sha256(f"pest_reports_{year}.csv".encode()).hexdigest()


def by_id(alerts: list[store.Alert]) -> dict[str, store.Alert]:
    return {a.alert_id: a for a in alerts}


def test_insects_escalate_by_severity_spread_and_damaged_rate() -> None:
    fw = "fall_webworm"
    found = by_id(pests._insects(reports(
        ("A1", "150207", "X1", "2023-06-20", fw, 100.0, "light", 1.0),     # info: not raised
        ("A2", "150207", "X1", "2024-06-20", fw, 120.0, "moderate", 1.5),  # warning
        ("A3", "150207", "X2", "2024-08-10", fw, 40.0, "light", 1.0),      # same season
        ("B1", "150221", "Y1", "2024-07-01", fw, 10.0, "light", 1.0),      # new county: warning
        ("A4", "150207", "X1", "2025-06-20", fw, 300.0, "moderate", 2.5),  # rate + spread
    )))
    assert f"pest_outbreak:{fw}:150207:2023" not in found
    a24 = found[f"pest_outbreak:{fw}:150207:2024"]
    # 160 mu (120 + 40, two parcels) >= 1.5 x 100: spread, one step up from warning
    assert a24.severity == "high" and a24.evidence["area_mu"] == 160.0
    assert a24.evidence["report_ids"] == ["A2", "A3"]
    assert a24.evidence["source_sha256"] == [year_file(2024)]
    assert found[f"pest_outbreak:{fw}:150221:2024"].severity == "warning"
    a25 = found[f"pest_outbreak:{fw}:150207:2025"]
    # 2.5 % >= 2 %: at least high; 300 >= 1.5 x 160: spread -> critical
    assert a25.severity == "critical" and len(a25.evidence["rule_steps"]) == 3
    alb = by_id(pests._insects(reports(
        ("C1", "150202", "Z1", "2024-07-01", "asian_longhorned_beetle", 50.0, "light", 25.0))))
    assert alb["pest_outbreak:asian_longhorned_beetle:150202:2024"].severity == "high"


def test_rodents_by_affected_area_of_county_and_season() -> None:
    rp = "grassland_rodent_pika"
    found = by_id(pests._rodents(reports(
        ("R1", "150222", "G1", "2025-04-25", rp, 9_999.0, "severe", None),   # below 1万亩
        ("R2", "150223", "G2", "2025-05-01", rp, 8_000.0, "light", None),
        ("R3", "150223", "G2", "2025-05-20", rp, 9_000.0, "light", None),    # same parcel: max
        ("R4", "150223", "G3", "2025-06-02", rp, 2_000.0, "light", None),
        ("R5", "150223", "G4", "2025-09-10", rp, 60_000.0, "light", None),   # autumn
    )))
    assert set(found) == {f"pest_outbreak:{rp}:150223:2025-spring",
                          f"pest_outbreak:{rp}:150223:2025-autumn"}
    spring = found[f"pest_outbreak:{rp}:150223:2025-spring"]
    assert spring.severity == "warning" and spring.evidence["area_mu"] == 11_000.0
    assert spring.evidence["source_sha256"] == [year_file(2025)]
    assert found[f"pest_outbreak:{rp}:150223:2025-autumn"].severity == "high"


def test_a_later_report_escalates_the_same_alert(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'alerts.sqlite'}"
    fw = "fall_webworm"
    early = reports(("A1", "150207", "X1", "2024-06-20", fw, 100.0, "moderate", 1.0))
    later = reports(("A1", "150207", "X1", "2024-06-20", fw, 100.0, "moderate", 1.0),
                    ("A2", "150207", "X2", "2024-08-20", fw, 80.0, "severe", 1.0))
    [opened] = store.record(pests._insects(early), by="r1", url=url)
    [escalated] = store.record(pests._insects(later), by="r2", url=url)
    assert (opened["change"], opened["severity"]) == ("opened", "warning")
    assert (escalated["change"], escalated["severity"]) == ("escalated", "high")
    assert escalated["alert_id"] == opened["alert_id"] == f"pest_outbreak:{fw}:150207:2024"
