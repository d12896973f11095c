"""Acceptance: the built site opens in headless Chromium, offline, with every chart drawn.

Builds the site from a fixture marts DB (the rows of ``test_dashboard``, plus an ingestion
manifest, carbon stock and a small raw layer: parcel polygons and fire hotspots), opens each
page from ``file://`` in Debian's Chromium via Playwright, and checks: no console errors, no
request leaves the machine (every non-``file://`` request is aborted and recorded), the Plotly
charts render (SVG in the DOM), the English switch works. The GX Data Docs copied into ``gx/``
(index and a validation page) are held to the same rule: nothing but ``file://`` is requested.
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from dashboards.build import build_site
from tests.conftest import ARTIFACTS
from tests.test_dashboard import grid_parcels, make_marts

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
PAGES = ["index", "zones", "zone-F01", "zone-F01-parcels", "zone-W01", "counties",
         "disturbances", "health"]

# skipped without Chromium, except where SINKWATCH_REQUIRE_SERVICES=1 (CI): there it must run
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("SINKWATCH_REQUIRE_SERVICES") != "1",
    reason="Debian chromium (/usr/bin/chromium) is not installed")

EXTRA = """
create table ops_ingestion_manifest (
    family varchar, file_name varchar, sha256 varchar, size_bytes bigint,
    received_at timestamptz, loaded_at timestamptz, rows_read bigint, rows_accepted bigint,
    rows_quarantined bigint, status varchar, detail varchar, archive_path varchar,
    raw_path varchar, quarantine_path varchar, gate_suite varchar, gate_passed boolean,
    gate_failed_expectations bigint, run_id varchar);
insert into ops_ingestion_manifest values
  ('parcels', 'baotou_parcels_2024.geojson', 'a1', 1000, '2025-03-30 01:00:00+00',
   '2025-03-30 01:01:00+00', 40, 40, 0, 'loaded', null, null, null, null, 'raw__parcels',
   true, 0, 'ingest__2025-03-30'),
  ('fire_hotspots', 'fire_nrt_baotou_2024.csv', 'b2', 2000, '2025-03-31 01:00:00+00',
   '2025-03-31 01:02:00+00', 60, 57, 3, 'loaded', '3 rows outside Baotou', null, null,
   'quarantine/b2.parquet', 'raw__fire_hotspots', true, 0, 'ingest__2025-03-31'),
  ('pest_reports', 'pest_reports_2024.csv', 'c3', 500, '2025-03-31 01:00:00+00',
   '2025-03-31 01:03:00+00', 12, 12, 0, 'loaded', null, null, null, null, 'raw__pest_reports',
   true, 0, 'ingest__2025-03-31');
create table fct_carbon_stock (
    parcel_id varchar, inventory_year bigint, county_code varchar, zone_id varchar,
    land_class varchar, method varchar, area_mu double, co2e_t double,
    carbon_density_t_c_per_ha double);
insert into fct_carbon_stock values
  ('150204-F-000001', 2024, '150204', 'F01', 'forest', 'plot_allometry', 1200, 8000, 28.5),
  ('150204-F-000002', 2024, '150204', 'F01', 'forest', 'plot_allometry', 900, 6100, 27.1);
"""

# Square-ish parcel polygons (lon/lat) inside the fixture zones' counties.
PARCELS = [
    ("150204-F-000001", "150204", "F01", "forest", 110.03, 40.66),
    ("150204-F-000002", "150204", "F01", "forest", 110.06, 40.66),
    ("150222-F-000003", "150222", "F02", "forest", 110.05, 41.05),
    ("150223-G-000004", "150223", "G01", "grassland", 110.40, 41.80),
    ("150223-G-000005", "150223", "G01", "grassland", 110.46, 41.80),
    ("150207-W-000006", "150207", "W01", "wetland", 109.75, 40.52),
]


def _square(x: float, y: float, d: float = 0.025) -> str:
    return (f"POLYGON (({x} {y}, {x + d} {y}, {x + d} {y + d}, {x} {y + d}, {x} {y}))")


def make_home(root: Path) -> Path:
    """A SINKWATCH_HOME with the fixture marts and a small raw layer."""
    home = root / "home"
    wh = home / "warehouse"
    (wh / "raw" / "parcels").mkdir(parents=True)
    (wh / "raw" / "fire_hotspots").mkdir(parents=True)
    db = make_marts(wh / "marts.duckdb")
    con = duckdb.connect(str(db))
    try:
        con.execute(EXTRA)
    finally:
        con.close()
    mem = duckdb.connect()
    try:
        mem.execute("create table p (parcel_id varchar, county_code varchar, zone_id varchar, "
                    "land_class varchar, area_mu double, geometry_wkt varchar)")
        for pid, county, zone, cls, x, y in PARCELS:
            mem.execute("insert into p values (?, ?, ?, ?, ?, ?)",
                        [pid, county, zone, cls, 1000.0, _square(x, y)])
        # enough parcels in F01 for its parcel map to ship polygons and hover ids once for zh+en
        for pid, county, zone, cls, wkt in grid_parcels("F01", x0=110.10, y0=40.70):
            mem.execute("insert into p values (?, ?, ?, ?, ?, ?)",
                        [pid, county, zone, cls, 36.0, wkt])
        mem.execute(f"copy p to '{wh / 'raw' / 'parcels' / 'p1.parquet'}' (format parquet)")
        mem.execute("""
            create table h as select
              40.6 + (i % 7) * 0.2 as latitude, 109.6 + (i % 11) * 0.12 as longitude,
              date '2023-03-01' + cast(i * 9 as integer) as acq_date, '03:10' as acq_time_utc,
              'N' as satellite, 'VIIRS' as instrument, 80.0 as confidence_pct,
              5.0 + i as frp_mw, '150223' as county_code, null as parcel_id
            from range(40) t(i)""")
        mem.execute(f"copy h to '{wh / 'raw' / 'fire_hotspots' / 'h1.parquet'}' (format parquet)")
    finally:
        mem.close()
    return home


def gate_batches(home: Path) -> None:
    """GX results and Data Docs under ``home``: a passing and a failing raw batch (the site
    copies the Data Docs into gx/)."""
    from expectations import gates
    from tests.test_gates import forest_plots

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SINKWATCH_HOME", str(home))
        assert gates.validate_frame("forest_plots", forest_plots(), "plots_ok.csv").passed
        bad = forest_plots()
        bad.loc[0, "dbh_cm"] = 310.0
        assert not gates.validate_frame("forest_plots", bad, "plots_bad.csv").passed


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    home = make_home(root)
    gate_batches(home)
    build = build_site(home / "warehouse" / "marts.duckdb", home / "site",
                       "scheduled__2025-04-02T06:00:00+00:00")
    return build


def test_pages_render_offline_in_chromium(site: Path):
    from playwright.sync_api import sync_playwright

    out = ARTIFACTS / "dashboard"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started = time.monotonic()
    problems: list[str] = []
    external: list[str] = []

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1366, "height": 900})

            def route(r):  # noqa: ANN001 - playwright Route
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    external.append(r.request.url)
                    r.abort()

            ctx.route("**/*", route)
            for name in PAGES:
                page = ctx.new_page()
                page.on("console", lambda m, n=name: problems.append(f"{n}: console {m.type}: "
                                                                     f"{m.text}")
                        if m.type in ("error", "warning") else None)
                page.on("pageerror", lambda e, n=name: problems.append(f"{n}: {e}"))
                page.goto((site / f"{name}.html").as_uri())
                page.wait_for_load_state("load")
                # every visible chart placeholder is drawn by Plotly into an SVG
                page.wait_for_function(
                    """() => [...document.querySelectorAll('.plot[data-fig]')]
                       .filter(e => e.offsetParent !== null)
                       .every(e => e.classList.contains('js-plotly-plot')
                                   && e.querySelector('svg.main-svg'))""",
                    timeout=20_000,
                )
                n_plots = page.locator(".js-plotly-plot").count()
                assert n_plots >= 1, f"{name}: no chart rendered"
                assert page.locator(".js-plotly-plot svg.main-svg").count() >= n_plots
                # the run id and the as-of date are on every page
                assert "scheduled__2025-04-02T06:00:00+00:00" in page.inner_text(".runbar")
                assert "2025-03-31" in page.inner_text(".runbar")
                page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                if name == "index":
                    page.click("#lang-toggle")
                    page.wait_for_function(
                        """() => document.documentElement.lang === 'en' &&
                           [...document.querySelectorAll('.plot[data-lang=en][data-fig]')]
                           .every(e => e.querySelector('svg.main-svg'))""", timeout=20_000)
                    assert "Overview" in page.inner_text("h2.page-title")
                    page.screenshot(path=str(out / "index-en.png"), full_page=True)
                    page.click("#lang-toggle")
                if name == "zone-F01-parcels":
                    # the parcel map's polygons and hover ids are in the page once, for both
                    # languages; each language's chart gets all of them back
                    assert page.locator("#spec-locator-F01-shared").count() == 1
                    drawn = []
                    for lang in ("zh", "en"):
                        if lang == "en":
                            page.click("#lang-toggle")
                        sel = f'.plot[data-fig="spec-locator-{lang}"]'.replace(
                            "locator-", "locator-F01-")
                        page.wait_for_function(
                            f"() => document.querySelector('{sel}').querySelector('svg.main-svg')",
                            timeout=20_000)
                        drawn.append(page.evaluate(
                            f"""() => document.querySelector('{sel}')._fullData.map(t =>
                                [t.x ? t.x.length : 0, t.customdata ? t.customdata.length : 0])"""))
                    page.click("#lang-toggle")
                    assert drawn[0] == drawn[1]
                    n = len(grid_parcels()) + 2  # the grid and F01's two fixture parcels
                    assert [n * 5 + n - 1, 0] in drawn[0]  # one polygon trace, rings split by gaps
                    assert [n, n] in drawn[0]  # the hover points
                page.close()
        finally:
            browser.close()

    assert not external, f"requests left the machine: {external}"
    assert not problems, "\n".join(problems)
    for name in PAGES:
        assert (out / f"{name}.png").stat().st_size > 10_000
    print(f"browser check of {len(PAGES)} pages: {time.monotonic() - started:.1f} s")


def test_gx_data_docs_open_offline_in_chromium(site: Path):
    """The Data Docs in gx/: index and a failing validation page load nothing from another
    host, log no error, and work without JavaScript (the index's rows open the result pages,
    "Failed Only" hides the passing expectations)."""
    from playwright.sync_api import sync_playwright

    out = ARTIFACTS / "dashboard"
    out.mkdir(parents=True, exist_ok=True)
    index = site / "gx" / "index.html"
    assert index.is_file(), "the site carries no Data Docs"
    problems: list[str] = []
    external: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1366, "height": 900})

            def route(r):  # noqa: ANN001 - playwright Route
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    external.append(r.request.url)
                    r.abort()

            ctx.route("**/*", route)
            page = ctx.new_page()
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
            page.goto(index.as_uri())
            page.wait_for_load_state("load")
            assert not external, f"the Data Docs index requested: {external}"
            rows = page.locator("table.ge-index-page-validation-results-table tbody tr")
            assert rows.count() >= 2
            assert "plots_bad.csv" in rows.first.inner_text()  # newest first
            page.screenshot(path=str(out / "gx-index.png"), full_page=True)
            # navigation without scripts: the first row's link opens its validation page
            rows.first.locator("a.sw-row-link").first.click()
            page.wait_for_load_state("load")
            assert "/gx/validations/raw__forest_plots/plots_bad.csv/" in page.url
            assert not external, f"a Data Docs validation page requested: {external}"
            assert "Failed" in page.inner_text("body")
            passed = page.locator("tr:has(> td.hide-succeeded-validation-target-child)")
            assert passed.count() > 0 and passed.first.is_visible()
            page.screenshot(path=str(out / "gx-validation.png"))
            page.check("#sw-failed-only")
            assert not passed.first.is_visible()
            assert page.locator("td .fa-times").first.is_visible()  # the failure stays
            page.locator("a", has_text="Data Docs: all validation results").click()
            page.wait_for_load_state("load")
            assert page.url == index.as_uri()
        finally:
            browser.close()
    assert not external, f"requests left the machine: {external}"
    assert not problems, "\n".join(problems)


def test_zone_and_hotspot_maps_use_shipped_geometry(site: Path):
    zones = (site / "zones.html").read_text(encoding="utf-8")
    assert "raw/parcels/*.parquet" in zones  # zone outlines derived from the parcels
    dist = (site / "disturbances.html").read_text(encoding="utf-8")
    assert "raw/fire_hotspots/*.parquet" in dist
    assert "fct_losses_by_cause" in dist  # the losses mart is announced as not yet available
