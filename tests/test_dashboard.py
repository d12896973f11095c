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
    for page in PAGES + ["zone-F01.html", "zone-W01.html"]:
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
