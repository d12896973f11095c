"""Deterministic, realistic-looking **synthetic** sample data for the Baotou carbon-sink pilot zone.

Nothing written here is official data. The files imitate what the platform's users upload (forestry
bureau surveys, NASA FIRMS downloads, MODIS NDVI extracts, pest and fire reports), with the column
contracts of :mod:`ingestion.contracts`, so that the whole pipeline can be built, tested and shown
without real survey data. Totals are tuned to published city-level figures (see
the project's carbon-accounting reference, §6); everything below the city level is made up.

Design
------
* **Parcels (小班).** A regular grid (``cell_km`` per scale) in an Albers equal-area projection
  (:data:`AEA_PROJ`) is intersected with each of the 9 county polygons of the bundled DataV boundary
  file, and pieces smaller than a quarter cell are merged into their longest-shared-border
  neighbour in the same county. Parcels therefore never overlap, never cross a county border, and
  add up to the city area (27,615 km² in this projection).
* **Land class.** Each county has area quotas (:data:`LAND_QUOTAS_KM2`, km²) for wetland, mountain
  forest, plain plantations, steppe shrubland and other land; grassland is the remainder. Pieces are
  filled in the order of a geographic score: distance to the Yellow River (approximated by the
  city's southern boundary, which follows the river), distance to an approximate Daqingshan/Wulashan
  ridge line (:data:`RIDGE_LONLAT`), distance to towns (:data:`TOWNS_LONLAT`) plus a smooth random
  field for patchiness. The marginal piece is cut with a straight line at the exact fraction, so the
  quotas are met exactly: forest ≈ 775万亩 (18.7 % cover), grassland ≈ 2,960万亩, wetland ≈ 112万亩.
* **Zones.** The 22 development zones (:data:`ZONES`, also written to the dbt seed
  ``seed_zones.csv`` by :func:`write_seeds`) add up exactly to the plan's 309万/1220万/18万 亩; the
  per-zone split, zone names and zone centres are ours. Each zone takes the nearest parcels of its
  land class (and forest stratum) in its county until its planned area is reached, cutting the last
  one; the remainder stays a non-zone parcel. Sink projects (one per zone, ``P-FOR-001`` …) cover
  ≈ 330万 forest / 1000万 grassland / 10万 wetland 亩 of parcels in and next to the zones.
* **Surveys and disturbances** are drawn from simple, documented models (H–D curves, growth rates,
  peak-season biomass ranges, seasonal NDVI curves, fire seasons, pest hosts) with one
  ``numpy.random.Generator`` per family seeded from ``(seed, family)``. The static industrial FIRMS
  sources (Baogang, two thermal power plants, Bayan Obo) are placed at approximate coordinates.

Output is byte-identical for the same ``(scale, seed)``: fixed iteration orders, fixed float
formatting, no timestamps. Run ``python -m sinkwatch.sample_data LANDING --scale demo``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
import shapely.ops
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry

from ingestion.contracts import COUNTY_CODES, FAMILIES
from sinkwatch.config import BOUNDARIES_GEOJSON, DBT_PROJECT_DIR

# --------------------------------------------------------------------------------------------
# Constants: projection, plan figures, counties, zones, geography
# --------------------------------------------------------------------------------------------

#: Albers equal-area conic for China (Krasovsky 1940 ellipsoid, PROJ name ``krass``).
AEA_PROJ = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=krass +units=m +no_defs"
M2_PER_MU = 10_000 / 15
YEARS = (2021, 2022, 2023, 2024, 2025)

#: Pilot-zone implementation plan (2021-10-08): development-zone and sink-project totals, mu.
PLAN_ZONE_TOTALS_MU = {"forest": 3_090_000, "grassland": 12_200_000, "wetland": 180_000}
PLAN_PROJECT_TOTALS_MU = {"forest": 3_300_000, "grassland": 10_000_000, "wetland": 100_000}
ZONE_SOURCE = "pilot-zone implementation plan 2021-10-08 total; per-zone split assumed"

FAMILY_NAMES = (
    "parcels", "forest_plots", "grassland_quadrats", "wetland_surveys", "demo_forests",
    "vegetation_indices", "fire_hotspots", "fire_reports", "pest_reports",
)
VI_HEADER = ("parcel_id", "date", "ndvi", "evi", "quality")
VIIRS_ARCHIVE_HEADER = (
    "latitude", "longitude", "bright_ti4", "scan", "track", "acq_date", "acq_time", "satellite",
    "instrument", "confidence", "version", "bright_ti5", "frp", "daynight", "type",
)
MODIS_NRT_HEADER = (
    "latitude", "longitude", "brightness", "scan", "track", "acq_date", "acq_time", "satellite",
    "instrument", "confidence", "version", "bright_t31", "frp", "daynight",
)
#: Parcel columns that the ingestion computes from the geometry (not in the GeoJSON properties).
PARCEL_COMPUTED = ("area_mu", "centroid_lon", "centroid_lat", "geometry_wkt")


@dataclass(frozen=True)
class County:
    code: str
    name_zh: str
    name_en: str
    short_zh: str


COUNTIES: tuple[County, ...] = (
    County("150202", "东河区", "Donghe District", "东河"),
    County("150203", "昆都仑区", "Kundulun District", "昆区"),
    County("150204", "青山区", "Qingshan District", "青山"),
    County("150205", "石拐区", "Shiguai District", "石拐"),
    County("150206", "白云鄂博矿区", "Bayan Obo Mining District", "白云"),
    County("150207", "九原区", "Jiuyuan District", "九原"),
    County("150221", "土默特右旗", "Tumed Right Banner", "土右"),
    County("150222", "固阳县", "Guyang County", "固阳"),
    County("150223", "达尔罕茂明安联合旗", "Darhan Muminggan United Banner", "达茂"),
)
COUNTY_BY_CODE = {c.code: c for c in COUNTIES}
assert tuple(c.code for c in COUNTIES) == COUNTY_CODES


@dataclass(frozen=True)
class Zone:
    """A carbon-sink development zone. ``stratum`` restricts the parcels it may take."""

    zone_id: str
    name_zh: str
    name_en: str
    land_class: str
    county_code: str
    planned_area_mu: int
    lon: float
    lat: float
    stratum: str


Z = Zone
ZONES: tuple[Zone, ...] = (
    Z("F01", "石拐大青山油松碳汇林发展区", "Shiguai Daqingshan pine carbon-forest zone",
      "forest", "150205", 300_000, 110.30, 40.78, "forest_mountain"),
    Z("F02", "石拐五当召天然次生林碳汇发展区", "Shiguai Wudangzhao secondary-forest zone",
      "forest", "150205", 180_000, 110.12, 40.80, "forest_mountain"),
    Z("F03", "九原乌拉山碳汇林发展区", "Jiuyuan Wulashan carbon-forest zone",
      "forest", "150207", 150_000, 109.60, 40.71, "forest_mountain"),
    Z("F04", "昆都仑河谷包钢合作碳汇林发展区", "Kundulun valley Baogang cooperative forest zone",
      "forest", "150203", 90_000, 109.78, 40.76, "forest_mountain"),
    Z("F05", "青山区大青山南坡碳汇林发展区", "Qingshan Daqingshan south-slope forest zone",
      "forest", "150204", 100_000, 109.93, 40.71, "forest_mountain"),
    Z("F06", "东河区沿黄防护林碳汇发展区", "Donghe Yellow River shelterbelt zone",
      "forest", "150202", 120_000, 110.15, 40.57, "forest_plain"),
    Z("F07", "土右旗大青山碳汇林发展区", "Tumed Right Daqingshan carbon-forest zone",
      "forest", "150221", 500_000, 110.65, 40.74, "forest_mountain"),
    Z("F08", "土右旗沿黄人工林碳汇发展区", "Tumed Right Yellow River plantation zone",
      "forest", "150221", 200_000, 110.55, 40.45, "forest_plain"),
    Z("F09", "固阳南部山区碳汇林发展区", "Guyang southern hills carbon-forest zone",
      "forest", "150222", 540_000, 110.05, 40.90, "forest_mountain"),
    Z("F10", "固阳东部山区碳汇林发展区", "Guyang eastern hills carbon-forest zone",
      "forest", "150222", 350_000, 110.45, 40.95, "forest_mountain"),
    Z("F11", "达茂旗南部柠条灌木林碳汇发展区", "Darhan Muminggan Caragana shrubland zone",
      "forest", "150223", 440_000, 110.30, 41.40, "forest_steppe"),
    Z("F12", "九原区沿黄人工林碳汇发展区", "Jiuyuan Yellow River plantation zone",
      "forest", "150207", 120_000, 109.55, 40.56, "forest_plain"),
    Z("G01", "达茂旗北部荒漠草原碳汇发展区", "Darhan Muminggan northern desert-steppe zone",
      "grassland", "150223", 4_200_000, 110.20, 42.30, "grassland"),
    Z("G02", "达茂旗中部草原碳汇发展区", "Darhan Muminggan central steppe zone",
      "grassland", "150223", 3_500_000, 110.60, 41.85, "grassland"),
    Z("G03", "达茂旗东南部典型草原碳汇发展区", "Darhan Muminggan south-east typical-steppe zone",
      "grassland", "150223", 2_500_000, 111.00, 41.55, "grassland"),
    Z("G04", "固阳县北部草原碳汇发展区", "Guyang northern steppe zone",
      "grassland", "150222", 1_800_000, 110.10, 41.25, "grassland"),
    Z("G05", "白云鄂博草原修复碳汇发展区", "Bayan Obo grassland restoration zone",
      "grassland", "150206", 200_000, 109.95, 41.70, "grassland"),
    Z("W01", "九原区黄河湿地碳汇发展区", "Jiuyuan Yellow River wetland zone",
      "wetland", "150207", 40_000, 109.65, 40.52, "wetland"),
    Z("W02", "九原区西部沿黄湿地碳汇发展区", "Jiuyuan western riverside wetland zone",
      "wetland", "150207", 25_000, 109.45, 40.53, "wetland"),
    Z("W03", "东河区南海湿地碳汇发展区", "Donghe Nanhai wetland zone",
      "wetland", "150202", 35_000, 110.05, 40.54, "wetland"),
    Z("W04", "土右旗黄河湿地碳汇发展区", "Tumed Right Yellow River wetland zone",
      "wetland", "150221", 50_000, 110.55, 40.36, "wetland"),
    Z("W05", "土右旗东部沿黄湿地碳汇发展区", "Tumed Right eastern riverside wetland zone",
      "wetland", "150221", 30_000, 110.85, 40.29, "wetland"),
)
ZONE_BY_ID = {z.zone_id: z for z in ZONES}

#: Land-class area quotas per county (km²); grassland takes what is left of the county.
LAND_QUOTAS_KM2: dict[str, dict[str, float]] = {
    "150202": {"wetland": 80, "forest_plain": 187, "other": 180},
    "150203": {"wetland": 5, "forest_mountain": 110, "forest_plain": 30, "other": 160},
    "150204": {"forest_mountain": 110, "forest_plain": 40, "other": 120},
    "150205": {"forest_mountain": 480, "other": 50},
    "150206": {"forest_steppe": 10, "other": 38},
    "150207": {"wetland": 170, "forest_mountain": 170, "forest_plain": 130, "other": 170},
    "150221": {"wetland": 330, "forest_mountain": 800, "forest_plain": 250, "other": 600},
    "150222": {"wetland": 35, "forest_mountain": 1300, "forest_steppe": 250, "other": 350},
    "150223": {"wetland": 127, "forest_steppe": 1300, "other": 280},
}
ALLOCATION_ORDER = ("wetland", "forest_mountain", "forest_plain", "forest_steppe", "other")
STRATUM_CLASS = {
    "wetland": "wetland", "forest_mountain": "forest", "forest_plain": "forest",
    "forest_steppe": "forest", "other": "other", "grassland": "grassland",
}
CLASS_LETTER = {"forest": "F", "grassland": "G", "wetland": "W", "other": "O"}

#: Approximate crest line of the Wulashan / Daqingshan (Yin Mountains) band, lon/lat.
RIDGE_LONLAT = (
    (109.25, 40.72), (109.60, 40.73), (109.85, 40.80), (110.10, 40.83),
    (110.35, 40.81), (110.70, 40.77), (111.15, 40.78),
)
#: Approximate towns and built-up areas (cropland and settlements cluster around them).
TOWNS_LONLAT = (
    (109.82, 40.64), (109.90, 40.66), (110.04, 40.58), (109.96, 40.60), (109.62, 40.56),
    (109.87, 40.58), (110.51, 40.57), (110.73, 40.56), (110.72, 40.42), (110.37, 40.46),
    (110.27, 40.68), (110.05, 41.03), (110.40, 41.10), (109.97, 41.77), (110.43, 41.70),
    (110.13, 42.53), (111.20, 41.35),
)
#: Static industrial heat sources seen by FIRMS (approximate locations), with relative frequency.
STATIC_SOURCES = (
    ("Baogang steel works", 109.830, 40.650, 6.0),
    ("Baotou No.1 thermal power plant", 109.880, 40.622, 1.5),
    ("Baotou No.2 thermal power plant", 110.045, 40.585, 1.5),
    ("Bayan Obo iron and rare-earth mine", 109.970, 41.770, 2.0),
)
#: Directions of vegetation fires just outside the city (each is placed 3–10 km beyond the city
#: boundary point nearest to the anchor): Dalad (south of the river), Togtoh (east), Urad Front and
#: Middle banners (west), Mongolia (north of the border), Siziwang (north-east).
OUTSIDE_FIRE_ANCHORS = (
    (109.95, 40.30), (110.60, 40.10), (111.40, 40.60), (109.10, 40.75), (109.00, 41.60),
    (110.60, 43.00), (111.70, 41.90),
)


@dataclass(frozen=True)
class ScaleSpec:
    cell_km: float
    ndvi_years: tuple[int, ...]
    max_plots: int
    quadrat_parcels: int
    veg_fires_per_year: float
    crop_fires_per_year: float
    static_per_year: float
    pests_per_year: float


SCALES = {
    "small": ScaleSpec(cell_km=15.0, ndvi_years=(2024, 2025), max_plots=60, quadrat_parcels=30,
                       veg_fires_per_year=9, crop_fires_per_year=2, static_per_year=12,
                       pests_per_year=10),
    "demo": ScaleSpec(cell_km=4.6, ndvi_years=YEARS, max_plots=320, quadrat_parcels=150,
                      veg_fires_per_year=11, crop_fires_per_year=5, static_per_year=40,
                      pests_per_year=26),
}

# --------------------------------------------------------------------------------------------
# Small helpers: formatting, CSV, projections, geometry
# --------------------------------------------------------------------------------------------


def _f(x: float, nd: int) -> str:
    """Fixed-decimals float text without negative zero."""
    return f"{round(float(x), nd) + 0.0:.{nd}f}"


def _ft(x: float, nd: int) -> str:
    """FIRMS-style float text: at most ``nd`` decimals, trailing zeros dropped."""
    s = _f(x, nd).rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def _opt(x: object, fmt: Callable[[float], str] | None = None) -> str:
    if x is None:
        return ""
    return fmt(x) if fmt else str(x)


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


@lru_cache(maxsize=1)
def _transformers() -> tuple[Transformer, Transformer]:
    fwd = Transformer.from_crs("EPSG:4326", AEA_PROJ, always_xy=True)
    inv = Transformer.from_crs(AEA_PROJ, "EPSG:4326", always_xy=True)
    return fwd, inv


def to_aea(geom: BaseGeometry) -> BaseGeometry:
    """WGS84 lon/lat geometry -> Albers equal-area metres."""
    fwd, _ = _transformers()
    return shapely.transform(geom, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))


def to_wgs(geom: BaseGeometry) -> BaseGeometry:
    _, inv = _transformers()
    return shapely.transform(geom, lambda c: np.column_stack(inv.transform(c[:, 0], c[:, 1])))


def _xy_to_lonlat(x: float, y: float) -> tuple[float, float]:
    _, inv = _transformers()
    lon, lat = inv.transform(x, y)
    return round(float(lon), 6), round(float(lat), 6)


def _lonlat_to_xy(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple:
    fwd, _ = _transformers()
    return fwd.transform(lon, lat)


def _polygonal(g: BaseGeometry | None) -> Polygon | MultiPolygon | None:
    """Keep only the polygon parts of a geometry; ``None`` when nothing is left."""
    if g is None or g.is_empty:
        return None
    polys = [p for p in shapely.get_parts(g) if isinstance(p, Polygon) and p.area > 0]
    if not polys:
        parts = [q for p in shapely.get_parts(g) if isinstance(p, MultiPolygon) for q in p.geoms]
        polys = [p for p in parts if p.area > 0]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def _split(geom: BaseGeometry, target_m2: float, axis: int, positive: bool
           ) -> tuple[BaseGeometry, BaseGeometry | None]:
    """Cut ``geom`` with a straight line (x = c for axis 0, y = c for axis 1) so that the part on
    the ``positive`` (larger-coordinate) or negative side has ``target_m2``.

    Returns (part, rest)."""
    minx, miny, maxx, maxy = geom.bounds
    lo, hi = (minx, maxx) if axis == 0 else (miny, maxy)

    def halves(c: float) -> tuple[Polygon, Polygon]:
        if axis == 0:
            neg, pos = box(minx - 1, miny - 1, c, maxy + 1), box(c, miny - 1, maxx + 1, maxy + 1)
        else:
            neg, pos = box(minx - 1, miny - 1, maxx + 1, c), box(minx - 1, c, maxx + 1, maxy + 1)
        return (pos, neg) if positive else (neg, pos)

    a, b = lo, hi
    for _ in range(48):
        c = 0.5 * (a + b)
        area = geom.intersection(halves(c)[0]).area
        # the positive-side part shrinks as c grows; the negative-side part grows
        if (area > target_m2) == positive:
            a = c
        else:
            b = c
    take, keep = halves(0.5 * (a + b))
    part, rest = (_polygonal(shapely.segmentize(geom.intersection(h), 1_000.0))
                  for h in (take, keep))
    return part, rest


#: lon/lat box that the contracts allow for surveyed points (plots, quadrats, fire reports).
POINT_BOX = (
    FAMILIES["fire_reports"].column("lon").min, FAMILIES["fire_reports"].column("lat").min,
    FAMILIES["fire_reports"].column("lon").max, FAMILIES["fire_reports"].column("lat").max,
)


@lru_cache(maxsize=1)
def _point_box_aea() -> BaseGeometry:
    return to_aea(shapely.segmentize(box(*POINT_BOX), 0.01)).buffer(-5.0)


def _random_points(geom: BaseGeometry, wgs: BaseGeometry, n: int, rng: np.random.Generator,
                   inset_m: float = 30.0) -> list[tuple[float, float]]:
    """``n`` lon/lat points (rounded to 6 decimals) strictly inside a parcel and inside the
    coordinate ranges of the contracts (:data:`POINT_BOX`)."""
    inner = geom.buffer(-inset_m)
    if inner.is_empty or inner.area < 0.05 * geom.area:
        inner = geom.buffer(-2.0)
    inner = inner.intersection(_point_box_aea())
    minx, miny, maxx, maxy = inner.bounds
    out: list[tuple[float, float]] = []
    for _ in range(200):
        xs = rng.uniform(minx, maxx, 64)
        ys = rng.uniform(miny, maxy, 64)
        hit = shapely.contains_xy(inner, xs, ys)
        for x, y in zip(xs[hit], ys[hit], strict=True):
            lon, lat = _xy_to_lonlat(x, y)
            if shapely.contains_xy(wgs, lon, lat):
                out.append((lon, lat))
                if len(out) == n:
                    return out
    raise RuntimeError("could not place points inside a parcel")  # pragma: no cover


# --------------------------------------------------------------------------------------------
# Boundaries and seeds
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def county_polygons() -> dict[str, BaseGeometry]:
    """County polygons (WGS84), repaired where the DataV file has self-intersections."""
    fc = json.loads(BOUNDARIES_GEOJSON.read_text(encoding="utf-8"))
    out: dict[str, BaseGeometry] = {}
    for feat in fc["features"]:
        g = shape(feat["geometry"])
        if not g.is_valid:
            g = _polygonal(shapely.make_valid(g))
        out[str(feat["properties"]["adcode"])] = g
    return {code: out[code] for code in COUNTY_CODES}


def county_areas_km2() -> dict[str, float]:
    """County areas in the Albers equal-area projection, km²."""
    return {code: to_aea(g).area / 1e6 for code, g in county_polygons().items()}


def seed_zones_csv() -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("zone_id", "zone_name_zh", "zone_name_en", "land_class", "county_code",
                "planned_area_mu", "source", "source_status"))
    for z in ZONES:
        w.writerow((z.zone_id, z.name_zh, z.name_en, z.land_class, z.county_code,
                    z.planned_area_mu, ZONE_SOURCE, "A"))
    return buf.getvalue()


def seed_counties_csv() -> str:
    areas = county_areas_km2()
    source = (f"DataV boundary polygons (anzhou99/GeoJsons 150200_full.json) measured in Albers "
              f"equal-area ({AEA_PROJ}); city total {sum(areas.values()):.0f} km2 vs 27768 km2 in "
              f"the 2004 listing")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("county_code", "county_name_zh", "county_name_en", "area_km2", "area_source",
                "area_source_status"))
    for c in COUNTIES:
        w.writerow((c.code, c.name_zh, c.name_en, _f(areas[c.code], 1), source, "A"))
    return buf.getvalue()


def write_seeds(seeds_dir: Path = DBT_PROJECT_DIR / "seeds") -> list[Path]:
    """(Re)write the committed dbt seeds ``seed_zones.csv`` and ``seed_counties.csv``."""
    seeds_dir.mkdir(parents=True, exist_ok=True)
    out = []
    for name, text in (("seed_zones.csv", seed_zones_csv()),
                       ("seed_counties.csv", seed_counties_csv())):
        p = seeds_dir / name
        p.write_bytes(text.encode("utf-8"))
        out.append(p)
    return out


# --------------------------------------------------------------------------------------------
# Landscape: grid parcels, land classes, attributes, zones, projects
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Family writers
# --------------------------------------------------------------------------------------------


def _round_coords(obj: object) -> object:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], float):
            return [round(v, 6) for v in obj]
        return [_round_coords(v) for v in obj]
    return obj


#: Survey years of the grassland management regime (IPCC 2019 V4 Ch6 Table 6.2 classes). The
#: 2021 survey is every grassland parcel's baseline; the full parcels layer is surveyed in 2025.
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


def _write_parcels(land: Landscape, out: Path, seed: int = 20211008) -> list[Path]:
    """The full parcels layer surveyed in 2025, and the grassland parcels' 2021 (baseline) and
    2023 management surveys (same polygons, one file per survey year)."""
    cols = [c for c in FAMILIES["parcels"].column_names if c not in PARCEL_COMPUTED]
    management = grassland_management(land, seed)
    paths = []
    for year in GRASS_MANAGEMENT_YEARS:
        lines = []
        for p in land.parcels:
            if year != 2025 and p.land_class != "grassland":
                continue
            mg, inp = management.get(p.parcel_id, {}).get(year, (None, None))
            props = {
                "parcel_id": p.parcel_id, "county_code": p.county, "zone_id": p.zone_id,
                "land_class": p.land_class, "forest_type": p.forest_type, "origin": p.origin,
                "dominant_species": p.dominant_species, "grassland_type": p.grassland_type,
                "grassland_management": mg, "management_input": inp,
                "wetland_class": p.wetland_class, "sink_project_id": p.sink_project_id,
                "survey_year": year,
            }
            geom = mapping(p.wgs)
            coords = _round_coords(geom["coordinates"])
            feat = {"type": "Feature", "properties": {c: props[c] for c in cols},
                    "geometry": {"type": geom["type"], "coordinates": coords}}
            lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
        name = f"baotou_parcels_{year}" if year == 2025 else f"baotou_grassland_parcels_{year}"
        text = (f'{{"type":"FeatureCollection","name":"{name}","features":[\n'
                + ",\n".join(lines) + "\n]}\n")
        path = out / f"{name}.geojson"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


#: Height–diameter curve H = 1.3 + (Hmax - 1.3)(1 - exp(-b D)) and DBH growth range (cm/yr).
SPECIES_GROWTH: dict[str, tuple[float, float, float, float]] = {
    "Pinus tabuliformis": (18.0, 0.060, 0.30, 0.55),
    "Platycladus orientalis": (12.0, 0.075, 0.20, 0.38),
    "Larix principis-rupprechtii": (22.0, 0.050, 0.40, 0.70),
    "Pinus sylvestris var. mongolica": (18.0, 0.055, 0.35, 0.60),
    "Populus davidiana": (18.0, 0.070, 0.35, 0.60),
    "Betula platyphylla": (18.0, 0.070, 0.30, 0.55),
    "Populus simonii": (22.0, 0.060, 0.50, 0.80),
    "Ulmus pumila": (15.0, 0.060, 0.35, 0.60),
}


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
    hmax, b, _, _ = SPECIES_GROWTH[species]
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
        if natural:
            mean_d, lo, hi, shape_k = rng.uniform(13, 22), 8.0, 35.0, 6.0
        else:
            mean_d, lo, hi, shape_k = rng.uniform(8, 14), 6.0, 18.0, 9.0
        # semi-arid stands are open: ~200-600 trees/ha of DBH >= 5 cm
        n = int(rng.integers(12, 30) if natural else rng.integers(15, 38))
        if p.stratum == "forest_steppe":
            n = int(rng.integers(8, 16))  # open elm woodland / shelterbelt
        n = int(np.clip(round(n * area / 600.0), 8, 60))
        names = [s for s, _ in p.species_mix]
        probs = np.array([w for _, w in p.species_mix])
        sp = [names[i] for i in rng.choice(len(names), size=n, p=probs / probs.sum())]
        dbh = np.clip(rng.gamma(shape_k, mean_d / shape_k, n), lo, hi)
        site = rng.uniform(0.88, 1.12)
        resid = rng.normal(1.0, 0.07, n)
        h21 = np.array([_height(s, np.array([d]), site, np.array([r]))[0]
                        for s, d, r in zip(sp, dbh, resid, strict=True)])
        fate = rng.random(n)
        growth = np.array([rng.uniform(*SPECIES_GROWTH[s][2:]) for s in sp])
        day21, day25 = _tally_date(plot_id, 2021), _tally_date(plot_id, 2025)
        for t in range(n):
            tree_id = f"{plot_id}-T{t + 1:03d}"
            d1, hgt1 = round(float(dbh[t]), 1), round(float(h21[t]), 1)
            base = [plot_id, p.parcel_id]
            tail = [_f(area, 1), _f(lon, 6), _f(lat, 6), tree_id, sp[t]]
            v1 = _stem_volume(sp[t], d1, hgt1)
            rows[2021].append([*base, "2021", *tail, _f(d1, 1), _f(hgt1, 1), "alive", v1, day21])
            if fate[t] < 0.03:
                rows[2025].append([*base, "2025", *tail, _f(d1, 1), _f(hgt1, 1), "dead", v1,
                                   day25])
            elif fate[t] < 0.04:
                rows[2025].append([*base, "2025", *tail, _f(d1, 1), _f(hgt1, 1), "cut", v1,
                                   day25])
            else:
                d2 = d1 + 4 * float(np.clip(growth[t] * rng.normal(1.0, 0.15), 0.2, 0.8))
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
#: Cover above the low end of the range, so the city CVC starts near the 2021 figure (36.58 %).
COVER_OFFSET = 4.0
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
                cover = (cov_lo + COVER_OFFSET + (cov_hi - cov_lo) * q + 0.7 * (y - 2021)
                         + rng.normal(0, 2.5))
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


#: City-level wetland protection rate per year (2025 target of the plan: 38 %).
WETLAND_PROTECTION_RATE = {2021: 0.330, 2022: 0.343, 2023: 0.356, 2024: 0.372, 2025: 0.388}


def _write_wetland_surveys(land: Landscape, rng: np.random.Generator, out: Path) -> list[Path]:
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
    paths = []
    for yr in YEARS:
        if yr > YEARS[0]:
            frac = np.clip(frac + rng.normal(0.002, 0.008, len(wet)), 0.85, 1.0)
        area = np.array([p.area_mu for p in wet]) * frac
        target = WETLAND_PROTECTION_RATE[yr] * area.sum()
        protected = np.zeros(len(wet))
        acc = 0.0
        for i in prio:
            take = min(area[i], target - acc)
            if take <= 0:
                break
            protected[i] = take
            acc += take
        rows = []
        for i in sorted(range(len(wet)), key=lambda i: wet[i].parcel_id):
            p = wet[i]
            rows.append([f"WS-{yr}-{p.parcel_id}", p.parcel_id, str(yr), p.wetland_class or "",
                         _f(area[i], 1), _f(min(protected[i], area[i]), 1),
                         ptype[i] if protected[i] > 0 else "none"])
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


def _vi_params(p: Parcel, rng: np.random.Generator) -> tuple[float, float, float, float]:
    """Winter base, peak NDVI, peak day of year and curve width (days) of a parcel."""
    if p.land_class == "forest":
        if p.forest_type == "shrub":
            peak = rng.uniform(0.40, 0.55)
        elif p.forest_type == "conifer":
            peak = rng.uniform(0.55, 0.72)
        else:
            peak = rng.uniform(0.62, 0.80)
        base = rng.uniform(0.12, 0.15) if p.forest_type == "conifer" else rng.uniform(0.07, 0.12)
        return base, peak, rng.uniform(195, 212), rng.uniform(52, 62)
    if p.land_class == "grassland":
        peak = {"desert_steppe": (0.15, 0.25), "typical_steppe": (0.30, 0.45),
                "meadow_steppe": (0.42, 0.55), "mountain_meadow": (0.42, 0.55)}[
            p.grassland_type or "typical_steppe"]
        return (rng.uniform(0.06, 0.10), rng.uniform(*peak), rng.uniform(205, 225),
                rng.uniform(38, 48))
    return (rng.uniform(0.06, 0.12), rng.uniform(0.35, 0.60), rng.uniform(200, 215),
            rng.uniform(45, 55))


VI_YEAR = {2021: 0.97, 2022: 1.00, 2023: 0.95, 2024: 1.02, 2025: 1.04}


def vi_composites(params: np.ndarray, north: np.ndarray, yr: int, doy: np.ndarray,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NDVI, EVI and pixel reliability for parcels x composites of one year: the sample-data
    model, also used by bench/generate.py at city scale."""
    n, m = len(params), len(doy)
    winter = (doy <= 49) | (doy >= 337)
    base, peak, pdoy, width = (params[:, k][:, None] for k in range(4))
    amp = (peak - base) * VI_YEAR[yr] * rng.normal(1.0, 0.03, (n, 1))
    ndvi = base + amp * np.exp(-(((doy[None, :] - pdoy) / width) ** 2))
    ndvi = ndvi + rng.normal(0.0, 0.012, (n, m))
    u_snow, u_q = rng.random((n, m)), rng.random((n, m))
    snow = winter[None, :] & (u_snow < np.where(north, 0.55, 0.35)[:, None])
    cloud = ~snow & (u_q < 0.05)
    marginal = ~snow & ~cloud & (u_q < 0.13)
    quality = np.zeros((n, m), dtype=np.int8)
    quality[marginal], quality[snow], quality[cloud] = 1, 2, 3
    ndvi = np.where(snow, rng.uniform(-0.08, 0.06, (n, m)), ndvi)
    ndvi = np.where(cloud, ndvi * rng.uniform(0.3, 0.8, (n, m)), ndvi)
    ndvi = np.where(marginal, ndvi + rng.normal(0.0, 0.03, (n, m)), ndvi)
    evi = ndvi * rng.uniform(0.52, 0.68, (n, m)) + rng.normal(0.0, 0.008, (n, m))
    ndvi = np.round(np.clip(ndvi, -0.2, 1.0), 4) + 0.0
    evi = np.round(np.clip(evi, -0.2, 1.0), 4) + 0.0
    return ndvi, evi, quality


def _write_vegetation_indices(land: Landscape, spec: ScaleSpec, rng: np.random.Generator,
                              out: Path) -> list[Path]:
    veg = land.select(lambda p: p.land_class in ("forest", "grassland", "wetland"))
    params = np.array([_vi_params(p, rng) for p in veg])
    north = np.array([p.county in ("150206", "150222", "150223") for p in veg])
    doy = np.arange(1, 354, 16)
    n, m = len(veg), len(doy)
    ids = [p.parcel_id for p in veg]
    paths = []
    for yr in spec.ndvi_years:
        ndvi, evi, quality = vi_composites(params, north, yr, doy, rng)
        dates = [(date(yr, 1, 1) + timedelta(days=int(d) - 1)).isoformat() for d in doy]
        rows = [(ids[i], dates[j], f"{ndvi[i, j]:.4f}", f"{evi[i, j]:.4f}", str(quality[i, j]))
                for i in range(n) for j in range(m)]
        paths.append(_write_csv(out / f"mod13q1_ndvi_parcels_{yr}.csv", VI_HEADER, rows))
    return paths


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

    def viirs_row(lon: float, lat: float, day: date, night: bool, ftype: int, hot: float) -> None:
        minute = int(rng.integers(18 * 60, 20 * 60)) if night else int(rng.integers(300, 390))
        if night:
            ti4, conf = rng.uniform(295, 335) + 10 * hot, "n"
        else:
            ti4 = rng.uniform(302, 345) + 15 * hot
            conf = "l" if ti4 < 312 else ("h" if ti4 >= 360 else "n")
        ti4 = min(ti4, 367.0)
        if conf == "n" and not night and rng.random() < 0.06:
            ti4, conf = 367.0, "h"  # saturated pixel
        ti5 = rng.uniform(262, 282) if night else rng.uniform(280, 305)
        scan = rng.uniform(0.32, 0.78)
        row = [_ft(lat, 5), _ft(lon, 5), _ft(ti4, 2), _ft(scan, 2),
               _ft(min(0.78, scan * rng.uniform(0.85, 1.15) + 0.03), 2), day.isoformat(),
               _hhmm(minute), "N", "VIIRS", conf, "2", _ft(ti5, 2),
               _ft(rng.uniform(0.6, 12.0) * (1 + 4 * hot), 2), "N" if night else "D", str(ftype)]
        viirs.setdefault((lat, lon, day, row[6]), row)

    def modis_row(lon: float, lat: float, day: date, night: bool, hot: float) -> None:
        aqua = rng.random() < 0.5
        if aqua:
            minute = int(rng.integers(17 * 60 + 50, 19 * 60 + 20) if night
                         else rng.integers(300, 390))
        else:  # Terra: 10:30 / 22:30 local solar time
            minute = int(rng.integers(14 * 60 + 30, 15 * 60 + 30) if night
                         else rng.integers(170, 230))
        bright = rng.uniform(300, 330) + 25 * hot if not night else rng.uniform(295, 315) + 15 * hot
        scan = rng.uniform(1.0, 3.2)
        row = [_ft(lat, 4), _ft(lon, 4), _ft(bright, 2), _ft(scan, 2),
               _ft(1.0 + (scan - 1.0) * rng.uniform(0.38, 0.45), 2), day.isoformat(), _hhmm(minute),
               "Aqua" if aqua else "Terra", "MODIS", str(int(np.clip(rng.normal(55, 20) + 30 * hot,
                                                                      0, 100))),
               "6.1NRT", _ft(rng.uniform(270, 300), 2), _ft(rng.uniform(4, 40) * (1 + 3 * hot), 2),
               "N" if night else "D"]
        modis.setdefault((lat, lon, day, row[6], row[7]), row)

    def place(x: float, y: float, sd: float, parcel: Parcel | None) -> tuple[float, float]:
        for _ in range(50):
            lon, lat = _jitter_lonlat(x, y, sd, rng)
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
    key = lambda r: (r[5], r[6], r[0], r[1])  # noqa: E731 - date, time, lat, lon
    return [
        _write_csv(out / "fire_archive_SV-C2_baotou_2021_2025.csv", VIIRS_ARCHIVE_HEADER,
                   sorted(viirs.values(), key=key)),
        _write_csv(out / "fire_nrt_M-C61_baotou_2025.csv", MODIS_NRT_HEADER,
                   sorted(modis.values(), key=key)),
    ]


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
                 _f(area, 1), sev, _opt(dead), _opt(rate, lambda v: _f(v, 1))]
                for k, (when, p, pest, host, area, sev, dead, rate) in enumerate(reports)]
        paths.append(_write_csv(out / f"pest_reports_{yr}.csv",
                                FAMILIES["pest_reports"].column_names, rows))
    return paths


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


def generate(landing: Path, scale: str = "demo", seed: int = 20211008) -> dict[str, list[Path]]:
    """Write the synthetic Baotou sample dataset into ``landing/<family>/``.

    ``scale`` is ``"small"`` (≈200 parcels, NDVI 2024–2025; for end-to-end tests) or ``"demo"``
    (≈1,600 parcels, NDVI 2021–2025). Same ``(scale, seed)`` gives byte-identical files. Returns the
    written paths per family.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}, not {scale!r}")
    spec = SCALES[scale]
    landing = Path(landing)
    land = build_landscape(scale, seed)

    def rng(k: int) -> np.random.Generator:
        return np.random.default_rng([seed, 100 + k])

    d = {name: landing / name for name in FAMILY_NAMES}
    events = _fire_events(land, spec, rng(6))
    return {
        "parcels": _write_parcels(land, d["parcels"], seed),
        "forest_plots": _write_forest_plots(land, spec, rng(1), d["forest_plots"]),
        "grassland_quadrats": _write_grassland_quadrats(land, spec, rng(2),
                                                        d["grassland_quadrats"]),
        "wetland_surveys": _write_wetland_surveys(land, rng(3), d["wetland_surveys"]),
        "demo_forests": _write_demo_forests(rng(4), d["demo_forests"]),
        "vegetation_indices": _write_vegetation_indices(land, spec, rng(5),
                                                        d["vegetation_indices"]),
        "fire_hotspots": _write_fire_hotspots(land, spec, events, rng(7), d["fire_hotspots"]),
        "fire_reports": _write_fire_reports(land, events, rng(8), d["fire_reports"]),
        "pest_reports": _write_pest_reports(land, spec, rng(9), d["pest_reports"]),
    }


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write the synthetic Baotou sample dataset.")
    ap.add_argument("landing", type=Path, help="landing folder (one sub-folder per family)")
    ap.add_argument("--scale", choices=sorted(SCALES), default="demo")
    ap.add_argument("--seed", type=int, default=20211008)
    ap.add_argument("--write-seeds", action="store_true",
                    help="also rewrite dbt_project/seeds/seed_zones.csv and seed_counties.csv")
    args = ap.parse_args(argv)
    if args.write_seeds:
        for p in write_seeds():
            print(p)
    for fam, paths in generate(args.landing, args.scale, args.seed).items():
        print(f"{fam}: {', '.join(p.name for p in paths)}")


if __name__ == "__main__":
    main()
