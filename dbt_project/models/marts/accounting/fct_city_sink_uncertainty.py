"""IPCC Approach 2 (Monte Carlo, IPCC 2006 Vol 1 Ch 3 s3.2.3.2) for the city net sink, beside
the Approach 1 result of fct_city_annual_sink: one row per year x land class, plus 'all'.

Inputs are exactly those of Approach 1: the signed 95 % half-widths of int_sink_uncertainty_terms
(one per component x input) and the factor PDFs of int_factors_uncertainty. Each uncertainty key is
one random input, drawn ONCE per iteration and shared by every stratum, parcel, year and land class
that uses it (a factor such as the carbon fraction of temperate conifers, an SOC_REF or F_MG, the
wetland CH4 EF: fully correlated wherever used); different keys are independent (sampling errors
of different strata and cycles, different factors). Per iteration the net sink of a group is

    estimate + sum_k  u95_k x d_k,      d_k = (x_k* / x_k - 1) / U_k

with u95_k the group's summed half-width of key k, U_k the factor's 95 % relative half-width and
x_k* / x_k the drawn relative value of the input. This is first order in each input (as the
Approach 1 terms are) but uses each input's own PDF:

* sampling keys: normal, SD = u95 / 1.96 (design-based stratum estimates); likewise the pooled
  factor keys that stand for several factor rows at once (the volume route's city-wide
  `factor|bcef_s|temperate` and `factor|root_shoot|temperate_asia`, whose terms already carry
  each plot's own class half-width);
* factors with a 95 % half-width (pct95, assumed_pct95, sd, se, mean_pm_sd, a symmetric range):
  normal with SD = U / 1.96 when U <= 50 %; lognormal with the same mean and SD above that (large
  IPCC defaults such as the ±90 % IWMS CH4 EF or a ±62 % fuel load cannot go negative);
* factors given as an asymmetric range (range/ci95 whose low and high are not equidistant from
  the value, e.g. CF 0.47 in 0.47-0.49): triangular(low, mode = value, high).

Deterministic: each key has its own generator seeded from (mc_seed, sha256(key)), so the draws of
a key do not depend on which other keys exist; sums run in a fixed key order without BLAS; the
outputs are rounded like every mart measure (3 decimals). Vars: monte_carlo (true), mc_draws (5000,
at least 5000), mc_seed. With monte_carlo false the Approach 1 columns are kept and the Monte Carlo
columns are null.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
MIN_DRAWS = 5000
#: Above this 95 % relative half-width a factor is drawn from a lognormal instead of a normal.
LOGNORMAL_ABOVE_U = 0.5
DIGITS = 3


def key_rng(seed: int, key: str) -> np.random.Generator:
    """Generator of one uncertainty key: its draws depend on (seed, key) only."""
    h = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng([int(seed), h])


def factor_pdf(row: dict) -> tuple[str, tuple[float, ...]]:
    """The PDF of a factor as (kind, parameters of the RELATIVE value x*/x)."""
    value = float(row["value"])
    u = float(row["u95_pct"]) / 100.0
    low, high = row.get("low"), row.get("high")
    kind = row.get("uncertainty_type")
    if (
        kind in ("range", "ci95")
        and low is not None
        and high is not None
        and not (pd.isna(low) or pd.isna(high))
    ):
        lo, hi = float(low) / value, float(high) / value
        if abs((hi - 1.0) - (1.0 - lo)) > 1e-9:
            return "triangular", (lo, 1.0, hi)
    sd = u / Z95
    if u <= LOGNORMAL_ABOVE_U:
        return "normal", (1.0, sd)
    sigma2 = float(np.log1p(sd * sd))
    return "lognormal", (-sigma2 / 2.0, float(np.sqrt(sigma2)))


def draw_standardised(
    key: str, pdf: tuple[str, tuple[float, ...]] | None, u: float | None, n: int, seed: int
) -> np.ndarray:
    """d_k for n iterations: the input's deviation in units of its 95 % half-width."""
    rng = key_rng(seed, key)
    if pdf is None:  # a sampling error: normal
        return rng.standard_normal(n) / Z95
    kind, par = pdf
    if kind == "normal":
        rel = rng.normal(par[0], par[1], n)
    elif kind == "lognormal":
        rel = rng.lognormal(par[0], par[1], n)
    else:
        rel = rng.triangular(par[0], par[1], par[2], n)
    return (rel - 1.0) / u


def simulate(
    terms: pd.DataFrame, factors: pd.DataFrame, groups: list[tuple], n: int, seed: int
) -> dict[tuple, np.ndarray]:
    """Deviation of the net sink from its estimate, per group and iteration.

    ``terms`` has ``group`` (a (year, land_class) tuple), ``uncertainty_key`` and
    ``key_u95_co2e_t`` (:func:`group_terms`); ``factors`` has parameter, stratum, value, low,
    high, uncertainty_type, u95_pct (int_factors_uncertainty)."""
    fac = {(r["parameter"], r["stratum"]): r for r in factors.to_dict("records")}
    keys = sorted(terms["uncertainty_key"].unique())
    draws: dict[str, np.ndarray] = {}
    for key in keys:
        row = None
        if key.startswith("factor|"):
            _, parameter, stratum = key.split("|", 2)
            row = fac.get((parameter, stratum))
        if row is not None:
            draws[key] = draw_standardised(
                key, factor_pdf(row), float(row["u95_pct"]) / 100.0, n, seed
            )
        else:
            # a sampling error, or a pooled factor key whose half-widths already mix several
            # factor rows (the volume route's city-wide BCEF_S and R keys): normal
            draws[key] = draw_standardised(key, None, None, n, seed)
    out: dict[tuple, np.ndarray] = {}
    by_group = {g: df for g, df in terms.groupby("group", sort=True)}
    for g in groups:
        dev = np.zeros(n)
        df = by_group.get(g)
        if df is not None:
            for key, u95 in sorted(zip(df["uncertainty_key"], df["key_u95_co2e_t"], strict=True)):
                dev += u95 * draws[key]
        out[g] = dev
    return out


def group_terms(terms: pd.DataFrame) -> pd.DataFrame:
    """Key half-widths per (year, land_class) and per (year, 'all'), correlated terms summed."""
    years = terms["year"].astype(int)
    by_class = terms.assign(group=list(zip(years, terms["land_class"], strict=True)))
    all_classes = terms.assign(group=[(y, "all") for y in years])
    both = pd.concat([by_class, all_classes], ignore_index=True)
    # a fixed summation order and 6 decimals: the view's row order does not change a bit
    both = both.sort_values(["group", "uncertainty_key", "u95_co2e_t"], kind="mergesort")
    out = (
        both.groupby(["group", "uncertainty_key"], sort=True)["u95_co2e_t"]
        .sum()
        .rename("key_u95_co2e_t")
        .reset_index()
    )
    out["key_u95_co2e_t"] = out["key_u95_co2e_t"].round(6)
    return out


def summarise(estimate: float, dev: np.ndarray) -> dict[str, float]:
    x = estimate + dev
    p = np.percentile(x, [2.5, 50.0, 97.5])
    return {
        "mc_mean_co2e_t": round(float(x.mean()), DIGITS),
        "mc_sd_co2e_t": round(float(x.std(ddof=1)), DIGITS),
        "mc_p2_5_co2e_t": round(float(p[0]), DIGITS),
        "mc_p50_co2e_t": round(float(p[1]), DIGITS),
        "mc_p97_5_co2e_t": round(float(p[2]), DIGITS),
    }


def _flag(value: object) -> bool:
    return str(value).strip().lower() not in ("false", "0", "no", "off", "none", "")


def model(dbt, session):
    dbt.config(materialized="table")
    enabled = _flag(dbt.config.get("monte_carlo"))
    n = int(dbt.config.get("mc_draws"))
    seed = int(dbt.config.get("mc_seed"))
    if enabled and n < MIN_DRAWS:
        raise ValueError(f"mc_draws = {n}: Approach 2 needs at least {MIN_DRAWS} draws")

    city = dbt.ref("fct_city_annual_sink").df()
    terms = dbt.ref("int_sink_uncertainty_terms").df()
    factors = dbt.ref("int_factors_uncertainty").df()

    city = city.sort_values(["year", "land_class"]).reset_index(drop=True)
    groups = [(int(y), lc) for y, lc in zip(city["year"], city["land_class"], strict=True)]
    grouped = group_terms(terms)
    devs = simulate(grouped, factors, groups, n, seed) if enabled else {}
    n_keys = grouped.groupby("group")["uncertainty_key"].nunique().to_dict()

    rows = []
    for rec, g in zip(city.to_dict("records"), groups, strict=True):
        est = float(rec["net_sink_co2e_t"])
        row = {
            "year": g[0],
            "land_class": g[1],
            "net_sink_co2e_t": est,
            "a1_u95_co2e_t": rec["net_sink_u95_co2e_t"],
            "a1_ci95_low_co2e_t": rec["net_sink_ci95_low_co2e_t"],
            "a1_ci95_high_co2e_t": rec["net_sink_ci95_high_co2e_t"],
            "n_uncertainty_keys": int(n_keys.get(g, 0)),
        }
        if enabled:
            row.update(summarise(est, devs[g]))
            row["mc_half_width_co2e_t"] = round(
                (row["mc_p97_5_co2e_t"] - row["mc_p2_5_co2e_t"]) / 2.0, DIGITS
            )
            row["mc_draws"], row["mc_seed"] = n, seed
        else:
            for c in (
                "mc_mean_co2e_t",
                "mc_sd_co2e_t",
                "mc_p2_5_co2e_t",
                "mc_p50_co2e_t",
                "mc_p97_5_co2e_t",
                "mc_half_width_co2e_t",
            ):
                row[c] = None
            row["mc_draws"], row["mc_seed"] = None, None
        row["method"] = "ipcc_approach2_monte_carlo" if enabled else "approach1_only"
        row["sign_convention"] = "removal_positive"
        rows.append(row)
    out = pd.DataFrame(rows)
    float_cols = [c for c in out.columns if c.endswith("_co2e_t")]
    out[float_cols] = out[float_cols].astype("float64")
    for c in ("mc_draws", "mc_seed"):
        out[c] = out[c].astype("Int64")
    return out
