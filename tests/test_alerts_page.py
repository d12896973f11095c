"""The alerts page (警情): in the nightly site, and refreshed on its own by an alerting run
(open alerts first, escaped text, the other pages untouched)."""

from __future__ import annotations

import csv
import datetime as dt
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboards.build import build_site
from monitoring import store
from orchestration import alerting
from tests.test_dashboard import make_marts


@pytest.fixture
def site(home, tmp_path, monkeypatch):
    monkeypatch.setenv("SINKWATCH_ALERT_FILE", str(tmp_path / "alerts.jsonl"))
    db = make_marts(home.warehouse / "marts.duckdb")
    build_site(db, home.site, "nightly-1")
    yield home
    for url in list(store._ENGINES):
        store._ENGINES.pop(url).dispose()


def test_alerting_run_refreshes_only_the_alerts_page(site):
    p = site
    before = {f.name: f.stat().st_mtime_ns for f in p.site.glob("*.html")
              if f.name != "alerts.html"}
    assert (p.site / "alerts.html").is_file()  # the nightly site has the page (no alerts yet)
    store.record([
        store.Alert("fire_event:e1", "fire_event", "critical", "山火 <script>x()</script>",
                    '=HYPERLINK("http://evil.example")', county_codes=("150222",),
                    zone_ids=("F09",), parcel_ids=("P1", "P2"), lon=110.05, lat=41.02),
        store.Alert("pest_outbreak:p1", "pest_outbreak", "warning", "美国白蛾 150206",
                    "2 reports", county_codes=("150206",)),
    ], by="alert-run")
    store.set_state("pest_outbreak:p1", "closed", by="officer")
    ratings = p.monitoring / "fire_danger_area_daily.parquet"
    ratings.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({
        "area_kind": ["county", "county"], "area_id": ["150223", "150222"],
        "area_name_zh": ["达茂旗", "固阳县"], "obs_date": [dt.date(2025, 10, 20)] * 2,
        "is_rated": [True, True], "fwi": [41.0, 12.0], "danger_class": [5, 3]}), ratings)

    page = alerting.refresh_page(p, "ingest_disturbances__r7")
    html = page.read_text(encoding="utf-8")
    assert page.resolve().parent == p.site.resolve()
    assert "山火 &lt;script&gt;x()&lt;/script&gt;" in html and "<script>x()" not in html
    assert "ingest_disturbances__r7" in html
    assert "5 级" in html and "2025-10-20" in html  # highest danger of the newest day
    # open first; the closed alert only in the history
    open_rows = list(csv.reader((p.site / "data" / "alerts_open.csv").read_text(
        encoding="utf-8-sig").splitlines()))
    assert len(open_rows) == 2 and "fire_event:e1" in open_rows[1]
    assert "'=HYPERLINK(\"http://evil.example\")" in open_rows[1]  # formula neutralised
    history = (p.site / "data" / "alerts_history.csv").read_text(encoding="utf-8-sig")
    assert "pest_outbreak:p1" in history
    after = {f.name: f.stat().st_mtime_ns for f in p.site.glob("*.html")
             if f.name != "alerts.html"}
    assert after == before  # the other pages were not rendered again
    assert not [f for f in os.listdir(p.site) if f.startswith(".")]  # no temp files left


def test_no_published_site_no_refresh(home):
    assert alerting.refresh_page(home, "r") is None
    for url in list(store._ENGINES):
        store._ENGINES.pop(url).dispose()
