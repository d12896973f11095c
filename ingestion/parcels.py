"""Parcels (小班): GeoJSON, GeoPackage, GeoParquet, FlatGeobuf, shapefile (zipped, or a set of
loose files grouped by :mod:`ingestion.landing`), in any CRS.

GeoParquet is read with pyarrow (GeoPandas; the GDAL here has no Parquet driver) after a look
at its footer: a file whose columns would expand beyond ``SINKWATCH_MAX_EXPANDED_BYTES`` or more
than ``SINKWATCH_MAX_ZIP_RATIO`` times its size is refused unread (``unsafe_archive``), like a
zip bomb; a ``.parquet`` without GeoParquet ``geo`` metadata is refused (``unknown_layout``).
The parsed layer of an upload is cached by its sha256 (:mod:`ingestion.parcel_cache`).

Geometries are reprojected to WGS84; the area in mu is computed in the Albers equal-area
projection of :mod:`ingestion.spatial`; attributes are mapped from Chinese or English names
(DBF names cut to 10 characters included) with :mod:`ingestion.headers`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from ingestion import archives, headers, parcel_cache, spatial
from ingestion.limits import RATIO_FLOOR_BYTES, Limits
from ingestion.tabular import EmptyFile, UnknownLayout, UnreadableFile
from sinkwatch.contracts import FAMILIES

FAMILY = FAMILIES["parcels"]


_FORMAT_NAMES = {".gpkg": "gpkg", ".json": "geojson", ".shp": "shapefile",
                 ".parquet": "geoparquet", ".fgb": "flatgeobuf"}


def _dataset(path: Path, folder: Path | None) -> tuple[Path, str]:
    """The file GDAL opens, and the format name: ``path`` itself, or the shapefile / GeoPackage /
    GeoJSON inside the extracted zip ``folder``."""
    if folder is None:
        suffix = path.suffix.lower()
        return path, _FORMAT_NAMES.get(suffix, suffix.lstrip("."))
    files = archives.members(folder)
    shp = [f for f in files if f.suffix.lower() == ".shp"]
    other = [f for f in files if f.suffix.lower() in (".gpkg", ".geojson", ".json")]
    fast = [f for f in files if f.suffix.lower() in (".parquet", ".fgb")]
    if shp:
        return shp[0], "zip/shapefile"
    if other:
        return other[0], f"zip/{other[0].suffix.lower().lstrip('.')}"
    if fast:
        return fast[0], f"zip/{_FORMAT_NAMES[fast[0].suffix.lower()]}"
    names = ", ".join(str(f.relative_to(folder)) for f in files) or "nothing"
    raise UnknownLayout(f"{path.name}: zip holds no shapefile, GeoPackage, GeoJSON, GeoParquet or "
                        f"FlatGeobuf ({names})")


def _text(v: object) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _as_text(col: pd.Series) -> list[str]:
    """An attribute column as the text the validators read: "" for a missing value, whole
    floats without ".0" (an integer field with gaps comes back as float), str() otherwise.
    Column by column: the same values as :func:`_text` on every cell, without a Python call per
    cell where the column's type allows."""
    values = col.to_numpy(dtype=object, na_value=None)
    if pd.api.types.is_float_dtype(col.dtype):
        f = col.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isfinite(f) & (np.mod(f, 1.0) == 0)
        out = np.array([str(v) for v in values], dtype=object)
        out[np.isnan(f)] = ""
        out[whole] = [str(int(v)) for v in f[whole]]
        return list(out)
    if pd.api.types.is_integer_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        return ["" if v is None else str(v) for v in values]
    return [v if type(v) is str else _text(v) for v in values]


def _polygonal(g):
    """The polygons of a geometry (``make_valid`` may add lines or points), or None."""
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def _check_validity(geoms: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, int]:
    """Repair the invalid polygons whose repair keeps their area (an ESRI-style ring touching
    itself, say: same area once valid); flag the others (a bowtie: any repair changes what the
    polygon covers) with an ``_issue`` on ``geometry_wkt``. ``geoms`` is updated in place."""
    issues = np.full(len(geoms), "", dtype=object)
    idx = np.flatnonzero(ok)
    bad = idx[~shapely.is_valid(geoms[idx].astype(object))] if len(idx) else idx
    if not len(bad):
        return issues, 0
    reasons = shapely.is_valid_reason(geoms[bad].astype(object))
    fixed = [_polygonal(shapely.make_valid(g)) for g in geoms[bad]]
    repaired = 0
    for i, g, why in zip(bad, fixed, reasons, strict=True):
        before = abs(shapely.area(geoms[i]))
        if g is not None and not g.is_empty and abs(g.area - before) <= 1e-6 * max(g.area, 1e-12):
            geoms[i] = g
            repaired += 1
        else:
            issues[i] = (
                f"geometry_wkt|invalid_geometry|the polygon is not valid ({why}); not repaired, "
                "because any repair changes the area it covers: fix it in the GIS "
                "(e.g. QGIS Fix geometries, ArcGIS Repair Geometry) and upload again"
            )
    return issues, repaired


def read(path: Path, cache_dir: Path | None = None, digest: str | None = None
         ) -> tuple[pd.DataFrame, str, list[str]]:
    """The parcels of ``path`` as contract text columns, the format and notes. With
    ``cache_dir`` and the upload's sha256 ``digest``, the parsed layer is taken from (or put
    into) the cache: the same bytes are parsed once."""
    if path.stat().st_size == 0:
        raise EmptyFile(f"{path.name}: the file is empty (0 bytes)")
    key = parcel_cache.entry(cache_dir, digest)
    hit = parcel_cache.load(key)
    if hit is not None:
        gdf, fmt = hit
    else:
        gdf, fmt = parse(path)
        parcel_cache.store(key, gdf, fmt)
    return _frame(gdf, path.name, fmt)


def parse(path: Path):
    """(GeoDataFrame, format) of an upload as its file holds it: the expensive part."""
    if path.suffix.lower() == ".zip":
        with archives.extracted(path) as folder:
            src, fmt = _dataset(path, folder)
            return _read_gdf(src, path.name, fmt), fmt
    src, fmt = _dataset(path, None)
    return _read_gdf(src, path.name, fmt), fmt


def check_parquet(path: Path, name: str, limits: Limits | None = None) -> None:
    """Refuse a Parquet file whose footer says it expands beyond the limits (before reading)."""
    import pyarrow.parquet as pq

    limits = limits or Limits.from_env()
    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:
        raise UnreadableFile(f"{name}: not a readable Parquet file: {exc}") from exc
    total = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if total > limits.max_expanded_bytes:
        raise archives.UnsafeArchive(
            f"{name}: Parquet columns expand to {total:,} bytes (limit "
            f"{limits.max_expanded_bytes:,}, SINKWATCH_MAX_EXPANDED_BYTES): the file is refused")
    size = max(path.stat().st_size, 1)
    if total > RATIO_FLOOR_BYTES and total / size > limits.max_zip_ratio:
        raise archives.UnsafeArchive(
            f"{name}: Parquet columns expand {total / size:,.0f}:1 ({size:,} to {total:,} "
            f"bytes; limit {limits.max_zip_ratio:g}:1, SINKWATCH_MAX_ZIP_RATIO): a "
            "decompression bomb?")


def _read_geoparquet(src: Path, name: str):
    import geopandas
    import pyarrow.parquet as pq

    check_parquet(src, name)
    meta = pq.read_schema(src).metadata or {}
    if b"geo" not in meta:
        raise UnknownLayout(
            f"{name}: a Parquet parcels file must be GeoParquet (no 'geo' metadata; write it "
            "with GeoPandas to_parquet, GDAL/QGIS or DuckDB COPY ... (FORMAT parquet) from a "
            "GEOMETRY column)")
    try:
        gdf = geopandas.read_parquet(src)
    except Exception as exc:
        raise UnreadableFile(f"{name}: cannot read as GeoParquet: {exc}") from exc
    if gdf.geometry.name != "geometry":
        gdf = gdf.drop(columns=["geometry"], errors="ignore").rename_geometry("geometry")
    return gdf


def _read_gdf(src: Path, name: str, fmt: str):
    import pyogrio

    if fmt.endswith("geoparquet"):
        return _read_geoparquet(src, name)
    try:
        # through Arrow: GDAL hands over whole columns (~2x faster at city scale)
        return pyogrio.read_dataframe(src, use_arrow=True)
    except Exception as exc:  # GDAL raises several classes
        raise UnreadableFile(f"{name}: cannot read as {fmt}: {exc}") from exc


def _frame(gdf, name: str, fmt: str) -> tuple[pd.DataFrame, str, list[str]]:
    path = Path(name)
    notes = []
    if gdf.crs is None:
        b = gdf.total_bounds
        if len(gdf) and -180 <= b[0] <= b[2] <= 180 and -90 <= b[1] <= b[3] <= 90:
            gdf = gdf.set_crs("EPSG:4326")
            notes.append("no CRS in the file: coordinates look like degrees, read as WGS84")
        elif len(gdf):
            raise UnknownLayout(
                f"{path.name}: no coordinate reference system (.prj missing?) and "
                "the coordinates are not degrees"
            )
    elif gdf.crs.to_epsg() != 4326:
        notes.append(f"reprojected from {gdf.crs.to_string()} to WGS84")
        gdf = gdf.to_crs("EPSG:4326")
    attrs = pd.DataFrame(gdf.drop(columns="geometry"))
    for c in attrs.columns:
        if pd.api.types.is_datetime64_any_dtype(attrs[c]):
            attrs[c] = attrs[c].dt.strftime("%Y-%m-%d")
    text = pd.DataFrame({c: _as_text(attrs[c]) for c in attrs.columns}, index=attrs.index,
                        dtype="string")
    text.insert(0, "_source_row", pd.array(range(1, len(text) + 1), dtype="int64"))
    frame, unknown, conv = headers.apply(FAMILY, text)
    notes += conv
    if unknown:
        notes.append(f"ignored attributes not in the contract: {', '.join(map(str, unknown))}")
    # vectorised over all polygons (shapely 2 / pyproj on coordinate arrays): same values as
    # one geometry at a time, ~20x faster for 200,000 parcels
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    ok = np.array([g is not None for g in geoms], dtype=bool)
    ok[ok] = ~shapely.is_empty(geoms[ok].astype(object))
    kinds = shapely.get_type_id(np.where(ok, geoms, None))
    ok &= np.isin(kinds, (3, 6))  # Polygon, MultiPolygon
    issues, repaired = _check_validity(geoms, ok)
    if repaired:
        notes.append(f"{repaired} polygon(s) not valid in the OGC sense (e.g. a ring touching "
                     "itself) repaired without changing their area")
    if any(issues):
        frame["_issue"] = list(issues)
    poly = geoms[ok]
    centroid = shapely.centroid(poly)
    area = np.full(len(geoms), "", dtype=object)
    lon, lat, wkt = area.copy(), area.copy(), area.copy()
    area[ok] = [f"{a:.4f}" for a in spatial.areas_mu(poly)]
    lon[ok] = [f"{x:.6f}" for x in shapely.get_x(centroid)]
    lat[ok] = [f"{y:.6f}" for y in shapely.get_y(centroid)]
    wkt[ok] = shapely.to_wkt(poly, rounding_precision=-1)  # as BaseGeometry.wkt
    frame["area_mu"], frame["centroid_lon"], frame["centroid_lat"], frame["geometry_wkt"] = (
        list(area),  # left empty where there is no polygon: the validator names the field
        list(lon),
        list(lat),
        list(wkt),
    )
    return frame, fmt, notes
