"""IPCC Approach 2 (dbt Python model fct_city_sink_uncertainty) on hand-made inputs: with every
input symmetric and independent the Monte Carlo 95 % interval is the Approach 1 interval; a key
shared by two groups is one draw (correlated); skewed PDFs give skewed intervals; same seed, same
figures. The model's functions are loaded from the model file itself (no dbt needed)."""

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


FACTORS = pd.DataFrame(
    [
        # symmetric 95 % half-widths: normal
        {
            "parameter": "soc_ref_0_30cm",
            "stratum": "HAC",
            "value": 43.0,
            "low": None,
            "high": None,
            "uncertainty_type": "pct95",
            "u95_pct": 8.0,
        },
        {
            "parameter": "soc_factor_FMG",
            "stratum": "hig",
            "value": 0.90,
            "low": 0.83,
            "high": 0.97,
            "uncertainty_type": "range",
            "u95_pct": 100 * 0.07 / 0.90,
        },
        # large: lognormal; asymmetric range: triangular
        {
            "parameter": "wetland_ch4_ef",
            "stratum": "iwms",
            "value": 235.0,
            "low": None,
            "high": None,
            "uncertainty_type": "assumed_pct95",
            "u95_pct": 90.0,
        },
        {
            "parameter": "carbon_fraction_biomass",
            "stratum": "temperate_all",
            "value": 0.47,
            "low": 0.47,
            "high": 0.49,
            "uncertainty_type": "range",
            "u95_pct": 100 * 0.02 / 0.47,
        },
    ]
)


def _terms(rows: list[tuple[int, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["year", "land_class", "uncertainty_key", "u95_co2e_t"])


def _half_width(x: np.ndarray) -> float:
    lo, hi = np.percentile(x, [2.5, 97.5])
    return (hi - lo) / 2.0


def test_symmetric_independent_inputs_reproduce_approach_1(mc) -> None:
    # A grassland soil-carbon gain of 788.3405 t CO2e (1,000 ha, nominal after heavy grazing):
    # SOC_REF term 788.3405 x 8 % = 63.07; F_MG term -(43 x 1000 / 20 x 3.6667) x 0.90 x 7.78 %
    # = -7883.405 x 0.07 = -551.84; plus two independent sampling terms of 300 and 400 t CO2e.
    # Approach 1: sqrt(63.07^2 + 551.84^2 + 300^2 + 400^2) = sqrt(558,505) = 747.3 t CO2e.
    terms = _terms(
        [
            (2025, "grassland", "factor|soc_ref_0_30cm|HAC", 788.3405 * 0.08),
            (2025, "grassland", "factor|soc_factor_FMG|hig", -7883.405 * 0.07),
            (2025, "grassland", "sampling|a|s1|2025", 300.0),
            (2025, "grassland", "sampling|b|s2|2025", 400.0),
        ]
    )
    a1 = math.sqrt((788.3405 * 0.08) ** 2 + (7883.405 * 0.07) ** 2 + 300.0**2 + 400.0**2)
    assert a1 == pytest.approx(747.3, abs=0.1)
    g = (2025, "grassland")
    dev = mc.simulate(mc.group_terms(terms), FACTORS, [g], N, SEED)[g]
    assert _half_width(dev) == pytest.approx(a1, rel=0.03)
    assert abs(dev.mean()) < 0.03 * a1  # MC mean = estimate
    assert dev.std(ddof=1) == pytest.approx(a1 / 1.96, rel=0.03)


def test_a_shared_key_is_one_draw_in_every_group(mc) -> None:
    # The same factor in two years: fully correlated (the 'all' row of a year adds its classes
    # linearly for a shared key, in quadrature for independent ones).
    terms = _terms(
        [
            (2024, "wetland", "factor|soc_ref_0_30cm|HAC", 100.0),
            (2025, "wetland", "factor|soc_ref_0_30cm|HAC", 300.0),
            (2025, "forest", "factor|soc_ref_0_30cm|HAC", 200.0),
            (2025, "forest", "sampling|x|s|2025", 200.0),
        ]
    )
    groups = [(2024, "wetland"), (2025, "wetland"), (2025, "forest"), (2025, "all")]
    dev = mc.simulate(mc.group_terms(terms), FACTORS, groups, N, SEED)
    assert np.allclose(dev[(2025, "wetland")], 3.0 * dev[(2024, "wetland")])
    # all 2025 = (300 + 200) x d_HAC + 200 x d_sampling: sqrt(500^2 + 200^2) = 538.5
    assert _half_width(dev[(2025, "all")]) == pytest.approx(math.hypot(500.0, 200.0), rel=0.03)


def test_skewed_pdfs_give_skewed_intervals(mc) -> None:
    # wetland CH4 (an emission: negative term) at ±90 %: lognormal, never below -100 % of it
    terms = _terms([(2025, "wetland", "factor|wetland_ch4_ef|iwms", -1000.0 * 0.90)])
    g = (2025, "wetland")
    dev = mc.simulate(mc.group_terms(terms), FACTORS, [g], N, SEED)[g]
    lo, hi = np.percentile(dev, [2.5, 97.5])
    assert dev.max() < 1000.0  # the emission cannot turn into a removal
    assert -lo > hi  # the long tail is towards larger emissions
    assert abs(dev.mean()) < 0.03 * 900  # mean-preserving
    # CF 0.47 in 0.47-0.49: triangular, only upwards, mean (0.47 + 0.47 + 0.49) / 3
    terms = _terms(
        [(2025, "forest", "factor|carbon_fraction_biomass|temperate_all", 10_000.0 * 0.02 / 0.47)]
    )
    g = (2025, "forest")
    dev = mc.simulate(mc.group_terms(terms), FACTORS, [g], N, SEED)[g]
    assert dev.min() >= -1e-9
    assert dev.mean() == pytest.approx(10_000.0 * (0.02 / 3) / 0.47, rel=0.03)


def test_same_seed_same_draws_other_seed_other_draws(mc) -> None:
    terms = mc.group_terms(_terms([(2025, "forest", "sampling|x|s|2025", 100.0)]))
    g = (2025, "forest")
    a = mc.simulate(terms, FACTORS, [g], 5000, SEED)[g]
    b = mc.simulate(terms, FACTORS, [g], 5000, SEED)[g]
    c = mc.simulate(terms, FACTORS, [g], 5000, SEED + 1)[g]
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    # a key's draws do not depend on which other keys exist
    more = mc.group_terms(
        _terms(
            [
                (2025, "forest", "sampling|x|s|2025", 100.0),
                (2024, "forest", "sampling|y|s|2024", 50.0),
            ]
        )
    )
    assert np.array_equal(mc.simulate(more, FACTORS, [g], 5000, SEED)[g], a)


def test_pooled_factor_key_without_a_factor_row_is_drawn_normal(mc) -> None:
    # The volume route's BCEF_S terms share one city-wide key (factor|bcef_s|temperate) that
    # stands for several Table 4.5 rows: no single factor row, so a normal draw whose 95 %
    # half-width is the key's summed term, and one draw shared by both land-class groups.
    terms = _terms(
        [
            (2025, "forest", "factor|bcef_s|temperate", 1000.0),
            (2025, "forest", "factor|bcef_s|temperate", 500.0),
        ]
    )
    g = (2025, "forest")
    dev = mc.simulate(mc.group_terms(terms), FACTORS, [g], N, SEED)[g]
    assert _half_width(dev) == pytest.approx(1500.0, rel=0.03)
    assert abs(np.median(dev)) < 0.03 * 1500.0
