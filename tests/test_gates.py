"""The Great Expectations gate (expectations.gates) on small hand-built batches and DuckDB marts.

Importing GX costs ~10-15 s, paid once by the module-scoped ``gates`` fixture; each
validation then takes well under a second (marts: ~2 s).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from expectations.suites import MARTS, TARGET_INDICATORS


@pytest.fixture(scope="module")
def gates():
    from expectations import gates as module

    module.import_gx()
    return module


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("SINKWATCH_HOME", str(home))
    return home


def forest_plots() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "plot_id": ["BT-0101", "BT-0101", "BT-0101", "BT-0102"],
            "parcel_id": ["150222-0007"] * 3 + ["150222-0011"],
            "inventory_year": [2024, 2024, 2024, 2024],
            "plot_area_m2": [666.7] * 4,
            "plot_lon": [110.02, 110.02, 110.02, 110.31],
            "plot_lat": [41.12, 41.12, 41.12, 41.40],
            "tree_id": ["001", "002", "003", "001"],
            "species": ["Populus simonii", "Pinus tabuliformis", "Ulmus pumila", "Populus simonii"],
            "dbh_cm": [14.2, 9.8, 22.5, 17.1],
            "height_m": [9.5, 6.1, 11.0, 10.2],
            "status": ["alive", "alive", "dead", "alive"],
            "stem_volume_m3": [None, None, None, 0.1012],
            "measurement_date": [dt.date(2024, 8, 2)] * 3 + [None],
            "is_in_parcel": [True, True, True, True],
        }
    )


def pest_reports() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "report_id": ["PR-2024-001", "PR-2024-002"],
            "county_code": ["150222", "150223"],
            "parcel_id": [None, "150223-0140"],
            "report_date": [dt.date(2024, 6, 3), dt.date(2024, 7, 19)],
            "pest": ["fall_webworm", "grassland_rodent_pika"],
            "host": ["Populus", None],
            "affected_area_mu": [320.0, 15000.0],
            "severity": ["light", "moderate"],
            "dead_trees": [None, None],
            "damaged_rate_pct": [4.5, None],
            "lon": [None, None],
            "lat": [None, None],
        }
    )


def hotspots(acq_dates: list) -> pd.DataFrame:
    """Rows after the FIRMS reader's mapping; values from the real VIIRS S-NPP sample
    (shared/realdata/fire/SUOMI_VIIRS_C2_South_Asia_24h.csv) and one MODIS row."""
    return pd.DataFrame(
        {
            "latitude": [26.5659, 26.56678, 28.9924],
            "longitude": [101.67464, 101.6729, 79.42035],
            "brightness_k": [327.59, 327.83, 320.55],
            "scan_km": [0.34, 0.34, 1.11],
            "track_km": [0.56, 0.56, 1.05],
            "acq_date": acq_dates,
            "acq_time_utc": ["05:44", "05:44", "08:58"],
            "satellite": ["N", "N", "Aqua"],
            "instrument": ["VIIRS", "VIIRS", "MODIS"],
            "confidence_raw": ["low", "nominal", "39"],
            "confidence_pct": [20.0, 60.0, 39.0],
            "version": ["2.0NRT", "2.0NRT", "6.1NRT"],
            "brightness2_k": [299.34, 298.51, 298.09],
            "frp_mw": [4.85, 4.82, 8.36],
            "daynight": ["D", "D", "D"],
            "fire_type": [None, None, 0],
            "confidence_class": ["low", "nominal", "nominal"],
            "is_non_vegetation": [None, None, False],
            "is_nrt": [True, True, True],
            "county_code": [None, None, None],
            "parcel_id": [None, None, None],
        }
    )


def build_marts(
    path: Path, *, schema: str = "main", negative_emissions: bool = False, drop: str | None = None
) -> Path:
    con = duckdb.connect(str(path))
    con.execute(f"create schema if not exists {schema}; use {schema}")
    con.execute("""
        create table fct_carbon_stock as
        select
            'P' || lpad(i::varchar, 5, '0') as parcel_id,
            2023 + (i % 2) as inventory_year,
            ['150222', '150223', '150207'][1 + i % 3] as county_code,
            case when i % 4 = 0 then null else 'Z' || (i % 4) end as zone_id,
            ['forest', 'grassland', 'wetland'][1 + i % 3] as land_class,
            (50 + i)::double as area_mu,
            (2.5 * (50 + i))::double as agb_t_dm,
            (0.6 * (50 + i))::double as bgb_t_dm,
            (1.44 * (50 + i))::double as carbon_t,
            (1.44 * (50 + i) * 44 / 12)::double as co2e_t,
            (1.44 * 15)::double as carbon_density_t_c_per_ha
        from range(2000) t(i)
    """)
    indicators = ", ".join(f"('{i}')" for i in TARGET_INDICATORS)
    emissions = "-3.5" if negative_emissions else "3.5"
    con.execute(f"""
        create table fct_annual_sink as
        select
            2020 + i as year, 'Z1' as zone_id, '150222' as county_code, 'forest' as land_class,
            ['stock_difference', 'gain_loss', 'tier1_no_change'][1 + i % 3] as method,
            1200.0::double as area_mu, 410.0::double as removals_co2e_t,
            (case when i = 2 then {emissions} else 1.0 end)::double as emissions_co2e_t,
            (410.0 - 1.0)::double as net_sink_co2e_t,
            20.0::double as net_sink_u95_co2e_t,
            (409.0 - 20.0)::double as net_sink_ci95_low_co2e_t,
            (409.0 + 20.0)::double as net_sink_ci95_high_co2e_t
        from range(4) t(i)
    """)
    # gate inputs and the other marts, with one plausible row each (suites check their rules)
    con.execute("""
        create table qa_tree_remeasurement as
        select 'FP1' as plot_id, 'T' || i as tree_id, 'Pinus tabuliformis' as species,
               20.0 + i as dbh_cm, 10.0 as height_m, 80.0 as dbh_max_cm, 30.0 as height_max_m,
               0.4 as dbh_growth_cm_per_yr, 2.0 as dbh_growth_max_cm_per_yr,
               false as is_resurrected
        from range(3) t(i)
    """)
    con.execute("""
        create table qa_vegetation_index_seasons as
        select 'P00001' as parcel_id, 2025 as composite_year, 'summer' as season,
               0.1 as snow_cloud_share, date '2025-08-13' as newest_composite_date
    """)
    con.execute("""
        create table qa_mart_reconciliation as
        select * from (values ('zone', 'F01', 0.99), ('sink_yoy', 'forest:2024', 1.02),
                           ('method_overlap', 'forest:2023', 0.02)) v(
            check_kind, subject, ratio)
        union all
        select 'indicator', indicator, 1.0
        from (values """ + indicators + """) v(indicator)
    """)
    con.execute("""
        create table qa_plausibility as
        select check_id, check_kind, subject, 2025 as year, value, lower_bound, upper_bound,
               'source' as bound_source
        from (values ('carbon_density:forest', 'carbon_density', 'forest', 30.0, 5.0, 100.0),
                     ('stock_growth:forest', 'stock_growth', 'forest', 0.8, -1.0, 4.0)) v(
            check_id, check_kind, subject, value, lower_bound, upper_bound)
    """)
    con.execute("""
        create table qa_plot_locations as
        select 'forest_plot' as sample_kind, 'FP1' as sample_id, 'P00001' as parcel_id,
               110.1 as lon, 40.8 as lat, true as is_in_parcel
    """)
    con.execute("""
        create table meta_run as
        select 'r' as run_id, now()::timestamp as built_at, current_date as data_as_of
    """)
    con.execute("""
        create table fct_zone_progress as
        select 'Z' || i as zone_id, 'forest' as land_class, 1000.0 as planned_area_mu,
               990.0 as parcel_area_mu, 500.0 as project_area_mu, 12.0 as net_sink_latest_co2e_t
        from range(22) t(i)
    """)
    con.execute("""
        create table fct_demo_forest_compliance as
        select '150222' as county_code, 2021 + i as year, 600.0 as planted_area_mu,
               500.0 as required_min_area_mu, true as is_compliant, 0.0 as shortfall_mu
        from range(5) t(i)
    """)
    indicators = ", ".join(f"('{i}')" for i in TARGET_INDICATORS)
    con.execute(f"""
        create table fct_target_progress as
        select 'city' as scope, null::varchar as scope_id, indicator, 2025 as year,
               1.0::double as value, 'unit' as unit, 2.0::double as target_value
        from (values {indicators}) v(indicator)
    """)
    con.execute("""
        create table fct_alerts as
        select 'fire_event:e' || i as alert_id, 'fire_event' as alert_type,
               'high' as severity, 'open' as state, '山火' as title,
               timestamptz '2025-04-02 05:12:00+00' as first_seen_at
        from range(2) t(i)
    """)
    con.execute("""
        create table fct_ledger_balances as
        select 'P' || i as parcel_id, 2024 as vintage, 'LOCAL' as scheme_code,
               100 as creditable_units, 80 as issued_units, 10 as buffer_units,
               0 as reversed_units, 10 as available_units, 0 as shortfall_units
        from range(3) t(i)
    """)
    con.execute("""
        create table fct_project_credits as
        select 'BT-LOCAL-00' || i as project_id, 2024 as vintage, 120.0 as gross_removals_t,
               0.0 as baseline_t, 0.0 as leakage_t, 6.0 as uncertainty_deduction_t,
               114.0 as creditable_t, 11.4 as buffer_t
        from range(2) t(i)
    """)
    if drop:
        con.execute(f"drop table {drop}")
    con.close()
    return path


def test_gates_module_does_not_import_gx() -> None:
    code = "import sys, expectations.gates; assert 'great_expectations' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_committed_suites_are_up_to_date(gates) -> None:
    from expectations.suites import stale_suites

    assert stale_suites() == [], "run: python -m expectations.suites"


def test_good_raw_batch_passes(gates, home: Path) -> None:
    result = gates.validate_frame("forest_plots", forest_plots(), "forest_plots_2024.csv")
    assert result.passed, result.failures
    assert result.suite == "raw__forest_plots"
    assert result.n_expectations == result.n_passed > 20
    assert (result.n_failed_critical, result.n_failed_warning) == (0, 0)
    assert result.results_path.is_file()
    assert result.results_path.is_relative_to(home / "gx" / "validations")
    assert gates.data_docs_index().is_file()
    assert gates.data_docs_index().is_relative_to(home / "gx")
    gates.raise_for(result)  # no exception


def test_bad_raw_batch_fails_critical(gates) -> None:
    plots = forest_plots()
    plots.loc[0, "dbh_cm"] = 310.0  # a 3 m trunk: cm typed as mm
    plots.loc[1, "dbh_cm"] = 0.0
    plots.loc[2, "tree_id"] = "001"  # duplicates (BT-0101, 2024, 001)
    pests = pest_reports()
    pests.loc[1, "county_code"] = "150299"

    r_plots = gates.validate_frame("forest_plots", plots, "plots_bad.csv")
    r_pests = gates.validate_frame("pest_reports", pests, "pests_bad.csv")
    assert not r_plots.passed and not r_pests.passed
    assert r_plots.n_failed_critical == 2 and r_pests.n_failed_critical == 1
    by_type = {f["expectation_type"]: f for f in r_plots.failures}
    assert by_type["expect_column_values_to_be_between"]["columns"] == ["dbh_cm"]
    assert by_type["expect_column_values_to_be_between"]["unexpected_count"] == 2
    assert sorted(by_type["expect_column_values_to_be_between"]["sample_values"]) == [0.0, 310.0]
    assert by_type["expect_compound_columns_to_be_unique"]["unexpected_count"] == 2
    assert r_pests.failures[0]["sample_values"] == ["150299"]

    with pytest.raises(gates.GateFailed) as exc:
        gates.raise_for([r_plots, r_pests])
    message = str(exc.value)
    assert "raw__forest_plots [plots_bad.csv]: 2 critical failure(s)" in message
    assert "expect_column_values_to_be_between [dbh_cm] (critical): 2 unexpected of 4" in message
    assert "expect_compound_columns_to_be_unique [plot_id, inventory_year, tree_id]" in message
    assert "raw__pest_reports [pests_bad.csv]: 1 critical failure(s)" in message
    assert "expect_column_values_to_be_in_set [county_code] (critical): 1 unexpected" in message
    assert "'150299'" in message
    assert exc.value.results == [r_plots, r_pests]


def test_warning_only_failure_passes(gates) -> None:
    future = dt.date.today() + dt.timedelta(days=30)
    result = gates.validate_frame(
        "fire_hotspots", hotspots([dt.date(2025, 6, 27), future, dt.date(2025, 7, 1)]), "firms.csv"
    )
    assert result.passed
    assert (result.n_failed_critical, result.n_failed_warning) == (0, 1)
    (warning,) = result.failures
    assert warning["severity"] == "warning"
    assert (warning["columns"], warning["unexpected_count"]) == (["acq_date"], 1)
    gates.raise_for(result)  # warnings never block


def test_viirs_confidence_rule_is_critical(gates) -> None:
    df = hotspots(["2025-06-27", "2025-06-27", "2025-07-01"])  # ISO strings are parsed
    df.loc[1, "confidence_raw"] = "97"  # a MODIS-style number on a VIIRS row
    result = gates.validate_frame("fire_hotspots", df, "firms_mixed.csv")
    assert not result.passed
    (failure,) = result.failures
    assert failure["expectation_type"] == "expect_column_values_to_be_in_set"
    assert (failure["columns"], failure["sample_values"]) == (["confidence_raw"], ["97"])


def test_marts_pass_in_duckdb_and_release_the_file(gates, tmp_path: Path, home: Path) -> None:
    db = build_marts(tmp_path / "marts.duckdb")
    results = gates.validate_marts(db, "run-2025-01-01")
    assert [r.suite for r in results] == [f"marts__{t}" for t in MARTS]
    assert all(r.passed for r in results), [r.failures for r in results]
    assert all(r.n_failed_warning == 0 for r in results)
    for r in results:
        assert r.results_path.is_file()
        assert r.results_path.is_relative_to(home / "gx" / "validations" / r.suite)
    # Not locked: a writer can open the file right after (same process: a read-only
    # instance still open here would make this connect fail).
    con = duckdb.connect(str(db))
    con.execute("insert into fct_annual_sink select * from fct_annual_sink limit 1")
    con.close()
    writer = f"import duckdb; duckdb.connect({str(db)!r}).execute('create table t as select 1')"
    subprocess.run([sys.executable, "-c", writer], check=True)  # and so can another process
    assert gates.build_data_docs() == home / "gx" / "data_docs" / "index.html"
    assert gates.data_docs_index().is_file()


def test_broken_marts_fail(gates, tmp_path: Path) -> None:
    # dbt-duckdb with a custom schema builds into e.g. main_marts: found and checked there.
    db = build_marts(
        tmp_path / "broken.duckdb",
        schema="main_marts",
        negative_emissions=True,
        drop="fct_target_progress",
    )
    results = {r.suite: r for r in gates.validate_marts(db, "run-broken")}
    assert results["marts__fct_carbon_stock"].passed
    sink = results["marts__fct_annual_sink"]
    assert sink.batch == "main_marts.fct_annual_sink in broken.duckdb"
    assert not sink.passed and sink.n_failed_critical == 1
    assert sink.failures[0]["columns"] == ["emissions_co2e_t"]
    assert sink.failures[0]["sample_values"] == [-3.5]
    progress = results["marts__fct_target_progress"]
    assert not progress.passed and progress.failures[0]["expectation_type"] == "table_exists"
    with pytest.raises(gates.GateFailed, match=r"emissions_co2e_t\] \(critical\): 1 unexpected"):
        gates.raise_for(results.values())
    duckdb.connect(str(db)).close()  # released after a failing run too


# One bad-data class per mart-level check of issue 5: (tampering SQL, suite, expectation,
# column, severity). Each case starts from the passing synthetic marts.
MART_CASES = [
    ("update qa_mart_reconciliation set ratio = 1.2 where check_kind = 'zone'",
     "marts__qa_mart_reconciliation", "expect_column_values_to_be_between", "ratio", "critical"),
    ("update qa_mart_reconciliation set ratio = 0 where subject = 'forest_stock_m3'",
     "marts__qa_mart_reconciliation", "expect_column_values_to_be_between", "ratio", "critical"),
    ("update qa_mart_reconciliation set ratio = 2.5 where check_kind = 'sink_yoy'",
     "marts__qa_mart_reconciliation", "expect_column_values_to_be_between", "ratio", "warning"),
    # the gain-loss years without mortality and harvest: 1.9 x the interval (issue #19 item 1)
    ("update qa_mart_reconciliation set ratio = 1.89 where check_kind = 'method_overlap'",
     "marts__qa_mart_reconciliation", "expect_column_values_to_be_between", "ratio", "critical"),
    ("update fct_carbon_stock set carbon_density_t_c_per_ha = 55 "
     "where land_class = 'grassland' and parcel_id = 'P00001'",
     "marts__fct_carbon_stock", "expect_column_values_to_be_between",
     "carbon_density_t_c_per_ha", "critical"),
    ("update qa_vegetation_index_seasons set snow_cloud_share = 0.9",
     "marts__qa_vegetation_index_seasons", "expect_column_values_to_be_between",
     "snow_cloud_share", "warning"),
    ("update meta_run set data_as_of = date '2020-01-01'",
     "marts__meta_run", "expect_column_values_to_be_between", "data_as_of", "warning"),
    # the demo before #16 item 2: forest stock +6 %/yr (415 -> 524 万m3 in four years)
    ("update qa_plausibility set value = 5.96 where check_id = 'stock_growth:forest'",
     "marts__qa_plausibility", "expect_column_values_to_be_between", "value", "warning"),
    ("update qa_plot_locations set is_in_parcel = false",
     "marts__qa_plot_locations", "expect_column_values_to_be_in_set", "is_in_parcel", "critical"),
]


@pytest.mark.parametrize(("sql", "suite", "expectation", "column", "severity"), MART_CASES,
                         ids=[c[1].removeprefix("marts__") + f"-{i}" for i, c in
                              enumerate(MART_CASES)])
def test_each_mart_check_fails_with_its_severity(gates, tmp_path, sql, suite, expectation,
                                                 column, severity) -> None:
    db = build_marts(tmp_path / "marts.duckdb")
    con = duckdb.connect(str(db))
    con.execute(sql)
    con.close()
    results = {r.suite: r for r in gates.validate_marts(db, "run-case")}
    r = results[suite]
    hits = [f for f in r.failures if f["expectation_type"] == expectation
            and column in (f.get("columns") or [])]
    assert [f["severity"] for f in hits] == [severity], r.failures
    assert r.passed == (severity == "warning")
    others = [x for x in results.values() if x.suite != suite]
    assert all(x.passed and x.n_failed_warning == 0 for x in others)
