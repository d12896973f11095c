"""IPCC Approach 2 (Monte Carlo, IPCC 2006 Vol 1 Ch 3 s3.2.3.2) for the city net sink, beside
the Approach 1 result of fct_city_annual_sink: one row per year x land class, plus 'all'.

The model is re-evaluated per draw. int_sink_mc_terms writes the net sink of each group as a sum
of products of its uncertain inputs,

    net = sum_j c_j x prod_{k in K_j} (x_k* / x_k)  +  sum_s c_s x T_s

(c_j in t CO2e at the estimate; K_j the factors of product j: CF, BCEF_S, R, SOC_REF, F_MG, F_I,
fuel consumed, combustion factor, emission factors, fd; c_s the sink's change for one standard
error of sampling estimate s). Per iteration every factor is drawn from its PDF as a relative
value x*/x and every sampling estimate (a stratum mean of one cycle or period, a tree mean) as a
Student-t deviate with its degrees of freedom, and the sum is evaluated: products of factors, the
same factor in several
places (both cycles of a stock difference, every parcel of a stratum, every year) and the
t-distributed errors of strata with few plots are honoured, not linearised. At x* = x and T = 0 the
sum is the estimate (mc_model_at_estimate_co2e_t; dbt test
assert_monte_carlo_model_reproduces_the_estimate).

PDFs (int_factors_uncertainty):

* sampling keys: Student's t with the estimate's df (n - 1, or the collapsed group's), scaled by
  its SE; normal where no df is known;
* factors with a 95 % half-width (pct95, assumed_pct95, sd, se, mean_pm_sd, a symmetric range):
  normal with SD = U / 1.96 when U <= 50 %; lognormal with the same mean and SD above that (large
  IPCC defaults such as the ±90 % IWMS CH4 EF cannot go negative), except a factor whose range
  reaches below zero (the rewetted organic soil CO2-C EF, -0.71 to 1.71): normal, it can change
  sign;
* factors given as an asymmetric range (range/ci95 whose low and high are not equidistant from
  the value, e.g. CF 0.47 in 0.47-0.49, BCEF_S 3.0 in 0.8-4.5): triangular(low, mode = value, high);
* exact factors (U = 0) and factors without a known uncertainty: their value.

Deterministic: each key has its own generator seeded from (mc_seed, sha256(key)), so the draws of
a key do not depend on which other keys exist; sums run in a fixed order without BLAS; outputs are
rounded like every mart measure (3 decimals). Vectorised over the draws with numpy (seconds for
5,000 draws). A t deviate with df 1 (a stratum of 2 plots) has no mean and with df 2 no variance:
where a group depends on one, mc_mean / mc_sd are null and the percentiles are the result. Vars:
monte_carlo (true), mc_draws (5000, at least 5000), mc_seed. With monte_carlo false the Approach 1
columns and mc_model_at_estimate_co2e_t are kept and the Monte Carlo columns are null.

Reuse (issue #17): every row carries ``mc_inputs_sha256``, a fingerprint of everything the result
depends on: the three input relations (per relation its columns and types, its row count and an
md5 over the SORTED md5s of its rows as JSON: explicitly ordered, so independent of scan order;
duplicates count; doubles print round-trip), the vars monte_carlo / mc_draws / mc_seed, this
model's own code and the numpy, pandas and Python versions. A nightly build starts from a copy
of the published warehouse, so the previous table (``dbt.this``, still in place while the model
runs: dbt-duckdb builds into a temporary relation and swaps it in afterwards) is there; when all
its rows carry the same fingerprint, its rows are returned as they are instead of drawing again
(the draws are seeded, so they are the rows a new draw gives: tests/test_monte_carlo.py checks
it). A full refresh starts from an empty file and always draws. The decision is printed to the
dbt log ("reusing" / "drawing").
"""

from __future__ import annotations

import hashlib
import json
import platform
from typing import NamedTuple

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
MIN_DRAWS = 5000
#: Above this 95 % relative half-width a factor is drawn from a lognormal instead of a normal.
LOGNORMAL_ABOVE_U = 0.5
DIGITS = 3
#: The column that carries the fingerprint of the inputs a result was drawn from.
FINGERPRINT_COLUMN = "mc_inputs_sha256"
#: Where dbt's compiled Python model ends and its own appended code starts.
_DBT_POSTFIX = "# This part is user provided model code"


def key_rng(seed: int, key: str) -> np.random.Generator:
    """Generator of one uncertainty key: its draws depend on (seed, key) only."""
    h = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng([int(seed), h])


def _missing(x: object) -> bool:
    return x is None or bool(pd.isna(x))


def factor_pdf(row: dict) -> tuple[str, tuple[float, ...]] | None:
    """The PDF of a factor's RELATIVE value x*/x as (kind, parameters); None when exact."""
    if _missing(row.get("u95_pct")) or float(row["u95_pct"]) == 0.0:
        return None
    value = float(row["value"])
    u = float(row["u95_pct"]) / 100.0
    low, high = row.get("low"), row.get("high")
    if row.get("uncertainty_type") in ("range", "ci95") and not (_missing(low) or _missing(high)):
        lo, hi = float(low) / value, float(high) / value
        if abs((hi - 1.0) - (1.0 - lo)) > 1e-9:
            return "triangular", (lo, 1.0, hi)
    sd = u / Z95
    # a factor whose stated range reaches below zero (e.g. the rewetted organic soil CO2-C EF,
    # WS13 Table 3.1: 0.50 in -0.71 to 1.71) can change sign: normal, never lognormal
    can_change_sign = not _missing(low) and float(low) < 0.0
    if u <= LOGNORMAL_ABOVE_U or can_change_sign:
        return "normal", (1.0, sd)
    sigma2 = float(np.log1p(sd * sd))
    return "lognormal", (-sigma2 / 2.0, float(np.sqrt(sigma2)))


def draw_factor(key: str, pdf: tuple[str, tuple[float, ...]], n: int, seed: int) -> np.ndarray:
    """n draws of a factor's relative value x*/x (mean 1)."""
    rng = key_rng(seed, key)
    kind, par = pdf
    if kind == "normal":
        return rng.normal(par[0], par[1], n)
    if kind == "lognormal":
        return rng.lognormal(par[0], par[1], n)
    return rng.triangular(par[0], par[1], par[2], n)


def draw_sampling(key: str, df: float | None, n: int, seed: int) -> np.ndarray:
    """n draws of a sampling error in units of its SE: Student's t with df, normal without."""
    rng = key_rng(seed, key)
    if _missing(df):
        return rng.standard_normal(n)
    return rng.standard_t(float(df), n)


def factor_keys(keys: object) -> tuple[str, ...]:
    """'a|x;b|y' -> ('a|x', 'b|y'), sorted, empty parts dropped."""
    if _missing(keys):
        return ()
    return tuple(sorted(k for k in str(keys).split(";") if k))


class Simulation(NamedTuple):
    """One group's Monte Carlo: the model at the estimate's inputs, its deviation from that per
    iteration, and the smallest df of the group's sampling draws (None: no t-distributed draw)."""

    central: float
    dev: np.ndarray
    min_df: float | None


def simulate(
    terms: pd.DataFrame, factors: pd.DataFrame, groups: list[tuple], n: int, seed: int
) -> dict[tuple, Simulation]:
    """Per group: the model at the estimate's inputs and the deviation from it per iteration.

    ``terms`` has ``group`` (a (year, land_class) tuple), ``factor_keys``, ``sampling_key``,
    ``sampling_df`` and ``coef_co2e_t`` (:func:`group_terms`); ``factors`` has parameter, stratum,
    value, low, high, uncertainty_type, u95_pct (int_factors_uncertainty). A factor key without
    a row in ``factors`` is an error (it would silently count as exact)."""
    fac = {f"{r['parameter']}|{r['stratum']}": r for r in factors.to_dict("records")}
    rel: dict[str, np.ndarray | None] = {}
    samp: dict[str, np.ndarray] = {}
    products: dict[tuple[str, ...], np.ndarray | None] = {}

    def product(keys: tuple[str, ...]) -> np.ndarray | None:
        """prod_k x_k*/x_k - 1 over the keys (None when every key is exact)."""
        if keys not in products:
            p = None
            for k in keys:
                if k not in rel:
                    if k not in fac:
                        raise ValueError(
                            f"factor {k!r} of int_sink_mc_terms is not in int_factors_uncertainty"
                        )
                    pdf = factor_pdf(fac[k])
                    rel[k] = None if pdf is None else draw_factor(k, pdf, n, seed)
                if rel[k] is not None:
                    p = rel[k].copy() if p is None else p * rel[k]
            products[keys] = None if p is None else p - 1.0
        return products[keys]

    out: dict[tuple, Simulation] = {}
    by_group = {g: df for g, df in terms.groupby("group", sort=True)}
    for g in groups:
        dev = np.zeros(n)
        central = 0.0
        min_df: float | None = None
        df = by_group.get(g)
        if df is not None:
            rows = sorted(
                zip(
                    df["factor_keys"].map(factor_keys),
                    df["sampling_key"].fillna(""),
                    df["sampling_df"],
                    df["coef_co2e_t"].astype(float),
                    strict=True,
                ),
                key=lambda r: (r[0], r[1], r[3]),
            )
            for keys, skey, sdf, coef in rows:
                if skey:
                    if skey not in samp:
                        samp[skey] = draw_sampling(skey, sdf, n, seed)
                    dev += coef * samp[skey]
                    if coef != 0.0 and not _missing(sdf):
                        min_df = float(sdf) if min_df is None else min(min_df, float(sdf))
                else:
                    central += coef
                    p = product(keys)
                    if p is not None:
                        dev += coef * p
        out[g] = Simulation(central, dev, min_df)
    return out


def group_terms(terms: pd.DataFrame) -> pd.DataFrame:
    """Terms per (year, land_class) and per (year, 'all'): the same product or sampling key of a
    group summed into one coefficient (6 decimals, a fixed summation order)."""
    t = terms.copy()
    t["factor_keys"] = t["factor_keys"].map(lambda k: ";".join(factor_keys(k)))
    t["sampling_key"] = t["sampling_key"].fillna("")
    years = t["year"].astype(int)
    by_class = t.assign(group=list(zip(years, t["land_class"], strict=True)))
    all_classes = t.assign(group=[(y, "all") for y in years])
    both = pd.concat([by_class, all_classes], ignore_index=True)
    both = both.sort_values(
        ["group", "factor_keys", "sampling_key", "coef_co2e_t"], kind="mergesort"
    )
    out = (
        both.groupby(["group", "factor_keys", "sampling_key"], sort=True)
        .agg(coef_co2e_t=("coef_co2e_t", "sum"), sampling_df=("sampling_df", "first"))
        .reset_index()
    )
    out["coef_co2e_t"] = out["coef_co2e_t"].round(6)
    out["sampling_key"] = out["sampling_key"].replace("", None)
    return out


def summarise(estimate: float, dev: np.ndarray, min_df: float | None = None) -> dict:
    """Percentiles of estimate + dev; the mean only where it exists (every t draw has df > 1),
    the SD only where the variance is finite (df > 2): a Student t with df 1 (a stratum of two
    plots) has no mean, with df 2 no variance, and their sample values are noise."""
    x = estimate + dev
    p = np.percentile(x, [2.5, 50.0, 97.5])
    has_mean = min_df is None or min_df > 1.0
    has_sd = min_df is None or min_df > 2.0
    return {
        "mc_mean_co2e_t": round(float(x.mean()), DIGITS) if has_mean else None,
        "mc_sd_co2e_t": round(float(x.std(ddof=1)), DIGITS) if has_sd else None,
        "mc_p2_5_co2e_t": round(float(p[0]), DIGITS),
        "mc_p50_co2e_t": round(float(p[1]), DIGITS),
        "mc_p97_5_co2e_t": round(float(p[2]), DIGITS),
    }


def relation_fingerprint(rel) -> dict:
    """Columns with types, row count and an md5 over the sorted md5 of every row as JSON (an
    explicit order, so the fingerprint does not depend on the order DuckDB scans the rows in)."""
    n, digest = rel.query(
        "_mc_input",
        "select count(*), md5(coalesce(string_agg(h, '' order by h), '')) "
        "from (select md5(to_json(_mc_input)) as h from _mc_input)",
    ).fetchall()[0]
    return {"columns": [f"{c} {t}" for c, t in zip(rel.columns, map(str, rel.types), strict=True)],
            "rows": int(n), "md5": digest}


def code_fingerprint() -> str:
    """sha256 of this model's code (dbt's appended ref/config code left out: it holds relation
    names, which differ between build files); empty when the source cannot be read."""
    try:
        with open(__file__, encoding="utf-8") as f:
            text = f.read()
    except (NameError, OSError):
        return ""
    return hashlib.sha256(text.split(_DBT_POSTFIX, 1)[0].encode("utf-8")).hexdigest()


def inputs_fingerprint(relations: dict, settings: dict) -> str:
    """sha256 over the input relations' fingerprints, the settings, the code and the versions of
    the libraries that draw and summarise."""
    doc = {
        "inputs": {name: relation_fingerprint(rel) for name, rel in sorted(relations.items())},
        "settings": settings,
        "code": code_fingerprint(),
        "versions": [np.__version__, pd.__version__, platform.python_version()],
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode("utf-8")).hexdigest()


def previous_result(session, this, fingerprint: str):
    """The existing table's rows as a relation when every row carries ``fingerprint``; None when
    there is no such table, it predates the fingerprint, or its inputs differ."""
    cols = {r[0] for r in session.execute(
        "select column_name from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ?",
        [this.database, this.schema, this.identifier]).fetchall()}
    if FINGERPRINT_COLUMN not in cols:
        return None
    found = session.execute(
        f"select distinct {FINGERPRINT_COLUMN} from {this!r}").fetchall()
    if found != [(fingerprint,)]:
        return None
    return session.sql(f"select * from {this!r}")


def _flag(value: object) -> bool:
    return str(value).strip().lower() not in ("false", "0", "no", "off", "none", "")


def model(dbt, session):
    dbt.config(materialized="table")
    enabled = _flag(dbt.config.get("monte_carlo"))
    n = int(dbt.config.get("mc_draws"))
    seed = int(dbt.config.get("mc_seed"))
    if enabled and n < MIN_DRAWS:
        raise ValueError(f"mc_draws = {n}: Approach 2 needs at least {MIN_DRAWS} draws")

    inputs = {  # dbt.ref takes literals only (dbt parses them)
        "fct_city_annual_sink": dbt.ref("fct_city_annual_sink"),
        "int_sink_mc_terms": dbt.ref("int_sink_mc_terms"),
        "int_factors_uncertainty": dbt.ref("int_factors_uncertainty"),
    }
    fingerprint = inputs_fingerprint(inputs, {"monte_carlo": enabled, "mc_draws": n,
                                              "mc_seed": seed})
    previous = previous_result(session, dbt.this, fingerprint)
    if previous is not None:
        print(f"fct_city_sink_uncertainty: inputs unchanged ({FINGERPRINT_COLUMN} "
              f"{fingerprint[:12]}): reusing the previous draws", flush=True)
        return previous
    print(f"fct_city_sink_uncertainty: drawing ({FINGERPRINT_COLUMN} {fingerprint[:12]})",
          flush=True)
    city = inputs["fct_city_annual_sink"].df()
    terms = inputs["int_sink_mc_terms"].df()
    factors = inputs["int_factors_uncertainty"].df()

    city = city.sort_values(["year", "land_class"]).reset_index(drop=True)
    groups = [(int(y), lc) for y, lc in zip(city["year"], city["land_class"], strict=True)]
    grouped = group_terms(terms)
    # the central evaluation needs no draws: run with one draw when the Monte Carlo is off
    sims = simulate(grouped, factors, groups, n if enabled else 1, seed)
    keys = grouped.assign(
        key=[
            s if s else k
            for k, s in zip(grouped["factor_keys"], grouped["sampling_key"].fillna(""), strict=True)
        ]
    )
    n_keys = {
        g: len({part for key in df["key"] for part in key.split(";") if part})
        for g, df in keys.groupby("group")
    }

    rows = []
    for rec, g in zip(city.to_dict("records"), groups, strict=True):
        est = float(rec["net_sink_co2e_t"])
        central, dev, min_df = sims[g]
        row = {
            "year": g[0],
            "land_class": g[1],
            "net_sink_co2e_t": est,
            "mc_model_at_estimate_co2e_t": round(central, DIGITS),
            "a1_u95_co2e_t": rec["net_sink_u95_co2e_t"],
            "a1_ci95_low_co2e_t": rec["net_sink_ci95_low_co2e_t"],
            "a1_ci95_high_co2e_t": rec["net_sink_ci95_high_co2e_t"],
            "n_uncertainty_keys": int(n_keys.get(g, 0)),
        }
        if enabled:
            row.update(summarise(est, dev, min_df))
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
        row[FINGERPRINT_COLUMN] = fingerprint
        rows.append(row)
    out = pd.DataFrame(rows)
    float_cols = [c for c in out.columns if c.endswith("_co2e_t")]
    out[float_cols] = out[float_cols].astype("float64")
    for c in ("mc_draws", "mc_seed"):
        out[c] = out[c].astype("Int64")
    return out
