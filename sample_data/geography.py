"""Fixed geography of the sample: the projection, the plan's figures, counties, zones, land
quotas and scales; the small helpers shared by every family (number formatting, CSV writing,
projections, geometry); county boundaries and the dbt seeds (:func:`write_seeds`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, box, shape
from shapely.geometry.base import BaseGeometry

from sinkwatch.config import BOUNDARIES_GEOJSON, DBT_PROJECT_DIR
from sinkwatch.contracts import COUNTY_CODES, FAMILIES

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
    "vegetation_indices", "fire_hotspots", "fire_reports", "pest_reports", "weather_daily",
    "projects",
)


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
