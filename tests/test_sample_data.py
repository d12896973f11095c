"""Properties of the synthetic Baotou sample dataset (``sample_data``), small scale."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from sample_data import generate
from sample_data.geography import (
    FAMILY_NAMES,
    M2_PER_MU,
    STATIC_SOURCES,
    YEARS,
    ZONE_BY_ID,
    county_polygons,
    seed_counties_csv,
    seed_zones_csv,
    to_aea,
)
from sample_data.surveys import PARCEL_COMPUTED
from sinkwatch.config import DBT_PROJECT_DIR
from sinkwatch.contracts import COUNTY_CODES, FAMILIES, Column

SEEDS = DBT_PROJECT_DIR / "seeds"
LAST_DAY = date(2025, 12, 31)
CSV_CONTRACT_FAMILIES = ("forest_plots", "grassland_quadrats", "wetland_surveys", "demo_forests",
                         "fire_reports", "pest_reports")
VIIRS_HEADER = ["latitude", "longitude", "bright_ti4", "scan", "track", "acq_date", "acq_time",
                "satellite", "instrument", "confidence", "version", "bright_ti5", "frp",
                "daynight", "type"]
MODIS_HEADER = ["latitude", "longitude", "brightness", "scan", "track", "acq_date", "acq_time",
                "satellite", "instrument", "confidence", "version", "bright_t31", "frp",
                "daynight"]
#: FIRMS file columns -> contract columns whose ranges they must satisfy.
FIRMS_TO_CONTRACT = {
    "latitude": "latitude", "longitude": "longitude", "bright_ti4": "brightness_k",
    "brightness": "brightness_k", "scan": "scan_km", "track": "track_km", "acq_date": "acq_date",
    "bright_ti5": "brightness2_k", "bright_t31": "brightness2_k", "frp": "frp_mw",
    "daynight": "daynight", "type": "fire_type", "instrument": "instrument",
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[Path]]]:
    root = tmp_path_factory.mktemp("landing")
    return root, generate(root, scale="small")


def _rows(paths: list[Path]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for p in paths:
        with p.open(encoding="utf-8", newline="") as fh:
            out.extend(csv.DictReader(fh))
    return out


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


def _family_rows(generated: tuple[Path, dict[str, list[Path]]], family: str
                 ) -> list[dict[str, str]]:
    return _rows([p for p in generated[1][family] if p.suffix == ".csv"])


@pytest.fixture(scope="module")
def parcels(generated: tuple[Path, dict[str, list[Path]]]) -> dict[str, dict]:
    """parcel_id -> properties plus ``wgs`` (lon/lat geometry) and ``aea`` (equal-area metres)."""
    (path,) = [p for p in generated[1]["parcels"] if p.name == "baotou_parcels_2025.geojson"]
    fc = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict] = {}
    for feat in fc["features"]:
        g = shape(feat["geometry"])
        out[feat["properties"]["parcel_id"]] = {**feat["properties"], "wgs": g, "aea": to_aea(g)}
    return out


def _area_mu(g: BaseGeometry) -> float:
    return g.area / M2_PER_MU


def _sha256_tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_files(generated, tmp_path: Path) -> None:
    root, written = generated
    again = generate(tmp_path / "again", scale="small")
    first, second = _sha256_tree(root), _sha256_tree(tmp_path / "again")
    assert first and first == second
    assert {f: [p.name for p in ps] for f, ps in written.items()} == {
        f: [p.name for p in ps] for f, ps in again.items()}


def test_every_family_has_files_with_rows(generated) -> None:
    root, written = generated
    assert set(written) == set(FAMILY_NAMES)
    for family, paths in written.items():
        assert paths, family
        for p in paths:
            assert p.parent == root / family and p.exists()
            if p.suffix == ".csv":
                assert len(_rows([p])) > 0, p
            else:
                assert json.loads(p.read_text(encoding="utf-8"))["features"], p
    assert [p.name for p in written["forest_plots"]] == ["forest_plots_2021.csv",
                                                         "forest_plots_2025.csv"]
    assert {p.name for p in written["fire_hotspots"]} == {
        "fire_archive_SV-C2_baotou_2021_2025.csv", "fire_nrt_M-C61_baotou_2025.csv"}
    assert len(written["vegetation_indices"]) == 2  # small scale: 2024 and 2025 only


def test_seed_zones_add_up_to_the_plan() -> None:
    path = SEEDS / "seed_zones.csv"
    assert path.read_text(encoding="utf-8") == seed_zones_csv(), "seed out of date"
    rows = _rows([path])
    assert list(rows[0]) == ["zone_id", "zone_name_zh", "zone_name_en", "land_class",
                             "county_code", "planned_area_mu", "source", "source_status"]
    totals: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        totals[r["land_class"]] += int(r["planned_area_mu"])
        counts[r["land_class"]] += 1
        assert r["source_status"] == "A" and "per-zone split assumed" in r["source"]
    assert dict(totals) == {"forest": 3_090_000, "grassland": 12_200_000, "wetland": 180_000}
    assert dict(counts) == {"forest": 12, "grassland": 5, "wetland": 5}
    assert [r["zone_id"] for r in rows] == (
        [f"F{i:02d}" for i in range(1, 13)] + [f"G{i:02d}" for i in range(1, 6)]
        + [f"W{i:02d}" for i in range(1, 6)])
    north = {"150223", "150222", "150206"}
    river = {"150207", "150221", "150202"}
    assert {r["county_code"] for r in rows if r["land_class"] == "grassland"} <= north
    assert {r["county_code"] for r in rows if r["land_class"] == "wetland"} <= river


def test_seed_counties_match_the_boundaries() -> None:
    path = SEEDS / "seed_counties.csv"
    assert path.read_text(encoding="utf-8") == seed_counties_csv(), "seed out of date"
    rows = _rows([path])
    assert [r["county_code"] for r in rows] == list(COUNTY_CODES)
    total = sum(float(r["area_km2"]) for r in rows)
    assert 27_000 < total < 28_000  # the 2004 listing says 27,768 km²
    assert all(r["area_source_status"] == "A" and "equal-area" in r["area_source"] for r in rows)


def test_parcels_tile_each_county_without_overlap(parcels) -> None:
    assert 150 <= len(parcels) <= 250
    ids = list(parcels)
    geoms = np.array([parcels[i]["aea"] for i in ids])
    assert all(g.is_valid and g.geom_type in ("Polygon", "MultiPolygon") for g in geoms)
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    pair = a < b
    overlap = shapely.area(shapely.intersection(geoms[a[pair]], geoms[b[pair]]))
    # shared edges only differ by the 6-decimal rounding of coordinates (~0.1 m)
    assert overlap.max() < 100.0
    assert overlap.sum() < 1e-6 * shapely.area(geoms).sum()
    counties = {code: to_aea(g) for code, g in county_polygons().items()}
    by_county: dict[str, float] = defaultdict(float)
    for pid, p in parcels.items():
        by_county[p["county_code"]] += p["aea"].area
        assert p["aea"].difference(counties[p["county_code"]]).area < 1e-3 * p["aea"].area, pid
    for code, g in counties.items():
        assert by_county[code] == pytest.approx(g.area, rel=0.005), code
    city_km2 = sum(by_county.values()) / 1e6
    assert 27_000 < city_km2 < 28_000


def test_parcel_properties_follow_the_contract(parcels) -> None:
    contract = FAMILIES["parcels"]
    expected = [c for c in contract.column_names if c not in PARCEL_COMPUTED]
    for pid, p in parcels.items():
        assert [k for k in p if k not in ("wgs", "aea")] == expected
        assert re.fullmatch(r"1502\d\d-[FGWO]-\d{6}", pid)
        assert pid.startswith(p["county_code"] + "-" + p["land_class"][0].upper())
        assert p["survey_year"] == 2025
        for col in ("county_code", "land_class", "forest_type", "origin", "grassland_type",
                    "wetland_class"):
            allowed = contract.column(col).allowed
            assert p[col] is None or p[col] in allowed, (pid, col)
        lc = p["land_class"]
        assert (p["forest_type"] is not None) == (lc == "forest")
        assert (p["origin"] is not None) == (lc == "forest")
        assert (p["grassland_type"] is not None) == (lc == "grassland")
        assert (p["wetland_class"] is not None) == (lc == "wetland")
        if lc == "forest":
            assert re.fullmatch(r"[A-Z][a-z]+ [a-z-]+( var\. [a-z]+)?", p["dominant_species"])


def test_grassland_management_surveys_tell_the_grazing_ban_story(generated, parcels) -> None:
    allowed = set(FAMILIES["parcels"].column("grassland_management").allowed)
    by_year: dict[int, dict[str, dict]] = {}
    for path in generated[1]["parcels"]:
        for feat in json.loads(path.read_text(encoding="utf-8"))["features"]:
            props = feat["properties"]
            by_year.setdefault(props["survey_year"], {})[props["parcel_id"]] = props
    assert sorted(by_year) == [2021, 2023, 2025]
    grass = {pid for pid, p in parcels.items() if p["land_class"] == "grassland"}
    assert set(by_year[2023]) == grass  # the grassland parcels' mid-term survey
    assert set(by_year[2021]) == set(by_year[2025]) == set(parcels)  # the full layer, baseline
    for year, rows in by_year.items():
        for pid, r in rows.items():
            assert r["grassland_management"] in allowed | {None}, (year, pid)
            if r["land_class"] != "grassland":
                assert r["grassland_management"] is None and r["management_input"] is None
            if r["management_input"] is not None:
                assert r["grassland_management"] == "improved"
    base = [by_year[2021][pid]["grassland_management"] for pid in grass]
    late = [by_year[2025][pid]["grassland_management"] for pid in grass]
    # heavy grazing at the baseline, less of it after the grazing ban; a few improved parcels
    assert base.count("high_intensity_grazing") > late.count("high_intensity_grazing")
    assert late.count("improved") >= 1
    heavy = [pid for pid in grass if by_year[2021][pid]["grassland_management"]
             in ("high_intensity_grazing", "severely_degraded")]
    assert heavy and all(parcels[pid]["county_code"] in ("150223", "150222") for pid in heavy)


def test_land_cover_shares_are_realistic(parcels) -> None:
    by_class: dict[str, float] = defaultdict(float)
    for p in parcels.values():
        by_class[p["land_class"]] += _area_mu(p["aea"]) / 1e4  # 万亩
    city = sum(by_class.values())
    assert 0.17 <= by_class["forest"] / city <= 0.20
    assert 760 <= by_class["forest"] <= 790
    assert 2_800 <= by_class["grassland"] <= 3_200
    assert 86 <= by_class["wetland"] <= 140


def test_zones_and_projects_match_planned_areas(parcels) -> None:
    zone_area: dict[str, float] = defaultdict(float)
    project_area: dict[str, float] = defaultdict(float)
    for p in parcels.values():
        if p["zone_id"]:
            zone = ZONE_BY_ID[p["zone_id"]]
            assert (p["county_code"], p["land_class"]) == (zone.county_code, zone.land_class)
            zone_area[p["zone_id"]] += _area_mu(p["aea"])
        if p["sink_project_id"]:
            prefix = {"forest": "P-FOR-", "grassland": "P-GRA-", "wetland": "P-WET-"}
            assert p["sink_project_id"].startswith(prefix[p["land_class"]])
            project_area[p["land_class"]] += _area_mu(p["aea"])
    for row in _rows([SEEDS / "seed_zones.csv"]):
        assert zone_area[row["zone_id"]] == pytest.approx(float(row["planned_area_mu"]), rel=0.01)
    assert project_area["forest"] == pytest.approx(3_300_000, rel=0.02)
    assert project_area["grassland"] == pytest.approx(10_000_000, rel=0.02)
    assert project_area["wetland"] == pytest.approx(100_000, rel=0.02)


def test_csv_headers_match_the_contracts(generated) -> None:
    written = generated[1]
    for family in CSV_CONTRACT_FAMILIES:
        for p in written[family]:
            assert _header(p) == FAMILIES[family].column_names, p
    for p in written["vegetation_indices"]:
        assert _header(p) == ["parcel_id", "date", "ndvi", "evi", "quality"]
    hot = {p.name: p for p in written["fire_hotspots"]}
    assert _header(hot["fire_archive_SV-C2_baotou_2021_2025.csv"]) == VIIRS_HEADER
    assert _header(hot["fire_nrt_M-C61_baotou_2025.csv"]) == MODIS_HEADER


def _check_value(col: Column, value: str, where: str) -> None:
    if value == "":
        assert not col.required, f"{where}: {col.name} is required"
        return
    if col.dtype == "date":
        assert date.fromisoformat(value) <= LAST_DAY, where
    elif col.dtype in ("int", "float"):
        v = int(value) if col.dtype == "int" else float(value)
        assert col.min is None or v >= col.min, f"{where}: {col.name}={value}"
        assert col.max is None or v <= col.max, f"{where}: {col.name}={value}"
    if col.allowed is not None:
        cast = type(col.allowed[0])
        assert cast(value) in col.allowed, f"{where}: {col.name}={value}"


def test_values_are_within_contract_ranges(generated) -> None:
    written = generated[1]
    for family in CSV_CONTRACT_FAMILIES:
        fam = FAMILIES[family]
        rows = _family_rows(generated, family)
        keys = [tuple(r[k] for k in fam.key) for r in rows]
        assert len(keys) == len(set(keys)), f"{family}: duplicate natural keys"
        for i, r in enumerate(rows):
            for col in fam.columns:
                _check_value(col, r[col.name], f"{family} row {i}")
    vi = FAMILIES["vegetation_indices"]
    for i, r in enumerate(_family_rows(generated, "vegetation_indices")):
        r = {**r, "composite_date": r["date"]}
        for col in vi.columns:
            _check_value(col, r.get(col.name, ""), f"vegetation_indices row {i}")
    hot = FAMILIES["fire_hotspots"]
    for p in written["fire_hotspots"]:
        rows = _rows([p])
        keys = [(r["satellite"], r["latitude"], r["longitude"], r["acq_date"], r["acq_time"])
                for r in rows]
        assert len(keys) == len(set(keys)), p.name
        for i, r in enumerate(rows):
            for name, target in FIRMS_TO_CONTRACT.items():
                if name in r:
                    _check_value(hot.column(target), r[name], f"{p.name} row {i}")
            assert re.fullmatch(r"\d{4}", r["acq_time"])
            if r["instrument"] == "VIIRS":
                assert (r["satellite"], r["version"]) == ("N", "2")
                assert r["confidence"] in ("l", "n", "h")
                hhmm = int(r["acq_time"])
                assert (500 <= hhmm <= 630) if r["daynight"] == "D" else (1800 <= hhmm <= 2000)
            else:
                assert r["satellite"] in ("Terra", "Aqua") and r["version"] == "6.1NRT"
                assert 0 <= int(r["confidence"]) <= 100


def test_references_exist_and_coordinates_lie_in_their_parcel(generated, parcels) -> None:
    checks = {  # family -> (lon column, lat column) or None
        "forest_plots": ("plot_lon", "plot_lat"), "grassland_quadrats": ("lon", "lat"),
        "fire_reports": ("lon", "lat"), "wetland_surveys": None, "pest_reports": None,
        "vegetation_indices": None,
    }
    for family, cols in checks.items():
        rows = _family_rows(generated, family)
        for r in rows:
            pid = r["parcel_id"]
            assert pid in parcels, f"{family}: unknown parcel {pid}"
            if "county_code" in r:
                assert r["county_code"] == parcels[pid]["county_code"]
        if cols:
            lon = np.array([float(r[cols[0]]) for r in rows])
            lat = np.array([float(r[cols[1]]) for r in rows])
            for pid in {r["parcel_id"] for r in rows}:
                mask = np.array([r["parcel_id"] == pid for r in rows])
                assert shapely.contains_xy(parcels[pid]["wgs"], lon[mask], lat[mask]).all(), (
                    family, pid)


def test_rows_are_consistent_with_the_land_class(generated, parcels) -> None:
    for r in _family_rows(generated, "forest_plots"):
        p = parcels[r["parcel_id"]]
        assert p["land_class"] == "forest" and p["forest_type"] != "shrub"
    for r in _family_rows(generated, "grassland_quadrats"):
        p = parcels[r["parcel_id"]]
        assert p["land_class"] == "grassland" and r["grassland_type"] == p["grassland_type"]
    for r in _family_rows(generated, "wetland_surveys"):
        p = parcels[r["parcel_id"]]
        assert p["land_class"] == "wetland" and r["wetland_class"] == p["wetland_class"]
    for r in _family_rows(generated, "fire_reports"):
        p = parcels[r["parcel_id"]]
        expected = "grassland" if p["land_class"] == "grassland" else (
            "shrub" if p["forest_type"] == "shrub" else "forest")
        assert p["land_class"] in ("forest", "grassland") and r["vegetation_type"] == expected
    pests = defaultdict(int)
    for r in _family_rows(generated, "pest_reports"):
        p = parcels[r["parcel_id"]]
        pests[r["pest"]] += 1
        if r["pest"] == "grassland_rodent_pika":
            assert p["land_class"] == "grassland"
        else:
            assert p["land_class"] == "forest"
        if r["pest"] == "pine_wilt_nematode":
            assert r["host"].startswith("Pinus") and int(r["dead_trees"]) > 0
            assert shapely.contains_xy(p["wgs"], float(r["lon"]), float(r["lat"]))
        else:
            assert r["lon"] == r["lat"] == ""
        if r["pest"] in ("fall_webworm", "asian_longhorned_beetle"):
            assert r["host"] in ("Populus simonii", "Ulmus pumila") and r["damaged_rate_pct"]
        assert float(r["affected_area_mu"]) <= _area_mu(p["aea"]) * 1.001
    assert set(pests) == set(FAMILIES["pest_reports"].column("pest").allowed)


def test_a_grassland_parcel_collapses_in_the_latest_year(generated) -> None:
    """The ndvi_anomaly story (sample_data.remote_sensing.COLLAPSE): one typical-steppe parcel
    of 达茂旗 keeps 40-85 % of its usual summer NDVI in 2025, as good-quality composites."""
    from sample_data.remote_sensing import COLLAPSE

    rows = _family_rows(generated, "vegetation_indices")
    by_parcel = defaultdict(dict)
    for r in rows:
        by_parcel[r["parcel_id"]][r["date"]] = (float(r["ndvi"]), r["quality"])
    ratios = {}
    for pid, v in by_parcel.items():
        summer = [(date(2025, 1, 1) + timedelta(days=d - 1), date(2024, 1, 1) + timedelta(
            days=d - 1)) for d in (193, 209, 225)]
        ratios[pid] = max(v[a.isoformat()][0] / v[b.isoformat()][0] for a, b in summer)
    collapsed = [pid for pid, r in ratios.items() if r < 0.6]
    assert len(collapsed) == 1 and collapsed[0].startswith("150223-G-")
    for d in COLLAPSE:
        assert by_parcel[collapsed[0]][(date(2025, 1, 1) + timedelta(days=d - 1)).isoformat()][
            1] == "0"


def test_forest_plots_are_remeasured(generated) -> None:
    rows = _family_rows(generated, "forest_plots")
    c21 = {r["tree_id"]: r for r in rows if r["inventory_year"] == "2021"}
    c25 = {r["tree_id"]: r for r in rows if r["inventory_year"] == "2025"}
    assert {r["plot_id"] for r in c21.values()} == {r["plot_id"] for r in c25.values()}
    assert set(c21) < set(c25)  # every tree is revisited, and some ingrowth is new
    assert all(float(c25[t]["dbh_cm"]) < 8 for t in set(c25) - set(c21))
    assert all(r["status"] == "alive" and float(r["dbh_cm"]) >= 5 for r in c21.values())
    status = defaultdict(int)
    for t, r in c21.items():
        later = c25[t]
        status[later["status"]] += 1
        assert later["species"] == r["species"] and later["plot_lon"] == r["plot_lon"]
        growth = (float(later["dbh_cm"]) - float(r["dbh_cm"])) / 4
        if later["status"] == "alive":
            assert 0.0 <= growth <= 0.8  # slow, old semi-arid stands on their own curves
            assert float(later["height_m"]) >= float(r["height_m"])
        else:
            assert growth == 0
    n = sum(status.values())
    assert 0.01 <= status["dead"] / n <= 0.06
    assert 0.002 <= status["cut"] / n <= 0.03
    per_plot = defaultdict(int)
    for r in c21.values():
        per_plot[r["plot_id"]] += 1
    # open semi-arid stands: 8-60 trees of DBH >= 5 cm per plot
    assert min(per_plot.values()) >= 8 and max(per_plot.values()) <= 60


def test_vegetation_indices_are_16_day_composites(generated, parcels) -> None:
    rows = _family_rows(generated, "vegetation_indices")
    dates = defaultdict(set)
    for r in rows:
        dates[r["parcel_id"]].add(r["date"])
    vegetated = {pid for pid, p in parcels.items() if p["land_class"] != "other"}
    assert set(dates) == vegetated
    expected = {(date(y, 1, 1) + timedelta(days=d - 1)).isoformat()
                for y in (2024, 2025) for d in range(1, 354, 16)}
    assert len(expected) == 46
    assert all(v == expected for v in dates.values())
    quality = [int(r["quality"]) for r in rows]
    assert 0.6 < quality.count(0) / len(quality) < 0.9
    assert quality.count(3) > 0 and quality.count(2) > 0
    assert all(len(r["ndvi"].split(".")[1]) == 4 for r in rows[:100])


def test_hotspots_cover_fire_seasons_industry_and_outside_points(generated, parcels) -> None:
    city = shapely.union_all([p["wgs"] for p in parcels.values()])
    city_aea = shapely.union_all([p["aea"] for p in parcels.values()])
    rows = _family_rows(generated, "fire_hotspots")
    outside = [r for r in rows
               if not shapely.contains_xy(city, float(r["longitude"]), float(r["latitude"]))]
    assert 1 <= len(outside) <= 12
    for r in outside:
        pt = to_aea(shapely.Point(float(r["longitude"]), float(r["latitude"])))
        assert city_aea.distance(pt) < 30_000
    static = [r for r in rows if r.get("type") == "2"]
    assert static
    for r in static:
        lon, lat = float(r["longitude"]), float(r["latitude"])
        assert min(abs(lon - s[1]) + abs(lat - s[2]) for s in STATIC_SOURCES) < 0.03
    months = [int(r["acq_date"][5:7]) for r in rows if r.get("type") == "0"]
    in_season = sum(m in (3, 4, 5, 10, 11) for m in months)
    assert in_season == len(months)


def test_wetland_protection_rate_rises_to_the_target(generated) -> None:
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in _family_rows(generated, "wetland_surveys"):
        assert float(r["protected_area_mu"]) <= float(r["wetland_area_mu"])
        assert (r["protection_type"] == "none") == (float(r["protected_area_mu"]) == 0)
        totals[r["survey_year"]][0] += float(r["wetland_area_mu"])
        totals[r["survey_year"]][1] += float(r["protected_area_mu"])
    rate = {y: p / w for y, (w, p) in totals.items()}
    assert sorted(rate) == [str(y) for y in YEARS]
    assert rate["2021"] == pytest.approx(0.345, abs=0.01)
    assert 0.375 <= rate["2025"] <= 0.39
    assert all(rate[str(y)] < rate[str(y + 1)] for y in YEARS[:-1])


def test_demo_forests_show_targets_and_failures(generated) -> None:
    rows = _family_rows(generated, "demo_forests")
    total: dict[tuple[str, str], float] = defaultdict(float)
    for r in rows:
        total[(r["county_code"], r["year"])] += float(r["area_mu"])
        assert r["planting_date"][:4] == r["year"]
    assert len(total) == 9 * 5
    below = [k for k, v in total.items() if v < 500]
    assert 1 <= len(below) <= 5
    for code in ("150204", "150222"):
        assert all(total[(code, str(y))] >= 2000 for y in YEARS)
    baogang = [r for r in rows if r["site_name"].startswith("包钢")]
    assert {r["year"]: float(r["area_mu"]) for r in baogang} == {"2021": 1500.0, "2022": 3000.0}
    assert sum(float(r["area_mu"]) for r in baogang) == 4500.0


def test_grassland_quadrats_are_peak_season_and_plausible(generated) -> None:
    agb_range = {"typical_steppe": (60, 200), "desert_steppe": (20, 80),
                 "meadow_steppe": (150, 350), "mountain_meadow": (150, 350)}
    cover = defaultdict(list)
    for r in _family_rows(generated, "grassland_quadrats"):
        assert r["survey_date"][5:7] in ("07", "08")
        dry, fresh = float(r["dry_mass_g"]), float(r["fresh_mass_g"])
        assert 0.34 <= dry / fresh <= 0.46
        lo, hi = agb_range[r["grassland_type"]]
        assert lo <= dry / float(r["quadrat_area_m2"]) <= hi
        cover[r["survey_date"][:4]].append(float(r["cover_pct"]))
    assert np.mean(cover["2025"]) > np.mean(cover["2021"])


def _layer(generated, year: int) -> dict[str, dict]:
    (path,) = [p for p in generated[1]["parcels"] if p.name == f"baotou_parcels_{year}.geojson"]
    fc = json.loads(path.read_text(encoding="utf-8"))
    return {f["properties"]["parcel_id"]: {**f["properties"], "aea": to_aea(shape(f["geometry"]))}
            for f in fc["features"]}


def test_the_2021_layer_has_the_published_forest_area_and_2025_more(generated) -> None:
    """The 2021 parcels layer carries the plan's 760万亩 of forest (18.3 % cover); the shrub
    forest planted since is other land in it; nothing else changes class."""
    from sample_data.surveys import FOREST_AREA_2021_MU

    by_year = {y: _layer(generated, y) for y in (2021, 2025)}
    forest = {y: sum(_area_mu(p["aea"]) for p in layer.values() if p["land_class"] == "forest")
              for y, layer in by_year.items()}
    # the small sample's parcels are large: the 2021 forest lies within one parcel of the figure
    largest = max(_area_mu(p["aea"]) for p in by_year[2025].values())
    assert abs(forest[2021] - FOREST_AREA_2021_MU) <= largest
    assert forest[2021] < forest[2025]
    for pid, p21 in by_year[2021].items():
        p25 = by_year[2025][pid]
        if p21["land_class"] != p25["land_class"]:
            assert p21["land_class"] == "other"
            assert (p25["land_class"], p25["forest_type"], p25["origin"]) == (
                "forest", "shrub", "planted") or p25["sink_project_id"].startswith("P-WET-")


def test_wetland_statuses_follow_the_projects(generated, parcels) -> None:
    """Project parcels are drained farmland until their project year, then restored (or created,
    with no wetland survey before); protected parcels stay protected; the rest are natural."""
    from sample_data.surveys import RECLAIMED_SINCE, WETLAND_PROJECT_YEAR

    allowed = set(FAMILIES["wetland_surveys"].column("management_status").allowed)
    rows = _family_rows(generated, "wetland_surveys")
    seen: dict[str, dict[int, tuple[str, str]]] = defaultdict(dict)
    for r in rows:
        assert r["management_status"] in allowed
        seen[r["parcel_id"]][int(r["survey_year"])] = (r["management_status"],
                                                      r["management_status_since"])
        if r["management_status"] == "drained":
            assert float(r["protected_area_mu"]) == 0  # drained land is no protected wetland
        if r["management_status"] == "protected":
            assert float(r["protected_area_mu"]) > 0
    changed = 0
    for pid, years in seen.items():
        start = WETLAND_PROJECT_YEAR.get(parcels[pid]["sink_project_id"] or "")
        if start is None:
            assert {s for s, _ in years.values()} <= {"natural_unmanaged", "protected"}
            continue
        for y, (status, since) in years.items():
            if y >= start:
                assert status in ("restored", "created") and since == str(start)
            else:
                assert (status, since) == ("drained", str(RECLAIMED_SINCE))
        if parcels[pid]["wetland_class"] == "constructed":
            assert min(years) == start  # no wetland before it was created
        changed += min(years) < start
    assert changed >= 1  # some parcels change status inside the series
