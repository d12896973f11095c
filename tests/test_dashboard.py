"""Dashboard builder: renders the published marts into an offline static site."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dashboards.build import build_site

BOM = b"\xef\xbb\xbf"

INDICATOR_NAMES_ZH = ["森林覆盖率", "森林蓄积量", "草原综合植被盖度", "湿地保护率", "碳汇项目面积",
                      "示范碳汇林面积"]
MARTS = ["fct_target_progress", "fct_annual_sink", "dim_zones", "dim_counties", "meta_run"]

SCHEMA = """
create table fct_target_progress (
    scope varchar, scope_id varchar, scope_name_zh varchar, indicator varchar,
    indicator_name_zh varchar, indicator_name_en varchar, year int, value double, unit varchar,
    baseline_value double, target_value double, target_year int, progress_pct double,
    is_on_track boolean);
create table fct_annual_sink (
    year int, zone_id varchar, county_code varchar, land_class varchar, method varchar,
    area_mu double, removals_co2e_t double, emissions_co2e_t double, net_sink_co2e_t double,
    n_parcels int);
create table dim_zones (
    zone_id varchar, zone_name_zh varchar, zone_name_en varchar, land_class varchar,
    county_code varchar, planned_area_mu double, parcel_area_mu double);
create table dim_counties (
    county_code varchar, county_name_zh varchar, county_name_en varchar, area_km2 double);
create table meta_run (run_id varchar, built_at timestamp, data_as_of date);
"""

# Hand-written fixture rows (test data, not real observations).
ROWS = """
insert into meta_run values ('marts__2025-03-31', '2025-04-02 06:15:00', '2025-03-31');
insert into dim_counties values
  ('150204', '青山区', 'Qingshan District', 301.0),
  ('150207', '九原区', 'Jiuyuan District', 1776.0),
  ('150222', '固阳县', 'Guyang County', 5021.0),
  ('150223', '达尔罕茂明安联合旗', 'Darhan Muminggan United Banner', 17410.0);
insert into dim_zones values
  ('F01', '大青山南坡森林碳汇区', 'Daqingshan south-slope forest zone', 'forest', '150204',
   250000, 240000),
  ('F02', '固阳县森林碳汇区', 'Guyang forest zone', 'forest', '150222', 400000, 380000),
  ('G01', '达茂旗荒漠草原碳汇区', 'Darhan Muminggan desert-steppe zone', 'grassland', '150223',
   3000000, 2900000),
  ('W01', '黄河湿地碳汇区', 'Yellow River wetland zone', 'wetland', '150207', 40000, 35000);
insert into fct_annual_sink values
  (2023, 'F01', '150204', 'forest', 'stock_difference', 240000, 52000, 800, 51200, 120),
  (2023, 'G01', '150223', 'grassland', 'gain_loss', 2900000, 91000, 12000, 79000, 60),
  (2023, 'W01', '150207', 'wetland', 'gain_loss', 35000, 9000, 2500, 6500, 14),
  (2023, NULL, '150222', 'forest', 'stock_difference', 100000, 15000, 400, 14600, 40),
  (2024, 'F01', '150204', 'forest', 'stock_difference', 241000, 54000, 900, 53100, 121),
  (2024, 'F02', '150222', 'forest', 'stock_difference', 380000, 61000, 3100, 57900, 88),
  (2024, 'G01', '150223', 'grassland', 'gain_loss', 2900000, 88000, 15000, 73000, 60),
  (2024, 'W01', '150207', 'wetland', 'gain_loss', 35000, 8800, 2700, 6100, 14),
  (2024, NULL, '150222', 'forest', 'stock_difference', 100000, 15500, 300, 15200, 40);
insert into fct_target_progress values
  ('city', '150200', '包头市', 'forest_coverage_pct', '森林覆盖率', 'Forest coverage',
   2023, 18.7, '%', 18.3, 19.3, 2025, 40.0, false),
  ('city', '150200', '包头市', 'forest_coverage_pct', '森林覆盖率', 'Forest coverage',
   2024, 18.95, '%', 18.3, 19.3, 2025, 65.0, true),
  ('city', '150200', '包头市', 'forest_stock_m3', '森林蓄积量', 'Forest growing stock',
   2024, 3777000, 'm3', 3705000, 3800000, 2025, 75.8, true),
  ('city', '150200', '包头市', 'grassland_cvc_pct', '草原综合植被盖度',
   'Grassland comprehensive vegetation coverage', 2024, 36.9, '%', 36.58, 38, 2025, 22.5, false),
  ('city', '150200', '包头市', 'wetland_protection_rate_pct', '湿地保护率',
   'Wetland protection rate', 2024, 37.2, '%', NULL, 38, 2025, NULL, NULL),
  ('city', '150200', '包头市', 'sink_project_area_mu', '碳汇项目面积', 'Carbon-sink project area',
   2024, 11800000, 'mu', 0, 13400000, 2025, 88.1, true),
  ('county', '150204', '青山区', 'demo_forest_area_mu', '示范碳汇林面积',
   'Demonstration carbon forest area', 2024, 2150, 'mu', NULL, 500, 2024, 430.0, true),
  ('county', '150222', '固阳县', 'demo_forest_area_mu', '示范碳汇林面积',
   'Demonstration carbon forest area', 2024, 620, 'mu', NULL, 500, 2024, 124.0, true),
  ('county', '150207', '九原区', 'demo_forest_area_mu', '示范碳汇林面积',
   'Demonstration carbon forest area', 2024, 310, 'mu', NULL, 500, 2024, 62.0, false);
"""


def make_marts(path: Path, *, rows: bool = True, run_id: str = "marts__2025-03-31") -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute(SCHEMA)
        if rows:
            con.execute(ROWS.replace("marts__2025-03-31", run_id))
    finally:
        con.close()
    return path


@pytest.fixture
def marts_db(tmp_path: Path) -> Path:
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    return make_marts(warehouse / "marts.duckdb")


PAGES = ["index.html", "zones.html", "counties.html", "disturbances.html", "health.html"]


def _html(build: Path, page: str = "index.html") -> str:
    return (build / page).read_text(encoding="utf-8")


def _all_html(build: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(build.glob("*.html")))


def _local_refs(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html, flags=re.I)


def test_build_renders_page_with_run_asof_indicators_and_marts(marts_db: Path, tmp_path: Path):
    site = tmp_path / "site"
    build = build_site(marts_db, site, "scheduled__2025-04-02T06:00:00+00:00")

    assert build.is_dir() and build == site.resolve()
    assert build.name.startswith(".site-") and build.parent == tmp_path
    for page in PAGES + ["zone-F01.html", "zone-W01.html", "zone-F01-parcels.html"]:
        html = _html(site, page)
        # every page carries the run id, the mart run and the as-of date
        assert "scheduled__2025-04-02T06:00:00+00:00" in html, page
        assert "marts__2025-03-31" in html, page
        assert "2025-03-31" in html, page
        for slug in PAGES:
            assert f'href="{slug}"' in html, (page, slug)
    html = _html(site)
    everything = _all_html(site)
    for name in INDICATOR_NAMES_ZH[:-1]:
        assert name in html, name
    assert INDICATOR_NAMES_ZH[-1] in _html(site, "counties.html")
    for mart in MARTS:
        assert mart in everything, mart
    # one page per zone, linked from the zones page
    zones_html = _html(site, "zones.html")
    for zid in ("F01", "F02", "G01", "W01"):
        assert (build / f"zone-{zid}.html").is_file()
        assert f'href="zone-{zid}.html"' in zones_html
    # bilingual switch
    assert '<html lang="zh-CN">' in html
    assert 'data-lang="en"' in html and 'id="lang-toggle"' in html
    # bureau units: 13,400,000 mu -> 1,340.00 万亩, 3,800,000 m3 -> 380.0 万 m³
    assert "万亩" in html and "1,340.00" in html
    assert "万 m³" in html and "380.0" in html
    assert "t CO₂e" in html
    # latest year per indicator: 2024 forest coverage 18.95, not the 2023 row
    assert "18.95" in html
    # plotly figures embedded as JSON for each language (zh and en)
    assert html.count('class="plot') >= 8
    assert html.count('data-lang="zh" data-fig=') == html.count('data-lang="en" data-fig=')


def test_site_is_offline(marts_db: Path, tmp_path: Path):
    site = tmp_path / "site"
    build = build_site(marts_db, site, "run-offline")
    html = _all_html(build)

    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, flags=re.I)
    assert "cdn." not in html.lower()
    assert "@import" not in html and "fonts.googleapis" not in html
    css = (build / "assets" / "site.css").read_text(encoding="utf-8")
    assert "url(" not in css and "@import" not in css
    for ref in _local_refs(html):
        if ref.startswith("#"):
            continue
        assert (build / ref).is_file(), ref

    plotly_js = build / "assets" / "plotly.min.js"
    assert plotly_js.is_file() and plotly_js.stat().st_size > 1_000_000
    assert '<script src="assets/plotly.min.js"></script>' in html


def test_csvs_have_bom_and_are_linked(marts_db: Path, tmp_path: Path):
    build = build_site(marts_db, tmp_path / "site", "run-csv")
    html = _all_html(build)
    csvs = sorted((build / "data").glob("*.csv"))
    names = {c.name for c in csvs}
    assert {"target_progress_city.csv", "annual_sink_city_by_year.csv",
            "annual_sink_by_zone_latest.csv", "target_progress_county.csv",
            "demo_forest_by_county_year.csv", "county_shares.csv", "annual_sink_F01.csv",
            "quarantine_by_file.csv", "gate_results_by_suite.csv"} <= names
    for csv in csvs:
        raw = csv.read_bytes()
        assert raw.startswith(BOM), csv.name
        assert f'href="data/{csv.name}"' in html
        raw.decode("utf-8")
    city = (build / "data" / "target_progress_city.csv").read_text(encoding="utf-8-sig")
    assert city.splitlines()[0].startswith("指标,Indicator,")
    assert "森林覆盖率" in city and "1340.0" in city  # numbers stay numeric, in 万亩


def test_second_build_swaps_symlink_and_cleans_up(marts_db: Path, tmp_path: Path):
    site = tmp_path / "site"
    first = build_site(marts_db, site, "run-one")
    second = build_site(marts_db, site, "run-two")

    assert site.is_symlink()
    assert os.readlink(site) == second.name  # relative link
    assert site.resolve() == second != first
    html = _html(site)
    assert "run-two" in html and "run-one" not in html
    assert first.is_dir()  # previous build kept for roll-back
    assert "run-one" in _html(first)

    third = build_site(marts_db, site, "run-three")
    assert not first.exists()  # only the previous build survives
    assert second.is_dir() and site.resolve() == third
    builds = sorted(p.name for p in tmp_path.glob(".site-*"))
    assert builds == [".site-run-three", ".site-run-two"]
    assert not list(tmp_path.glob(".site.swap-*"))


def test_rerun_of_live_run_id_does_not_touch_live_dir(marts_db: Path, tmp_path: Path):
    site = tmp_path / "site"
    first = build_site(marts_db, site, "run-same")
    again = build_site(marts_db, site, "run-same")
    assert again != first and first.is_dir()
    assert site.resolve() == again


def test_first_run_over_a_real_directory(marts_db: Path, tmp_path: Path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("old static page", encoding="utf-8")
    build = build_site(marts_db, site, "run-first")
    assert site.is_symlink() and site.resolve() == build
    assert "run-first" in _html(site)
    legacy = [p for p in tmp_path.glob(".site-legacy-*")]
    assert len(legacy) == 1 and (legacy[0] / "index.html").read_text() == "old static page"
    build_site(marts_db, site, "run-next")
    build_site(marts_db, site, "run-after")
    assert not legacy[0].exists()


def test_db_not_locked_after_build(marts_db: Path, tmp_path: Path):
    build_site(marts_db, tmp_path / "site", "run-lock")
    # same process: a leaked read-only connection would make this read-write open fail
    con = duckdb.connect(str(marts_db))
    try:
        con.execute("create table written_after_build as select 1 as x")
    finally:
        con.close()
    # another process (the next pipeline run) can write too
    code = (
        "import duckdb,sys; c=duckdb.connect(sys.argv[1]); "
        "c.execute('insert into written_after_build values (2)'); c.close()"
    )
    subprocess.run([sys.executable, "-c", code, str(marts_db)], check=True, timeout=60)


def test_empty_marts_render_no_data(tmp_path: Path):
    db = make_marts(tmp_path / "empty.duckdb", rows=False)
    build = build_site(db, tmp_path / "site", "run-empty")
    html = _all_html(build)
    assert "run-empty" in html
    assert "暂无数据" in html and "No data" in html
    assert 'class="plot' not in html
    for csv in (build / "data").glob("*.csv"):
        assert csv.read_bytes().startswith(BOM)


def test_missing_mart_is_reported_not_fatal(tmp_path: Path):
    db = tmp_path / "partial.duckdb"
    make_marts(db)
    con = duckdb.connect(str(db))
    con.execute("drop table fct_annual_sink")
    con.close()
    html = _html(build_site(db, tmp_path / "site", "run-partial"))
    assert "fct_annual_sink" in html and "暂无数据" in html
    assert "森林覆盖率" in html


def test_missing_db_raises(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        build_site(tmp_path / "nope.duckdb", tmp_path / "site", "run-x")
    assert not list(tmp_path.glob(".site-*"))


# -- parcel geometry parsed once per build; figures' JSON ----------------------------------------

def grid_parcels(zone: str = "F01", county: str = "150204", n: int = 600, x0: float = 109.98,
                 y0: float = 40.55, d: float = 0.004) -> list[tuple[str, str, str, str, str]]:
    """``n`` adjacent square parcels (parcel_id, county, zone, land class, WKT) in one zone:
    enough for a zone page's parcel map to share its polygons and hover texts across zh/en."""
    out = []
    for i in range(n):
        x, y = round(x0 + (i % 25) * d, 6), round(y0 + (i // 25) * d, 6)
        out.append((f"{county}-F-{100000 + i:06d}", county, zone, "forest",
                    f"POLYGON (({x} {y}, {x + d} {y}, {x + d} {y + d}, {x} {y + d}, {x} {y}))"))
    return out


ODD_PARCELS = [  # (parcel_id, county, zone, land class, WKT): what real registers contain
    ("150207-W-000001", "150207", "W01", "wetland",  # a hole
     "POLYGON ((109.70 40.50, 109.76 40.50, 109.76 40.55, 109.70 40.55, 109.70 40.50), "
     "(109.72 40.52, 109.74 40.52, 109.74 40.53, 109.72 40.52))"),
    ("150223-G-000001", "150223", "G01", "grassland",  # two parts
     "MULTIPOLYGON (((110.40 41.80, 110.43 41.80, 110.43 41.83, 110.40 41.80)), "
     "((110.45 41.80, 110.47 41.80, 110.47 41.82, 110.45 41.80)))"),
    ("150223-G-000002", "150223", "G01", "grassland",  # self-intersecting: repaired
     "POLYGON ((110.50 41.80, 110.52 41.82, 110.52 41.80, 110.50 41.82, 110.50 41.80))"),
    ("150223-G-000003", "150223", "G01", "grassland", "POLYGON ((110.6 41.8, 110.7"),  # broken
    ("150223-G-000004", "150223", None, "grassland",  # outside any zone
     "POLYGON ((110.80 41.80, 110.82 41.80, 110.82 41.82, 110.80 41.80))"),
]


def make_parcel_home(root: Path) -> Path:
    """Fixture marts plus a raw parcels layer holding the register twice (two deliveries)."""
    wh = root / "home" / "warehouse"
    (wh / "raw" / "parcels").mkdir(parents=True)
    db = make_marts(wh / "marts.duckdb")
    mem = duckdb.connect()
    try:
        mem.execute("create table p (parcel_id varchar, county_code varchar, zone_id varchar, "
                    "land_class varchar, area_mu double, geometry_wkt varchar)")
        for pid, county, zone, cls, wkt in grid_parcels() + ODD_PARCELS:
            mem.execute("insert into p values (?, ?, ?, ?, 36.0, ?)", [pid, county, zone, cls, wkt])
        for name in ("a.parquet", "b.parquet"):
            mem.execute(f"copy p to '{wh / 'raw' / 'parcels' / name}' (format parquet)")
    finally:
        mem.close()
    return db


def _parcel_geometry_as_before(parcels):
    """The zone outlines and zone-page parcel shapes computed the way the pages did before the
    per-build cache: each WKT parsed by shapely one by one, per zone, ``to_shape`` per geometry
    (zones: the union of the zone's distinct parcel polygons)."""
    import shapely
    from shapely import wkt as shapely_wkt

    from dashboards import geo

    def parse(text):
        try:
            g = shapely_wkt.loads(str(text))
            return g if g.is_valid else g.buffer(0)
        except Exception:  # noqa: BLE001
            return None

    zones, by_zone = {}, {}
    for zid in sorted({z for z in parcels["zone_id"] if isinstance(z, str)}):
        rows = parcels[(parcels["zone_id"] == zid) & parcels["geometry_wkt"].notna()]
        rows = rows.drop_duplicates(["parcel_id", "zone_id", "geometry_wkt"])
        geoms = [(pid, parse(t)) for pid, t in zip(rows["parcel_id"], rows["geometry_wkt"],
                                                   strict=True)]
        geoms = [(pid, g) for pid, g in geoms if g is not None]
        s = geo.to_shape(zid, shapely.union_all([g for _, g in geoms]), geo.ZONE_TOLERANCE)
        if s:
            zones[zid] = s
        shapes = {}
        for pid, g in geoms:
            s = geo.to_shape(str(pid), g, geo.PARCEL_TOLERANCE)
            if s:
                shapes[str(pid)] = s
        by_zone[zid] = shapes
    return zones, by_zone


def test_parcel_geometry_is_parsed_once_per_build_and_matches_direct(tmp_path: Path,
                                                                   monkeypatch):
    from dashboards import geo
    from dashboards.build import read_marts
    from dashboards.pages import common

    db = make_parcel_home(tmp_path)
    calls = []
    parse = geo.parse_wkt
    monkeypatch.setattr(geo, "parse_wkt", lambda texts: calls.append(1) or parse(texts))
    build = build_site(db, tmp_path / "site", "run-geo")
    # one parse for the zones map and all four zone pages (it was once per page, plus the map)
    assert len(calls) == 1
    assert "spec-locator-F01-zh" in _html(build, "zone-F01-parcels.html")

    marts = read_marts(db)
    raw = marts.raw["parcels"]
    assert len(raw) == 2 * (600 + len(ODD_PARCELS) - 1)  # both copies; the zone-less row left out
    pg = common.parcel_geometry(marts)
    assert common.parcel_geometry(marts) is pg and marts.cache["parcel_geometry"] is pg
    assert read_marts(db).cache == {}  # the cache lives for one build only
    zones, by_zone = _parcel_geometry_as_before(raw)
    assert pg.zones == zones and list(pg.zones) == list(zones)
    assert set(zones) == {"F01", "G01", "W01"}
    for zid, shapes in by_zone.items():
        got = pg.parcels_in(zid)
        assert got == shapes and list(got) == list(shapes), zid
    assert len(by_zone["F01"]) == 600 and len(by_zone["G01"]) == 2  # the broken WKT skipped
    assert None in by_zone["W01"]["150207-W-000001"].lons  # the hole is a second ring
    # the public per-frame functions give the same
    assert geo.zone_shapes(raw) == zones
    assert geo.parcel_shapes(raw[raw["zone_id"] == "F01"]) == by_zone["F01"]


def test_zone_page_links_to_its_parcel_page(tmp_path: Path):
    """The zone page keeps its accounts and links to the zone's parcel page, which has the
    parcel map and the parcel register (dim_parcels, without its geometry) with its CSV."""
    db = make_parcel_home(tmp_path)
    raw = str(db.parent / "raw" / "parcels" / "a.parquet")
    con = duckdb.connect(str(db))
    try:
        con.execute(f"create table dim_parcels as select * from read_parquet('{raw}')")
    finally:
        con.close()
    build = build_site(db, tmp_path / "site", "run-parcels")
    zone = _html(build, "zone-F01.html")
    assert 'href="zone-F01-parcels.html"' in zone
    assert "spec-locator" not in zone and "parcels_F01.csv" not in zone
    assert "spec-trend-F01-zh" in zone and "annual_sink_F01.csv" in zone
    page = _html(build, "zone-F01-parcels.html")
    assert "spec-locator-F01-zh" in page and "spec-locator-F01-en" in page
    assert 'href="data/parcels_F01.csv"' in page and "dim_parcels" in page
    assert 'href="zone-F01.html"' in page and 'href="zones.html"' in page  # crumbs
    assert "F01 大青山南坡森林碳汇区 · 地块" in page
    assert "F01 Daqingshan south-slope forest zone · parcels" in page
    csv = (build / "data" / "parcels_F01.csv").read_text(encoding="utf-8-sig")
    assert len(csv.splitlines()) == 1 + 600 and "150204-F-100000" in csv
    assert "geometry_wkt" not in csv and "POLYGON" not in csv
    for zid in ("F02", "G01", "W01"):
        assert f'href="zone-{zid}-parcels.html"' in _html(build, f"zone-{zid}.html")
        assert (build / f"zone-{zid}-parcels.html").is_file()


def test_vectorised_helpers_match_python():
    import random

    import numpy as np
    import pandas as pd

    from dashboards import geo
    from dashboards.core import isnull, rounded, rounded_cells
    from dashboards.pages.common import generic_table

    rnd = random.Random(7)
    vals = [rnd.uniform(-1e7, 1e7) for _ in range(20_000)]
    vals += [round(rnd.uniform(100, 120), 4) + 0.00005 for _ in range(20_000)]  # near halves
    vals += [0.00005, 1.00005, -2.5e-5, 1.2345678901234567e15, 9.9e20, float("inf"), 1e308]
    for d in (1, 2, 4):
        assert rounded(vals, d) == [round(v, d) for v in vals]
    cells = [1.5, None, float("nan"), 3, True, np.float64(2.25), pd.NA, None]
    for col in (cells, cells[:6], []):
        want = [None if isnull(v) else round(float(v), 4) for v in col]
        got = rounded_cells(col, 4)
        assert got == want and [type(v) for v in got] == [type(v) for v in want]

    wkts = ["POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0), (0.2 0.2, 0.4 0.2, 0.4 0.4, 0.2 0.2))",
            "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((2 2, 3 2, 3 3, 2 2)))", "POLYGON EMPTY",
            "POINT (1 2)", "GEOMETRYCOLLECTION (POLYGON ((0 0, 1 0, 1 1, 0 0)), POINT (5 5))",
            "POLYGON ((0 0, 2 2, 2 0, 0 2, 0 0))", "garbage", "POLYGON ((0 0, 1 0, 1 1))",
            "POLYGON ((110.123456 40.5, 110.12345 40.50005, 110.1 40.6, 110.123456 40.5))"]
    geoms = geo.parse_wkt(wkts)
    assert geoms[6] is None and geoms[7] is None and geoms[5].is_valid
    keys = [str(i) for i in range(len(wkts))]
    for tol in (0, geo.PARCEL_TOLERANCE, 0.5):
        want = [None if g is None else geo.to_shape(k, g, tol)
                for k, g in zip(keys, geoms, strict=True)]
        assert geo.to_shapes(keys, geoms, tol) == want

    df = pd.DataFrame({
        "s": pd.Series(["a", None], dtype="str"), "s2": pd.array(["x", None], dtype="string"),
        "f": [1.5, np.nan], "f32": np.array([0.1, np.nan], dtype=np.float32),
        "i": [1, 2], "i64": pd.array([1, None], dtype="Int64"), "b": [True, False],
        "nb": pd.array([True, None], dtype="boolean"), "o": [1, "x"],
        "t": pd.to_datetime(["2024-01-01", None]),
    })
    want = [{k: (None if isnull(v) else (v if isinstance(v, int | float) else str(v)))
             for k, v in r.items()} for r in df.to_dict("records")]
    got = generic_table("k", "", "", "m", df).records
    assert got == want
    assert [[type(v) for v in r.values()] for r in got] == [[type(v) for v in r.values()]
                                                            for r in want]


def test_figure_json_shares_large_values_between_languages():
    import json

    import numpy as np
    import plotly.graph_objects as go

    from dashboards.figures import Fig, Figure, fig_dict, text_array

    xs = np.linspace(110.0, 110.5, 2000).astype(np.float32)
    ids = text_array([f"P{i}" for i in range(2000)])

    def build(lang: str) -> Fig:
        return Fig([go.Scatter(x=xs, y=xs, customdata=ids, mode="markers"),
                    go.Scatter(x=[1, 2], y=[3, 4], text=[lang, lang], mode="text")],
                   {"title": {"text": lang}})

    fig = Figure("m", "图", "Map", ["dim_parcels"], build("zh"), build("en"))
    zh, en, shared = (json.loads(fig.spec("zh")), json.loads(fig.spec("en")),
                      json.loads(fig.shared))
    assert zh["shared"] == en["shared"] == "spec-m-shared"
    refs = {k: zh["data"][0][k].get("$shared") for k in ("x", "y", "customdata")}
    assert sorted(refs.values()) == [0, 1, 2] and en["data"][0]["customdata"] == zh["data"][0][
        "customdata"]
    assert len(shared) == 3 and shared[refs["customdata"]][:2] == ["P0", "P1"]
    assert zh["data"][1]["text"] == ["zh", "zh"] and zh["layout"]["title"]["text"] == "zh"
    # put back, each language is exactly the figure's own JSON
    for lang, spec in (("zh", zh), ("en", en)):
        del spec["shared"]
        for t in spec["data"]:
            for k, v in list(t.items()):
                if isinstance(v, dict) and "$shared" in v:
                    t[k] = shared[v["$shared"]]
        assert spec == json.loads(build(lang).to_json())
    # Fig writes what go.Figure writes (numpy arrays as base64 typed arrays)
    f = build("zh")
    assert json.loads(f.to_json())["data"] == json.loads(f.figure().to_json())["data"]
    assert f.to_dict()["data"][0]["x"]["dtype"] == "f4"
    assert json.loads(json.dumps(fig_dict(f.figure()), default=list)) == json.loads(
        f.figure().to_json())
    small = Figure("s", "", "", [], build("zh"), build("zh"))
    small.fig_zh.data = small.fig_zh.data[1:]
    small.fig_en.data = small.fig_en.data[1:]
    assert small.shared == "" and "shared" not in json.loads(small.spec("zh"))
