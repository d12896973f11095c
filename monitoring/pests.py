"""Pest outbreak alerts (issue #14 item 4), ``alert_type = "pest_outbreak"``, evaluated on the raw
``pest_reports`` right after they are ingested (:mod:`orchestration.alerting`).

Pine wilt (松材线虫病, quarantine pest): every detection with a point is an **epidemic point**
(疫点), severity ``critical`` (any infected tree is a disaster under 林造发〔2012〕26号). Around
it the control zones of ``seed_pest_control_radii.csv`` (clear-cut 500 m, survey 20 km; sources
and their status in the seed) are drawn, and the alert lists the host-species parcels
(``seed_pest_hosts.csv``) within the clear-cut radius with the host area inside the circle (ha),
the forest plots inside it with their live host trees, the infected parcel (小班) and the host
parcels adjoining it (China's sub-compartment rule for new epidemic areas), and counts host
parcels and area in the survey zone. The zones are drawn in a Lambert azimuthal equal-area
projection centred on the point: equal-area like the Albers of :mod:`ingestion.spatial`, and
with true distances from the centre (error < 0.1 mm at 500 m, 4 cm at 20 km), where the city
Albers stretches distances by ±1.6 % at Baotou and would draw the 500 m circle as a 492-508 m
ellipse. A parcel is in a zone when its nearest point is within the radius.
Id ``pest_outbreak:pine_wilt_nematode:point:<lon>,<lat>`` (4 decimals, ~10 m: repeated reports
of the same tree are one epidemic point). A report without a point cannot place an epidemic
point: it raises a county-level alert ``pest_outbreak:pine_wilt_nematode:county:<county>:<year>``.

Fall webworm (美国白蛾) and Asian longhorned beetle (光肩星天牛): one alert per pest, county and
season (calendar year: one flight season), id ``pest_outbreak:<pest>:<county>:<year>``. Level
from the highest reported severity (light info, moderate warning, severe high); at least high
when a damaged-plant rate reaches the disaster criterion of 林造发〔2012〕26号 (2 % fall webworm,
20 % ALB: the reports lack the second half of the criterion, defoliation or mortality); then one
step up for spread (affected area of the county >= 1.5 x its previous season with reports, or
a county reporting the pest for the first time after earlier seasons elsewhere in the city);
at most critical. Rodents and pikas (鼠兔害): one alert per county and season (spring = Jan-Jun,
autumn = Jul-Dec), id ``pest_outbreak:grassland_rodent_pika:<county>:<year>-<season>``, level
from the county's affected grassland area (1万/5万/50万亩 -> warning/high/critical: bureau
defaults, see ``seed_pest_alert_rules.csv``). Areas add up per parcel (the largest report of a
parcel), so a parcel reported twice is not counted twice. Nothing below ``warning`` is raised;
a later report that raises the level updates the same alert (``escalated`` in the store).

Every alert's evidence lists its report ids and ``source_sha256``, the sha256 of the received
files those reports came from (the raw layer's ``_source_sha256`` of each report's current row).
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from monitoring import rawlayer
from monitoring.store import SEVERITIES, Alert
from sinkwatch.config import DBT_PROJECT_DIR, Paths

log = logging.getLogger(__name__)

ALERT_TYPE = "pest_outbreak"
PINE_WILT = "pine_wilt_nematode"
INSECTS = ("fall_webworm", "asian_longhorned_beetle")
RODENTS = "grassland_rodent_pika"
SEEDS = DBT_PROJECT_DIR / "seeds"
SEVERITY_LEVEL = {"light": 0, "moderate": 1, "severe": 2}
M2_PER_HA = 10_000.0
M2_PER_MU = 10_000.0 / 15


@dataclass(frozen=True)
class Radius:
    pest: str
    zone: str
    radius_m: float
    purpose: str
    source: str


@dataclass(frozen=True)
class Rule:
    pest: str
    rule: str
    threshold: float
    unit: str
    effect: str  # "+1" (one level up) or a severity (at least that level)
    source: str


def _seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def radii() -> tuple[Radius, ...]:
    return tuple(Radius(r["pest"], r["zone"], float(r["radius_m"]), r["purpose"], r["source"])
                 for r in _seed("seed_pest_control_radii.csv"))


@lru_cache(maxsize=1)
def rules() -> tuple[Rule, ...]:
    return tuple(Rule(r["pest"], r["rule"], float(r["threshold"]), r["unit"], r["effect"],
                      r["source"]) for r in _seed("seed_pest_alert_rules.csv"))


@lru_cache(maxsize=1)
def hosts() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for r in _seed("seed_pest_hosts.csv"):
        if r["host_species"]:
            out.setdefault(r["pest"], []).append(r["host_species"])
    return {k: tuple(sorted(v)) for k, v in out.items()}


@lru_cache(maxsize=1)
def pest_names() -> dict[str, str]:
    return {r["pest"]: r["pest_name_zh"] for r in _seed("seed_pest_hosts.csv")}


def _rule(pest: str, rule: str) -> Rule | None:
    return next((r for r in rules() if r.pest == pest and r.rule == rule), None)


# --- geometry of a control zone ----------------------------------------------------------------


def _local(lon: float, lat: float) -> Transformer:
    """WGS84 -> Lambert azimuthal equal-area centred on the point (metres)."""
    crs = CRS.from_proj4(f"+proj=laea +lat_0={lat!r} +lon_0={lon!r} +ellps=WGS84 +units=m")
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def _project(geoms: np.ndarray, tr: Transformer) -> np.ndarray:
    def f(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, f)


@dataclass(frozen=True)
class Zone:
    """What lies in one control zone around an epidemic point."""

    zone: str
    radius_m: float
    parcel_ids: tuple[str, ...]  # host parcels whose nearest point is within the radius
    distances_m: tuple[float, ...]
    areas_in_zone_ha: tuple[float, ...]  # area of each of those parcels inside the circle
    host_area_ha: float
    plot_ids: tuple[str, ...]  # forest plots inside the circle
    plot_distances_m: tuple[float, ...]
    plot_host_trees: tuple[int, ...]

    def as_evidence(self, source: str, detail: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "radius_m": self.radius_m, "source": source, "host_parcels": len(self.parcel_ids),
            "host_area_ha": self.host_area_ha, "plots": len(self.plot_ids),
            "host_trees_in_plots": int(sum(self.plot_host_trees)),
        }
        if detail:
            out["parcels"] = [
                {"parcel_id": i, "distance_m": d, "area_in_zone_ha": a}
                for i, d, a in zip(self.parcel_ids, self.distances_m, self.areas_in_zone_ha,
                                   strict=True)]
            out["plot_list"] = [
                {"plot_id": i, "distance_m": d, "host_trees": t}
                for i, d, t in zip(self.plot_ids, self.plot_distances_m, self.plot_host_trees,
                                   strict=True)]
        return out


def control_zone(lon: float, lat: float, zone: str, radius_m: float, parcel_ids: list[str],
                 parcel_wgs: np.ndarray, plot_ids: list[str] | None = None,
                 plot_lonlat: np.ndarray | None = None,
                 plot_host_trees: list[int] | None = None) -> Zone:
    """The host parcels (``parcel_ids``/``parcel_wgs``: WGS84 polygons) and plots within
    ``radius_m`` of the point, with each parcel's area inside the circle."""
    tr = _local(lon, lat)
    centre = shapely.Point(0.0, 0.0)
    circle = centre.buffer(radius_m, quad_segs=256)  # 1,024 sides: area error < 1e-5
    geoms = _project(np.asarray(parcel_wgs, dtype=object), tr) if len(parcel_ids) else np.array([])
    dist = shapely.distance(geoms, centre) if len(geoms) else np.array([])
    hit = np.flatnonzero(dist <= radius_m)
    order = sorted(hit, key=lambda k: parcel_ids[k])
    areas = [round(float(shapely.area(shapely.intersection(geoms[k], circle))) / M2_PER_HA, 4)
             for k in order]
    pids: list[str] = []
    pd_m: list[float] = []
    trees: list[int] = []
    if plot_ids:
        x, y = tr.transform(plot_lonlat[:, 0], plot_lonlat[:, 1])
        pdist = np.hypot(x, y)
        for k in sorted(np.flatnonzero(pdist <= radius_m), key=lambda k: plot_ids[k]):
            pids.append(plot_ids[k])
            pd_m.append(round(float(pdist[k]), 1))
            trees.append(int(plot_host_trees[k]) if plot_host_trees is not None else 0)
    return Zone(zone, radius_m, tuple(parcel_ids[k] for k in order),
                tuple(round(float(dist[k]), 1) for k in order), tuple(areas),
                round(sum(areas), 4), tuple(pids), tuple(pd_m), tuple(trees))


def adjoining(infected_wgs: shapely.Geometry, lon: float, lat: float, parcel_ids: list[str],
              parcel_wgs: np.ndarray, tolerance_m: float = 1.0) -> list[str]:
    """The parcels sharing a border with the infected parcel (within ``tolerance_m``)."""
    if not len(parcel_ids):
        return []
    tr = _local(lon, lat)
    infected = _project(np.array([infected_wgs], dtype=object), tr)[0].buffer(tolerance_m)
    geoms = _project(np.asarray(parcel_wgs, dtype=object), tr)
    return sorted(parcel_ids[k] for k in np.flatnonzero(shapely.intersects(geoms, infected)))


# --- reading the raw layer ---------------------------------------------------------------------


def _reports(con, p: Paths) -> pd.DataFrame:  # noqa: ANN001
    name = rawlayer.view(con, p, "pest_reports", with_source=True)
    df = con.execute(f"select * from {name} order by report_date, report_id").df()
    df["report_date"] = pd.to_datetime(df["report_date"]).dt.date
    return df


def _parcels(con, p: Paths, species: tuple[str, ...], extra_ids: list[str]  # noqa: ANN001
             ) -> pd.DataFrame:
    """Latest survey of the host-species parcels and of ``extra_ids``, with shapely geometry."""
    if not rawlayer.has_rows(p, "parcels"):
        return pd.DataFrame(columns=["parcel_id", "county_code", "zone_id", "land_class",
                                     "dominant_species", "geom", "is_host"])
    name = rawlayer.view(con, p, "parcels")
    df = con.execute(
        f"with latest as (select * from {name} qualify row_number() over "
        f"(partition by parcel_id order by survey_year desc) = 1) "
        f"select parcel_id, county_code, zone_id, land_class, dominant_species, geometry_wkt "
        f"from latest where dominant_species in (select unnest(?)) "
        f"or parcel_id in (select unnest(?)) order by parcel_id",
        [list(species), list(extra_ids)]).df()
    df["geom"] = shapely.from_wkt(df.pop("geometry_wkt").to_numpy())
    df["is_host"] = df["dominant_species"].isin(species)
    return df


def _plots(con, p: Paths, species: tuple[str, ...]) -> pd.DataFrame:  # noqa: ANN001
    """Latest inventory of every forest plot: point and live host trees."""
    if not rawlayer.has_rows(p, "forest_plots"):
        return pd.DataFrame(columns=["plot_id", "parcel_id", "plot_lon", "plot_lat",
                                     "host_trees"])
    name = rawlayer.view(con, p, "forest_plots", ["plot_id", "parcel_id", "inventory_year",
                                                  "plot_lon", "plot_lat", "species", "status"])
    return con.execute(
        f"with latest as (select * from {name} qualify inventory_year "
        f"= max(inventory_year) over (partition by plot_id)) "
        f"select plot_id, any_value(parcel_id) as parcel_id, any_value(plot_lon) as plot_lon, "
        f"any_value(plot_lat) as plot_lat, count(*) filter (where status = 'alive' "
        f"and species in (select unnest(?))) as host_trees "
        f"from latest group by plot_id order by plot_id", [list(species)]).df()


# --- the three rule families -------------------------------------------------------------------


def _county_name(code: str) -> str:
    return _counties().get(code, code)


@lru_cache(maxsize=1)
def _counties() -> dict[str, str]:
    return {r["county_code"]: r["county_name_zh"] for r in _seed("seed_counties.csv")}


def _level(n: int) -> str:
    return SEVERITIES[max(0, min(n, len(SEVERITIES) - 1))]


def _area_mu(g: pd.DataFrame) -> float:
    """Affected area of a group of reports: the largest report per parcel, summed (reports
    without a parcel count each)."""
    named = g[g["parcel_id"].notna()]
    per_parcel = named.groupby("parcel_id")["affected_area_mu"].max().sum() if len(named) else 0.0
    return round(float(per_parcel + g.loc[g["parcel_id"].isna(), "affected_area_mu"].sum()), 1)


def _files(g: pd.DataFrame) -> list[str]:
    """The sha256 of the received files the reports ``g`` came from (evidence)."""
    return sorted(g["_source_sha256"].dropna().unique())


def _pine_wilt(con, p: Paths, rep: pd.DataFrame) -> list[Alert]:  # noqa: ANN001
    out: list[Alert] = []
    name_zh = pest_names().get(PINE_WILT, PINE_WILT)
    has_point = rep["lon"].notna() & rep["lat"].notna()
    for (county, year), g in rep[~has_point].groupby(
            [rep.loc[~has_point, "county_code"],
             rep.loc[~has_point, "report_date"].map(lambda d: d.year)], sort=True):
        parcels = sorted(g["parcel_id"].dropna().unique())
        out.append(Alert(
            alert_id=f"{ALERT_TYPE}:{PINE_WILT}:county:{county}:{year}",
            alert_type=ALERT_TYPE, severity="critical",
            title=f"{name_zh} Pine wilt detected in {_county_name(county)} ({year}), no point",
            message=(f"{len(g)} report(s) without coordinates ({', '.join(g['report_id'])}): "
                     "the epidemic point and its control zone cannot be placed; county-level "
                     f"alert. Reported parcel(s): {', '.join(parcels) or 'none'}. "
                     f"Dead/infected trees: {int(g['dead_trees'].fillna(0).sum())}."),
            county_codes=(county,), parcel_ids=tuple(parcels),
            evidence={"report_ids": list(g["report_id"]), "source_sha256": _files(g),
                      "has_point": False,
                      "dead_trees": int(g["dead_trees"].fillna(0).sum()),
                      "affected_area_mu": _area_mu(g)}))
    pts = rep[has_point].copy()
    if pts.empty:
        return out
    species = hosts().get(PINE_WILT, ())
    parcels = _parcels(con, p, species, sorted(pts["parcel_id"].dropna().unique()))
    host = parcels[parcels["is_host"]]
    plots = _plots(con, p, species)
    h_ids, h_geoms = list(host["parcel_id"]), host["geom"].to_numpy()
    plot_ids = list(plots["plot_id"])
    plot_xy = plots[["plot_lon", "plot_lat"]].to_numpy(dtype=float)
    zones = [r for r in radii() if r.pest == PINE_WILT]
    pts["key"] = [f"{lon:.4f},{lat:.4f}" for lon, lat in zip(pts["lon"], pts["lat"], strict=True)]
    for key, g in pts.groupby("key", sort=True):
        first = g.iloc[0]
        lon, lat, county = float(first["lon"]), float(first["lat"]), str(first["county_code"])
        found = {z.zone: control_zone(lon, lat, z.zone, z.radius_m, h_ids, h_geoms, plot_ids,
                                      plot_xy, list(plots["host_trees"])) for z in zones}
        infected = _infected_parcel(first, parcels, lon, lat)
        adj: list[str] = []
        if infected is not None:
            geom = parcels.loc[parcels["parcel_id"] == infected, "geom"].iloc[0]
            adj = [i for i in adjoining(geom, lon, lat, h_ids, h_geoms) if i != infected]
        clear = found.get("clear_cut")
        act = set(clear.parcel_ids if clear else ()) | set(adj)
        if infected is not None and infected in set(h_ids):
            act.add(infected)
        acted = parcels[parcels["parcel_id"].isin(act)]
        dead = int(g["dead_trees"].fillna(0).sum())
        parts = [f"{len(g)} detection(s) ({', '.join(g['report_id'])}), {dead} dead/infected "
                 f"tree(s) at {lon:.5f}, {lat:.5f}; infected 小班 {infected or 'unknown'}."]
        for z in zones:
            f = found[z.zone]
            if z.zone == "clear_cut":
                parts.append(
                    f"Clear-cut zone {z.radius_m:g} m: {len(f.parcel_ids)} host parcel(s) "
                    f"[{', '.join(f.parcel_ids)}], {f.host_area_ha:.2f} ha of host forest inside; "
                    + (f"{len(f.plot_ids)} plot(s) [{', '.join(f.plot_ids)}] with "
                       f"{sum(f.plot_host_trees)} live host tree(s)." if f.plot_ids
                       else "no forest plot inside."))
            else:
                parts.append(f"{z.zone.replace('_', ' ').capitalize()} zone "
                             f"{z.radius_m / 1000:g} km: {len(f.parcel_ids)} host parcel(s), "
                             f"{f.host_area_ha:.1f} ha of host forest, {len(f.plot_ids)} plot(s).")
        parts.append(f"Adjoining host 小班: {', '.join(adj) or 'none'}.")
        out.append(Alert(
            alert_id=f"{ALERT_TYPE}:{PINE_WILT}:point:{key}",
            alert_type=ALERT_TYPE, severity="critical",
            title=(f"{name_zh}疫点 Pine wilt epidemic point in {_county_name(county)} "
                   f"({first['report_date'].isoformat()})"),
            message=" ".join(parts),
            zone_ids=tuple(sorted(acted["zone_id"].dropna().unique())),
            county_codes=tuple(sorted({county} | set(acted["county_code"].dropna()))),
            parcel_ids=tuple(sorted(act)), lon=round(lon, 6), lat=round(lat, 6),
            evidence={
                "report_ids": list(g["report_id"]), "source_sha256": _files(g),
                "has_point": True, "dead_trees": dead,
                "first_report_date": first["report_date"].isoformat(),
                "host_species": list(species), "infected_parcel": infected,
                "adjoining_host_parcels": adj,
                "zones": {z.zone: found[z.zone].as_evidence(z.source, z.zone == "clear_cut")
                          for z in zones},
            }))
    return out


def _infected_parcel(report: pd.Series, parcels: pd.DataFrame, lon: float, lat: float
                     ) -> str | None:
    """The parcel the report names, else the surveyed parcel containing the point."""
    if pd.notna(report["parcel_id"]) and (parcels["parcel_id"] == report["parcel_id"]).any():
        return str(report["parcel_id"])
    if parcels.empty:
        return None
    inside = shapely.contains_xy(parcels["geom"].to_numpy(), lon, lat)
    return str(parcels["parcel_id"].to_numpy()[inside][0]) if inside.any() else None


def _season_groups(rep: pd.DataFrame, season) -> pd.DataFrame:  # noqa: ANN001
    """One row per (pest, county, season): reports, area, highest severity, rate, dates."""
    rep = rep.assign(season=[season(d) for d in rep["report_date"]])
    rows = []
    for (pest, county, s), g in rep.groupby(["pest", "county_code", "season"], sort=True):
        rows.append({
            "pest": pest, "county_code": county, "season": s, "report_ids": list(g["report_id"]),
            "source_sha256": _files(g),
            "area_mu": _area_mu(g), "first_date": min(g["report_date"]),
            "last_date": max(g["report_date"]),
            "severity": max(g["severity"], key=lambda v: SEVERITY_LEVEL.get(v, 0)),
            "damaged_rate_pct": (float(g["damaged_rate_pct"].max())
                                 if g["damaged_rate_pct"].notna().any() else None),
            "parcel_ids": sorted(g["parcel_id"].dropna().unique()),
        })
    return pd.DataFrame(rows)


def _insects(rep: pd.DataFrame) -> list[Alert]:
    out: list[Alert] = []
    if rep.empty:
        return out
    groups = _season_groups(rep, lambda d: str(d.year))
    for pest, gp in groups.groupby("pest", sort=True):
        first_season = gp["season"].min()
        spread_rule, rate_rule = _rule(pest, "spread_area_ratio"), _rule(pest, "damaged_rate_pct")
        name_zh = pest_names().get(pest, pest)
        for _, r in gp.sort_values(["county_code", "season"]).iterrows():
            earlier = gp[(gp["county_code"] == r["county_code"]) & (gp["season"] < r["season"])]
            steps = [f"reported severity {r['severity']}"]
            level = SEVERITY_LEVEL.get(r["severity"], 0)
            prev_area = float(earlier.iloc[-1]["area_mu"]) if len(earlier) else None
            if (rate_rule and r["damaged_rate_pct"] is not None
                    and r["damaged_rate_pct"] >= rate_rule.threshold):
                level = max(level, SEVERITIES.index(rate_rule.effect))
                steps.append(f"damaged-plant rate {r['damaged_rate_pct']:g} % >= "
                             f"{rate_rule.threshold:g} % (disaster criterion): at least "
                             f"{rate_rule.effect}")
            if earlier.empty and r["season"] > first_season:
                level += 1
                steps.append("spread: first report in this county (earlier seasons elsewhere)")
            elif spread_rule and prev_area and r["area_mu"] >= spread_rule.threshold * prev_area:
                level += 1
                steps.append(f"spread: area {r['area_mu']:g} mu >= {spread_rule.threshold:g} x "
                             f"{prev_area:g} mu of season {earlier.iloc[-1]['season']}")
            if level < 1:
                continue
            out.append(_group_alert(pest, name_zh, r, _level(level), steps,
                                    {"previous_area_mu": prev_area}))
    return out


def _rodents(rep: pd.DataFrame) -> list[Alert]:
    out: list[Alert] = []
    if rep.empty:
        return out
    groups = _season_groups(rep, lambda d: f"{d.year}-{'spring' if d.month <= 6 else 'autumn'}")
    levels = sorted((r for r in rules() if r.pest == RODENTS and r.rule == "affected_area_mu"),
                    key=lambda r: r.threshold)
    name_zh = pest_names().get(RODENTS, RODENTS)
    for _, r in groups.iterrows():
        reached = [x for x in levels if r["area_mu"] >= x.threshold]
        if not reached:
            continue
        top = reached[-1]
        steps = [f"affected area {r['area_mu']:g} mu >= {top.threshold:g} mu -> {top.effect}"]
        out.append(_group_alert(RODENTS, name_zh, r, top.effect, steps, {}))
    return out


def _group_alert(pest: str, name_zh: str, r: pd.Series, severity: str, steps: list[str],
                 extra: dict[str, Any]) -> Alert:
    county = r["county_code"]
    return Alert(
        alert_id=f"{ALERT_TYPE}:{pest}:{county}:{r['season']}",
        alert_type=ALERT_TYPE, severity=severity,
        title=f"{name_zh} {pest.replace('_', ' ')} in {_county_name(county)}, {r['season']}",
        message=(f"{len(r['report_ids'])} report(s) {r['first_date'].isoformat()} to "
                 f"{r['last_date'].isoformat()}, {r['area_mu']:g} mu "
                 f"({r['area_mu'] * M2_PER_MU / M2_PER_HA:.1f} ha) affected, highest severity "
                 f"{r['severity']}. Level {severity}: {'; '.join(steps)}."),
        county_codes=(county,), parcel_ids=tuple(r["parcel_ids"]),
        evidence={"report_ids": r["report_ids"], "source_sha256": r["source_sha256"],
                  "season": r["season"],
                  "area_mu": r["area_mu"], "severity_reported": r["severity"],
                  "damaged_rate_pct": r["damaged_rate_pct"], "rule_steps": steps, **extra})


def evaluate(p: Paths, run_id: str) -> list[Alert]:
    """The pest outbreak alerts the raw layer supports now (deterministic: reruns give the same
    alerts with the same ids)."""
    if not rawlayer.has_rows(p, "pest_reports"):
        return []
    con = rawlayer.connect()
    try:
        rep = _reports(con, p)
        alerts = (_pine_wilt(con, p, rep[rep["pest"] == PINE_WILT])
                  + _insects(rep[rep["pest"].isin(INSECTS)])
                  + _rodents(rep[rep["pest"] == RODENTS]))
    finally:
        con.close()
    log.info("%s: %d pest outbreak alert(s) from %d report(s)", run_id, len(alerts), len(rep))
    return sorted(alerts, key=lambda a: a.alert_id)
