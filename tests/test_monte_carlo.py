"""IPCC Approach 2 (dbt Python model fct_city_sink_uncertainty) on hand-made inputs: the model is
re-evaluated per draw from its products of inputs (a product of two uncertain factors is a
product of their draws, not a sum of first-order terms); the same factor at both cycles of a stock
difference cancels; sampling errors are Student t with their degrees of freedom; with symmetric
normal inputs in a linear sum the interval is the Approach 1 interval; a key shared by two groups
is one draw; skewed PDFs give skewed intervals; same seed, same figures. The model's functions are
loaded from the model file itself (no dbt needed)."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pandas as pd
import pytest

from sinkwatch.config import DBT_PROJECT_DIR

MODEL = DBT_PROJECT_DIR / "models" / "marts" / "accounting" / "fct_city_sink_uncertainty.py"
N = 20_000
SEED = 20211008


@pytest.fixture(scope="module")
def mc():
    spec = importlib.util.spec_from_file_location("fct_city_sink_uncertainty", MODEL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _factor(parameter, stratum, value, u95_pct, kind, low=None, high=None) -> dict:
    return {
        "parameter": parameter,
        "stratum": stratum,
        "value": value,
        "low": low,
        "high": high,
        "uncertainty_type": kind,
        "u95_pct": u95_pct,
    }


FACTORS = pd.DataFrame(
    [
        # symmetric 95 % half-widths up to 50 %: normal
        _factor("soc_ref_0_30cm", "HAC", 43.0, 8.0, "pct95"),
        _factor("soc_factor_FMG", "hig", 0.90, 100 * 0.07 / 0.90, "range", 0.83, 0.97),
        _factor("soc_factor_FMG", "nominal", 1.0, 0.0, "exact"),
        # large: lognormal (fuel consumed SE 6.3 of 19.8: U = 62 %; CH4 EF 4.7 +- 1.9 SD: 79 %)
        _factor("wetland_ch4_ef", "iwms", 235.0, 90.0, "assumed_pct95"),
        _factor("fire_fuel_consumed", "wildfire", 19.8, 100 * 1.96 * 6.3 / 19.8, "se"),
        _factor("fire_ef_ch4", "forest", 4.7, 100 * 1.96 * 1.9 / 4.7, "mean_pm_sd", 2.8, 6.6),
        # asymmetric range: triangular
        _factor("carbon_fraction_biomass", "temperate_all", 0.47, 100 * 0.02 / 0.47, "range",
                0.47, 0.49),
        _factor("bcef_s", "hardwoods_lt20", 3.0, 100 * 1.5 / 3.0, "range", 0.8, 4.5),
    ]
)


def _terms(rows: list[tuple]) -> pd.DataFrame:
    """(year, land_class, factor_keys, sampling_key, sampling_df, coef_co2e_t) rows."""
    return pd.DataFrame(
        rows,
        columns=["year", "land_class", "factor_keys", "sampling_key", "sampling_df", "coef_co2e_t"],
    )


def _half_width(x: np.ndarray) -> float:
    lo, hi = np.percentile(x, [2.5, 97.5])
    return (hi - lo) / 2.0


def _rel(mc, parameter: str, stratum: str, n: int = N) -> np.ndarray:
    """The relative draws x*/x the model uses for one factor key."""
    row = FACTORS[(FACTORS.parameter == parameter) & (FACTORS.stratum == stratum)].iloc[0]
    key = f"{parameter}|{stratum}"
    return mc.draw_factor(key, mc.factor_pdf(row.to_dict()), n, SEED)


def test_a_product_of_factors_is_re_evaluated_not_linearised(mc) -> None:
    # Fire CH4 = A x M_B*C_f x G_ef x GWP: 1,000 t CO2e at the estimate, an emission (-1000).
    # Per draw the model is -1000 x (fuel*/fuel) x (EF*/EF), exactly; the first-order version
    # -1000 x ((fuel*/fuel - 1) + (EF*/EF - 1)) misses the cross term and is not what we get.
    terms = _terms(
        [(2025, "forest", "fire_fuel_consumed|wildfire;fire_ef_ch4|forest", None, None, -1000.0)]
    )
    g = (2025, "forest")
    sim = mc.simulate(mc.group_terms(terms), FACTORS, [g], N, SEED)[g]
    fuel = _rel(mc, "fire_fuel_consumed", "wildfire")
    ef = _rel(mc, "fire_ef_ch4", "forest")
    assert sim.central == -1000.0
    assert np.allclose(sim.dev, -1000.0 * (fuel * ef - 1.0), rtol=0, atol=1e-9)
    linear = -1000.0 * ((fuel - 1.0) + (ef - 1.0))
    assert not np.allclose(sim.dev, linear, rtol=0, atol=1.0)
    # both lognormal with mean 1, independent: the product keeps the mean (E[xy] = 1) and has the
    # variance (1 + v_f)(1 + v_e) - 1 > v_f + v_e of the first-order sum
    assert abs(sim.dev.mean()) < 0.03 * 1000
    assert sim.dev.var() > linear.var()


def test_the_same_factor_at_both_cycles_of_a_stock_difference_cancels(mc) -> None:
    # A stock difference (C_t2 - C_t1) x 44/12 with C = V x BCEF_S x CF at both cycles: the
    # products +1000 and -900 t CO2e share their keys, so only the change (100) carries the
    # factors' uncertainty: dev = 100 x (BCEF*/BCEF x CF*/CF - 1), not +-1000 each.
    keys = "carbon_fraction_biomass|temperate_all;bcef_s|hardwoods_lt20"
    terms = _terms([(2025, "forest", keys, None, None, 1000.0),
                    (2025, "forest", keys, None, None, -900.0)])
    g = (2025, "forest")
    sim = mc.simulate(mc.group_terms(terms), FACTORS, [g], N, SEED)[g]
    cf = _rel(mc, "carbon_fraction_biomass", "temperate_all")
    bcef = _rel(mc, "bcef_s", "hardwoods_lt20")
    assert sim.central == pytest.approx(100.0)
    assert np.allclose(sim.dev, 100.0 * (cf * bcef - 1.0), rtol=0, atol=1e-6)
    assert _half_width(sim.dev) < 100.0


def test_sampling_errors_are_student_t_with_their_degrees_of_freedom(mc) -> None:
    # One stratum estimate, SE worth 100 t CO2e: the 95 % half-width is t(0.975, df) x 100:
    # 3.182 x 100 for 4 plots (df 3), 12.706 x 100 for 2 plots (df 1), 1.96 x 100 without df.
    g = (2025, "forest")
    for df, t975, rel in ((3, 3.182446, 0.03), (1, 12.706205, 0.10), (None, 1.959964, 0.03)):
        terms = _terms([(2025, "forest", "", f"forest_stock|s{df}|2025", df, 100.0)])
        sim = mc.simulate(mc.group_terms(terms), FACTORS, [g], N, SEED)[g]
        assert sim.central == 0.0
        assert _half_width(sim.dev) == pytest.approx(t975 * 100.0, rel=rel), df
        assert sim.min_df == (None if df is None else float(df))


def test_symmetric_normal_inputs_in_a_linear_sum_reproduce_approach_1(mc) -> None:
    # A grassland soil-carbon gain: SOC_REF x F_MG,nominal (exact) 7883.405 minus SOC_REF x
    # F_MG,heavy 0.9 x 7883.405 = 788.3405 t CO2e; plus two sampling errors of SE 153.06 and
    # 204.08 t CO2e (normal: no df). First order (Approach 1): SOC_REF 788.3405 x 8 % = 63.07,
    # F_MG -7095.0645 x 7.78 % = -551.84, sampling 1.96 x SE = 300 and 400:
    # sqrt(63.07^2 + 551.84^2 + 300^2 + 400^2) = 747.3 t CO2e. The product SOC_REF x F_MG adds a
    # cross term of second order only (8 % x 7.8 %), so the Monte Carlo interval is the same.
    terms = _terms(
        [
            (2025, "grassland", "soc_ref_0_30cm|HAC;soc_factor_FMG|nominal", None, None, 7883.405),
            (2025, "grassland", "soc_ref_0_30cm|HAC;soc_factor_FMG|hig", None, None,
             -0.9 * 7883.405),
            (2025, "grassland", "", "sampling|a|2025", None, 300.0 / 1.959964),
            (2025, "grassland", "", "sampling|b|2025", None, 400.0 / 1.959964),
        ]
    )
    a1 = math.sqrt((788.3405 * 0.08) ** 2 + (7095.0645 * 0.07 / 0.9) ** 2 + 300.0**2 + 400.0**2)
    assert a1 == pytest.approx(747.3, abs=0.1)
    g = (2025, "grassland")
    sim = mc.simulate(mc.group_terms(terms), FACTORS, [g], N, SEED)[g]
    assert sim.central == pytest.approx(788.3405)
    assert _half_width(sim.dev) == pytest.approx(a1, rel=0.03)
    assert abs(sim.dev.mean()) < 0.03 * a1


def test_a_shared_key_is_one_draw_in_every_group(mc) -> None:
    # The same factor in two years and two land classes: fully correlated (the 'all' row of a
    # year adds its classes linearly for a shared key, in quadrature for independent ones).
    terms = _terms(
        [
            (2024, "wetland", "soc_ref_0_30cm|HAC", None, None, 100.0 / 0.08),
            (2025, "wetland", "soc_ref_0_30cm|HAC", None, None, 300.0 / 0.08),
            (2025, "forest", "soc_ref_0_30cm|HAC", None, None, 200.0 / 0.08),
            (2025, "forest", "", "sampling|x|2025", None, 200.0 / 1.959964),
        ]
    )
    groups = [(2024, "wetland"), (2025, "wetland"), (2025, "forest"), (2025, "all")]
    sims = mc.simulate(mc.group_terms(terms), FACTORS, groups, N, SEED)
    assert np.allclose(sims[(2025, "wetland")].dev, 3.0 * sims[(2024, "wetland")].dev)
    # all 2025 = (300 + 200) x d_HAC + 200 x d_sampling: sqrt(500^2 + 200^2) = 538.5
    assert _half_width(sims[(2025, "all")].dev) == pytest.approx(math.hypot(500.0, 200.0),
                                                                 rel=0.03)


def test_skewed_pdfs_give_skewed_intervals(mc) -> None:
    # wetland CH4 (an emission, -1000 t CO2e) at +-90 %: lognormal, never below -100 % of it
    terms = _terms([(2025, "wetland", "wetland_ch4_ef|iwms", None, None, -1000.0)])
    g = (2025, "wetland")
    dev = mc.simulate(mc.group_terms(terms), FACTORS, [g], N, SEED)[g].dev
    lo, hi = np.percentile(dev, [2.5, 97.5])
    assert dev.max() < 1000.0  # the emission cannot turn into a removal
    assert -lo > hi  # the long tail is towards larger emissions
    assert abs(dev.mean()) < 0.03 * 900  # mean-preserving
    # CF 0.47 in 0.47-0.49: triangular, only upwards, mean (0.47 + 0.47 + 0.49) / 3
    cf = "carbon_fraction_biomass|temperate_all"
    terms = _terms([(2025, "forest", cf, None, None, 10_000.0)])
    g = (2025, "forest")
    dev = mc.simulate(mc.group_terms(terms), FACTORS, [g], N, SEED)[g].dev
    assert dev.min() >= -1e-9
    assert dev.mean() == pytest.approx(10_000.0 * (0.02 / 3) / 0.47, rel=0.03)


def test_exact_factors_do_not_vary_and_unknown_factors_are_an_error(mc) -> None:
    g = (2025, "grassland")
    terms = _terms([(2025, "grassland", "soc_factor_FMG|nominal", None, None, 500.0)])
    sim = mc.simulate(mc.group_terms(terms), FACTORS, [g], 5000, SEED)[g]
    assert sim.central == 500.0 and not sim.dev.any()
    terms = _terms([(2025, "grassland", "soc_factor_FMG|typo", None, None, 500.0)])
    with pytest.raises(ValueError, match="soc_factor_FMG|typo"):
        mc.simulate(mc.group_terms(terms), FACTORS, [g], 5000, SEED)


def test_mean_and_sd_are_only_reported_where_they_exist(mc) -> None:
    dev = np.array([-1.0, 0.0, 1.0, 2.0])
    assert mc.summarise(10.0, dev, None)["mc_sd_co2e_t"] is not None
    two_plots = mc.summarise(10.0, dev, 1.0)  # t with df 1: no mean, no variance
    assert two_plots["mc_mean_co2e_t"] is None and two_plots["mc_sd_co2e_t"] is None
    three_plots = mc.summarise(10.0, dev, 2.0)  # df 2: a mean, no variance
    assert three_plots["mc_mean_co2e_t"] == 10.5 and three_plots["mc_sd_co2e_t"] is None
    assert three_plots["mc_p50_co2e_t"] == 10.5


def test_same_seed_same_draws_other_seed_other_draws(mc) -> None:
    terms = mc.group_terms(_terms([(2025, "forest", "", "sampling|x|2025", 4, 100.0)]))
    g = (2025, "forest")
    a = mc.simulate(terms, FACTORS, [g], 5000, SEED)[g].dev
    b = mc.simulate(terms, FACTORS, [g], 5000, SEED)[g].dev
    c = mc.simulate(terms, FACTORS, [g], 5000, SEED + 1)[g].dev
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    # a key's draws do not depend on which other keys exist
    more = mc.group_terms(
        _terms(
            [
                (2025, "forest", "", "sampling|x|2025", 4, 100.0),
                (2024, "forest", "", "sampling|y|2024", 4, 50.0),
                (2024, "forest", "bcef_s|hardwoods_lt20", None, None, 50.0),
            ]
        )
    )
    assert np.array_equal(mc.simulate(more, FACTORS, [g], 5000, SEED)[g].dev, a)


def test_a_factor_whose_range_reaches_below_zero_is_drawn_normal(mc) -> None:
    # Rewetted organic soil CO2-C EF (WS13 Ch3 Table 3.1): 0.50 t C/ha/yr in -0.71 to 1.71, a
    # symmetric range of +-242 %. A lognormal could never change sign; the soil can be a sink or a
    # source, so the relative draw is normal with SD = U / 1.96 and goes below 0.
    row = _factor("wetland_co2_c_ef", "rewetted", 0.50, 100 * 1.21 / 0.50, "range", -0.71, 1.71)
    kind, par = mc.factor_pdf(row)
    assert kind == "normal"
    assert par[0] == 1.0
    assert math.isclose(par[1], 2.42 / mc.Z95, rel_tol=1e-9)
    x = mc.draw_factor("wetland_co2_c_ef|rewetted", (kind, par), N, SEED)
    assert (x < 0).mean() > 0.1
    # the range in EF units is reproduced: 95 % of 0.5 x draws within -0.71 to 1.71
    lo, hi = np.percentile(0.5 * x, [2.5, 97.5])
    assert abs(lo + 0.71) < 0.05 and abs(hi - 1.71) < 0.05
    # the IWMS CH4 EF (+-90 %, no range below zero) stays lognormal
    assert mc.factor_pdf(_factor("wetland_ch4_ef", "iwms", 235.0, 90.0, "assumed_pct95"))[0] == (
        "lognormal"
    )


# --- reuse of the previous draws (issue #17) ----------------------------------------------------
# The model runs in dbt (dbt run of this one model) on a DuckDB file that holds hand-made input
# tables, the way a nightly build finds the published tables in its copy of the warehouse.


def test_fingerprint_ignores_row_order_and_sees_any_change(mc) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("create table a as select * from (values (1, 'x', 0.1), (2, 'y', 0.2), "
                "(2, 'y', 0.2)) t(k, s, v)")
    con.execute("create table b as select * from a order by k desc")
    con.execute("create table c as select * from (values (1, 'x', 0.1), (2, 'y', 0.2)) t(k, s, v)")
    con.execute("create table d as select k, s, v + 1e-15 as v from a")
    fp = {t: mc.relation_fingerprint(con.query(f"select * from {t}")) for t in "abcd"}
    assert fp["a"] == fp["b"]  # same rows, other order
    assert fp["a"] != fp["c"]  # a duplicate row dropped
    assert fp["a"]["md5"] != fp["d"]["md5"]  # the last bits of a double
    assert mc.inputs_fingerprint({"t": con.query("select * from a")}, {"mc_seed": 1}) != (
        mc.inputs_fingerprint({"t": con.query("select * from a")}, {"mc_seed": 2}))


def _write_inputs(db, coef_wetland: float = -1000.0) -> None:
    import duckdb

    con = duckdb.connect(str(db))
    try:
        con.register("f", FACTORS)
        con.execute("create or replace table int_factors_uncertainty as select * from f")
        terms = _terms(
            [
                (2024, "grassland", "soc_ref_0_30cm|HAC;soc_factor_FMG|hig", None, None, -700.0),
                (2024, "grassland", "soc_ref_0_30cm|HAC;soc_factor_FMG|nominal", None, None,
                 1500.0),
                (2025, "forest", "carbon_fraction_biomass|temperate_all;bcef_s|hardwoods_lt20",
                 None, None, 2000.0),
                (2025, "forest", "", "forest_stock|s|2025", 3, 150.0),
                (2025, "wetland", "wetland_ch4_ef|iwms", None, None, coef_wetland),
            ]
        )
        con.register("t", terms)
        con.execute("create or replace table int_sink_mc_terms as select year::integer as year, "
                    "land_class, factor_keys, sampling_key, sampling_df::double as sampling_df, "
                    "coef_co2e_t from t")
        city = pd.DataFrame(
            [(2024, "all", 800.0), (2024, "grassland", 800.0), (2025, "all", 2000.0 + coef_wetland),
             (2025, "forest", 2000.0), (2025, "wetland", coef_wetland)],
            columns=["year", "land_class", "net_sink_co2e_t"],
        )
        city["net_sink_u95_co2e_t"] = 100.0
        city["net_sink_ci95_low_co2e_t"] = city["net_sink_co2e_t"] - 100.0
        city["net_sink_ci95_high_co2e_t"] = city["net_sink_co2e_t"] + 100.0
        con.register("c", city)
        con.execute("create or replace table fct_city_annual_sink as "
                    "select year::integer as year, * exclude (year) from c")
    finally:
        con.close()


def _table(db) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select * from fct_city_sink_uncertainty "
                           "order by year, land_class").df()
    finally:
        con.close()


def _tamper(db) -> None:
    """Mark the stored rows (a value no draw gives) to see whether the next build kept them."""
    import duckdb

    con = duckdb.connect(str(db))
    try:
        con.execute("update fct_city_sink_uncertainty set mc_p50_co2e_t = -123456.0")
    finally:
        con.close()


def test_unchanged_inputs_reuse_the_previous_draws(home, tmp_path, mc) -> None:
    from orchestration.pipeline import run_dbt

    db = tmp_path / "build.duckdb"
    _write_inputs(db)
    run = ["run", "--select", "fct_city_sink_uncertainty"]
    out = run_dbt(run, db, home)
    assert "fct_city_sink_uncertainty: drawing" in out
    first = _table(db)
    assert len(first) == 5 and first["mc_draws"].eq(5000).all()
    assert first["mc_inputs_sha256"].nunique() == 1

    # unchanged inputs: the stored rows come back as they are, not drawn again
    out = run_dbt(run, db, home)
    assert "inputs unchanged" in out and "reusing the previous draws" in out
    pd.testing.assert_frame_equal(_table(db), first)
    _tamper(db)
    run_dbt(run, db, home)
    assert _table(db)["mc_p50_co2e_t"].eq(-123456.0).all()  # kept: nothing was drawn

    # a new draw (no previous table) gives the very rows that were reused: byte-identical
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("drop table fct_city_sink_uncertainty")
    con.close()
    out = run_dbt(run, db, home)
    assert "fct_city_sink_uncertainty: drawing" in out
    pd.testing.assert_frame_equal(_table(db), first, check_exact=True)

    # a changed input row: drawn again, with another fingerprint
    _tamper(db)
    _write_inputs(db, coef_wetland=-1100.0)
    out = run_dbt(run, db, home)
    assert "fct_city_sink_uncertainty: drawing" in out
    changed = _table(db)
    assert not changed["mc_p50_co2e_t"].eq(-123456.0).any()
    assert changed["mc_inputs_sha256"].iloc[0] != first["mc_inputs_sha256"].iloc[0]
    unchanged_rows = changed["land_class"].eq("grassland") | changed["year"].eq(2024)
    pd.testing.assert_frame_equal(  # the 2024 rows do not depend on the changed term
        changed[unchanged_rows].drop(columns="mc_inputs_sha256").reset_index(drop=True),
        first[unchanged_rows].drop(columns="mc_inputs_sha256").reset_index(drop=True))
    assert changed.loc[changed["land_class"].eq("wetland"), "mc_p50_co2e_t"].iloc[0] != (
        first.loc[first["land_class"].eq("wetland"), "mc_p50_co2e_t"].iloc[0])

    # another seed: drawn again
    _tamper(db)
    out = run_dbt([*run, "--vars", f"{{mc_seed: {SEED + 1}}}"], db, home)
    assert "fct_city_sink_uncertainty: drawing" in out
    assert not _table(db)["mc_p50_co2e_t"].eq(-123456.0).any()
