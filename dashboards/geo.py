"""Map geometry shipped inside the site and the offline map figure.

Maps are plain Plotly ``scatter`` traces on longitude/latitude (filled polygons, points), so they
need no tile server, no CDN topojson and no web fonts: everything is in the page's JSON.  The
y axis is scaled by 1 / cos(latitude) so shapes keep their proportions at Baotou's latitude.

* counties: the bundled administrative GeoJSON (``sinkwatch.config.BOUNDARIES_GEOJSON``),
  simplified;
* zones: the union of each zone's parcel polygons (``geometry_wkt`` from ``dim_parcels`` when the
  mart exists, else the staging table, else the raw parcels Parquet), simplified;
* parcels: individual parcel polygons for a zone's own page.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely
from plotly.colors import sample_colorscale
from shapely import wkt as shapely_wkt
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from dashboards.core import isnull, rounded
from dashboards.figures import FONT_STACK, Fig, base_layout, text_array

log = logging.getLogger(__name__)

COUNTY_TOLERANCE = 0.003  # degrees (~300 m): plenty for a city-wide map
ZONE_TOLERANCE = 0.002
PARCEL_TOLERANCE = 0.0005
DECIMALS = 4  # ~10 m
# Diverging scale for net sink: net emission (brown) · 0 (light) · net removal (green).
SINK_SCALE = [[0.0, "#a6611a"], [0.25, "#dfc27d"], [0.5, "#f5f5f0"], [0.75, "#80cdc1"],
              [1.0, "#1b7837"]]
SEQ_SCALE = [[0.0, "#edf8e9"], [0.5, "#74c476"], [1.0, "#005a32"]]


@dataclass
class Shape:
    key: str
    lons: list[float | None]
    lats: list[float | None]
    cx: float
    cy: float
    bounds: tuple[float, float, float, float]


def _rings(geom: BaseGeometry) -> Iterable[Sequence[tuple[float, ...]]]:
    polys: list[Polygon]
    if isinstance(geom, Polygon):
        polys = [geom]
    elif isinstance(geom, MultiPolygon):
        polys = list(geom.geoms)
    else:
        polys = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
        out: list[Sequence[tuple[float, ...]]] = []
        for g in polys:
            out.extend(_rings(g))
        return out
    out = []
    for p in polys:
        out.append(list(p.exterior.coords))
        out.extend(list(r.coords) for r in p.interiors)
    return out


def to_shape(key: str, geom: BaseGeometry, tolerance: float) -> Shape | None:
    if geom is None or geom.is_empty:
        return None
    g = geom.simplify(tolerance, preserve_topology=True) if tolerance else geom
    if g.is_empty:
        g = geom
    lons: list[float | None] = []
    lats: list[float | None] = []
    for ring in _rings(g):
        if lons:
            lons.append(None)
            lats.append(None)
        lons.extend(round(c[0], DECIMALS) for c in ring)
        lats.extend(round(c[1], DECIMALS) for c in ring)
    if not lons:
        return None
    rp = g.representative_point()
    return Shape(key, lons, lats, round(rp.x, DECIMALS), round(rp.y, DECIMALS), g.bounds)


def county_shapes(path: Path) -> dict[str, Shape]:
    """county_code (adcode as text) -> simplified outline; {} if the file is missing/empty."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        log.warning("county boundaries unavailable (%s): %s", path, e)
        return {}
    out: dict[str, Shape] = {}
    for f in data.get("features", []):
        code = str((f.get("properties") or {}).get("adcode") or "")
        if not code or not f.get("geometry"):
            continue
        s = to_shape(code, shape(f["geometry"]), COUNTY_TOLERANCE)
        if s:
            out[code] = s
    return out


def _parse_one(text: str) -> BaseGeometry | None:
    try:
        g = shapely_wkt.loads(text)
        return g if g.is_valid else g.buffer(0)
    except Exception:  # noqa: BLE001 - a broken WKT must not break the whole site
        return None


def parse_wkt(texts: Iterable[Any]) -> np.ndarray:
    """WKT texts -> shapely geometries (object array, vectorised); a text that does not parse
    gives None, an invalid polygon is repaired with ``buffer(0)``."""
    arr = np.array([t if isinstance(t, str) else str(t) for t in texts], dtype=object)
    try:
        geoms = shapely.from_wkt(arr, on_invalid="ignore")
        bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
        if bad.any():
            geoms[bad] = shapely.buffer(geoms[bad], 0)
        return geoms
    except Exception:  # noqa: BLE001 - GEOS failed on some geometry: one by one
        out = np.empty(len(arr), dtype=object)
        out[:] = [_parse_one(t) for t in arr]
        return out


def _geoms(parcels: pd.DataFrame) -> pd.DataFrame:
    """The parcels with a usable geometry (column ``geom``), in input order.

    Rows that repeat (parcel_id, zone_id, geometry_wkt) exactly are dropped first: the raw
    layer keeps one copy of the parcel register per delivered file (the city's raw parcels hold
    each parcel 2-3 times), and a repeated polygon adds nothing to a union or a map.
    """
    df = parcels[parcels["geometry_wkt"].notna()]
    keys = [c for c in ("parcel_id", "zone_id", "geometry_wkt") if c in df.columns]
    df = df.drop_duplicates(keys).copy()
    df["geom"] = parse_wkt(df["geometry_wkt"].to_numpy(dtype=object))
    return df[df["geom"].notna()]


def zone_shapes_of(parsed: pd.DataFrame) -> dict[str, Shape]:
    """zone_id -> union of the zone's parcels, simplified (``parsed`` from ``_geoms``)."""
    df = parsed[parsed["zone_id"].notna()]
    out: dict[str, Shape] = {}
    for zid, g in df.groupby("zone_id"):
        s = to_shape(str(zid), shapely.union_all(list(g["geom"])), ZONE_TOLERANCE)
        if s:
            out[str(zid)] = s
    return out


def zone_shapes(parcels: pd.DataFrame) -> dict[str, Shape]:
    """zone_id -> union of the zone's parcels, simplified."""
    if parcels.empty or "geometry_wkt" not in parcels or "zone_id" not in parcels:
        return {}
    return zone_shapes_of(_geoms(parcels[parcels["zone_id"].notna()]))


def to_shapes(keys: Sequence[str], geoms: np.ndarray, tolerance: float) -> list[Shape | None]:
    """``[to_shape(k, g, tolerance) for k, g in zip(keys, geoms)]``, vectorised for polygons
    (simplify, rings, representative point and bounds in one GEOS call each over all of them;
    the Python work left is slicing the rounded coordinates). Other geometry types go through
    ``to_shape`` one by one."""
    geoms = np.asarray(geoms, dtype=object)
    out: list[Shape | None] = [None] * len(geoms)
    if not len(geoms):
        return out
    usable = ~shapely.is_missing(geoms)
    usable[usable] = ~shapely.is_empty(geoms[usable])
    poly = usable & (shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON)
    idx = np.flatnonzero(poly)
    g = geoms[idx]
    s = shapely.simplify(g, tolerance, preserve_topology=True) if tolerance else g.copy()
    empty = shapely.is_empty(s)
    s[empty] = g[empty]
    # simplify keeps a polygon a polygon; should it ever not, that geometry takes the slow path
    kept = shapely.get_type_id(s) == shapely.GeometryType.POLYGON
    slow = set(np.flatnonzero(usable & ~poly).tolist()) | set(idx[~kept].tolist())
    idx, s = idx[kept], s[kept]
    rings, ring_of = shapely.get_rings(s, return_index=True)  # exterior first, then holes
    coords, coord_of = shapely.get_coordinates(rings, return_index=True)
    xs, ys = rounded(coords[:, 0], DECIMALS), rounded(coords[:, 1], DECIMALS)
    ring_end = np.searchsorted(coord_of, np.arange(len(rings)), side="right").tolist()
    ring_start = [0, *ring_end[:-1]]
    first_ring = np.searchsorted(ring_of, np.arange(len(s)), side="left").tolist()
    first_ring.append(len(rings))
    rp = shapely.point_on_surface(s)
    cxs = rounded(shapely.get_x(rp), DECIMALS)
    cys = rounded(shapely.get_y(rp), DECIMALS)
    bounds = shapely.bounds(s).tolist()
    for j, i in enumerate(idx.tolist()):
        r0, r1 = first_ring[j], first_ring[j + 1]
        if r1 == r0 + 1:  # no holes: the common case
            lons: list[float | None] = xs[ring_start[r0]:ring_end[r0]]
            lats: list[float | None] = ys[ring_start[r0]:ring_end[r0]]
        else:
            lons, lats = [], []
            for r in range(r0, r1):
                if lons:
                    lons.append(None)
                    lats.append(None)
                lons.extend(xs[ring_start[r]:ring_end[r]])
                lats.extend(ys[ring_start[r]:ring_end[r]])
        if lons:
            out[i] = Shape(keys[i], lons, lats, cxs[j], cys[j], tuple(bounds[j]))
    for i in sorted(slow):
        out[i] = to_shape(keys[i], geoms[i], tolerance)
    return out


def parcel_shapes_of(parsed: pd.DataFrame) -> dict[str, Shape]:
    """parcel_id -> simplified polygon (``parsed`` from ``_geoms``; a parcel listed twice with
    different geometry keeps its first position and its last geometry)."""
    pids = [str(p) for p in parsed["parcel_id"]]
    out: dict[str, Shape] = {}
    for pid, s in zip(pids, to_shapes(pids, parsed["geom"].to_numpy(), PARCEL_TOLERANCE),
                      strict=True):
        if s:
            out[pid] = s
    return out


def parcel_shapes(parcels: pd.DataFrame) -> dict[str, Shape]:
    if parcels.empty or "geometry_wkt" not in parcels:
        return {}
    return parcel_shapes_of(_geoms(parcels))


class ParcelGeometry:
    """The parcel polygons of one build, parsed once: the zone outlines (zones map) and each
    zone's parcels (zone pages) both come from it. Lives in ``Marts.cache`` (one build), so
    nothing outlives the build's data."""

    def __init__(self, source: str, parcels: pd.DataFrame | None) -> None:
        self.source = source
        ok = (parcels is not None and not parcels.empty and "geometry_wkt" in parcels
              and "zone_id" in parcels)
        self.parsed = _geoms(parcels[parcels["zone_id"].notna()]) if ok else pd.DataFrame()
        self._zones: dict[str, Shape] | None = None
        self._by_zone: dict[str, dict[str, Shape]] | None = None

    def state(self) -> tuple[dict[str, Shape], dict[str, dict[str, Shape]]]:
        """Everything the pages take from it (zone outlines, each zone's parcels), computed."""
        self.parcels_in("")
        return self.zones, self._by_zone or {}

    @classmethod
    def restored(cls, source: str,
                 state: tuple[dict[str, Shape], dict[str, dict[str, Shape]]]) -> ParcelGeometry:
        """The geometry of an earlier build (``state()``), without parsing anything."""
        pg = cls(source, None)
        pg._zones, pg._by_zone = state
        return pg

    @property
    def zones(self) -> dict[str, Shape]:
        """zone_id -> outline (as ``zone_shapes``)."""
        if self._zones is None:
            self._zones = {} if self.parsed.empty else zone_shapes_of(self.parsed)
        return self._zones

    def parcels_in(self, zone_id: str) -> dict[str, Shape]:
        """parcel_id -> polygon of one zone's parcels (as ``parcel_shapes`` of its rows)."""
        if self._by_zone is None:
            self._by_zone = {}
            if not self.parsed.empty and "parcel_id" in self.parsed:
                # every zone's parcels simplified in one vectorised pass, then split by zone
                p = self.parsed
                pids = [str(x) for x in p["parcel_id"]]
                shapes = to_shapes(pids, p["geom"].to_numpy(), PARCEL_TOLERANCE)
                for zid, pid, s in zip(p["zone_id"], pids, shapes, strict=True):
                    if s:
                        self._by_zone.setdefault(str(zid), {})[pid] = s
        return self._by_zone.get(zone_id, {})


# --------------------------------------------------------------------------------------------
# the map figure


def colour_at(value: float, lo: float, hi: float, scale: list[list[Any]]) -> str:
    t = 0.5 if hi <= lo else min(1.0, max(0.0, (value - lo) / (hi - lo)))
    return sample_colorscale(scale, [t])[0]


def sink_range(values: Iterable[float | None]) -> tuple[float, float]:
    """Symmetric range around zero so that white means 'no net sink'."""
    m = max((abs(v) for v in values if v is not None), default=1.0) or 1.0
    return -m, m


@dataclass
class Region:
    shape: Shape
    value: float | None
    label: str  # hover title
    detail: str = ""  # extra hover lines (HTML)
    text: str = ""  # label drawn on the map
    colour: str | None = None  # fixed colour instead of the scale


def _coords(values: Sequence[float | None]) -> np.ndarray:
    """Polygon coordinates as a float32 array (None, the break between rings, becomes NaN, which
    plotly.js also draws as a gap). plotly validates a Python list element by element (most of
    the dashboard's time at city scale) and writes a numpy array as one typed array; float32
    keeps ~1e-5 degrees (about 1 m) at Baotou's longitudes, finer than the shapes' rounding."""
    return np.asarray(values, dtype=np.float64).astype(np.float32)


def map_figure(
    *,
    outlines: Sequence[Shape],
    regions: Sequence[Region] = (),
    points: Sequence[go.Scatter] = (),
    colour_title: str = "",
    scale: list[list[Any]] | None = None,
    vrange: tuple[float, float] | None = None,
    height: int = 560,
    focus: Sequence[Shape] | None = None,
    outline_labels: dict[str, str] | None = None,
    tickformat: str = ",.0f",
) -> Fig:
    """County outlines (grey), filled regions coloured on ``scale`` and optional point layers."""
    scale = scale or SINK_SCALE
    # traces collected, one figure made at the end (dashboards.figures.Fig)
    traces: list[go.Scatter] = []
    for s in outlines:
        traces.append(go.Scatter(
            x=_coords(s.lons), y=_coords(s.lats), mode="lines", fill="toself",
            fillcolor="rgba(236,240,234,0.55)",
            line={"color": "#8a9a8c", "width": 1}, hoverinfo="skip", showlegend=False,
        ))
    vals = [r.value for r in regions if r.value is not None and r.colour is None]
    lo, hi = vrange or ((min(vals), max(vals)) if vals else (0.0, 1.0))
    # one trace per fill colour, polygons separated by None: a zone of 10,000 parcels is one
    # trace, not 10,000 (plotly figure objects cost ~1 ms each to build)
    by_fill: dict[str, tuple[list, list]] = {}
    for r in regions:
        if r.colour:
            fill = r.colour
        elif r.value is None:
            fill = "#d5dbd6"
        else:
            fill = colour_at(r.value, lo, hi, scale)
        xs, ys = by_fill.setdefault(fill, ([], []))
        if xs:
            xs.append(None)
            ys.append(None)
        xs.extend(r.shape.lons)
        ys.extend(r.shape.lats)
    for fill, (xs, ys) in by_fill.items():
        traces.append(go.Scatter(
            x=_coords(xs), y=_coords(ys), mode="lines", fill="toself", fillcolor=fill,
            line={"color": "#34495e", "width": 0.8}, hoverinfo="skip", showlegend=False,
        ))
    if regions:
        traces.append(go.Scatter(
            # numpy: plotly checks a list element by element (10,000s of parcels on a zone page)
            x=np.array([r.shape.cx for r in regions]), y=np.array([r.shape.cy for r in regions]),
            mode="markers+text" if any(r.text for r in regions) else "markers",
            text=text_array(r.text for r in regions), textposition="top center",
            textfont={"size": 10, "color": "#1f2933"},
            marker={"size": 5, "color": "#1f2933", "opacity": 0.55},
            customdata=text_array(((r.label, r.detail) for r in regions), 2),
            hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
            showlegend=False,
        ))
    if vals:
        # invisible point that carries the colour bar
        traces.append(go.Scatter(
            x=[regions[0].shape.cx], y=[regions[0].shape.cy], mode="markers", hoverinfo="skip",
            showlegend=False,
            marker={"size": 0.1, "opacity": 0, "color": [lo], "cmin": lo, "cmax": hi,
                    "colorscale": scale, "showscale": True,
                    "colorbar": {"title": {"text": colour_title, "side": "right"},
                                 "thickness": 12, "len": 0.75, "tickformat": tickformat,
                                 "outlinewidth": 0}},
        ))
    if outline_labels:
        sel = [s for s in outlines if outline_labels.get(s.key)]
        traces.append(go.Scatter(
            x=[s.cx for s in sel], y=[s.cy for s in sel], mode="text",
            text=[outline_labels[s.key] for s in sel], hoverinfo="skip", showlegend=False,
            textfont={"size": 11, "color": "#52606d", "family": FONT_STACK},
        ))
    for p in points:
        traces.append(p)

    shown = list(focus) if focus else list(outlines) or [r.shape for r in regions]
    if shown:
        x0 = min(s.bounds[0] for s in shown)
        y0 = min(s.bounds[1] for s in shown)
        x1 = max(s.bounds[2] for s in shown)
        y1 = max(s.bounds[3] for s in shown)
    else:
        x0, y0, x1, y1 = 109.2, 40.2, 111.4, 42.8
    padx, pady = (x1 - x0) * 0.04 + 0.01, (y1 - y0) * 0.04 + 0.01
    lat0 = (y0 + y1) / 2
    axis = {"visible": False, "showgrid": False, "zeroline": False}
    return Fig(traces, base_layout(
        height,
        margin={"l": 4, "r": 4, "t": 30, "b": 4},
        xaxis={**axis, "range": [x0 - padx, x1 + padx]},
        yaxis={**axis, "range": [y0 - pady, y1 + pady], "scaleanchor": "x",
               "scaleratio": 1 / math.cos(math.radians(lat0))},
        plot_bgcolor="#ffffff",
        dragmode="pan",
    ))


def clean(values: Iterable[Any]) -> list[float | None]:
    return [None if isnull(v) else float(v) for v in values]
