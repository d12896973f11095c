"""Incremental dashboard builds (issue #17): only the page groups whose inputs changed are
rendered, the parcel geometry is kept between builds, and the result is byte for byte the site a
full render of the same warehouse gives."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from dashboards import geo, incremental
from dashboards.build import GROUPS, build_site, refresh_alerts_page
from dashboards.core import BEIJING
from tests.test_dashboard_browser import make_home

NOW = dt.datetime(2025, 4, 2, 6, 30, tzinfo=BEIJING)
EVIL = '<img src=x onerror="alert(1)">'


def manifest(build: Path) -> dict:
    return json.loads((build / incremental.MANIFEST).read_text(encoding="utf-8"))


def rendered(build: Path) -> list[str]:
    return sorted(g for g, v in manifest(build)["groups"].items() if v["rendered"])


def tree(build: Path) -> dict[str, bytes]:
    """Every file of a build but the manifest (which says what was rendered and how long it
    took), by relative path."""
    return {str(p.relative_to(build)): p.read_bytes() for p in sorted(build.rglob("*"))
            if p.is_file() and p.name != incremental.MANIFEST}


def assert_same_site(a: Path, b: Path) -> None:
    ta, tb = tree(a), tree(b)
    assert sorted(ta) == sorted(tb)
    differ = [k for k in ta if ta[k] != tb[k]]
    assert not differ, differ
    ma, mb = manifest(a)["groups"], manifest(b)["groups"]
    assert {g: (v["key"], v["inputs"], v["pages"]) for g, v in ma.items()} == \
        {g: (v["key"], v["inputs"], v["pages"]) for g, v in mb.items()}


@pytest.fixture
def parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    parse = geo.parse_wkt
    monkeypatch.setattr(geo, "parse_wkt", lambda texts: calls.append(1) or parse(texts))
    return calls


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return make_home(tmp_path / "a")


def db_of(home: Path) -> Path:
    return home / "warehouse" / "marts.duckdb"


def test_unchanged_warehouse_renders_no_heavy_page(home: Path, tmp_path: Path,
                                                    parse_calls: list[int]):
    site = tmp_path / "live" / "site"
    first = build_site(db_of(home), site, "run-1", now=NOW)
    assert rendered(first) == sorted(GROUPS) and len(parse_calls) == 1
    for g, v in manifest(first)["groups"].items():
        assert v["undeclared_reads"] == [], g  # every page declares what it reads

    second = build_site(db_of(home), site, "run-2", now=NOW)
    # only the health page (clock, GX results) is rendered; the parcels are not parsed again
    assert rendered(second) == ["health"]
    assert len(parse_calls) == 1
    m = manifest(second)["groups"]
    assert m["zones"]["key"] == manifest(first)["groups"]["zones"]["key"]
    assert "zone-F01.html" in m["zones"]["pages"] and "zones.html" in m["zones"]["pages"]
    assert m["zone_parcels"]["pages"] == [f"zone-{z}-parcels.html"
                                          for z in ("F01", "F02", "G01", "W01")]
    assert m["zone_parcels"]["csvs"] == [f"parcels_{z}.csv" for z in ("F01", "F02", "G01", "W01")]
    # every page still names the run that built the site, in the shell around the cached body
    for page in second.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert '<code class="runid">run-2</code>' in html and "run-1" not in html, page.name
    # the same bytes as a full render of the same warehouse by the same run
    full = build_site(db_of(home), tmp_path / "full" / "site", "run-2", now=NOW,
                      incremental_render=False)
    assert rendered(full) == sorted(GROUPS)
    assert_same_site(second, full)


def test_one_mart_changed_renders_its_pages_only_and_equals_full(home: Path, tmp_path: Path,
                                                                 parse_calls: list[int]):
    site = tmp_path / "live" / "site"
    build_site(db_of(home), site, "run-1", now=NOW)

    changed = tmp_path / "b" / "home"
    shutil.copytree(home, changed)  # copy2: the raw layer keeps its sizes and times
    con = duckdb.connect(str(db_of(changed)))
    try:
        con.execute("update fct_annual_sink set net_sink_co2e_t = net_sink_co2e_t + 1234.5 "
                    "where zone_id = 'F01' and year = 2024")
        con.execute("update dim_counties set county_name_en = ? where county_code = '150204'",
                    [EVIL])
    finally:
        con.close()

    parse_calls.clear()
    incr = build_site(db_of(changed), site, "run-2", now=NOW)
    full = build_site(db_of(changed), tmp_path / "full" / "site", "run-2", now=NOW,
                      incremental_render=False)
    # the pages that read dim_counties or fct_annual_sink are rendered; alerts and trading not
    assert rendered(incr) == ["counties", "disturbances", "health", "overview", "zone_parcels",
                              "zones"]
    # the zones were rendered again from the cached parcel geometry (the full render parsed)
    assert len(parse_calls) == 1
    assert_same_site(incr, full)
    html = (incr / "counties.html").read_text(encoding="utf-8")
    assert EVIL not in html and "&lt;img src=x onerror=" in html  # uploaded text stays escaped

    # only fct_target_progress changes: the overview and counties pages (and health)
    con = duckdb.connect(str(db_of(changed)))
    try:
        con.execute("update fct_target_progress set value = value * 1.01 where year = 2024")
    finally:
        con.close()
    again = build_site(db_of(changed), site, "run-3", now=NOW)
    assert rendered(again) == ["counties", "health", "overview"]
    assert_same_site(again, build_site(db_of(changed), tmp_path / "full2" / "site", "run-3",
                                       now=NOW, incremental_render=False))


@pytest.mark.parametrize("dim_parcels", [False, True], ids=["raw-parcels", "dim-parcels"])
def test_accounts_change_reuses_parcel_pages_and_reads_no_parcel(
        home: Path, tmp_path: Path, parse_calls: list[int], monkeypatch: pytest.MonkeyPatch,
        dim_parcels: bool):
    """The nightly case: only fct_annual_sink changes. The zone pages are rendered again, the
    zone parcel pages are not, and nothing reads a parcel: the zones map's outlines come from
    the geometry store, looked up before any parcel is read."""
    from dashboards import reading

    if dim_parcels:  # the parcel mart, with geometry, is the source (as at city scale)
        con = duckdb.connect(str(db_of(home)))
        try:
            raw = home / "warehouse" / "raw" / "parcels" / "p1.parquet"
            con.execute(f"create table dim_parcels as select * from read_parquet('{raw}')")
        finally:
            con.close()
    site = tmp_path / "live" / "site"
    first = build_site(db_of(home), site, "run-1", now=NOW)
    loaded = {n for v in manifest(first)["groups"].values() for n in v["loaded"]}
    assert ("dim_parcels" if dim_parcels else "raw:parcels") in loaded  # the first build does

    changed = tmp_path / "b" / "home"
    shutil.copytree(home, changed)  # copy2: the raw layer keeps its sizes and times
    con = duckdb.connect(str(db_of(changed)))
    try:
        con.execute("update fct_annual_sink set net_sink_co2e_t = net_sink_co2e_t - 4321.0 "
                    "where zone_id = 'G01' and year = 2024")
    finally:
        con.close()

    reads: list[str] = []
    read_frame, read_raw = reading.read_frame, reading.read_raw
    monkeypatch.setattr(reading, "read_frame",
                        lambda con, name: reads.append(name) or read_frame(con, name))
    monkeypatch.setattr(reading, "read_raw", lambda con, d, family, cols: reads.append(
        f"raw:{family}") or read_raw(con, d, family, cols))
    parse_calls.clear()
    incr = build_site(db_of(changed), site, "run-2", now=NOW)
    groups = manifest(incr)["groups"]
    assert groups["zones"]["rendered"] and not groups["zone_parcels"]["rendered"]
    assert "zone-G01.html" in groups["zones"]["pages"]
    assert groups["zone_parcels"]["pages"] == [f"zone-{z}-parcels.html"
                                               for z in ("F01", "F02", "G01", "W01")]
    assert groups["zones"]["undeclared_reads"] == []
    # no parcel was read (nor parsed) by any group, the zones group included
    assert "dim_parcels" not in reads and "raw:parcels" not in reads, reads
    assert "fct_annual_sink" in reads  # what changed is read
    for g, v in groups.items():
        assert not {"dim_parcels", "raw:parcels"} & set(v["loaded"]), g
    assert parse_calls == []
    assert sorted(reads) == sorted(set(reads))  # each table read once per build
    # the zones map still has its outlines, and the site is a full render's
    assert "spec-zone-map-zh" in (incr / "zones.html").read_text(encoding="utf-8")
    monkeypatch.undo()
    full = build_site(db_of(changed), tmp_path / "full" / "site", "run-2", now=NOW,
                      incremental_render=False)
    assert_same_site(incr, full)


def test_alerts_refresh_does_not_leak_into_the_next_build(home: Path, tmp_path: Path):
    import pandas as pd

    site = tmp_path / "live" / "site"
    build_site(db_of(home), site, "run-1", now=NOW)
    # an alerting run renders the live alerts page again from the alert store (here: empty)
    refreshed = refresh_alerts_page(site, {"fct_alerts": pd.DataFrame()}, "alerting-run")
    assert refreshed is not None and "alerting-run" in refreshed.read_text(encoding="utf-8")
    nightly = build_site(db_of(home), site, "run-2", now=NOW)
    assert "alerts" not in rendered(nightly)  # from the render cache, not from the live site
    full = build_site(db_of(home), tmp_path / "full" / "site", "run-2", now=NOW,
                      incremental_render=False)
    assert (nightly / "alerts.html").read_bytes() == (full / "alerts.html").read_bytes()


def test_undeclared_read_is_reported_and_never_cached(home: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    from dashboards.pages import counties

    monkeypatch.setattr(counties, "READS", ("dim_counties", "fct_demo_forest_compliance"))
    site = tmp_path / "live" / "site"
    first = build_site(db_of(home), site, "run-1", now=NOW)
    m = manifest(first)["groups"]["counties"]
    assert m["undeclared_reads"] == ["fct_annual_sink", "fct_target_progress"]
    assert m["key"] is None
    assert "counties" in rendered(build_site(db_of(home), site, "run-2", now=NOW))


def test_cache_keeps_only_what_the_live_build_uses(home: Path, tmp_path: Path):
    site = tmp_path / "live" / "site"
    build_site(db_of(home), site, "run-1", now=NOW)
    con = duckdb.connect(str(db_of(home)))
    try:
        con.execute("update fct_target_progress set value = value + 1")
    finally:
        con.close()
    live = build_site(db_of(home), site, "run-2", now=NOW)
    entries = sorted(p.name for p in (site.parent / incremental.CACHE_DIR_NAME / "groups")
                     .iterdir())
    keys = {g: v["key"] for g, v in manifest(live)["groups"].items() if v["key"]}
    assert entries == sorted(f"{g}-{k[:24]}" for g, k in keys.items())
    assert len(list((site.parent / incremental.CACHE_DIR_NAME / "geometry").glob("*"))) == 1


def test_mart_fingerprint_follows_content_not_row_order(tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "f.duckdb"))
    try:
        con.execute("create table fct_a as select i, 'p' || i as s from range(80) r(i)")
        con.execute("create table fct_b as select * from fct_a order by i desc")
        con.execute("create table fct_big as select * from range(150) r(i)")

        def fp(name: str) -> str:
            present = {"fct_a", "fct_b", "fct_big"}
            return incremental.mart_fingerprints(con, [name], present, 100)[name]

        assert fp("fct_a") == fp("fct_b")  # same rows, stored in another order
        assert fp("fct_big") == incremental.ABSENT  # larger than the dashboard reads
        assert fp("fct_none") == incremental.ABSENT
        before = fp("fct_a")
        con.execute("update fct_a set s = 'q' where i = 50")
        assert fp("fct_a") != before
        con.execute("update fct_a set s = 'p50' where i = 50")
        assert fp("fct_a") == before
        con.execute("alter table fct_a alter i type double")  # same values, another type
        assert fp("fct_a") != before
    finally:
        con.close()
