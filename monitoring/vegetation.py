"""Vegetation anomaly alerts (issue #14 item 5), ``alert_type = "ndvi_anomaly"``, evaluated on the
raw ``vegetation_indices`` right after they are ingested (:mod:`orchestration.alerting`).

For every grassland and forest parcel (land class of its latest survey), each composite is
judged against the parcel's own seasonal baseline: the median NDVI of the same composite
period (16-day day-of-year bin, ``(doy - 1) // 16 + 1``: MOD13Q1 composites start on fixed days
of the year) in the previous years. Only good pixels count (pixel reliability 0): fill,
marginal, snow/ice and cloudy composites are left out of both the baseline and the series
judged. A composite is judged only when its period has valid values in at least
``min_baseline_years`` previous years.

A composite is **anomalous** when NDVI < baseline - max(``relative_drop`` x baseline,
``min_drop_ndvi``). An **episode** starts at the first of ``consecutive_composites`` anomalous
composites in a row (valid composites; excluded ones are skipped) and lasts while the parcel
stays below its baseline; the first valid composite at or above the baseline ends it. One
alert per episode, id ``ndvi_anomaly:<parcel>:<start composite date>``: a rerun, or a later
composite of the same episode, finds the same id (the alert's figures are updated; it is
escalated to ``high`` after ``high_after_composites`` anomalous composites). Parameters and
their sources: ``dbt_project/seeds/seed_vegetation_alert_rules.csv``. The evidence lists the
latest composites of the episode and ``source_sha256``, the sha256 of the received files that
carried its composites below the baseline.

All in DuckDB over the raw Parquet (hash aggregates for the baselines, window functions per
parcel for the episodes): the city's ~200,000 parcels x 23 composites a year stay in DuckDB;
only the episodes come back to Python.
"""

from __future__ import annotations

import csv
import logging
from functools import lru_cache

from monitoring import rawlayer
from monitoring.store import Alert
from sinkwatch.config import DBT_PROJECT_DIR, Paths

log = logging.getLogger(__name__)

ALERT_TYPE = "ndvi_anomaly"
LAND_CLASSES = ("grassland", "forest")
RULES_SEED = DBT_PROJECT_DIR / "seeds" / "seed_vegetation_alert_rules.csv"
#: how many composites of an episode the alert lists (the latest ones)
LISTED_COMPOSITES = 12


@lru_cache(maxsize=1)
def parameters() -> dict[str, float]:
    with RULES_SEED.open(encoding="utf-8", newline="") as fh:
        return {r["parameter"]: float(r["value"]) for r in csv.DictReader(fh)}


#: Step 1: the parcels judged (latest survey, grassland or forest) with an integer key, and
#: their good-quality composites with year and composite period.
OBSERVATIONS_SQL = """
create temp table parcels_judged as
select
    parcel_id,
    county_code,
    zone_id,
    land_class,
    row_number() over (order by parcel_id) as pid,
from (
    select * from {parcels}
    qualify row_number() over (partition by parcel_id order by survey_year desc) = 1
)
where land_class in ('grassland', 'forest');

create temp table observations as
select
    p.pid,
    v.composite_date,
    year(v.composite_date) as yr,
    (dayofyear(v.composite_date) - 1) // 16 + 1 as period,
    v.ndvi,
from {vi} as v
inner join parcels_judged as p on p.parcel_id = v.parcel_id
where v.quality = {kept_quality} and v.ndvi is not null;
"""

#: Step 2 (one column per year present): a parcel-period's value of each year (the mean of its
#: valid composites in that period; MOD13Q1 has one), then per year the median of the previous
#: years' values and how many there are. Hash aggregates and list functions: a windowed median
#: over ~5 M tiny partitions was 20 x slower.
PIVOT_SQL = """
create temp table per_year as
select pid, period, {year_columns}
from observations
group by all;

create temp table baselines as
{baseline_selects};
"""

#: Step 3: judge each composite, find the episodes.
EPISODES_SQL = """
with judged as (
    select
        o.pid,
        o.composite_date,
        o.ndvi,
        b.baseline_ndvi,
        b.baseline_years,
        o.ndvi < b.baseline_ndvi as is_below,
        o.ndvi < b.baseline_ndvi
            - greatest({relative_drop} * b.baseline_ndvi, {min_drop_ndvi}) as is_anomalous,
    from observations as o
    inner join baselines as b using (pid, period, yr)
    where b.baseline_years >= {min_baseline_years}
),

runs as materialized (
    select
        *,
        -- a run of composites below the baseline shares the count of the composites at or
        -- above it seen so far; the composite that ends a run starts the next count
        sum(case when is_below then 0 else 1 end) over by_date as run_id,
        bool_and(is_anomalous) over next_k as starts_episode,
        count(*) over next_k as k_seen,
    from judged
    window
        by_date as (partition by pid order by composite_date rows unbounded preceding),
        next_k as (partition by pid order by composite_date
                   rows between current row and {k_minus_1} following)
),

starts as (
    select pid, run_id, min(composite_date) as start_date
    from runs
    where starts_episode and k_seen = {k}
    group by all
),

ends as (
    select pid, run_id - 1 as run_id, min(composite_date) as ended_on
    from runs
    where not is_below
    group by all
),

episodes as (
    select
        s.pid,
        s.start_date,
        e.ended_on,
        count(*) as n_below,
        count(*) filter (where r.is_anomalous) as n_anomalous,
        max(r.composite_date) as last_below,
        min(r.ndvi / r.baseline_ndvi) as min_ratio,
        list({{
            'date': strftime(r.composite_date, '%Y-%m-%d'),
            'ndvi': round(r.ndvi, 4),
            'baseline_ndvi': round(r.baseline_ndvi, 4),
            'baseline_years': r.baseline_years,
            'is_anomalous': r.is_anomalous
        }} order by r.composite_date desc)[1:{listed}] as composites,
        list(r.composite_date order by r.composite_date) as below_dates,
    from starts as s
    inner join runs as r
        on r.pid = s.pid and r.run_id = s.run_id
        and r.is_below and r.composite_date >= s.start_date
    left join ends as e on e.pid = s.pid and e.run_id = s.run_id
    group by all
)

select p.parcel_id, ep.* exclude (pid), p.county_code, p.zone_id, p.land_class
from episodes as ep
inner join parcels_judged as p using (pid)
"""

#: Step 4 (only the episodes found): the received files behind each episode's composites below
#: the baseline (the raw layer's ``_source_sha256`` of those rows), for the alert's evidence.
#: A join of the few episode composites against the raw view, so the city-scale steps above
#: never carry a 64-character string per composite.
FILES_SQL = """
with episode_composites as (
    select parcel_id, start_date, unnest(below_dates) as composite_date
    from episodes_found
),

files as (
    select
        e.parcel_id,
        e.start_date,
        list(distinct v._source_sha256 order by v._source_sha256) as source_sha256s,
    from episode_composites as e
    inner join {vi} as v using (parcel_id, composite_date)
    where v.quality = {kept_quality} and v.ndvi is not null
    group by all
)

select ep.* exclude (below_dates), coalesce(f.source_sha256s, []) as source_sha256s
from episodes_found as ep
left join files as f using (parcel_id, start_date)
order by ep.parcel_id, ep.start_date
"""


def _baseline_sql(years: list[int]) -> tuple[str, str]:
    """The per-year columns and the baseline select of :data:`PIVOT_SQL` for ``years``."""
    cols = ",\n    ".join(f"avg(ndvi) filter (where yr = {y}) as v{y}" for y in years)
    selects = []
    for i, y in enumerate(years[1:], start=1):
        prev = ("list_filter([" + ", ".join(f"v{x}" for x in years[:i])
                + "], lambda x: x is not null)")
        selects.append(
            f"select pid, period, {y} as yr, list_median({prev}) as baseline_ndvi, "
            f"len({prev}) as baseline_years from per_year where v{y} is not null")
    if not selects:  # a single year: nothing can be judged
        selects.append("select pid, period, yr, null::double as baseline_ndvi, "
                       "0 as baseline_years from observations where false")
    return cols, "\nunion all\n".join(selects)


def episodes(p: Paths) -> list[dict]:
    """The NDVI anomaly episodes the raw layer shows now, one dict per episode."""
    if not (rawlayer.has_rows(p, "vegetation_indices") and rawlayer.has_rows(p, "parcels")):
        return []
    prm = parameters()
    k = int(prm["consecutive_composites"])
    con = rawlayer.connect()
    try:
        vi = rawlayer.view(con, p, "vegetation_indices",
                           ["parcel_id", "composite_date", "ndvi", "quality"],
                           disjoint_by="composite_date", with_source=True)
        parcels = rawlayer.view(con, p, "parcels", ["parcel_id", "survey_year", "county_code",
                                                    "zone_id", "land_class"])
        con.execute(OBSERVATIONS_SQL.format(parcels=parcels, vi=vi,
                                            kept_quality=int(prm["kept_quality"])))
        years = [r[0] for r in con.execute(
            "select distinct yr from observations order by yr").fetchall()]
        if not years:
            return []
        cols, selects = _baseline_sql(years)
        con.execute(PIVOT_SQL.format(year_columns=cols, baseline_selects=selects))
        con.execute("create temp table episodes_found as " + EPISODES_SQL.format(
            relative_drop=prm["relative_drop"], min_drop_ndvi=prm["min_drop_ndvi"],
            min_baseline_years=int(prm["min_baseline_years"]), k=k, k_minus_1=k - 1,
            listed=LISTED_COMPOSITES))
        cur = con.execute(FILES_SQL.format(vi=vi, kept_quality=int(prm["kept_quality"])))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def _alert(ep: dict) -> Alert:
    prm = parameters()
    start = ep["start_date"].isoformat()
    ongoing = ep["ended_on"] is None
    severity = "high" if ep["n_anomalous"] >= prm["high_after_composites"] else "warning"
    drop_pct = round(100 * (1 - ep["min_ratio"]), 1)
    latest = ep["composites"][0]
    state = ("ongoing" if ongoing else f"ended {ep['ended_on'].isoformat()} (back at or above "
             "the baseline)")
    land = {"grassland": "草原 grassland", "forest": "森林 forest"}[ep["land_class"]]
    return Alert(
        alert_id=f"{ALERT_TYPE}:{ep['parcel_id']}:{start}",
        alert_type=ALERT_TYPE,
        severity=severity,
        title=f"植被退化 NDVI anomaly: {land} parcel {ep['parcel_id']} since {start}",
        message=(
            f"NDVI below its seasonal baseline since the composite of {start}: "
            f"{ep['n_below']} valid composites below the median of the previous years, "
            f"{ep['n_anomalous']} of them at least {prm['relative_drop']:.0%} (and "
            f"{prm['min_drop_ndvi']:g} NDVI) under it, deepest {drop_pct:g} % under. Latest "
            f"below {latest['date']}: NDVI "
            f"{latest['ndvi']:.4f} vs baseline {latest['baseline_ndvi']:.4f}. Episode {state}."),
        zone_ids=(ep["zone_id"],) if ep["zone_id"] else (),
        county_codes=(ep["county_code"],),
        parcel_ids=(ep["parcel_id"],),
        evidence={
            "land_class": ep["land_class"], "episode_start": start,
            "ended_on": None if ongoing else ep["ended_on"].isoformat(),
            "last_below": ep["last_below"].isoformat(), "composites_below": ep["n_below"],
            "composites_anomalous": ep["n_anomalous"], "max_drop_pct": drop_pct,
            "composites": ep["composites"],
            "source_sha256": list(ep["source_sha256s"]),
            "rule": {k: prm[k] for k in ("relative_drop", "min_drop_ndvi",
                                         "consecutive_composites", "min_baseline_years",
                                         "kept_quality")},
        },
    )


def evaluate(p: Paths, run_id: str) -> list[Alert]:
    """One ``ndvi_anomaly`` alert per episode (deterministic: reruns give the same ids)."""
    found = [_alert(ep) for ep in episodes(p)]
    log.info("%s: %d NDVI anomaly episode(s)", run_id, len(found))
    return found
