"""Fire-danger rating per weather station, county and development zone and day.

Reads the raw ``weather_daily`` layer (files a corrected re-upload superseded are left out),
keeps one observation per station and day (a complete one first, then noon > 14h > mixed >
daily mean, then the newest file), runs the FWI System per station
(:mod:`monitoring.fire_weather`; days without an observation get no rating), maps the FWI to the
five Chinese danger classes of ``seed_fire_danger_classes.csv`` and spreads the station FWI to
the 9 counties and the 22 development zones by inverse-distance weighting.

Spatial rule (status A): the FWI of an area and day is the inverse-distance weighted mean
(power 2) of the FWI of the rated stations within ``IDW_RADIUS_KM`` of the area's centroid; a
station within 1 km of the centroid is taken alone. The index is interpolated, not the weather:
each station's codes carry its own rain history. County centroids are the polygon centroids of
the boundary file; a zone's centroid is the area-weighted mean of its parcels' centroids in the
raw parcels layer (``centroid_basis = parcels``), or its county's centroid when no parcel of the
zone has been ingested (``centroid_basis = county``). No rated station in reach: no rating.

Seasons (``seed_fire_seasons.csv``, region ``SINKWATCH_FIRE_SEASON_REGION``, default
``ulanqab_and_west``: Baotou's fire-prevention period 9.15 to 6.15, closure periods 4.1-5.31 and
10.1-10.31, Inner Mongolia's 2025 fire command). Ratings are computed all year; outside the
fire-prevention period a row says so (``is_fire_season = false``) and raises no alert.

Output (:func:`compute`): ``warehouse/monitoring/fire_danger_station_daily.parquet`` and
``fire_danger_area_daily.parquet``, recomputed whole from the raw layer and replaced
atomically: a rerun over the same data writes the same rows, never more.
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from monitoring import fire_weather
from sinkwatch.config import BOUNDARIES_GEOJSON, DBT_PROJECT_DIR, Paths

SEEDS = DBT_PROJECT_DIR / "seeds"
STATION_TABLE = "fire_danger_station_daily"
AREA_TABLE = "fire_danger_area_daily"
SEASON_REGION = os.environ.get("SINKWATCH_FIRE_SEASON_REGION", "ulanqab_and_west")
IDW_POWER = 2.0
IDW_RADIUS_KM = 150.0
SAME_PLACE_KM = 1.0
INPUTS = ("temp_c", "rh_pct", "wind_kmh", "precip_mm")

STATION_SCHEMA = pa.schema([
    ("station_id", pa.string()), ("obs_date", pa.date32()), ("station_name", pa.string()),
    ("lat", pa.float64()), ("lon", pa.float64()), ("source", pa.string()),
    ("obs_basis", pa.string()), ("temp_c", pa.float64()), ("rh_pct", pa.float64()),
    ("wind_kmh", pa.float64()), ("precip_mm", pa.float64()), ("precip_flag", pa.string()),
    ("is_rated", pa.bool_()), ("missing_inputs", pa.string()),
    ("ffmc", pa.float64()), ("dmc", pa.float64()), ("dc", pa.float64()), ("isi", pa.float64()),
    ("bui", pa.float64()), ("fwi", pa.float64()), ("dsr", pa.float64()),
    ("danger_class", pa.int64()), ("codes_started_on", pa.date32()), ("is_restart", pa.bool_()),
    ("is_fire_season", pa.bool_()), ("is_closure_period", pa.bool_()),
    ("source_sha256", pa.string()), ("source_file", pa.string()),
])
AREA_SCHEMA = pa.schema([
    ("area_kind", pa.string()), ("area_id", pa.string()), ("area_name_zh", pa.string()),
    ("county_code", pa.string()), ("centroid_lon", pa.float64()), ("centroid_lat", pa.float64()),
    ("centroid_basis", pa.string()), ("obs_date", pa.date32()), ("is_rated", pa.bool_()),
    ("fwi", pa.float64()), ("danger_class", pa.int64()), ("method", pa.string()),
    ("n_stations", pa.int64()), ("station_ids", pa.string()),
    ("nearest_station_km", pa.float64()), ("source_sha256s", pa.string()),
    ("is_fire_season", pa.bool_()), ("is_closure_period", pa.bool_()),
])


# --- classes and seasons (dbt seeds: one source for dbt and for this module) -------------------

@dataclass(frozen=True)
class DangerClass:
    danger_class: int
    class_zh: str
    name_zh: str
    name_en: str
    fwi_min: float
    fwi_max: float | None  # exclusive; None for the top class
    is_alert: bool


def load_classes(path: Path = SEEDS / "seed_fire_danger_classes.csv") -> list[DangerClass]:
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = [DangerClass(int(r["danger_class"]), r["class_zh"], r["name_zh"], r["name_en"],
                       float(r["fwi_min"]), float(r["fwi_max"]) if r["fwi_max"] else None,
                       r["is_alert"].strip().lower() == "true") for r in rows]
    return sorted(out, key=lambda c: c.danger_class)


def classify(fwi: float | None, classes: list[DangerClass]) -> DangerClass | None:
    """The class whose [fwi_min, fwi_max) holds ``fwi``; None for no rating."""
    if fwi is None or math.isnan(fwi):
        return None
    for c in classes:
        if fwi >= c.fwi_min and (c.fwi_max is None or fwi < c.fwi_max):
            return c
    return classes[0] if fwi < classes[0].fwi_min else classes[-1]


@dataclass(frozen=True)
class Period:
    period: str  # fire_prevention | closure
    start: tuple[int, int]
    end: tuple[int, int]

    def contains(self, d: date) -> bool:
        md = (d.month, d.day)
        if self.start <= self.end:
            return self.start <= md <= self.end
        return md >= self.start or md <= self.end  # runs over the new year


def load_seasons(region: str = SEASON_REGION,
                 path: Path = SEEDS / "seed_fire_seasons.csv") -> list[Period]:
    with path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["region"] == region]
    if not rows:
        raise ValueError(f"no fire seasons for region {region!r} in {path.name}")

    def md(text: str) -> tuple[int, int]:
        m, d = text.split("-")
        return int(m), int(d)

    return [Period(r["period"], md(r["start_mmdd"]), md(r["end_mmdd"])) for r in rows]


def season_flags(d: date, periods: list[Period]) -> tuple[bool, bool]:
    """(in the fire-prevention period, in a closure period)."""
    return (any(p.contains(d) for p in periods if p.period == "fire_prevention"),
            any(p.contains(d) for p in periods if p.period == "closure"))


# --- inputs -------------------------------------------------------------------------------------

def _files(folder: Path) -> list[str]:
    return sorted(str(f) for f in folder.glob("*.parquet") if f.name != "_empty.parquet")


def load_observations(paths: Paths) -> pd.DataFrame:
    """One observation per station and day from the raw layer (superseded files left out)."""
    raw = _files(paths.raw / "weather_daily")
    cols = ["station_id", "obs_date", "station_name", "lat", "lon", "source", "obs_basis",
            *INPUTS, "precip_flag", "_source_sha256", "_source_file"]
    if not raw:
        return pd.DataFrame(columns=cols)
    manifests = _files(paths.manifest / "weather_daily")
    superseded: list[str] = []
    con = duckdb.connect()
    try:
        if manifests:
            superseded = [r[0] for r in con.execute(
                "select sha256 from read_parquet(?, union_by_name = true) "
                "where superseded_by is not null", [manifests]).fetchall()]
        complete = " and ".join(f"{c} is not null" for c in INPUTS)
        return con.execute(f"""
            select {", ".join(cols)} from (
                select *, row_number() over (
                    partition by station_id, obs_date
                    order by ({complete}) desc,
                        case obs_basis when 'noon' then 0 when '14h' then 1
                                       when 'mixed' then 2 else 3 end,
                        _ingested_at desc, _source_sha256, _source_row desc) as rn
                from read_parquet(?, union_by_name = true)
                where not list_contains(?::varchar[], _source_sha256)
            ) where rn = 1
            order by station_id, obs_date
        """, [raw, superseded]).df()
    finally:
        con.close()


def _haversine_km(lon1, lat1, lon2, lat2):
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 6371.0 * 2 * np.arcsin(np.sqrt(a))


def load_areas(paths: Paths, boundaries: Path = BOUNDARIES_GEOJSON) -> pd.DataFrame:
    """Counties and zones with a centroid (lon, lat) and how it was found."""
    import shapely
    from shapely.geometry import shape

    names = {}
    with (SEEDS / "seed_counties.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            names[r["county_code"]] = r["county_name_zh"]
    county_xy = {}
    for feat in json.loads(boundaries.read_text(encoding="utf-8"))["features"]:
        c = shapely.centroid(shape(feat["geometry"]))
        county_xy[str(feat["properties"]["adcode"])] = (c.x, c.y)
    rows = [{"area_kind": "county", "area_id": code, "area_name_zh": names.get(code, code),
             "county_code": code, "centroid_lon": xy[0], "centroid_lat": xy[1],
             "centroid_basis": "polygon"} for code, xy in sorted(county_xy.items())]
    parcels = _files(paths.raw / "parcels")
    zone_xy: dict[str, tuple[float, float]] = {}
    if parcels:
        con = duckdb.connect()
        try:
            zone_xy = {z: (x, y) for z, x, y in con.execute("""
                with latest as (
                    select * from read_parquet(?, union_by_name = true)
                    qualify row_number() over (partition by parcel_id
                        order by survey_year desc, _ingested_at desc) = 1)
                select zone_id, sum(centroid_lon * area_mu) / sum(area_mu),
                       sum(centroid_lat * area_mu) / sum(area_mu)
                from latest where zone_id is not null and area_mu > 0
                group by zone_id order by zone_id
            """, [parcels]).fetchall()}
        finally:
            con.close()
    with (SEEDS / "seed_zones.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            xy = zone_xy.get(r["zone_id"])
            basis = "parcels" if xy else "county"
            xy = xy or county_xy.get(r["county_code"], (math.nan, math.nan))
            rows.append({"area_kind": "zone", "area_id": r["zone_id"],
                         "area_name_zh": r["zone_name_zh"], "county_code": r["county_code"],
                         "centroid_lon": xy[0], "centroid_lat": xy[1],
                         "centroid_basis": basis})
    return pd.DataFrame(rows)


# --- the computation ----------------------------------------------------------------------------

def _value(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else v


def station_days(obs: pd.DataFrame, classes: list[DangerClass], periods: list[Period],
                 max_gap_days: int = fire_weather.MAX_GAP_DAYS) -> list[dict]:
    """One row per station and calendar day from its first to its last observation."""
    out: list[dict] = []
    for station, grp in obs.groupby("station_id", sort=True):
        grp = grp.sort_values("obs_date")
        by_date = {pd.Timestamp(r["obs_date"]).date(): r for r in grp.to_dict("records")}
        located = grp.dropna(subset=["lat", "lon"])
        lat = float(located["lat"].iloc[-1]) if len(located) else None
        lon = float(located["lon"].iloc[-1]) if len(located) else None
        named = grp.dropna(subset=["station_name"])
        name = str(named["station_name"].iloc[-1]) if len(named) else None
        series = fire_weather.fwi_series(
            [(d, *(_value(r[c]) for c in INPUTS)) for d, r in by_date.items()],
            max_gap_days=max_gap_days)
        for day in series:
            r = by_date.get(day.obs_date)
            c = day.codes
            missing = "no_observation" if r is None else ",".join(
                k for k in INPUTS if _value(r[k]) is None)
            dc = classify(c.fwi, classes) if c else None
            season, closure = season_flags(day.obs_date, periods)
            out.append({
                "station_id": station, "obs_date": day.obs_date, "station_name": name,
                "lat": lat, "lon": lon,
                **{k: (_value(r[k]) if r is not None else None)
                   for k in ("source", "obs_basis", *INPUTS, "precip_flag")},
                "is_rated": c is not None, "missing_inputs": missing or None,
                **{k: (round(getattr(c, k), 3) if c else None)
                   for k in ("ffmc", "dmc", "dc", "isi", "bui", "fwi", "dsr")},
                "danger_class": dc.danger_class if dc else None,
                "codes_started_on": day.started_on, "is_restart": day.restarted,
                "is_fire_season": season, "is_closure_period": closure,
                "source_sha256": r["_source_sha256"] if r is not None else None,
                "source_file": r["_source_file"] if r is not None else None,
            })
    return out


def area_days(stations: list[dict], areas: pd.DataFrame, classes: list[DangerClass],
              periods: list[Period], radius_km: float = IDW_RADIUS_KM,
              power: float = IDW_POWER) -> list[dict]:
    """One row per area and day of the station table: IDW of the rated stations' FWI."""
    if not stations:
        return []
    dates = sorted({r["obs_date"] for r in stations})
    located = sorted({(r["station_id"], r["lon"], r["lat"]) for r in stations
                      if r["lon"] is not None and r["lat"] is not None
                      and not (math.isnan(r["lon"]) or math.isnan(r["lat"]))})
    sid = [s for s, _, _ in located]
    col = {s: i for i, s in enumerate(sid)}
    alon = areas["centroid_lon"].to_numpy(float)
    alat = areas["centroid_lat"].to_numpy(float)
    dist = _haversine_km(alon[:, None], alat[:, None],
                         np.array([x for _, x, _ in located], float)[None, :],
                         np.array([y for _, _, y in located], float)[None, :]) \
        if located else np.empty((len(areas), 0))
    per_day: dict[date, list[tuple[int, float, str]]] = {}
    for r in stations:
        if r["is_rated"] and r["station_id"] in col:
            per_day.setdefault(r["obs_date"], []).append(
                (col[r["station_id"]], float(r["fwi"]), r["source_sha256"]))
    flags = {d: season_flags(d, periods) for d in dates}
    out: list[dict] = []
    for a, area in enumerate(areas.to_dict("records")):
        for d in dates:
            season, closure = flags[d]
            row = {**area, "obs_date": d, "is_rated": False, "fwi": None, "danger_class": None,
                   "method": None, "n_stations": 0, "station_ids": None,
                   "nearest_station_km": None, "source_sha256s": None,
                   "is_fire_season": season, "is_closure_period": closure}
            used = sorted((float(dist[a, j]), sid[j], fwi, sha)
                          for j, fwi, sha in per_day.get(d, ())
                          if dist[a, j] <= radius_km)  # NaN centroid: never within reach
            if used:
                if used[0][0] <= SAME_PLACE_KM:
                    used = used[:1]
                    fwi, method = used[0][2], "station"
                else:
                    w = [1.0 / u[0] ** power for u in used]
                    fwi = sum(wi * u[2] for wi, u in zip(w, used, strict=True)) / sum(w)
                    method = "idw"
                row.update(is_rated=True, fwi=round(fwi, 3),
                           danger_class=classify(fwi, classes).danger_class, method=method,
                           n_stations=len(used), station_ids=",".join(u[1] for u in used),
                           nearest_station_km=round(used[0][0], 3),
                           source_sha256s=",".join(sorted({u[3] for u in used})))
            out.append(row)
    return out


def _write(rows: list[dict], schema: pa.Schema, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=schema)
    tmp = dest.with_name(f".{dest.name}.tmp")
    pq.write_table(table, tmp)
    tmp.replace(dest)


def output_path(paths: Paths, table: str) -> Path:
    return paths.monitoring / f"{table}.parquet"


def ensure_empty_outputs(paths: Paths) -> None:
    """Empty, typed output files (so that the dbt sources resolve before the first rating)."""
    for table, schema in ((STATION_TABLE, STATION_SCHEMA), (AREA_TABLE, AREA_SCHEMA)):
        dest = output_path(paths, table)
        if not dest.exists() or pq.read_schema(dest) != schema:
            _write([], schema, dest)


def _area_key(r: dict) -> tuple:
    return r["area_kind"], r["area_id"], r["obs_date"]


@dataclass
class Rating:
    stations: list[dict]
    areas: list[dict]
    #: area rows that are new or whose class changed since the previous output (alert input)
    changed: list[dict]


def compute(paths: Paths, max_gap_days: int = fire_weather.MAX_GAP_DAYS,
            region: str = SEASON_REGION) -> Rating:
    """Rate every station, county and zone and day from the raw layer; replace the outputs."""
    classes, periods = load_classes(), load_seasons(region)
    stations = station_days(load_observations(paths), classes, periods, max_gap_days)
    areas = area_days(stations, load_areas(paths), classes, periods)
    area_file = output_path(paths, AREA_TABLE)
    before: dict[tuple, object] = {}
    if area_file.exists():
        for r in pq.read_table(area_file, columns=["area_kind", "area_id", "obs_date",
                                                   "danger_class"]).to_pylist():
            before[_area_key(r)] = r["danger_class"]
    changed = [r for r in areas if r["is_rated"]
               and before.get(_area_key(r), -1) != r["danger_class"]]
    _write(stations, STATION_SCHEMA, output_path(paths, STATION_TABLE))
    _write(areas, AREA_SCHEMA, area_file)
    return Rating(stations, areas, changed)
