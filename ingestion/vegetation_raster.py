"""GeoTIFF vegetation-index rasters (``.tif``), reduced to zonal statistics per parcel: the mean,
standard deviation and count of the valid pixels whose centre lies inside the parcel (MODIS fill,
snow/ice and cloud pixels left out), for the composite date read from the raster's tags or file
name. Called by :func:`ingestion.vegetation.open_batches`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.tabular import UnknownLayout, UnreadableFile
from ingestion.vegetation import FAMILY, FILL, SCALE

_DOY = re.compile(r"A(\d{4})(\d{3})")
_YMD = re.compile(r"(\d{4})[-_.]?(\d{2})[-_.]?(\d{2})")


def _raster_date(path: Path, tags: dict) -> str | None:
    for k in ("composite_date", "COMPOSITE_DATE", "date", "DATE", "TIFFTAG_DATETIME"):
        if tags.get(k):
            m = _YMD.search(str(tags[k]))
            if m:
                return f"{m[1]}-{m[2]}-{m[3]}"
    m = _DOY.search(path.name)
    if m:
        return (date(int(m[1]), 1, 1) + timedelta(days=int(m[2]) - 1)).isoformat()
    m = _YMD.search(path.name)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return None
    return None


def zonal(path: Path, ctx) -> tuple[pd.DataFrame, list[str]]:
    """One record per parcel that overlaps the raster: mean, std and count of valid pixels."""
    import geopandas as gpd
    import rasterio
    from rasterio.features import rasterize

    from ingestion.tabular import MissingReference

    ids, geoms = ctx.parcels
    if not ids:
        raise MissingReference(
            f"{path.name}: zonal statistics need the parcels layer, and no "
            "parcels have been ingested yet"
        )
    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise UnreadableFile(f"{path.name}: not a readable GeoTIFF: {exc}") from exc
    notes = []
    with ds:
        when = _raster_date(path, ds.tags())
        if when is None:
            raise UnknownLayout(
                f"{path.name}: cannot tell the composite date (no date tag and no "
                "AYYYYDDD or YYYY-MM-DD in the file name)"
            )
        if ds.crs is None:
            raise UnknownLayout(f"{path.name}: the raster has no coordinate reference system")
        desc = [(d or "").lower() for d in ds.descriptions]

        def band(*keys: str) -> int | None:
            for i, d in enumerate(desc, start=1):
                if any(k in d for k in keys) and not (keys == ("evi",) and "ndvi" in d):
                    return i
            return None

        b_ndvi = band("ndvi") or (1 if not band("evi") else None)
        b_evi = band("evi")
        b_rel = band("reliability", "summaryqa", "summary_qa")
        if b_ndvi is None:
            raise UnknownLayout(f"{path.name}: no NDVI band (band descriptions: {desc})")
        series = gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(ds.crs)
        left, bottom, right, top = ds.bounds
        hits = series.cx[left:right, bottom:top]
        shapes = [(g, i + 1) for i, g in zip(hits.index, hits.values, strict=True)]
        zone = (
            rasterize(
                shapes,
                out_shape=(ds.height, ds.width),
                transform=ds.transform,
                fill=0,
                dtype="int32",
            )
            if shapes
            else np.zeros((ds.height, ds.width), "int32")
        )
        nodata = ds.nodata

        def read(b: int) -> tuple[np.ndarray, np.ndarray]:
            arr = ds.read(b).astype("float64")
            bad = np.isnan(arr) | (arr == FILL)
            if nodata is not None:
                bad |= arr == nodata
            return arr, bad

        ndvi, bad = read(b_ndvi)
        integer = np.issubdtype(np.dtype(ds.dtypes[b_ndvi - 1]), np.integer) or (
            np.nanmax(np.abs(np.where(bad, np.nan, ndvi))) > 1.0 if (~bad).any() else False
        )
        factor = SCALE if integer else 1.0
        if integer:
            notes.append("unscaled MODIS integers detected: NDVI/EVI x 0.0001 applied")
        rel = ds.read(b_rel).astype("int64") if b_rel else None
        valid = ~bad & (zone > 0)
        if rel is not None:
            valid &= np.isin(rel, (0, 1))
        evi = read(b_evi)[0] if b_evi else None
    n = len(ids) + 1
    z = zone[valid]
    cnt = np.bincount(z, minlength=n)
    v = ndvi[valid] * factor
    s1 = np.bincount(z, weights=v, minlength=n)
    s2 = np.bincount(z, weights=v * v, minlength=n)
    e1 = np.bincount(z, weights=evi[valid] * factor, minlength=n) if evi is not None else None
    marginal = (
        np.bincount(z, weights=(rel[valid] == 1).astype(float), minlength=n)
        if rel is not None
        else None
    )
    in_zone = np.bincount(zone.ravel(), minlength=n)
    rows = []
    for k, i in enumerate(hits.index):
        zi = i + 1
        c = int(cnt[zi])
        rec = {
            "_source_row": k + 1,
            "parcel_id": ids[i],
            "composite_date": when,
            "pixel_count": str(c),
        }
        if c:
            mean = s1[zi] / c
            rec["ndvi"] = f"{mean:.6f}"
            rec["ndvi_std"] = f"{np.sqrt(max(s2[zi] / c - mean * mean, 0.0)):.6f}"
            rec["evi"] = f"{e1[zi] / c:.6f}" if e1 is not None else ""
            rec["quality"] = "1" if marginal is not None and marginal[zi] > 0 else "0"
            rec["_issue"] = ""
        else:
            rec.update(ndvi="", ndvi_std="", evi="", quality="-1")
            why = (
                "no pixel centre inside the parcel"
                if in_zone[zi] == 0
                else "every pixel in the parcel is fill, snow/ice or cloud"
            )
            rec["_issue"] = f"ndvi|no_valid_pixels|{why}"
        rows.append(rec)
    frame = pd.DataFrame(rows, columns=["_source_row", "_issue", *FAMILY.column_names]).fillna("")
    frame["_source_row"] = frame["_source_row"].astype("int64")
    notes.append(f"zonal statistics over {len(hits)} parcels, composite {when}")
    return frame, notes
