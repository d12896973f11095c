"""Geometry helpers: equal-area areas, and point-in-polygon assignment with shapely's STRtree.

DuckDB's spatial extension cannot be installed offline, so all spatial joins happen here.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import shape
from shapely.ops import transform

#: Albers equal-area conic for China (Krasovsky ellipsoid), the projection used for areas.
EQUAL_AREA = CRS.from_proj4(
    "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +ellps=krass +units=m"
)
WGS84 = CRS.from_epsg(4326)
M2_PER_MU = 10_000 / 15  # 1 mu = 1/15 ha = 666.667 m²


@lru_cache(maxsize=8)
def _to_equal_area(src: str = "EPSG:4326") -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(src), EQUAL_AREA, always_xy=True)


@lru_cache(maxsize=8)
def to_wgs84(src: str) -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(src), WGS84, always_xy=True)


def area_mu(geom_wgs84) -> float:
    """Area of a WGS84 geometry in mu, computed in the Albers equal-area projection."""
    projected = transform(_to_equal_area().transform, geom_wgs84)
    return projected.area / M2_PER_MU


def areas_mu(geoms_wgs84) -> np.ndarray:
    """Areas in mu of many WGS84 geometries at once (vectorised :func:`area_mu`)."""
    tr = _to_equal_area()

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    projected = shapely.transform(np.asarray(geoms_wgs84, dtype=object), project)
    return shapely.area(projected) / M2_PER_MU


def load_counties(path: Path) -> tuple[list[str], list]:
    """County codes and shapely geometries of the DataV boundary file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    codes, geoms = [], []
    for feat in data["features"]:
        codes.append(str(feat["properties"]["adcode"]))
        geoms.append(shape(feat["geometry"]))
    return codes, geoms


_TREES: dict[int, tuple[list, shapely.STRtree]] = {}


def _tree(geoms: list) -> shapely.STRtree:
    """One STRtree per polygon list (kept while the list lives), so batches reuse it."""
    hit = _TREES.get(id(geoms))
    if hit is None or hit[0] is not geoms:
        hit = (geoms, shapely.STRtree(geoms))
        if len(_TREES) >= 4:
            _TREES.clear()
        _TREES[id(geoms)] = hit
    return hit[1]


def assign_points(lon: np.ndarray, lat: np.ndarray, ids: list[str], geoms: list) -> np.ndarray:
    """For each point, the id of the polygon that contains it (None when outside all)."""
    out = np.full(len(lon), None, dtype=object)
    if len(lon) == 0 or not geoms:
        return out
    points = shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    tree = _tree(geoms)
    point_idx, geom_idx = tree.query(points, predicate="within")
    # A point on a shared border may fall in two polygons: keep the first deterministically.
    order = np.lexsort((geom_idx, point_idx))
    seen: set[int] = set()
    id_arr = np.asarray(ids, dtype=object)
    for p, g in zip(point_idx[order], geom_idx[order], strict=True):
        if p not in seen:
            out[p] = id_arr[g]
            seen.add(p)
    return out
