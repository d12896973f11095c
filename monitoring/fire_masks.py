"""Static thermal sources in the FIRMS detections: masked, never deleted (issue #14, item 2).

Baotou's steel works and power plants are seen by MODIS and VIIRS on almost every overpass.
Counted as fires they would drown every real alert, so each detection is tested against three
rules, in this order (the first that matches is the detection's ``mask_reason``):

``known_source``
    Within ``radius_m`` (great-circle distance) of a known industrial heat source of the seed
    ``dbt_project/seeds/seed_static_heat_sources.csv`` (name, location, radius and the source
    that names the plant; locations marked ``A`` are approximate).
``firms_type``
    The product's own ``type`` field (MODIS MCD14ML and VIIRS VNP14IMGML archive files; the
    near-real-time files have none): 1 active volcano, 2 other static land source, 3 offshore.
    Only 0 (presumed vegetation fire) can be a fire event. [FIRMS attribute fields; MODIS C6/C6.1
    Active Fire Product User's Guide, Giglio et al., MCD14ML ``type``]
``persistence``
    Many detections at nearly the same place on many distinct days: in the detection's 500 m
    equal-area grid cell and its 8 neighbours (a 1.5 km square, about one MODIS pixel either
    side), detections on at least ``PERSIST_MIN_DAYS`` distinct days, in at least
    ``PERSIST_MIN_MONTHS`` distinct calendar months, within a year before or after the detection.
    A vegetation fire burns a place once: even a two-week forest fire stays under the month
    rule, while a steel works or a plant shows up in every month. The window is centred, so
    that the first weeks of a newly built plant are masked too once its later detections
    arrive (events built from them before that are then marked ``masked``). The rule follows
    the practice of the VIIRS industrial-heat-source literature (recurrence of detections at one
    location over a year: e.g. Ma et al. 2018, Sustainability 10:4419, on VNP14IMG in China);
    the thresholds are local choices [A].

Masked detections stay in the raw layer; the evaluator writes them with their reason to the
``fire_detections`` snapshot and groups them into the ``static_heat_sources`` snapshot (the
seeded sources, and connected 500 m cells of the other masked detections), and excludes them
from events, alerts and fire-loss accounting.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from sinkwatch.config import DBT_PROJECT_DIR

SEED_CSV = DBT_PROJECT_DIR / "seeds" / "seed_static_heat_sources.csv"
#: Albers equal-area conic for China (Krasovsky), as everywhere else in the project: metres.
EQUAL_AREA = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=krass +units=m +no_defs"

#: FIRMS ``type`` values that are not vegetation fires.
FIRMS_STATIC_TYPES = {1: "active volcano", 2: "other static land source", 3: "offshore"}
PERSIST_CELL_M = 500.0
PERSIST_MIN_DAYS = 10
PERSIST_MIN_MONTHS = 3
PERSIST_WINDOW_DAYS = 365

MASK_REASONS = ("known_source", "firms_type", "persistence")


@dataclass(frozen=True)
class KnownSource:
    source_id: str
    name: str
    name_zh: str
    kind: str
    county_code: str
    lon: float
    lat: float
    radius_m: float
    location_status: str
    source: str


def load_seed(path: Path = SEED_CSV) -> list[KnownSource]:
    with Path(path).open(encoding="utf-8", newline="") as fh:
        return [KnownSource(r["source_id"], r["name"], r["name_zh"], r["kind"], r["county_code"],
                            float(r["lon"]), float(r["lat"]), float(r["radius_m"]),
                            r["location_status"], r["source"]) for r in csv.DictReader(fh)]


@lru_cache(maxsize=1)
def _transformer():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", EQUAL_AREA, always_xy=True)


def project(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 degrees -> equal-area metres."""
    x, y = _transformer().transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def great_circle_m(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> np.ndarray:
    """Haversine distance on the mean-radius sphere [m]."""
    p, p0 = np.radians(lat), np.radians(lat0)
    a = (np.sin((p - p0) / 2) ** 2
         + np.cos(p) * np.cos(p0) * np.sin(np.radians(np.asarray(lon) - lon0) / 2) ** 2)
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))


def known_source_of(lon: np.ndarray, lat: np.ndarray, seed: list[KnownSource]) -> np.ndarray:
    """The seeded source each point lies within (the nearest when several), else None."""
    out = np.full(len(lon), None, dtype=object)
    best = np.full(len(lon), np.inf)
    for s in seed:
        d = great_circle_m(lon, lat, s.lon, s.lat)
        hit = (d <= s.radius_m) & (d < best)
        out[hit] = s.source_id
        best[hit] = d[hit]
    return out


_PERSISTENCE_SQL = f"""
with cells as (
    select distinct ix, iy, acq_date from det
),
centres as (
    select distinct ix, iy from cells
),
offsets as (select * from (values (-1), (0), (1)) a(dx), (values (-1), (0), (1)) b(dy)),
spread as (  -- each cell-day counted for the cell itself and its 8 neighbours
    select distinct cells.ix + dx as cx, cells.iy + dy as cy, acq_date
    from cells cross join offsets
    semi join centres on centres.ix = cells.ix + dx and centres.iy = cells.iy + dy
),
day_counts as (
    select cx, cy, acq_date,
        count(*) over (
            partition by cx, cy order by acq_date
            range between interval {PERSIST_WINDOW_DAYS} days preceding
                and interval {PERSIST_WINDOW_DAYS} days following
        ) as n_days
    from spread
),
months as (
    select distinct cx, cy, date_trunc('month', acq_date)::date as m from spread
),
month_counts as (
    select cx, cy, m,
        count(*) over (
            partition by cx, cy order by m
            range between interval 12 months preceding and interval 12 months following
        ) as n_months
    from months
)
select cells.ix, cells.iy, cells.acq_date, d.n_days, mc.n_months
from cells
join day_counts as d on d.cx = cells.ix and d.cy = cells.iy and d.acq_date = cells.acq_date
join month_counts as mc
    on mc.cx = cells.ix and mc.cy = cells.iy
    and mc.m = date_trunc('month', cells.acq_date)::date
"""


def persistence(x: np.ndarray, y: np.ndarray, acq_date: pd.Series) -> pd.DataFrame:
    """Per point: distinct days and months with detections in its 1.5 km square within the year
    around it (columns n_days, n_months, is_persistent)."""
    det = pd.DataFrame({
        "ix": np.floor(x / PERSIST_CELL_M).astype("int64"),
        "iy": np.floor(y / PERSIST_CELL_M).astype("int64"),
        "acq_date": pd.to_datetime(acq_date).dt.date,
    })
    if det.empty:
        return pd.DataFrame({"n_days": [], "n_months": [], "is_persistent": []})
    con = duckdb.connect()
    try:
        con.register("det", det)
        counts = con.execute(_PERSISTENCE_SQL).df()
    finally:
        con.close()
    counts["acq_date"] = pd.to_datetime(counts["acq_date"]).dt.date
    out = det.merge(counts, on=["ix", "iy", "acq_date"], how="left")
    out["is_persistent"] = (out["n_days"] >= PERSIST_MIN_DAYS) & (
        out["n_months"] >= PERSIST_MIN_MONTHS)
    return out[["n_days", "n_months", "is_persistent"]].set_axis(det.index)


def apply(det: pd.DataFrame, seed: list[KnownSource] | None = None) -> pd.DataFrame:
    """``det`` (columns longitude, latitude, x, y, acq_date, fire_type) with the mask columns:
    known_source_id, is_firms_static_type, persist_days, persist_months, is_persistent,
    mask_reason (None for a presumed vegetation fire), is_masked."""
    seed = load_seed() if seed is None else seed
    out = det.copy()
    x, y = out["x"].to_numpy(float), out["y"].to_numpy(float)
    out["known_source_id"] = known_source_of(out["longitude"].to_numpy(float),
                                             out["latitude"].to_numpy(float), seed)
    ftype = pd.to_numeric(out["fire_type"], errors="coerce")
    out["is_firms_static_type"] = ftype.isin(list(FIRMS_STATIC_TYPES)).to_numpy()
    pers = persistence(x, y, out["acq_date"])
    out["persist_days"] = pers["n_days"].to_numpy()
    out["persist_months"] = pers["n_months"].to_numpy()
    out["is_persistent"] = pers["is_persistent"].to_numpy(bool)
    reason = np.where(out["known_source_id"].notna(), "known_source",
                      np.where(out["is_firms_static_type"], "firms_type",
                               np.where(out["is_persistent"], "persistence", "")))
    out["mask_reason"] = pd.Series(reason, index=out.index).replace("", None)
    out["is_masked"] = out["mask_reason"].notna()
    return out


def static_groups(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Group points into connected components of occupied 500 m cells (8-neighbourhood): one
    label (0..k-1) per point. Used for the masked detections that no seeded source explains."""
    if len(x) == 0:
        return np.zeros(0, dtype="int64")
    ix = np.floor(x / PERSIST_CELL_M).astype("int64")
    iy = np.floor(y / PERSIST_CELL_M).astype("int64")
    cells = sorted(set(zip(ix.tolist(), iy.tolist(), strict=True)))
    index = {c: i for i, c in enumerate(cells)}
    parent = list(range(len(cells)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (cx, cy), i in index.items():
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                j = index.get((cx + dx, cy + dy))
                if j is not None:
                    a, b = find(i), find(j)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    roots = np.array([find(index[c]) for c in zip(ix.tolist(), iy.tolist(), strict=True)])
    _, labels = np.unique(roots, return_inverse=True)
    return labels.astype("int64")


def summarise(det: pd.DataFrame, seed: list[KnownSource] | None = None
              ) -> tuple[pd.Series, pd.DataFrame]:
    """The static source of each masked detection (None for the others) and one row per static
    source: every seeded source (with the detections it masked, possibly none), then each
    group of the other masked detections (connected 500 m cells), named after its
    first-ingested detection (``ss_`` + hotspot id)."""
    seed = load_seed() if seed is None else seed
    source_id = pd.Series(None, index=det.index, dtype="object")
    rows = []
    for s in seed:
        hit = det[det["known_source_id"] == s.source_id]
        source_id[hit.index] = s.source_id
        rows.append({
            "static_source_id": s.source_id, "rule": "known_source", "kind": s.kind,
            "name": s.name, "name_zh": s.name_zh, "lon": s.lon, "lat": s.lat,
            "radius_m": s.radius_m, "location_status": s.location_status, "source": s.source,
            **_detection_figures(hit),
        })
    other = det[det["is_masked"] & det["known_source_id"].isna()].sort_values("ingest_order")
    if len(other):
        labels = pd.Series(static_groups(other["x"].to_numpy(float),
                                         other["y"].to_numpy(float)), index=other.index)
        g = other.groupby(labels, sort=True)
        sid = "ss_" + g["hotspot_id"].first().str[:12]
        source_id[other.index] = labels.map(sid)
        cx, cy = g["x"].transform("mean"), g["y"].transform("mean")
        radius = np.hypot(other["x"] - cx, other["y"] - cy).groupby(labels).max() \
            + PERSIST_CELL_M / 2
        ftype = pd.to_numeric(other["fire_type"], errors="coerce")
        typed = other[ftype.isin(list(FIRMS_STATIC_TYPES))]
        types = ftype[typed.index].astype(int).groupby(labels[typed.index]).agg(
            lambda t: sorted(set(t))).reindex(sid.index)
        lon, lat = g["longitude"].mean(), g["latitude"].mean()
        size, days = g.size(), g["acq_date"].nunique()
        first_at, last_at = g["acquired_at"].min(), g["acquired_at"].max()
        for label in sid.index:
            t = types[label] if isinstance(types[label], list) else []
            rows.append({
                "static_source_id": sid[label],
                "rule": "firms_type" if t else "persistence",
                "kind": ("firms_type_" + "_".join(map(str, t))) if t
                else "persistent_thermal_anomaly",
                "name": f"static thermal source near {lat[label]:.3f}N {lon[label]:.3f}E",
                "name_zh": "固定热源（自动识别）",
                "lon": round(float(lon[label]), 5), "lat": round(float(lat[label]), 5),
                "radius_m": round(float(radius[label]), 0), "location_status": "detected",
                "source": ("FIRMS type field: " + ", ".join(FIRMS_STATIC_TYPES[x] for x in t))
                if t else (f"persistence rule: >= {PERSIST_MIN_DAYS} distinct days in >= "
                           f"{PERSIST_MIN_MONTHS} months within {PERSIST_WINDOW_DAYS} days, "
                           "1.5 km square"),
                "n_detections": int(size[label]), "n_days": int(days[label]),
                "first_detected_at": first_at[label], "last_detected_at": last_at[label],
            })
    return source_id, pd.DataFrame(rows)


def _detection_figures(g: pd.DataFrame) -> dict:
    if g.empty:
        return {"n_detections": 0, "n_days": 0, "first_detected_at": None,
                "last_detected_at": None}
    return {"n_detections": len(g), "n_days": int(g["acq_date"].nunique()),
            "first_detected_at": g["acquired_at"].min(),
            "last_detected_at": g["acquired_at"].max()}
