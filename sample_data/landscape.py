"""The landscape model shared by every family: grid parcels, land classes, attributes, zones and
sink projects (:func:`build_landscape`).

* **Parcels (小班).** A regular grid (``cell_km`` per scale) in an Albers equal-area projection
  (:data:`~sample_data.geography.AEA_PROJ`) is intersected with each of the 9 county polygons of
  the bundled DataV boundary file, and pieces smaller than a quarter cell are merged into their
  longest-shared-border neighbour in the same county. Parcels therefore never overlap, never cross
  a county border, and add up to the city area (27,615 km² in this projection).
* **Land class.** Each county has area quotas (:data:`~sample_data.geography.LAND_QUOTAS_KM2`,
  km²) for wetland, mountain forest, plain plantations, steppe shrubland and other land; grassland
  is the remainder. Pieces are filled in the order of a geographic score: distance to the Yellow
  River (approximated by the city's southern boundary, which follows the river), distance to an
  approximate Daqingshan/Wulashan ridge line (:data:`~sample_data.geography.RIDGE_LONLAT`),
  distance to towns (:data:`~sample_data.geography.TOWNS_LONLAT`) plus a smooth random field for
  patchiness. The marginal piece is cut with a straight line at the exact fraction, so the quotas
  are met exactly: forest ≈ 775万亩 (18.7 % cover), grassland ≈ 2,960万亩, wetland ≈ 112万亩.
* **Zones.** The 22 development zones (:data:`~sample_data.geography.ZONES`, also written to the
  dbt seed ``seed_zones.csv`` by :func:`~sample_data.geography.write_seeds`) add up exactly to the
  plan's 309万/1220万/18万 亩; the per-zone split, zone names and zone centres are ours. Each zone
  takes the nearest parcels of its land class (and forest stratum) in its county until its planned
  area is reached, cutting the last one; the remainder stays a non-zone parcel. Sink projects (one
  per zone, ``P-FOR-001`` …) cover ≈ 330万 forest / 1000万 grassland / 10万 wetland 亩 of parcels
  in and next to the zones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import shapely
from shapely.geometry import LineString, box
from shapely.geometry.base import BaseGeometry

from sample_data.geography import (
    ALLOCATION_ORDER,
    CLASS_LETTER,
    LAND_QUOTAS_KM2,
    M2_PER_MU,
    PLAN_PROJECT_TOTALS_MU,
    PLAN_ZONE_TOTALS_MU,
    RIDGE_LONLAT,
    SCALES,
    STRATUM_CLASS,
    TOWNS_LONLAT,
    ZONES,
    Zone,
    _lonlat_to_xy,
    _point_box_aea,
    _polygonal,
    _split,
    _transformers,
    county_polygons,
    to_aea,
    to_wgs,
)
from sinkwatch.contracts import COUNTY_CODES


@dataclass
class Parcel:
    geom: BaseGeometry  # Albers equal-area metres
    county: str
    stratum: str = ""
    land_class: str = ""
    zone_id: str | None = None
    forest_type: str | None = None
    origin: str | None = None
    dominant_species: str | None = None
    species_mix: tuple[tuple[str, float], ...] = ()
    grassland_type: str | None = None
    wetland_class: str | None = None
    sink_project_id: str | None = None
    parcel_id: str = ""
    wgs: BaseGeometry | None = None

    @property
    def area_m2(self) -> float:
        return self.geom.area

    @property
    def area_mu(self) -> float:
        return self.geom.area / M2_PER_MU

    @property
    def xy(self) -> tuple[float, float]:
        c = self.geom.centroid
        return c.x, c.y

    @property
    def sampleable(self) -> bool:
        """Whether most of the parcel lies in :data:`POINT_BOX` (points can be placed in it)."""
        return self.geom.intersection(_point_box_aea()).area >= 0.5 * self.geom.area


@dataclass
class GeoField:
    """Geographic predictors evaluated at projected coordinates (distances in km)."""

    river: LineString
    ridge: LineString
    towns: np.ndarray  # (n, 2) projected
    bumps: np.ndarray  # (k, 4): x, y, sigma, amplitude; broad random field
    patches: np.ndarray  # (k, 4): fine random field (lakes, shrub patches)
    norm: tuple[float, float, float, float] = (0.0, 1.0, 0.0, 1.0)

    def d_river(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return shapely.distance(shapely.points(x, y), self.river) / 1000.0

    def d_ridge(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return shapely.distance(shapely.points(x, y), self.ridge) / 1000.0

    def d_town(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        dx = np.asarray(x)[:, None] - self.towns[None, :, 0]
        dy = np.asarray(y)[:, None] - self.towns[None, :, 1]
        return np.sqrt(dx * dx + dy * dy).min(axis=1) / 1000.0

    @staticmethod
    def _field(b: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        dx = np.asarray(x, dtype=float)[:, None] - b[None, :, 0]
        dy = np.asarray(y, dtype=float)[:, None] - b[None, :, 1]
        return (b[None, :, 3] * np.exp(-(dx * dx + dy * dy) / (2 * b[None, :, 2] ** 2))).sum(axis=1)

    def noise(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Broad smooth random field, standardised (mean 0, sd 1 over the city box)."""
        return (self._field(self.bumps, x, y) - self.norm[0]) / self.norm[1]

    def patch(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Fine random field (a few km), standardised."""
        return (self._field(self.patches, x, y) - self.norm[2]) / self.norm[3]

    def score(self, stratum: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x = np.atleast_1d(np.asarray(x, dtype=float))
        y = np.atleast_1d(np.asarray(y, dtype=float))
        n, q = self.noise(x, y), self.patch(x, y)
        if stratum == "wetland":
            return -np.minimum(self.d_river(x, y), 30.0) + 2.0 * n + 4.0 * q
        if stratum == "forest_mountain":
            return -self.d_ridge(x, y) + 3.0 * n + 3.0 * q
        if stratum == "forest_plain":
            return -np.abs(self.d_river(x, y) - 8.0) + 2.0 * n + 3.0 * q
        if stratum == "forest_steppe":
            return 6.0 * q + 3.0 * n - 0.08 * self.d_ridge(x, y)
        if stratum == "other":
            return -self.d_town(x, y) + 2.0 * n + 2.0 * q
        raise ValueError(stratum)


def _geo_field(city: BaseGeometry, rng: np.random.Generator) -> GeoField:
    """River line (the city's southern boundary between 109.45°E and 111.0°E, smoothed), ridge,
    towns and a smooth random field, all in projected metres."""
    lons = np.round(np.arange(109.45, 111.0001, 0.01), 2)
    lats = []
    for lon in lons:
        cut = LineString([(lon, 40.0), (lon, 43.0)]).intersection(city)
        lats.append(cut.bounds[1])
    lats_s = np.convolve(np.pad(np.asarray(lats), 3, mode="edge"), np.ones(7) / 7, mode="valid")
    rx, ry = _lonlat_to_xy(lons, lats_s)
    river = LineString(np.column_stack([rx, ry]))
    gx, gy = _lonlat_to_xy(*np.asarray(RIDGE_LONLAT).T)
    ridge = LineString(np.column_stack([gx, gy]))
    tx, ty = _lonlat_to_xy(*np.asarray(TOWNS_LONLAT).T)
    minx, miny, maxx, maxy = to_aea(city).bounds

    def bumps(k: int, smin: float, smax: float) -> np.ndarray:
        return np.column_stack([rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k),
                                rng.uniform(smin, smax, k), rng.normal(0.0, 1.0, k)])

    f = GeoField(river, ridge, np.column_stack([tx, ty]), bumps(90, 6_000, 22_000),
                 bumps(600, 2_500, 7_000))
    lx, ly = np.meshgrid(np.linspace(minx, maxx, 80), np.linspace(miny, maxy, 80))
    a, b = f._field(f.bumps, lx.ravel(), ly.ravel()), f._field(f.patches, lx.ravel(), ly.ravel())
    f.norm = (float(a.mean()), float(a.std()), float(b.mean()), float(b.std()))
    return f


def _grid_pieces(counties_aea: dict[str, BaseGeometry], cell_m: float) -> list[Parcel]:
    """Grid cells intersected with each county; slivers merged into a same-county neighbour."""
    pieces: list[Parcel] = []
    for code, g in counties_aea.items():
        minx, miny, maxx, maxy = g.bounds
        i0, i1 = math.floor(minx / cell_m), math.ceil(maxx / cell_m)
        j0, j1 = math.floor(miny / cell_m), math.ceil(maxy / cell_m)
        boxes = [box(i * cell_m, j * cell_m, (i + 1) * cell_m, (j + 1) * cell_m)
                 for j in range(j1 - 1, j0 - 1, -1) for i in range(i0, i1)]
        # short edges, so that an edge stays the same line in lon/lat and in metres
        boxes = shapely.segmentize(boxes, 1_000.0)
        geoms = [_polygonal(p) for p in shapely.intersection(boxes, g)]
        geoms = [p for p in geoms if p is not None and p.area > 1.0]
        pieces.extend(Parcel(p, code) for p in _merge_slivers(geoms, 0.25 * cell_m * cell_m))
    return pieces


def _merge_slivers(geoms: list[BaseGeometry], min_area: float) -> list[BaseGeometry]:
    geoms = list(geoms)
    alive = [True] * len(geoms)
    bounds = np.array([g.bounds for g in geoms])
    for k in sorted(range(len(geoms)), key=lambda i: (geoms[i].area, i)):
        if not alive[k] or geoms[k].area >= min_area:
            continue
        b = geoms[k].bounds
        near = np.nonzero((bounds[:, 0] <= b[2]) & (bounds[:, 2] >= b[0])
                          & (bounds[:, 1] <= b[3]) & (bounds[:, 3] >= b[1]))[0]
        best, best_len = -1, 0.0
        for m in near:
            if m == k or not alive[m]:
                continue
            shared = geoms[k].boundary.intersection(geoms[m].boundary).length
            if shared > best_len + 1e-9:
                best, best_len = int(m), shared
        if best >= 0:
            merged = _polygonal(shapely.union(geoms[best], geoms[k]))
            if merged is not None:
                geoms[best] = merged
                bounds[best] = merged.bounds
                alive[k] = False
    return [g for g, a in zip(geoms, alive, strict=True) if a]


def _gradient_cut(f: GeoField, stratum: str, geom: BaseGeometry) -> tuple[int, bool]:
    """Axis and side of a cut so that the taken part lies toward higher score."""
    c = geom.centroid
    h = 1_000.0
    gx = f.score(stratum, [c.x + h], [c.y])[0] - f.score(stratum, [c.x - h], [c.y])[0]
    gy = f.score(stratum, [c.x], [c.y + h])[0] - f.score(stratum, [c.x], [c.y - h])[0]
    return (0, gx >= 0) if abs(gx) >= abs(gy) else (1, gy >= 0)


MIN_SPLIT_M2 = 20_000.0  # 2 ha: smaller remainders are not cut off


def _allocate_county(pieces: list[Parcel], quotas: dict[str, float], f: GeoField) -> list[Parcel]:
    """Assign strata in ALLOCATION_ORDER by score until each quota is met exactly."""
    remaining = list(pieces)
    done: list[Parcel] = []
    for stratum in ALLOCATION_ORDER:
        quota = quotas.get(stratum, 0.0) * 1e6
        if quota <= 0 or not remaining:
            continue
        xy = np.array([p.xy for p in remaining])
        scores = f.score(stratum, xy[:, 0], xy[:, 1])
        order = sorted(range(len(remaining)), key=lambda i: (-scores[i], i))
        taken: list[int] = []
        acc = 0.0
        for i in order:
            p = remaining[i]
            if acc + p.area_m2 <= quota:
                taken.append(i)
                acc += p.area_m2
                continue
            if quota - acc > MIN_SPLIT_M2:
                axis, positive = _gradient_cut(f, stratum, p.geom)
                part, rest = _split(p.geom, quota - acc, axis, positive)
                if part is not None and rest is not None:
                    done.append(Parcel(part, p.county, stratum))
                    remaining[i] = Parcel(rest, p.county)
            break
        for i in taken:
            remaining[i].stratum = stratum
            done.append(remaining[i])
        keep = set(taken)
        remaining = [p for i, p in enumerate(remaining) if i not in keep]
    for p in remaining:
        p.stratum = "grassland"
    done.extend(remaining)
    for p in done:
        p.land_class = STRATUM_CLASS[p.stratum]
    return done


# Forest stand templates per stratum: (weight, forest_type, origin, species mix).
SpeciesMix = tuple[tuple[str, float], ...]
FOREST_TEMPLATES: dict[str, tuple[tuple[float, str, str, SpeciesMix], ...]] = {
    "forest_mountain": (
        (0.15, "broadleaf", "natural", (("Populus davidiana", 0.55), ("Betula platyphylla", 0.40),
                                        ("Ulmus pumila", 0.05))),
        (0.08, "broadleaf", "natural", (("Betula platyphylla", 0.65), ("Populus davidiana", 0.35))),
        (0.14, "conifer", "natural", (("Pinus tabuliformis", 0.85),
                                      ("Platycladus orientalis", 0.10),
                                      ("Betula platyphylla", 0.05))),
        (0.10, "mixed", "natural", (("Pinus tabuliformis", 0.45), ("Betula platyphylla", 0.30),
                                    ("Populus davidiana", 0.25))),
        (0.18, "conifer", "planted", (("Pinus tabuliformis", 0.90),
                                      ("Larix principis-rupprechtii", 0.10))),
        (0.08, "conifer", "planted", (("Platycladus orientalis", 0.90),
                                      ("Pinus tabuliformis", 0.10))),
        (0.04, "conifer", "planted", (("Larix principis-rupprechtii", 0.85),
                                      ("Pinus tabuliformis", 0.15))),
        (0.07, "mixed", "planted", (("Pinus tabuliformis", 0.50), ("Ulmus pumila", 0.30),
                                    ("Platycladus orientalis", 0.20))),
        (0.10, "shrub", "planted", (("Caragana korshinskii", 1.0),)),
        (0.06, "shrub", "natural", (("Ostryopsis davidiana", 1.0),)),
    ),
    "forest_plain": (
        (0.36, "broadleaf", "planted", (("Populus simonii", 0.85), ("Ulmus pumila", 0.15))),
        (0.20, "broadleaf", "planted", (("Ulmus pumila", 0.80), ("Populus simonii", 0.20))),
        (0.22, "conifer", "planted", (("Pinus sylvestris var. mongolica", 0.90),
                                      ("Pinus tabuliformis", 0.10))),
        (0.14, "mixed", "planted", (("Pinus sylvestris var. mongolica", 0.50),
                                    ("Populus simonii", 0.50))),
        (0.08, "shrub", "planted", (("Caragana korshinskii", 1.0),)),
    ),
    "forest_steppe": (
        (0.64, "shrub", "planted", (("Caragana korshinskii", 1.0),)),
        (0.16, "shrub", "natural", (("Caragana microphylla", 1.0),)),
        (0.12, "broadleaf", "natural", (("Ulmus pumila", 1.0),)),
        (0.08, "broadleaf", "planted", (("Populus simonii", 0.90), ("Ulmus pumila", 0.10))),
    ),
}
GRASS_SPECIES = {
    "typical_steppe": ("Stipa krylovii", "Stipa grandis", "Cleistogenes squarrosa"),
    "desert_steppe": ("Stipa klemenzii", "Stipa breviflora", "Allium polyrhizum"),
    "meadow_steppe": ("Leymus chinensis", "Achnatherum splendens"),
    "mountain_meadow": ("Carex pediformis", "Stipa baicalensis"),
}
WETLAND_SPECIES = {
    "river": "Phragmites australis", "marsh": "Phragmites australis",
    "lake": "Typha angustifolia", "constructed": "Typha angustifolia",
}
MOUNTAIN_COUNTIES = ("150203", "150204", "150205", "150207", "150221", "150222")


SHRUB_WEIGHT = 8.0


def _choose(rng: np.random.Generator, weights: Sequence[float]) -> int:
    w = np.asarray(weights, dtype=float)
    return int(rng.choice(len(w), p=w / w.sum()))


def _assign_attributes(parcels: list[Parcel], f: GeoField, rng: np.random.Generator) -> None:
    xy = np.array([p.xy for p in parcels])
    d_riv = f.d_river(xy[:, 0], xy[:, 1])
    d_rdg = f.d_ridge(xy[:, 0], xy[:, 1])
    noise = f.noise(xy[:, 0], xy[:, 1])
    _, lats = _transformers()[1].transform(xy[:, 0], xy[:, 1])
    for i, p in enumerate(parcels):
        if p.land_class == "forest":
            templates = FOREST_TEMPLATES[p.stratum]
            # Baotou's 760万亩 of forest carry only ~370万 m3 of stock (7.3 m3/ha on average):
            # most of it is shrub forest (灌木林) without growing stock, so shrub weighs more.
            weights = [t[0] * (SHRUB_WEIGHT if t[1] == "shrub" else 1.0) for t in templates]
            if p.county == "150222" and p.stratum == "forest_mountain":  # drier northern slopes
                weights = [w * (3.0 if t[1] == "shrub" else 1.0) for w, t in zip(weights, templates,
                                                                                 strict=True)]
            _, p.forest_type, p.origin, p.species_mix = templates[_choose(rng, weights)]
            p.dominant_species = p.species_mix[0][0]
        elif p.land_class == "grassland":
            if p.county in ("150223", "150206") and lats[i] > 41.66 + 0.10 * noise[i]:
                gt = "desert_steppe"
            elif p.county in MOUNTAIN_COUNTIES and d_rdg[i] < 15.0 and d_riv[i] > 15.0:
                gt = "mountain_meadow"
            elif d_riv[i] < 20.0 or (p.county == "150223" and noise[i] > 1.8):
                gt = "meadow_steppe"
            else:
                gt = "typical_steppe"
            p.grassland_type = gt
            names = GRASS_SPECIES[gt]
            p.dominant_species = names[int(rng.integers(len(names)))]
        elif p.land_class == "wetland":
            if d_riv[i] < 6.0:
                wc = ("river", "marsh", "constructed")[_choose(rng, (0.5, 0.4, 0.1))]
            else:
                wc = ("lake", "marsh", "constructed")[_choose(rng, (0.45, 0.35, 0.2))]
            p.wetland_class = wc
            p.dominant_species = WETLAND_SPECIES[wc]


def _grow(parcels: list[Parcel], cand: list[int], key: Callable[[int], tuple], target_m2: float,
          centre: tuple[float, float], attr: str, value: str, min_cut_m2: float) -> None:
    """Set ``attr = value`` on candidates in ``key`` order until ``target_m2`` is reached.

    The parcel that does not fit is cut (its part toward ``centre`` is taken) and the remainder is
    appended as a new parcel with the old attributes."""
    acc = 0.0
    for i in sorted(cand, key=key):
        p = parcels[i]
        if acc + p.area_m2 <= target_m2:
            setattr(p, attr, value)
            acc += p.area_m2
            continue
        if target_m2 - acc > min_cut_m2:
            (px, py), (cx, cy) = p.xy, centre
            axis = 0 if abs(cx - px) >= abs(cy - py) else 1
            positive = (cx - px if axis == 0 else cy - py) >= 0
            part, rest = _split(p.geom, target_m2 - acc, axis, positive)
            if part is None or rest is None:  # pragma: no cover - degenerate cut
                raise ValueError(f"could not cut a parcel for {attr}={value}")
            parcels[i] = replace(p, geom=part, **{attr: value})
            parcels.append(replace(p, geom=rest))
        return


def _assign_zones(parcels: list[Parcel]) -> None:
    """Grow each zone from its centre over parcels of its class (and stratum) in its county;
    the last parcel is cut so that the zone area equals the planned area."""
    for z in ZONES:
        target = z.planned_area_mu * M2_PER_MU
        centre = _lonlat_to_xy(z.lon, z.lat)

        def eligible(strict: bool, z: Zone = z) -> list[int]:
            return [i for i, p in enumerate(parcels)
                    if p.zone_id is None and p.county == z.county_code
                    and p.land_class == z.land_class and (not strict or p.stratum == z.stratum)]

        cand = eligible(True)
        if sum(parcels[i].area_m2 for i in cand) < target:
            cand = eligible(False)
        if sum(parcels[i].area_m2 for i in cand) < target:
            raise ValueError(f"zone {z.zone_id}: not enough {z.land_class} land in {z.county_code}")
        dist = {i: math.hypot(parcels[i].xy[0] - centre[0], parcels[i].xy[1] - centre[1])
                for i in cand}
        _grow(parcels, cand, lambda i, d=dist: (d[i], i), target, centre, "zone_id", z.zone_id,
              min_cut_m2=1.0)
        if z.zone_id == "W03":  # 南海湿地 is a lake
            for p in parcels:
                if p.zone_id == "W03":
                    p.wetland_class, p.dominant_species = "lake", WETLAND_SPECIES["lake"]


def _assign_projects(parcels: list[Parcel]) -> None:
    """One sink project per zone, scaled so that the class totals match the plan's project areas:
    grassland and wetland projects cover the part of a zone nearest its centre; forest projects
    the whole zone plus the nearest non-zone forest of the county."""
    counters = {"forest": 0, "grassland": 0, "wetland": 0}
    prefix = {"forest": "P-FOR", "grassland": "P-GRA", "wetland": "P-WET"}
    for z in ZONES:
        counters[z.land_class] += 1
        pid = f"{prefix[z.land_class]}-{counters[z.land_class]:03d}"
        # enrolled area lands a hair (0.05 %) over the plan's figure, not a rounding error under it
        ratio = 1.0005 * PLAN_PROJECT_TOTALS_MU[z.land_class] / PLAN_ZONE_TOTALS_MU[z.land_class]
        centre = _lonlat_to_xy(z.lon, z.lat)
        cand = [i for i, p in enumerate(parcels)
                if p.sink_project_id is None and p.county == z.county_code
                and p.land_class == z.land_class and p.zone_id in (z.zone_id, None)]
        key = {i: (parcels[i].zone_id != z.zone_id,
                   math.hypot(parcels[i].xy[0] - centre[0], parcels[i].xy[1] - centre[1]), i)
               for i in cand}
        _grow(parcels, cand, lambda i, k=key: k[i], z.planned_area_mu * ratio * M2_PER_MU, centre,
              "sink_project_id", pid, min_cut_m2=MIN_SPLIT_M2)


def _finalise(parcels: list[Parcel]) -> list[Parcel]:
    """Parcel ids (county-class-sequence, north to south, west to east) and WGS84 geometry."""
    def sort_key(p: Parcel) -> tuple:
        x, y = p.xy
        return (p.county, CLASS_LETTER[p.land_class], -round(y), round(x), round(p.area_m2))

    parcels = sorted(parcels, key=sort_key)
    seq: dict[tuple[str, str], int] = {}
    for p in parcels:
        k = (p.county, CLASS_LETTER[p.land_class])
        seq[k] = seq.get(k, 0) + 1
        p.parcel_id = f"{p.county}-{k[1]}-{seq[k]:06d}"
        wgs = shapely.transform(to_wgs(p.geom), lambda c: np.round(c, 6))
        if not wgs.is_valid:
            wgs = _polygonal(shapely.make_valid(wgs))
        p.wgs = shapely.orient_polygons(wgs)
    return parcels


@dataclass
class Landscape:
    parcels: list[Parcel]
    field: GeoField
    city_wgs: BaseGeometry
    by_id: dict[str, Parcel] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {p.parcel_id: p for p in self.parcels}

    def select(self, pred: Callable[[Parcel], bool]) -> list[Parcel]:
        return [p for p in self.parcels if pred(p)]


def build_landscape(scale: str = "demo", seed: int = 20211008) -> Landscape:
    """Tile the city into parcels and give them land classes, attributes, zones and projects."""
    spec = SCALES[scale]
    counties = county_polygons()
    city = shapely.union_all(list(counties.values()))
    f = _geo_field(city, np.random.default_rng([seed, 0]))
    counties_aea = {code: to_aea(shapely.segmentize(g, 0.005)) for code, g in counties.items()}
    pieces = _grid_pieces(counties_aea, spec.cell_km * 1000.0)
    parcels: list[Parcel] = []
    for code in COUNTY_CODES:
        parcels.extend(_allocate_county([p for p in pieces if p.county == code],
                                        LAND_QUOTAS_KM2[code], f))
    _assign_attributes(parcels, f, np.random.default_rng([seed, 1]))
    _assign_zones(parcels)
    _assign_projects(parcels)
    return Landscape(_finalise(parcels), f, city)
