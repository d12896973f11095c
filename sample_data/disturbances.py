"""Disturbance families: fire events, FIRMS hotspots (VIIRS archive, MODIS NRT), fire reports
and pest reports."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import shapely
import shapely.ops

from sample_data.geography import (
    OUTSIDE_FIRE_ANCHORS,
    STATIC_SOURCES,
    YEARS,
    ScaleSpec,
    _f,
    _ft,
    _lonlat_to_xy,
    _opt,
    _random_points,
    _write_csv,
    _xy_to_lonlat,
    to_aea,
)
from sample_data.landscape import Landscape, Parcel, _choose
from sinkwatch.contracts import FAMILIES

VIIRS_ARCHIVE_HEADER = (
    "latitude", "longitude", "bright_ti4", "scan", "track", "acq_date", "acq_time", "satellite",
    "instrument", "confidence", "version", "bright_ti5", "frp", "daynight", "type",
)
MODIS_NRT_HEADER = (
    "latitude", "longitude", "brightness", "scan", "track", "acq_date", "acq_time", "satellite",
    "instrument", "confidence", "version", "bright_t31", "frp", "daynight",
)


@dataclass
class FireEvent:
    start: date
    days: int
    parcel: Parcel
    lon: float
    lat: float
    x: float
    y: float
    area_ha: float
    veg: str  # forest / grassland / shrub / crop
    cause: str
    report: bool = False


#: Static sources seen on most days (issue #14): per source, the chance of a VIIRS detection on
#: a day, of a MODIS detection on a day of 2025 (the MODIS NRT file's year) and the mean number of
#: extra VIIRS pixels (a steel works is several furnaces).
STATIC_DAILY = {
    "Baogang steel works": (0.85, 0.6, 0.8),
    "Baotou No.1 thermal power plant": (0.4, 0.2, 0.1),
    "Baotou No.2 thermal power plant": (0.4, 0.2, 0.1),
    "Bayan Obo iron and rare-earth mine": (0.15, 0.3, 0.0),
}

FIRE_CAUSES = ("清明祭祀用火", "农事烧荒", "野外吸烟", "雷击", "电力线路故障", "火因不明",
               "Agricultural burning", "Cause under investigation")


def _fire_events(land: Landscape, spec: ScaleSpec, rng: np.random.Generator) -> list[FireEvent]:
    grass = land.select(lambda p: p.land_class == "grassland" and p.sampleable
                        and p.county in ("150222", "150223", "150206", "150205"))
    forest = land.select(lambda p: p.land_class == "forest" and p.stratum != "forest_plain"
                         and p.sampleable)
    crop = land.select(lambda p: p.land_class == "other" and p.sampleable
                       and p.county in ("150207", "150221", "150202"))
    gw = np.array([p.area_m2 for p in grass])
    fw = np.array([p.area_m2 for p in forest])
    cw = np.array([p.area_m2 for p in crop])
    events: list[FireEvent] = []
    for yr in YEARS:
        n_veg = max(5, int(rng.poisson(spec.veg_fires_per_year)))
        n_crop = int(rng.poisson(spec.crop_fires_per_year))
        for k in range(n_veg + n_crop):
            if rng.random() < 0.7:  # spring season, peak around Qingming
                start = date(yr, 3, 10) + timedelta(days=int(np.clip(rng.normal(30, 16), 0, 82)))
            else:
                start = date(yr, 10, 1) + timedelta(days=int(rng.integers(0, 61)))
            if k >= n_veg:
                p = crop[int(rng.choice(len(crop), p=cw / cw.sum()))]
                veg, cause = "crop", "农事烧荒"
            elif rng.random() < 0.72:
                p = grass[int(rng.choice(len(grass), p=gw / gw.sum()))]
                veg = "grassland"
                cause = FIRE_CAUSES[_choose(rng, (2, 4, 3, 1, 1, 3, 1, 1))]
            else:
                p = forest[int(rng.choice(len(forest), p=fw / fw.sum()))]
                veg = "shrub" if p.forest_type == "shrub" else "forest"
                cause = FIRE_CAUSES[_choose(rng, (5, 1, 3, 2, 1, 2, 0.5, 0.5))]
            (lon, lat), = _random_points(p.geom, p.wgs, 1, rng, inset_m=600.0)
            x, y = _lonlat_to_xy(lon, lat)
            area = float(np.clip(rng.lognormal(math.log(8.0), 1.3), 0.5, 300.0))
            days = 1 + int(area > 20) + int(area > 120)
            events.append(FireEvent(start, days, p, lon, lat, float(x), float(y), area, veg, cause))
    events.sort(key=lambda e: (e.start, e.parcel.parcel_id, e.lon))
    return events


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}{minutes % 60:02d}"


def _jitter_lonlat(x: float, y: float, sd_m: float, rng: np.random.Generator
                   ) -> tuple[float, float]:
    lon, lat = _xy_to_lonlat(x + rng.normal(0, sd_m), y + rng.normal(0, sd_m))
    return lon, lat


def _outside_points(land: Landscape, rng: np.random.Generator) -> list[tuple[float, float]]:
    """One point 3–10 km outside the city boundary toward each of OUTSIDE_FIRE_ANCHORS."""
    city = to_aea(land.city_wgs)
    out = []
    for alon, alat in OUTSIDE_FIRE_ANCHORS:
        ax, ay = _lonlat_to_xy(alon, alat)
        edge = shapely.ops.nearest_points(city.boundary, shapely.Point(ax, ay))[0]
        dx, dy = ax - edge.x, ay - edge.y
        norm = math.hypot(dx, dy)
        d = rng.uniform(3_000, 10_000)
        lon, lat = _xy_to_lonlat(edge.x + dx / norm * d, edge.y + dy / norm * d)
        lon, lat = round(lon, 5), round(lat, 5)
        if shapely.contains_xy(land.city_wgs, lon, lat):  # pragma: no cover - concave boundary
            raise ValueError(f"outside fire point {lon},{lat} is inside the city")
        out.append((lon, lat))
    return out


def _write_fire_hotspots(land: Landscape, spec: ScaleSpec, events: list[FireEvent],
                         rng: np.random.Generator, out: Path) -> list[Path]:
    viirs: dict[tuple, list[str]] = {}
    modis: dict[tuple, list[str]] = {}

    def inside_ok(lon: float, lat: float, parcel: Parcel | None) -> bool:
        if parcel is not None:
            return bool(shapely.contains_xy(parcel.wgs, lon, lat))
        return bool(shapely.contains_xy(land.city_wgs, lon, lat))

    def viirs_row(lon: float, lat: float, day: date, night: bool, ftype: int, hot: float,
                  r: np.random.Generator = rng) -> None:
        minute = int(r.integers(18 * 60, 20 * 60)) if night else int(r.integers(300, 390))
        if night:
            ti4, conf = r.uniform(295, 335) + 10 * hot, "n"
        else:
            ti4 = r.uniform(302, 345) + 15 * hot
            conf = "l" if ti4 < 312 else ("h" if ti4 >= 360 else "n")
        ti4 = min(ti4, 367.0)
        if conf == "n" and not night and r.random() < 0.06:
            ti4, conf = 367.0, "h"  # saturated pixel
        ti5 = r.uniform(262, 282) if night else r.uniform(280, 305)
        scan = r.uniform(0.32, 0.78)
        row = [_ft(lat, 5), _ft(lon, 5), _ft(ti4, 2), _ft(scan, 2),
               _ft(min(0.78, scan * r.uniform(0.85, 1.15) + 0.03), 2), day.isoformat(),
               _hhmm(minute), "N", "VIIRS", conf, "2", _ft(ti5, 2),
               _ft(r.uniform(0.6, 12.0) * (1 + 4 * hot), 2), "N" if night else "D", str(ftype)]
        viirs.setdefault((lat, lon, day, row[6]), row)

    def modis_row(lon: float, lat: float, day: date, night: bool, hot: float,
                  r: np.random.Generator = rng) -> None:
        aqua = r.random() < 0.5
        if aqua:
            minute = int(r.integers(17 * 60 + 50, 19 * 60 + 20) if night
                         else r.integers(300, 390))
        else:  # Terra: 10:30 / 22:30 local solar time
            minute = int(r.integers(14 * 60 + 30, 15 * 60 + 30) if night
                         else r.integers(170, 230))
        bright = r.uniform(300, 330) + 25 * hot if not night else r.uniform(295, 315) + 15 * hot
        scan = r.uniform(1.0, 3.2)
        row = [_ft(lat, 4), _ft(lon, 4), _ft(bright, 2), _ft(scan, 2),
               _ft(1.0 + (scan - 1.0) * r.uniform(0.38, 0.45), 2), day.isoformat(), _hhmm(minute),
               "Aqua" if aqua else "Terra", "MODIS", str(int(np.clip(r.normal(55, 20) + 30 * hot,
                                                                      0, 100))),
               "6.1NRT", _ft(r.uniform(270, 300), 2), _ft(r.uniform(4, 40) * (1 + 3 * hot), 2),
               "N" if night else "D"]
        modis.setdefault((lat, lon, day, row[6], row[7]), row)

    def place(x: float, y: float, sd: float, parcel: Parcel | None,
              r: np.random.Generator = rng) -> tuple[float, float]:
        for _ in range(50):
            lon, lat = _jitter_lonlat(x, y, sd, r)
            if inside_ok(lon, lat, parcel):
                return lon, lat
        return _xy_to_lonlat(x, y)

    for e in events:
        hot = min(1.0, e.area_ha / 150.0)
        for d in range(e.days):
            day = e.start + timedelta(days=d)
            for night in (False, True):
                if rng.random() > (0.85 if not night else 0.25 + 0.5 * hot):
                    continue
                for _ in range(1 + int(rng.poisson(e.area_ha / 40.0))):
                    lon, lat = place(e.x, e.y, 350.0, e.parcel)
                    viirs_row(lon, lat, day, night, 0, hot)
                if day.year == 2025 and rng.random() < 0.35 + 0.5 * hot:
                    lon, lat = place(e.x, e.y, 600.0, e.parcel)
                    modis_row(lon, lat, day, night, hot)
    weights = np.array([s[3] for s in STATIC_SOURCES])
    for yr in YEARS:
        n_days = 366 if yr % 4 == 0 else 365
        for _ in range(int(rng.poisson(spec.static_per_year))):
            name, slon, slat, _w = STATIC_SOURCES[int(rng.choice(len(weights),
                                                                 p=weights / weights.sum()))]
            sx, sy = _lonlat_to_xy(slon, slat)
            day = date(yr, 1, 1) + timedelta(days=int(rng.integers(0, n_days)))
            night = rng.random() < 0.55
            lon, lat = place(sx, sy, 250.0, None)
            viirs_row(lon, lat, day, night, 2, 0.6)
            if yr == 2025 and rng.random() < 0.5:
                lon, lat = place(sx, sy, 500.0, None)
                modis_row(lon, lat, day, night, 0.4)
    for k, (lon, lat) in enumerate(_outside_points(land, rng)):  # just outside the city
        yr = YEARS[k % len(YEARS)]
        day = date(yr, 4, 2) + timedelta(days=int(rng.integers(0, 40)))
        viirs_row(lon, lat, day, False, 0, 0.3)
        if k < 2:
            modis_row(lon, lat, date(2025, 4, 10 + 3 * k), False, 0.3)
    # The static sources on most days of every year (issue #14): the VIIRS archive flags them
    # type 2, the MODIS NRT file has no type field (the seed list and the persistence rule of
    # monitoring.fire_masks mask them). Their own generator: the rows above stay byte-identical.
    srng = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])
    for name, slon, slat, _w in STATIC_SOURCES:
        p_viirs, p_modis, extra = STATIC_DAILY[name]
        sx, sy = _lonlat_to_xy(slon, slat)
        for yr in YEARS:
            for d in range((date(yr + 1, 1, 1) - date(yr, 1, 1)).days):
                day = date(yr, 1, 1) + timedelta(days=d)
                night = srng.random() < 0.55
                if srng.random() < p_viirs:
                    for _ in range(1 + int(srng.poisson(extra))):
                        lon, lat = place(sx, sy, 250.0, None, srng)
                        viirs_row(lon, lat, day, night, 2, 0.6, srng)
                if yr == 2025 and srng.random() < p_modis:
                    lon, lat = place(sx, sy, 400.0, None, srng)
                    modis_row(lon, lat, day, night, 0.4, srng)
    key = lambda r: (r[5], r[6], r[0], r[1])  # noqa: E731 - date, time, lat, lon
    return [
        _write_csv(out / "fire_archive_SV-C2_baotou_2021_2025.csv", VIIRS_ARCHIVE_HEADER,
                   sorted(viirs.values(), key=key)),
        _write_csv(out / "fire_nrt_M-C61_baotou_2025.csv", MODIS_NRT_HEADER,
                   sorted(modis.values(), key=key)),
    ]


VIIRS_NRT_HEADER = (
    "latitude", "longitude", "bright_ti4", "scan", "track", "acq_date", "acq_time", "satellite",
    "instrument", "confidence", "version", "bright_ti5", "frp", "daynight",
)
#: The demo's burning fire (issue #14): Qingming 2026, the afternoon VIIRS passes over Baotou one
#: after the other (NOAA-20, NOAA-21, Suomi NPP, ~25 min apart), one NRT file each, each landing
#: for its own 30-minute ingest_disturbances run. Per step: file name, satellite, UTC time, forest
#: fire pixels and spread radius (m), FRP range (MW), grassland fire pixels, steel-works pixels.
REPLAY_DAY = date(2026, 4, 5)
REPLAY_STEPS = (
    ("fire_nrt_J1V-C2_baotou_20260405T0444.csv", "N20", "0444", 2, 150.0, (6.0, 14.0), 0, 1),
    ("fire_nrt_J2V-C2_baotou_20260405T0509.csv", "N21", "0509", 6, 450.0, (9.0, 48.0), 2, 2),
    ("fire_nrt_SV-C2_baotou_20260405T0533.csv", "N", "0533", 12, 900.0, (18.0, 135.0), 3, 3),
)
#: Where the replay fires start: the Wulashan forest zone (F03, 九原区) and the central Darhan
#: Muminggan steppe zone (G02); the nearest zone parcel of the right land class is used.
REPLAY_FOREST_ANCHOR = (109.60, 40.74)
REPLAY_GRASS_ANCHOR = (110.60, 41.85)


def _write_fire_replay(land: Landscape, rng: np.random.Generator, pending: Path) -> list[Path]:
    """The demo's fire as successive FIRMS VIIRS NRT files (14-column download layout, no
    ``type`` field): ``pending/step_NN/fire_hotspots/<file>``, moved into landing one step per
    ``ingest_disturbances`` run by ``make demo``. A forest fire in a forest zone grows from 2 to
    12 pixels (FRP past 100 MW in the third pass), a grassland fire starts in the second pass,
    and each file carries Baogang steel-works pixels (masked by the seed list)."""

    def nearest(land_class: str, anchor: tuple[float, float]) -> Parcel:
        ax, ay = _lonlat_to_xy(*anchor)
        cands = land.select(lambda p: p.land_class == land_class and p.zone_id is not None
                            and p.sampleable and p.stratum != "forest_plain")
        return min(cands, key=lambda p: (shapely.distance(p.geom, shapely.Point(ax, ay)),
                                          p.parcel_id))

    forest = nearest("forest", REPLAY_FOREST_ANCHOR)
    grass = nearest("grassland", REPLAY_GRASS_ANCHOR)
    (flon, flat), = _random_points(forest.geom, forest.wgs, 1, rng, inset_m=1_200.0)
    (glon, glat), = _random_points(grass.geom, grass.wgs, 1, rng, inset_m=600.0)
    fx, fy = _lonlat_to_xy(flon, flat)
    gx, gy = _lonlat_to_xy(glon, glat)
    sx, sy = _lonlat_to_xy(*STATIC_SOURCES[0][1:3])  # Baogang
    heading = rng.uniform(0, 2 * math.pi)  # the fire runs up-slope in one direction

    def row(lon: float, lat: float, sat: str, hhmm: str, frp: float, hot: float) -> list[str]:
        ti4 = min(367.0, 320.0 + 40.0 * hot + rng.uniform(-6, 6))
        conf = "h" if ti4 >= 360 else "n"
        scan = rng.uniform(0.38, 0.52)
        return [_ft(lat, 5), _ft(lon, 5), _ft(ti4, 2), _ft(scan, 2), _ft(scan * 0.9 + 0.05, 2),
                REPLAY_DAY.isoformat(), hhmm, sat, "VIIRS", conf, "2.0NRT",
                _ft(rng.uniform(288, 300), 2), _ft(frp, 2), "D"]

    paths = []
    for k, (name, sat, hhmm, n_fire, radius, (f_lo, f_hi), n_grass, n_steel) in enumerate(
            REPLAY_STEPS, start=1):
        rows = []
        for i in range(n_fire):  # pixels spread along the heading, the hottest at the front
            d = radius * (i + 1) / n_fire
            lon, lat = _xy_to_lonlat(fx + d * math.cos(heading) + rng.normal(0, 120),
                                     fy + d * math.sin(heading) + rng.normal(0, 120))
            frp = f_lo + (f_hi - f_lo) * (i + 1) / n_fire
            rows.append(row(lon, lat, sat, hhmm, frp, min(1.0, frp / 100.0)))
        for _ in range(n_grass):
            lon, lat = _xy_to_lonlat(gx + rng.normal(0, 250), gy + rng.normal(0, 250))
            rows.append(row(lon, lat, sat, hhmm, rng.uniform(4.0, 11.0), 0.2))
        for _ in range(n_steel):
            lon, lat = _xy_to_lonlat(sx + rng.normal(0, 250), sy + rng.normal(0, 250))
            rows.append(row(lon, lat, sat, hhmm, rng.uniform(20.0, 60.0), 0.6))
        rows.sort(key=lambda r: (r[0], r[1]))
        paths.append(_write_csv(pending / f"step_{k:02d}" / "fire_hotspots" / name,
                                VIIRS_NRT_HEADER, rows))
    return paths


def _write_fire_reports(land: Landscape, events: list[FireEvent], rng: np.random.Generator,
                        out: Path) -> list[Path]:
    veg_parcels = land.select(lambda p: p.land_class in ("forest", "grassland")
                              and p.county not in ("150203", "150204") and p.sampleable)
    paths = []
    for yr in YEARS:
        reported = [e for e in events if e.start.year == yr and e.veg != "crop"
                    and (e.area_ha >= 5.0 or rng.random() < 0.2)]
        # small fires put out before a satellite pass: reported but never detected
        for _ in range(max(0, 5 - len(reported)) + int(rng.integers(0, 2))):
            p = veg_parcels[int(rng.integers(len(veg_parcels)))]
            (lon, lat), = _random_points(p.geom, p.wgs, 1, rng, inset_m=300.0)
            veg = ("grassland" if p.land_class == "grassland"
                   else "shrub" if p.forest_type == "shrub" else "forest")
            start = date(yr, 3, 15) + timedelta(days=int(rng.integers(0, 70)))
            x, y = _lonlat_to_xy(lon, lat)
            reported.append(FireEvent(start, 1, p, lon, lat, float(x), float(y),
                                      float(rng.uniform(0.5, 3.0)), veg, "野外吸烟"))
        reported.sort(key=lambda e: (e.start, e.parcel.parcel_id, e.lon))
        rows = []
        for k, e in enumerate(reported):
            rows.append([f"FR-{yr}-{k + 1:03d}", e.parcel.county, e.parcel.parcel_id,
                         e.start.isoformat(), (e.start + timedelta(days=e.days - 1)).isoformat(),
                         _f(e.lon, 6), _f(e.lat, 6), _f(e.area_ha, 1), e.veg, e.cause])
        paths.append(_write_csv(out / f"fire_reports_{yr}.csv",
                                FAMILIES["fire_reports"].column_names, rows))
    return paths


PLANTATION_HOSTS = ("Populus simonii", "Ulmus pumila")


def _write_pest_reports(land: Landscape, spec: ScaleSpec, rng: np.random.Generator, out: Path
                        ) -> list[Path]:
    pines = land.select(lambda p: p.land_class == "forest" and (p.dominant_species or "")
                        .startswith("Pinus"))
    plain_broad = land.select(lambda p: p.land_class == "forest" and p.stratum == "forest_plain"
                              and p.dominant_species in PLANTATION_HOSTS)
    poplar_elm = land.select(lambda p: p.land_class == "forest" and p.origin == "planted"
                             and p.dominant_species in PLANTATION_HOSTS)
    rodent = land.select(lambda p: p.land_class == "grassland"
                         and p.grassland_type in ("typical_steppe", "desert_steppe"))
    pine_wilt_years = (2022, 2024, 2025)
    paths = []
    for yr in YEARS:
        reports: list[tuple[date, Parcel, str, str, float, str, int | None, float | None]] = []
        n = int(rng.poisson(spec.pests_per_year))
        n_web = max(1, round(n * 0.25))
        n_alb = max(1, round(n * 0.2))
        n_rod = max(2, n - n_web - n_alb)
        if yr in pine_wilt_years:  # rare: a few infected trees, felled and destroyed
            p = pines[int(rng.integers(len(pines)))]
            dead = int(rng.integers(1, 10))
            sev = "light" if dead <= 3 else "moderate" if dead <= 7 else "severe"
            when = date(yr, 9, 1) + timedelta(days=int(rng.integers(0, 45)))
            reports.append((when, p, "pine_wilt_nematode", p.dominant_species or "",
                            float(rng.uniform(5, 60)), sev, dead, None))
        for _ in range(n_web):  # fall webworm: 1st generation Jun-Jul, 2nd Aug-Sep
            p = plain_broad[int(rng.integers(len(plain_broad)))]
            rate = float(np.clip(rng.lognormal(math.log(2.5), 0.8), 0.2, 25.0))
            sev = "light" if rate < 2 else "moderate" if rate < 6 else "severe"
            start = date(yr, 6, 10) if rng.random() < 0.5 else date(yr, 8, 5)
            when = start + timedelta(days=int(rng.integers(0, 35)))
            reports.append((when, p, "fall_webworm", p.dominant_species or "",
                            p.area_mu * float(rng.uniform(0.02, 0.3)), sev, None, rate))
        for _ in range(n_alb):  # Asian longhorned beetle on poplar / elm plantations
            p = poplar_elm[int(rng.integers(len(poplar_elm)))]
            rate = float(np.clip(rng.lognormal(math.log(9.0), 0.6), 2.0, 45.0))
            sev = "light" if rate < 10 else "moderate" if rate < 20 else "severe"
            when = date(yr, 7, 1) + timedelta(days=int(rng.integers(0, 80)))
            dead = int(rng.integers(0, 12) + (rate > 20) * rng.integers(10, 120))
            reports.append((when, p, "asian_longhorned_beetle", p.dominant_species or "",
                            p.area_mu * float(rng.uniform(0.05, 0.4)), sev, dead, rate))
        for _ in range(n_rod):  # rodents / pikas: severity from active burrows per ha
            p = rodent[int(rng.integers(len(rodent)))]
            burrows = float(rng.lognormal(math.log(160.0), 0.55))
            sev = "light" if burrows < 150 else "moderate" if burrows < 300 else "severe"
            start = date(yr, 4, 20) if rng.random() < 0.7 else date(yr, 9, 1)
            when = start + timedelta(days=int(rng.integers(0, 50)))
            reports.append((when, p, "grassland_rodent_pika", "",
                            p.area_mu * float(rng.uniform(0.2, 0.9)), sev, None, None))
        reports.sort(key=lambda r: (r[0], r[2], r[1].parcel_id))
        rows = [[f"PR-{yr}-{k + 1:04d}", p.county, p.parcel_id, when.isoformat(), pest, host,
                 _f(area, 1), sev, _opt(dead), _opt(rate, lambda v: _f(v, 1)),
                 *_pine_wilt_point(p, pest, yr)]
                for k, (when, p, pest, host, area, sev, dead, rate) in enumerate(reports)]
        if yr == YEARS[-1]:  # the autumn survey finds an infected tree among the pine stands
            rows.append(_pine_wilt_detection(pines, yr))
            rows.sort(key=lambda r: r[3])  # by date; the earlier rows keep their ids
        paths.append(_write_csv(out / f"pest_reports_{yr}.csv",
                                FAMILIES["pest_reports"].column_names, rows))
    return paths


def _pine_wilt_point(p: Parcel, pest: str, yr: int) -> list[str]:
    """lon, lat of a pine wilt report (the infected tree); other reports carry no point. Drawn
    from a stream of its own, so the other rows are those of the contract without a point."""
    if pest != "pine_wilt_nematode":
        return ["", ""]
    (lon, lat), = _random_points(p.geom, p.wgs, 1, np.random.default_rng([9, 9000 + yr]),
                                 inset_m=200.0)
    return [_f(lon, 6), _f(lat, 6)]


def _pine_wilt_detection(pines: list[Parcel], yr: int) -> list[str]:
    """A pine wilt detection 150 m inside the pine parcel with the most pine neighbours, next
    to its border with one of them: the 500 m clear-cut zone reaches into the neighbours (the
    epidemic point of monitoring/pests.py)."""
    tree = shapely.STRtree([p.geom for p in pines])
    best: tuple[int, str, Parcel, list[Parcel]] | None = None
    for p in pines:
        near = [pines[k] for k in tree.query(p.geom.buffer(1.0), predicate="intersects")
                if pines[k] is not p]
        if near and (best is None or (-len(near), p.parcel_id) < (best[0], best[1])):
            best = (-len(near), p.parcel_id, p, sorted(near, key=lambda q: q.parcel_id))
    assert best is not None, "no pine parcel has a pine neighbour"
    _, _, p, near = best
    border = p.geom.boundary.intersection(near[0].geom.buffer(1.0))
    mid = border.interpolate(0.5, normalized=True)
    inner = p.geom.buffer(-150.0)
    if inner.is_empty:  # a parcel narrower than 300 m (small bench scales): its own interior
        inner = p.geom.buffer(-0.25 * (p.geom.area ** 0.5))
    pt = shapely.ops.nearest_points(inner if not inner.is_empty else p.geom, mid)[0]
    lon, lat = _xy_to_lonlat(pt.x, pt.y)
    return [f"PR-{yr}-9001", p.county, p.parcel_id, date(yr, 10, 15).isoformat(),
            "pine_wilt_nematode", p.dominant_species or "", "1.2", "light", "3", "",
            _f(lon, 6), _f(lat, 6)]
