"""Survey families: the parcels layer (with the grassland management surveys), forest plots,
grassland quadrats, wetland surveys and demonstration forests."""

from __future__ import annotations

import json
import math
import zlib
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from shapely.geometry import mapping

from sample_data.geography import (
    COUNTIES,
    YEARS,
    ZONES,
    County,
    ScaleSpec,
    _f,
    _random_points,
    _write_csv,
)
from sample_data.landscape import Landscape, Parcel
from sinkwatch.contracts import FAMILIES

#: Parcel columns that the ingestion computes from the geometry (not in the GeoJSON properties).
PARCEL_COMPUTED = ("area_mu", "centroid_lon", "centroid_lat", "geometry_wkt")


def _round_coords(obj: object) -> object:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], float):
            return [round(v, 6) for v in obj]
        return [_round_coords(v) for v in obj]
    return obj


#: Survey years of the grassland management regime (IPCC 2019 V4 Ch6 Table 6.2 classes). The
#: 2021 survey is every grassland parcel's baseline; the full parcels layer is surveyed in 2021 and
#: 2025, the grassland parcels alone in 2023.
GRASS_MANAGEMENT_YEARS = (2021, 2023, 2025)
#: Counties whose desert and typical steppe carried the heavy grazing of the 2021 baseline.
GRAZED_COUNTIES = ("150223", "150222")  # 达茂旗, 固阳县
#: Riverside counties where a few meadow-steppe parcels are improved (reseeded, fenced).
IMPROVED_COUNTIES = ("150221", "150207")  # 土右旗, 九原区


def grassland_management(land: Landscape, seed: int = 20211008
                         ) -> dict[str, dict[int, tuple[str | None, str | None]]]:
    """parcel_id -> survey year -> (grassland_management, management_input) of grassland parcels.

    The story (synthetic): at the 2021 baseline part of the desert and typical steppe of 达茂旗 and
    固阳县 is under high-intensity grazing (35 %) or severely degraded (desert steppe 15 %, typical
    steppe 8 %). The grazing ban and rest-grazing (禁牧休牧) restores heavily grazed parcels to
    ``nominal``: inside a development zone 70 % by 2023 and the rest by 2025, outside a zone 40 % by
    2025; severely degraded parcels recover more slowly (45 % by 2025, none by 2023). From 2023
    about 15 % of the riverside meadow-steppe parcels of 土右旗 and 九原区 (at least one) are
    ``improved`` (reseeded, fenced; a fifth of them with high input). Elsewhere the surveys leave
    the field empty, which the accounting reads as ``nominal``. One generator of its own, so no
    other family changes.
    """
    rng = np.random.default_rng([seed, 110])
    out: dict[str, dict[int, tuple[str | None, str | None]]] = {}
    n_improved = 0
    for p in land.parcels:
        if p.land_class != "grassland":
            continue
        u = rng.random(4)
        gt = p.grassland_type
        regime: dict[int, tuple[str | None, str | None]]
        if p.county in GRAZED_COUNTIES and gt in ("desert_steppe", "typical_steppe"):
            degraded = 0.15 if gt == "desert_steppe" else 0.08
            if u[0] < degraded:
                late = "nominal" if u[1] < 0.45 else "severely_degraded"
                regime = {2021: ("severely_degraded", None), 2023: ("severely_degraded", None),
                          2025: (late, None)}
            elif u[0] < degraded + 0.35:
                if p.zone_id is not None:
                    mid = "nominal" if u[1] < 0.70 else "high_intensity_grazing"
                    late = "nominal"
                else:
                    mid = "high_intensity_grazing"
                    late = "nominal" if u[1] < 0.40 else "high_intensity_grazing"
                regime = {2021: ("high_intensity_grazing", None), 2023: (mid, None),
                          2025: (late, None)}
            else:
                regime = {y: ("nominal", None) for y in GRASS_MANAGEMENT_YEARS}
        elif (p.county in IMPROVED_COUNTIES and gt == "meadow_steppe"
              and (u[2] < 0.15 or n_improved == 0)):
            n_improved += 1  # the first eligible parcel always: the small sample has few
            inp = "high" if u[3] < 0.2 else "medium"
            regime = {2021: ("nominal", None), 2023: ("improved", inp), 2025: ("improved", inp)}
        else:
            regime = {y: (None, None) for y in GRASS_MANAGEMENT_YEARS}
        out[p.parcel_id] = regime
    return out


#: The plan's 2021 forest area (光明网 2021-06: 760万亩, forest cover 18.3 %): the 2021 layer has
#: the sample's 2025 forest less the shrub forest planted since (2022-2025), mu.
FOREST_AREA_2021_MU = 7_600_000


def afforested_since_2021(land: Landscape) -> set[str]:
    """Planted shrub-forest parcels (柠条 Caragana) that were still unforested land in 2021, so
    that the 2021 layer's forest is the published 760万亩 and the 2025 layer's is the sample's
    (about 775万亩): afforestation of the 14th Five-Year Plan at a believable 4万亩 a year. The
    parcels are taken in the order of a hash of their id until the difference is covered (no
    random draw, so no other family changes)."""
    forest = sum(p.area_mu for p in land.parcels if p.land_class == "forest")
    need = forest - FOREST_AREA_2021_MU
    cand = sorted((p for p in land.parcels if p.land_class == "forest"
                   and p.forest_type == "shrub" and p.origin == "planted"),
                  key=lambda p: (zlib.crc32(p.parcel_id.encode()), p.parcel_id))
    out: set[str] = set()
    acc = 0.0
    for p in cand:
        if acc + p.area_mu <= need:
            out.add(p.parcel_id)
            acc += p.area_mu
    return out


#: The plan's wetland carbon-sink projects (10万亩, one per wetland zone): reclaimed Yellow River
#: floodplain returned to wetland (退耕还湿, restored) or a constructed wetland (created), in the
#: year of each project. Before it the restored land was drained for farming and fish ponds
#: (围垦) since RECLAIMED_SINCE; a created wetland was no wetland at all (other land, no survey).
WETLAND_PROJECT_YEAR = {"P-WET-001": 2022, "P-WET-002": 2023, "P-WET-003": 2021,
                        "P-WET-004": 2022, "P-WET-005": 2023}
RECLAIMED_SINCE = 1978
#: Designation year of the protection in force at the 2021 survey, by protection type.
PROTECTED_SINCE = {"wetland_park": 2013, "nature_reserve": 2008, "protection_area": 2018}


def wetland_project_status(p: Parcel, year: int) -> tuple[str | None, int | None]:
    """(management_status, since) a wetland-project parcel has in ``year``: restored or created
    from its project year; before it drained since RECLAIMED_SINCE (restored) or no wetland yet
    (created: (None, None)). Every other parcel: (None, None), i.e. what its wetland survey says."""
    start = WETLAND_PROJECT_YEAR.get(p.sink_project_id or "")
    if p.land_class != "wetland" or start is None:
        return None, None
    created = p.wetland_class == "constructed"
    if year >= start:
        return ("created" if created else "restored"), start
    return (None, None) if created else ("drained", RECLAIMED_SINCE)


def _write_parcels(land: Landscape, out: Path, seed: int = 20211008) -> list[Path]:
    """The full parcels layer surveyed in 2021 (the baseline) and 2025, and the grassland
    parcels' 2023 management survey (same polygons, one file per survey year). In 2021 the shrub
    forest planted since (:func:`afforested_since_2021`) is still other land and the wetland
    created by a project not yet there; wetland-project parcels carry their management status."""
    cols = [c for c in FAMILIES["parcels"].column_names if c not in PARCEL_COMPUTED]
    management = grassland_management(land, seed)
    afforested = afforested_since_2021(land)
    paths = []
    for year in GRASS_MANAGEMENT_YEARS:
        lines = []
        for p in land.parcels:
            if year == 2023 and p.land_class != "grassland":
                continue
            mg, inp = management.get(p.parcel_id, {}).get(year, (None, None))
            status, since = wetland_project_status(p, year)
            props = {
                "parcel_id": p.parcel_id, "county_code": p.county, "zone_id": p.zone_id,
                "land_class": p.land_class, "forest_type": p.forest_type, "origin": p.origin,
                "dominant_species": p.dominant_species, "grassland_type": p.grassland_type,
                "grassland_management": mg, "management_input": inp,
                "wetland_class": p.wetland_class, "management_status": status,
                "management_status_since": since, "sink_project_id": p.sink_project_id,
                "survey_year": year,
            }
            not_yet = year < 2022 and (p.parcel_id in afforested or (
                p.land_class == "wetland" and p.sink_project_id in WETLAND_PROJECT_YEAR
                and status is None))
            if not_yet:  # unforested land / no wetland yet: other land, not enrolled
                props.update(land_class="other", forest_type=None, origin=None,
                             dominant_species=None, wetland_class=None, sink_project_id=None)
            geom = mapping(p.wgs)
            coords = _round_coords(geom["coordinates"])
            feat = {"type": "Feature", "properties": {c: props[c] for c in cols},
                    "geometry": {"type": geom["type"], "coordinates": coords}}
            lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
        name = f"baotou_grassland_parcels_{year}" if year == 2023 else f"baotou_parcels_{year}"
        text = (f'{{"type":"FeatureCollection","name":"{name}","features":[\n'
                + ",\n".join(lines) + "\n]}\n")
        path = out / f"{name}.geojson"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


#: Tree growth from the species' own curves (SYNTHETIC, A: shaped on semi-arid Yinshan stands,
#: not a published yield table): height-diameter H = 1.3 + (Hmax - 1.3)(1 - exp(-b D)) and the
#: DBH-age curve D(a) = Dmax (1 - exp(-k a))^c (Chapman-Richards). A tree's DBH is the curve at
#: its age times the plot's site factor and its own residual; four years later it is the same
#: tree on the same curve, D(a + 4) / D(a) times larger, so old stands grow slowly and young ones
#: fast, and growth follows the stand ages below instead of a fixed increment.
#: species -> (Hmax m, b, Dmax cm, k 1/yr, c)
SPECIES_GROWTH: dict[str, tuple[float, float, float, float, float]] = {
    "Pinus tabuliformis": (18.0, 0.060, 26.0, 0.045, 1.5),
    "Platycladus orientalis": (12.0, 0.075, 22.0, 0.040, 1.5),
    "Larix principis-rupprechtii": (22.0, 0.050, 30.0, 0.050, 1.5),
    "Pinus sylvestris var. mongolica": (18.0, 0.055, 25.0, 0.050, 1.5),
    "Populus davidiana": (18.0, 0.070, 26.0, 0.040, 1.5),
    "Betula platyphylla": (18.0, 0.070, 25.0, 0.040, 1.5),
    "Populus simonii": (22.0, 0.060, 22.0, 0.070, 1.3),
    "Ulmus pumila": (15.0, 0.060, 26.0, 0.045, 1.5),
}
#: Stand age in 2021 (years) by origin and forest stratum: the Daqingshan / Wulashan secondary
#: forests regrew after the felling of the 1950s-70s; the mountain plantations are of the 1970s-80s;
#: the plain shelterbelts and steppe plantations of the first Three-North phase (1978-85), many of
#: them stagnating poplars (小老头树). A natural stand is uneven-aged (trees spread around it).
STAND_AGE: dict[tuple[str, str], tuple[float, float]] = {
    ("natural", "forest_mountain"): (40.0, 65.0),
    ("natural", "forest_steppe"): (40.0, 65.0),
    ("planted", "forest_mountain"): (48.0, 60.0),
    ("planted", "forest_plain"): (40.0, 48.0),
    ("planted", "forest_steppe"): (38.0, 46.0),
}
NATURAL_AGE_SPREAD = 8.0
#: Share of the live trees of 2021 found dead, or cut, at the 2025 tally: about 0.5 %/yr natural
#: mortality (concentrated in the suppressed trees: twice the rate for a plot's smallest tree,
#: none for its largest), drought dieback of the plain and steppe poplar and elm plantations at
#: the same rate; felling (thinning, sanitation) in the plantations only: the natural forest is
#: under the Natural Forest Protection Programme (天然林保护工程), no commercial felling.
MORTALITY_2021_2025 = 0.02
DIEBACK_2021_2025 = 0.02
DIEBACK_SPECIES = ("Populus simonii", "Ulmus pumila")
CUT_2021_2025 = {"natural": 0.0, "planted": 0.015}
#: Site factor on Dmax by origin: the natural stands keep the better (shady, deeper) slopes, the
#: plantations stand on dry slopes, sand and saline plain. Tuned so that the demo sample's 2021
#: stock lands on the city's published 370.5万 m3 (the plan's 2021 baseline).
SITE_SCALE = {"natural": 0.656, "planted": 0.555}


def _dbh_curve(species: str, age: np.ndarray | float) -> np.ndarray:
    _, _, dmax, k, c = SPECIES_GROWTH[species]
    return dmax * (1.0 - np.exp(-k * np.asarray(age, dtype=float))) ** c


#: Breast-height form factor of the species for which a station reports each tree's stem volume
#: (the species without their own Inner Mongolia biomass equation: volume x BCEF route).
#: SYNTHETIC, stands in for the station's volume table (二元立木材积表): V = (pi/4)(DBH/100)^2 H f.
#: Deterministic (no random draw), so the rest of the sample stays bit-stable.
SYNTHETIC_FORM_FACTOR: dict[str, float] = {
    "Platycladus orientalis": 0.45,
    "Juniperus rigida": 0.45,
    "Robinia pseudoacacia": 0.44,
    "Salix matsudana": 0.42,
    "Populus spp.": 0.42,
    "Quercus mongolica": 0.48,
}


def _stem_volume(species: str, dbh_cm: float, height_m: float) -> str:
    """The tree's stem volume in m3 as a station would report it (synthetic, see above), or ""."""
    f = SYNTHETIC_FORM_FACTOR.get(species)
    if f is None:
        return ""
    return _f(math.pi / 4 * (dbh_cm / 100) ** 2 * height_m * f, 4)


def _height(species: str, dbh: np.ndarray, site: float, resid: np.ndarray) -> np.ndarray:
    hmax, b, _, _, _ = SPECIES_GROWTH[species]
    h = (1.3 + (hmax - 1.3) * (1.0 - np.exp(-b * dbh))) * site * resid
    return np.clip(h, 4.0, 20.0)


def _tally_date(plot_id: str, year: int) -> str:
    """The day a plot is tallied in a cycle: July to September (the field season), fixed per plot
    and cycle by a hash of the plot id, so it draws nothing from the generator's random stream."""
    offset = zlib.crc32(f"{plot_id}|{year}".encode()) % 92  # 1 Jul + 0..91 days
    return (date(year, 7, 1) + timedelta(days=offset)).isoformat()


def _select_plot_parcels(land: Landscape, spec: ScaleSpec, rng: np.random.Generator
                         ) -> list[Parcel]:
    """≈1 plot per tree-forest parcel, capped; ≥2 plots per county × forest type stratum."""
    trees = land.select(lambda p: p.land_class == "forest" and p.forest_type != "shrub"
                        and p.sampleable)
    strata: dict[tuple[str, str], list[Parcel]] = {}
    for p in trees:
        strata.setdefault((p.county, p.forest_type or ""), []).append(p)
    total = len(trees)
    chosen: list[Parcel] = []
    for key in sorted(strata):
        ps = strata[key]
        k = len(ps) if total <= spec.max_plots else max(2, round(spec.max_plots * len(ps) / total))
        if len(ps) == 1:
            chosen.extend([ps[0], ps[0]])
            continue
        idx = sorted(rng.choice(len(ps), size=min(k, len(ps)), replace=False).tolist())
        chosen.extend(ps[i] for i in idx)
    return sorted(chosen, key=lambda p: p.parcel_id)


def _write_forest_plots(land: Landscape, spec: ScaleSpec, rng: np.random.Generator, out: Path
                        ) -> list[Path]:
    rows: dict[int, list[list[str]]] = {2021: [], 2025: []}
    per_county: dict[str, int] = {}
    for p in _select_plot_parcels(land, spec, rng):
        per_county[p.county] = per_county.get(p.county, 0) + 1
        plot_id = f"FP-{p.county}-{per_county[p.county]:04d}"
        area = 400.0 if rng.random() < 0.2 else 600.0
        (lon, lat), = _random_points(p.geom, p.wgs, 1, rng, inset_m=40.0)
        natural = p.origin == "natural"
        age_lo, age_hi = STAND_AGE[(p.origin or "planted", p.stratum)]
        stand_age = rng.uniform(age_lo, age_hi)
        # semi-arid stands are open: ~200-600 trees/ha of DBH >= 5 cm
        n = int(rng.integers(12, 30) if natural else rng.integers(15, 38))
        if p.stratum == "forest_steppe":
            n = int(rng.integers(8, 16))  # open elm woodland / shelterbelt
        n = int(np.clip(round(n * area / 600.0), 8, 60))
        names = [s for s, _ in p.species_mix]
        probs = np.array([w for _, w in p.species_mix])
        sp = [names[i] for i in rng.choice(len(names), size=n, p=probs / probs.sum())]
        spread = NATURAL_AGE_SPREAD if natural else 1.0
        age = np.clip(stand_age + rng.normal(0.0, spread, n), 12.0, 120.0)
        site = rng.uniform(0.88, 1.12)
        # the tree's place in the stand
        size = SITE_SCALE[p.origin or "planted"] * site * rng.lognormal(0.0, 0.22, n)
        d21 = np.array([_dbh_curve(s_, a) for s_, a in zip(sp, age, strict=True)]) * size
        dbh = np.clip(d21, 5.5, 45.0)
        resid = rng.normal(1.0, 0.07, n)
        h21 = np.array([_height(s, np.array([d]), site, np.array([r]))[0]
                        for s, d, r in zip(sp, dbh, resid, strict=True)])
        fate = rng.random(n)
        # four more years on the tree's own curve, with a little year-to-year noise (drawn for
        # every tree, so that a tree's fate does not shift the stream of the next plots)
        growth = np.array([_dbh_curve(s_, a + 4) / _dbh_curve(s_, a)
                           for s_, a in zip(sp, age, strict=True)])
        noise = rng.normal(1.0, 0.15, n)
        # the suppressed trees die first (self-thinning): twice the mean rate for the smallest
        # tree of the plot, none for the largest
        rank = np.argsort(np.argsort(dbh, kind="stable"), kind="stable")
        suppressed = 2.0 * (1.0 - rank / max(n - 1, 1))
        day21, day25 = _tally_date(plot_id, 2021), _tally_date(plot_id, 2025)
        for t in range(n):
            tree_id = f"{plot_id}-T{t + 1:03d}"
            d1, hgt1 = round(float(dbh[t]), 1), round(float(h21[t]), 1)
            base = [plot_id, p.parcel_id]
            tail = [_f(area, 1), _f(lon, 6), _f(lat, 6), tree_id, sp[t]]
            v1 = _stem_volume(sp[t], d1, hgt1)
            rows[2021].append([*base, "2021", *tail, _f(d1, 1), _f(hgt1, 1), "alive", v1, day21])
            dies = suppressed[t] * (
                DIEBACK_2021_2025 if (not natural and sp[t] in DIEBACK_SPECIES
                                      and p.stratum != "forest_mountain") else MORTALITY_2021_2025)
            if fate[t] < dies:
                rows[2025].append([*base, "2025", *tail, _f(d1, 1), _f(hgt1, 1), "dead", v1,
                                   day25])
            elif fate[t] < dies + CUT_2021_2025[p.origin or "planted"]:
                rows[2025].append([*base, "2025", *tail, _f(d1, 1), _f(hgt1, 1), "cut", v1,
                                   day25])
            else:
                gain = float(dbh[t]) * (float(growth[t]) - 1.0) * float(noise[t])
                d2 = d1 + max(gain, 0.0)
                h2 = max(float(_height(sp[t], np.array([d2]), site, resid[t:t + 1])[0]), hgt1)
                rows[2025].append([*base, "2025", *tail, _f(d2, 1), _f(h2, 1), "alive",
                                   _stem_volume(sp[t], round(d2, 1), round(h2, 1)), day25])
        for t in range(n, n + int(rng.poisson(1.2))):  # ingrowth: crossed 5 cm since 2021
            s = names[int(rng.choice(len(names), p=probs / probs.sum()))]
            d2 = rng.uniform(5.0, 6.5)
            h2 = _height(s, np.array([d2]), site, rng.normal(1.0, 0.07, 1))[0]
            rows[2025].append([plot_id, p.parcel_id, "2025", _f(area, 1), _f(lon, 6), _f(lat, 6),
                               f"{plot_id}-T{t + 1:03d}", s, _f(d2, 1), _f(h2, 1), "alive",
                               _stem_volume(s, round(float(d2), 1), round(float(h2), 1)), day25])
    header = FAMILIES["forest_plots"].column_names
    return [_write_csv(out / f"forest_plots_{y}.csv", header, rows[y]) for y in (2021, 2025)]


#: Peak-season dry AGB (g/m²), cover (%) and sward height (cm) ranges per grassland type.
GRASS_RANGES = {
    "typical_steppe": ((60, 200), (30, 60), (8, 30)),
    "desert_steppe": ((20, 80), (15, 35), (4, 15)),
    "meadow_steppe": ((150, 350), (60, 90), (20, 60)),
    "mountain_meadow": ((150, 350), (60, 90), (15, 45)),
}
#: Cover above the low end of the range, so the city CVC starts on the 2021 figure (36.58 %), and
#: its rise per year under the grazing ban, so that it reaches about the plan's 38 % by 2025.
COVER_OFFSET = 3.8
COVER_TREND_PER_YEAR = 0.36
#: Year effect on biomass (grazing ban recovery, 2023 dry summer).
GRASS_YEAR = {2021: 0.94, 2022: 0.99, 2023: 0.96, 2024: 1.03, 2025: 1.07}


def _write_grassland_quadrats(land: Landscape, spec: ScaleSpec, rng: np.random.Generator,
                              out: Path) -> list[Path]:
    grass = land.select(lambda p: p.land_class == "grassland" and p.sampleable)
    by_type: dict[str, list[Parcel]] = {}
    for p in grass:
        by_type.setdefault(p.grassland_type or "", []).append(p)
    chosen: list[Parcel] = []
    for gt in sorted(by_type):
        ps = by_type[gt]
        k = max(2, round(spec.quadrat_parcels * len(ps) / len(grass)))
        idx = sorted(rng.choice(len(ps), size=min(k, len(ps)), replace=False).tolist())
        chosen.extend(ps[i] for i in idx)
    chosen.sort(key=lambda p: p.parcel_id)
    rows: dict[int, list[list[str]]] = {y: [] for y in YEARS}
    per_county: dict[str, int] = {}
    for p in chosen:
        gt = p.grassland_type or "typical_steppe"
        (agb_lo, agb_hi), (cov_lo, cov_hi), (h_lo, h_hi) = GRASS_RANGES[gt]
        per_county[p.county] = per_county.get(p.county, 0) + 1
        site = f"GQ-{p.county}-{per_county[p.county]:04d}"
        nq = 3 + int(rng.random() < 0.3)
        points = _random_points(p.geom, p.wgs, nq, rng)
        if gt == "desert_steppe" and rng.random() < 0.35:
            areas = [1.0] * (nq - 1) + [100.0]  # one shrub quadrat (Caragana patches)
        else:
            areas = [0.25 if rng.random() < 0.15 else 1.0] * nq
        q_site = rng.beta(2.2, 2.8)
        q_quad = np.clip(q_site + rng.normal(0, 0.12, nq), 0.02, 0.98)
        for y in YEARS:
            day = date(y, 7, 15) + timedelta(days=int(rng.integers(0, 48)))
            for k in range(nq):
                q = q_quad[k]
                agb = (agb_lo + (agb_hi - agb_lo) * q) * GRASS_YEAR[y] * rng.normal(1.0, 0.08)
                agb = float(np.clip(agb, agb_lo, agb_hi))
                cover = (cov_lo + COVER_OFFSET + (cov_hi - cov_lo) * q
                         + COVER_TREND_PER_YEAR * (y - 2021) + rng.normal(0, 2.5))
                cover = float(np.clip(cover, cov_lo, cov_hi))
                height = h_lo + (h_hi - h_lo) * q * rng.uniform(0.8, 1.2)
                if areas[k] == 100.0:
                    height = rng.uniform(30, 80)  # shrub layer
                height = float(np.clip(height, h_lo, 80.0))
                dry = agb * areas[k]
                fresh = dry / rng.uniform(0.35, 0.45)
                lon, lat = points[k]
                rows[y].append([f"{site}-{k + 1}", p.parcel_id, day.isoformat(), gt,
                                _f(areas[k], 2), _f(lon, 6), _f(lat, 6), _f(cover, 1),
                                _f(height, 1), _f(fresh, 2), _f(dry, 2)])
    header = FAMILIES["grassland_quadrats"].column_names
    return [_write_csv(out / f"grassland_quadrats_{y}.csv", header, rows[y]) for y in YEARS]


#: City-level wetland protection rate per year. The plan's figure is 38 % by 2025; no 2021 value
#: is published (SYNTHETIC baseline: 34.5 %, +0.9 points a year).
WETLAND_PROTECTION_RATE = {2021: 0.345, 2022: 0.354, 2023: 0.363, 2024: 0.372, 2025: 0.381}


def _write_wetland_surveys(land: Landscape, rng: np.random.Generator, out: Path) -> list[Path]:
    """Wetland area, protected area and management status per parcel and year. Status: the
    wetland-project parcels as :func:`wetland_project_status` (drained, then restored or created
    in the project year; a created wetland has no survey before it); a parcel with protected
    area ``protected`` since its designation (:data:`PROTECTED_SINCE` when already protected in
    2021, else the year it joins); every other ``natural_unmanaged``. Drained land is not
    counted as protected wetland."""
    wet = land.select(lambda p: p.land_class == "wetland")
    x = np.array([p.xy[0] for p in wet])
    y = np.array([p.xy[1] for p in wet])
    d_riv = land.field.d_river(x, y)
    # protection priority: zones first (W03 Nanhai wetland park first), then along the river
    prio = sorted(range(len(wet)), key=lambda i: (wet[i].zone_id != "W03", wet[i].zone_id is None,
                                                  round(float(d_riv[i]), 3), wet[i].parcel_id))
    ptype = {}
    for i in prio:
        p = wet[i]
        if p.zone_id == "W03":
            ptype[i] = "wetland_park"
        elif p.zone_id is not None:
            ptype[i] = "nature_reserve" if p.zone_id in ("W01", "W04") else "protection_area"
        else:
            ptype[i] = "protection_area" if rng.random() < 0.7 else "wetland_park"
    frac = rng.uniform(0.94, 1.0, len(wet))
    protected_since: dict[int, int] = {}
    paths = []
    for yr in YEARS:
        if yr > YEARS[0]:
            frac = np.clip(frac + rng.normal(0.002, 0.008, len(wet)), 0.85, 1.0)
        project = [wetland_project_status(p, yr) for p in wet]
        surveyed = [p.sink_project_id not in WETLAND_PROJECT_YEAR or st is not None
                    for p, (st, _) in zip(wet, project, strict=True)]
        area = np.array([p.area_mu for p in wet]) * frac * np.array(surveyed)
        target = WETLAND_PROTECTION_RATE[yr] * area.sum()
        protected = np.zeros(len(wet))
        acc = 0.0
        # a designation, once made, stays: the parcels protected before come first
        order = [i for i in prio if i in protected_since] + [
            i for i in prio if i not in protected_since]
        for i in order:
            if project[i][0] == "drained" or not surveyed[i]:
                continue
            take = min(area[i], target - acc)
            if take <= 0:
                break
            protected[i] = take
            acc += take
            protected_since.setdefault(i, PROTECTED_SINCE[ptype[i]] if yr == YEARS[0] else yr)
        rows = []
        for i in sorted(range(len(wet)), key=lambda i: wet[i].parcel_id):
            if not surveyed[i]:
                continue
            p = wet[i]
            status, since = project[i]
            if status is None:
                status, since = (("protected", protected_since[i]) if protected[i] > 0
                                 else ("natural_unmanaged", None))
            rows.append([f"WS-{yr}-{p.parcel_id}", p.parcel_id, str(yr), p.wetland_class or "",
                         _f(area[i], 1), _f(min(protected[i], area[i]), 1),
                         ptype[i] if protected[i] > 0 else "none", status,
                         "" if since is None else str(since)])
        paths.append(_write_csv(out / f"wetland_surveys_{yr}.csv",
                                FAMILIES["wetland_surveys"].column_names, rows))
    return paths


#: County-years that miss the ≥500 mu/year demonstration-forest target (deliberate failures).
DEMO_FOREST_SHORTFALLS = {("150206", 2021): 320.0, ("150205", 2023): 430.0,
                          ("150207", 2024): 460.0}
DEMO_SITE_PLACES = {
    "150202": ("沙尔沁", "河东", "古城湾"), "150203": ("卜尔汉图", "昆河北岸", "阿尔丁"),
    "150204": ("兴胜", "哈业脑包", "青山北坡"), "150205": ("五当召", "吉忽伦图", "大发"),
    "150206": ("矿区南坡", "白云东山"), "150207": ("哈林格尔", "哈业胡同", "阿嘎如泰"),
    "150221": ("美岱召", "沟门", "九峰山"), "150222": ("金山", "下湿壕", "兴顺西"),
    "150223": ("石宝", "百灵淖", "乌克忽洞"),
}
DEMO_SPECIES = ("Pinus tabuliformis", "Pinus sylvestris var. mongolica", "Platycladus orientalis",
                "Populus simonii", "Ulmus pumila", "Caragana korshinskii")
DEMO_SPONSORS = ("包头市林业和草原局", "内蒙古电力（集团）包头供电公司", "包头稀土高新区管委会")


def _demo_sites(c: County, yr: int, rng: np.random.Generator
                ) -> list[tuple[str, float, str | None, str | None]]:
    """(site name, area mu, sponsor, planting date) of one county's plantings in one year."""
    places = DEMO_SITE_PLACES[c.code]
    if (c.code, yr) in DEMO_FOREST_SHORTFALLS:
        return [(f"{c.short_zh}{places[0]}碳汇示范林", DEMO_FOREST_SHORTFALLS[(c.code, yr)],
                 None, None)]
    if c.code in ("150204", "150222"):  # ≥2000-mu demonstration base plus smaller sites
        areas = [round(rng.uniform(2000, 2800), -1)]
        areas += [round(rng.uniform(150, 700), -1) for _ in range(int(rng.integers(0, 3)))]
    else:
        total = round(rng.uniform(520, 1800), -1)
        shares = rng.dirichlet(np.full(int(rng.integers(1, 4)), 4.0))
        areas = [round(total * s, -1) for s in shares[:-1]]
        areas.append(total - sum(areas))
    sites: list[tuple[str, float, str | None, str | None]] = []
    for k, mu in enumerate(areas):
        base = "碳汇林示范基地" if c.code in ("150204", "150222") and k == 0 else "碳汇示范林"
        sponsor = (DEMO_SPONSORS[int(rng.integers(len(DEMO_SPONSORS)))]
                   if rng.random() < 0.2 else None)
        sites.append((f"{c.short_zh}{places[k % len(places)]}{base}", float(mu), sponsor, None))
    if c.code == "150203" and yr in (2021, 2022):  # Baogang cooperative forest: 1500 -> 4500 mu
        sites.append(("包钢碳汇林（一期）", 1500.0, "包钢（集团）公司", "2021-10-28") if yr == 2021
                     else ("包钢碳汇林（二期）", 3000.0, "包钢（集团）公司", "2022-04-12"))
    return sites


def _write_demo_forests(rng: np.random.Generator, out: Path) -> list[Path]:
    forest_zone: dict[str, str] = {}
    for z in ZONES:
        if z.land_class == "forest":
            forest_zone.setdefault(z.county_code, z.zone_id)
    paths = []
    for yr in YEARS:
        rows = []
        for c in COUNTIES:
            for k, (name, mu, sponsor, when) in enumerate(_demo_sites(c, yr, rng)):
                if when is None:  # spring or autumn planting
                    spring = rng.random() < 0.65
                    start, span = (date(yr, 4, 1), 50) if spring else (date(yr, 10, 10), 36)
                    when = (start + timedelta(days=int(rng.integers(0, span)))).isoformat()
                if c.code == "150223":
                    sp = "Caragana korshinskii" if rng.random() < 0.6 else "Ulmus pumila"
                else:
                    sp = DEMO_SPECIES[int(rng.integers(len(DEMO_SPECIES)))]
                rows.append([f"DF-{yr}-{c.code}-{k + 1:02d}", c.code, str(yr), name, _f(mu, 1), sp,
                             when, forest_zone.get(c.code, ""), sponsor or ""])
        paths.append(_write_csv(out / f"demo_forests_{yr}.csv",
                                FAMILIES["demo_forests"].column_names, rows))
    return paths
