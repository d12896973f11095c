"""The nightly path on the small sample, through the same functions Airflow calls: ingest, dbt
build (with its data and unit tests), mart gate, atomic publish and dashboard refresh."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from orchestration import pipeline
from sample_data import generate
from sinkwatch.config import Paths
from sinkwatch.contracts import FAMILIES

FACTS = ("fct_carbon_stock", "fct_annual_sink", "fct_target_progress", "dim_zones", "dim_counties",
         "fct_city_annual_sink", "fct_city_sink_uncertainty")


def _digest(db, tables=FACTS) -> dict[str, str]:
    """Content hash of each table, independent of row order."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for t in tables:
            rows = sorted(map(repr, con.execute(f"select * from {t}").fetchall()))
            out[t] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Small sample ingested (with the GX batch gate) and built once for the module."""
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("pipeline") / "home"
    mp.setenv("SINKWATCH_HOME", str(home))
    p = Paths(home).ensure()
    generate(p.landing, scale="small")
    manifest = pipeline.ingest(list(FAMILIES), run_id="r1", p=p)
    db = pipeline.build("r1", p=p)
    yield p, manifest, db
    mp.undo()


def test_every_received_row_is_accounted_for(built):
    p, manifest, db = built
    assert {m.family for m in manifest} == set(FAMILIES)
    for m in manifest:
        assert m.rows_accepted + m.rows_quarantined == m.rows_read, m.file_name
        if m.rows_accepted:  # every batch with rows is gated
            assert m.gate_suite == f"raw__{m.family}" and m.gate_passed, (m.file_name, m.detail)
        else:  # nothing accepted, nothing to gate: every row is in quarantine with its reason
            assert m.gate_suite is None and m.rows_quarantined == m.rows_read, m.file_name
    con = duckdb.connect(str(db), read_only=True)
    try:
        bad = con.execute(
            "select count(*) from ops_ingestion_manifest "
            "where rows_read <> rows_accepted + rows_quarantined").fetchone()[0]
        n_files = con.execute("select count(*) from ops_ingestion_manifest").fetchone()[0]
    finally:
        con.close()
    assert bad == 0 and n_files == len(manifest)
    # the sample has detections outside Baotou on purpose: kept, with their reason
    fire = [m for m in manifest if m.family == "fire_hotspots"]
    assert sum(m.rows_quarantined for m in fire) > 0


def test_marts_have_rows_and_reconcile(built):
    p, _, db = built
    con = duckdb.connect(str(db), read_only=True)
    try:
        for t in FACTS:
            assert con.execute(f"select count(*) from {t}").fetchone()[0] > 0, t
        # CO2e is C x 44/12 (seed c_to_co2), biomass = AGB + BGB
        worst = con.execute(
            "select max(abs(co2e_t - carbon_t * 44 / 12)), "
            "max(abs(biomass_t_dm - agb_t_dm - bgb_t_dm)) from fct_carbon_stock").fetchone()
        assert worst[0] < 1e-6 and worst[1] < 1e-6
        # zone parcels never exceed the zone's planned area by more than 1 %
        over = con.execute(
            "select count(*) from dim_zones where parcel_area_mu > planned_area_mu * 1.01"
        ).fetchone()[0]
        assert over == 0
        # the plan's indicators are all present for the latest year
        inds = {r[0] for r in con.execute(
            "select distinct indicator from fct_target_progress").fetchall()}
        assert {"forest_coverage_pct", "forest_stock_m3", "grassland_cvc_pct",
                "wetland_protection_rate_pct", "sink_project_area_mu",
                "demo_forest_area_mu"} <= inds
        # the forest sink is by stock difference between the two cycles, one method per row
        methods = dict(con.execute(
            "select land_class, list(distinct method order by method) from fct_annual_sink "
            "where year = 2023 group by land_class").fetchall())
        assert methods["forest"] == ["stock_difference"]
        # every stock row traces back to an ingested file
        untraced = con.execute(
            "select count(*) from fct_carbon_stock s left join ops_ingestion_manifest m "
            "on s.parcel_source_sha256 = m.sha256 where m.sha256 is null").fetchone()[0]
        assert untraced == 0
    finally:
        con.close()


def test_rebuild_gives_identical_marts(built):
    p, _, db = built
    first = _digest(db)
    again = pipeline.build("r1-again", p=p)
    assert _digest(again) == first


def test_gate_publish_and_failed_gate_keeps_last_good(built):
    from expectations import gates

    p, _, _ = built
    pipeline.build("good", p=p)
    pipeline.gate("good", p=p)
    published = pipeline.publish("good", p=p)
    site = pipeline.refresh_dashboard("good", p=p)
    assert published == p.published and (site / "index.html").exists()
    before_db = hashlib.sha256(p.published.read_bytes()).hexdigest()
    before_site = (p.site / "index.html").read_bytes()

    # a run whose marts are broken: the gate stops it, nothing is published
    bad_db = pipeline.build("bad", p=p)
    con = duckdb.connect(str(bad_db))
    con.execute("update fct_annual_sink set emissions_co2e_t = -1 where year = 2024")
    con.close()
    with pytest.raises(gates.GateFailed) as err:
        pipeline.gate("bad", p=p)
    assert "marts__fct_annual_sink" in str(err.value) and "emissions_co2e_t" in str(err.value)
    assert hashlib.sha256(p.published.read_bytes()).hexdigest() == before_db
    assert (p.site / "index.html").read_bytes() == before_site
    # an analyst can read the published warehouse while a new build is written
    reader = duckdb.connect(str(p.published), read_only=True)
    try:
        pipeline.build("next", p=p)
        assert reader.execute("select run_id from meta_run").fetchone()[0] == "good"
    finally:
        reader.close()


def test_every_mart_and_column_is_described_and_docs_generate(built):
    """dbt persists the YAML descriptions as DuckDB comments: an analyst's `describe` shows them.
    Every table the marts folder builds, and every column of it, must carry one."""
    p, _, db = built
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = dict(con.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'main'"
        ).fetchall())
        columns = con.execute(
            "select table_name, column_name, comment from duckdb_columns() "
            "where schema_name = 'main'").fetchall()
    finally:
        con.close()
    marts = {f.stem for f in (pipeline.DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql")}
    assert marts and marts <= set(tables), marts - set(tables)
    assert [t for t in marts if not tables[t]] == []
    undescribed = [f"{t}.{c}" for t, c, comment in columns if t in marts and not comment]
    assert undescribed == []
    out = pipeline.run_dbt(["docs", "generate"], db, p)
    assert "Catalog written" in out
    assert (p.dbt / "target" / "catalog.json").exists()


def test_alerts_reach_the_marts_through_a_snapshot_and_select_only_their_models(built):
    """An alert recorded by an alerting run is in fct_alerts after the next build; the build
    rebuilds the monitoring models because the store's snapshot changed, and nothing else that
    depends on the raw families."""
    from monitoring import store

    p, _, _ = built
    pipeline.build("before-alert", p=p)
    pipeline.gate("before-alert", p=p)
    pipeline.publish("before-alert", p=p)
    alert = store.Alert("fire_event:test", "fire_event", "high", "山火 <F07>", "3 detections",
                        zone_ids=("F07",), county_codes=("150222",), lon=110.1, lat=40.9)
    assert len(store.record([alert], by="alert-run")) == 1
    store.set_state("fire_event:test", "acknowledged", by="duty officer")
    pipeline.export_monitoring(p)  # what build() does first
    inputs = pipeline.build_inputs(p)
    assert {"alerts", "alert_changes"} <= set(inputs)
    selected = pipeline.selection(inputs, pipeline._published_inputs(p.published))
    assert selected is not None
    assert sorted(selected) == sorted(["source:monitoring.alert_changes+",
                                       "source:monitoring.alerts+", pipeline.EVERY_RUN])
    db = pipeline.build("after-alert", p=p)
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("select alert_type, state, title, county_codes, n_state_changes, "
                          "state_history, n_undelivered_changes from fct_alerts").fetchall()
    finally:
        con.close()
    assert row == [("fire_event", "acknowledged", "山火 <F07>", ["150222"], 2,
                    "opened → acknowledged", 2)]
