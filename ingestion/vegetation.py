"""Vegetation indices (MOD13Q1-style NDVI/EVI), streamed in batches so that a 1 GB file ingests
in bounded memory.

Layouts, detected from the header:

* ``appeears``: NASA AppEEARS point samples (``Latitude, Longitude, Date``, ``*_NDVI``, and the
  decoded ``*_VI_Quality_*`` or ``*_pixel_reliability`` columns);
* ``ornl``: ORNL DAAC MODIS subsets / MODISTools long format (one row per band, pixel and date:
  ``band, value, scale, calendar_date, pixel``, ``xllcorner/yllcorner/cellsize/nrows/ncols``),
  pivoted with DuckDB;
* ``gee``: Google Earth Engine table exports (``system:index``, ``.geo``);
* ``plain``: ``parcel_id, date, ndvi, evi, quality`` (CSV or Parquet), or the same with
  ``latitude/longitude`` instead of ``parcel_id``;
* ``.tif``: a GeoTIFF raster, reduced to zonal statistics per parcel (mean, std, valid pixels).

Point rows (AppEEARS, ORNL pixels, GEE points) are assigned to parcels by point-in-polygon
against the raw parcels layer; a point in no parcel is quarantined with ``outside_parcels``.
The accepted points are then averaged per parcel and composite (``pixel_count`` points; good and
marginal points only when there are any).

Unscaled MODIS integers (|NDVI| > 1) are detected once per file and multiplied by 0.0001; the
fill value -3000 is quarantined as ``fill_value``. Quality is MODIS pixel reliability (-1 fill,
0 good, 1 marginal, 2 snow/ice, 3 cloudy), read from a reliability/SummaryQA column or derived
from the decoded VI Quality bits (MODLAND 00 -> 0, 01 -> 1 or 2 with the snow/ice bit, 10 -> 3,
11 -> -1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ingestion import headers
from ingestion.tabular import EmptyFile, UnknownLayout, UnreadableFile, decode, sniff_delimiter
from sinkwatch.contracts import FAMILIES

FAMILY = FAMILIES["vegetation_indices"]
BATCH_BYTES = 8 << 20
SCALE = 0.0001
FILL = -3000
SINUSOIDAL = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"


@dataclass
class State:
    """Decisions taken once per file and applied to every batch."""

    scale: float | None = None
    notes: list[str] = field(default_factory=list)
    points: bool = False


def _header(path: Path) -> tuple[list[str], str]:
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise EmptyFile(f"{path.name}: the file is empty ({path.stat().st_size} bytes)")
    text = decode(head.split(b"\n", 1)[0], path.name).lstrip("\ufeff").rstrip("\r")
    delim = sniff_delimiter(text)
    return [h.strip().strip('"') for h in text.split(delim)], delim


def layout_of(cols: list[str]) -> str:
    low = {c.lower() for c in cols}
    if {"band", "value"} <= low and ({"calendar_date", "modis_date"} & low):
        return "ornl"
    if "system:index" in low or ".geo" in low:
        return "gee"
    if {"latitude", "longitude", "date"} <= low and any(c.endswith("_ndvi") for c in low):
        return "appeears"
    mapped, _ = headers.resolve(FAMILY, cols)
    names = {m.column for m in mapped}
    has_xy = bool({"latitude", "lat"} & low) and bool({"longitude", "lon", "lng"} & low)
    if "ndvi" in names and "composite_date" in names and ("parcel_id" in names or has_xy):
        return "plain"
    raise UnknownLayout(
        f"unknown vegetation-index layout: expected AppEEARS, ORNL DAAC subset, Earth Engine "
        f"export or parcel_id/date/ndvi columns; found: {', '.join(cols)}"
    )


# --- per-layout normalisation of one batch (text frame, file's own columns) ------------------


def _col(frame: pd.DataFrame, *names: str) -> pd.Series:
    low = {c.lower(): c for c in frame.columns}
    for n in names:
        if n in low:
            return frame[low[n]].astype("string").fillna("").str.strip()
    return pd.Series("", index=frame.index, dtype="string")


def _suffix_col(frame: pd.DataFrame, *suffixes: str) -> pd.Series:
    for s in suffixes:
        hits = [c for c in frame.columns if c.lower().endswith(s)]
        if hits:
            return frame[hits[0]].astype("string").fillna("").str.strip()
    return pd.Series("", index=frame.index, dtype="string")


MODLAND_TO_RELIABILITY = {
    "0b00": 0,
    "00": 0,
    "0b01": 1,
    "01": 1,
    "0b10": 3,
    "10": 3,
    "0b11": -1,
    "11": -1,
}


def _quality_from_vi_quality(modland: pd.Series, snow: pd.Series, raw: pd.Series) -> pd.Series:
    q = modland.str.lower().map(MODLAND_TO_RELIABILITY)
    bits = pd.to_numeric(raw, errors="coerce")
    from_bits = (
        (bits.fillna(0).astype("int64") & 0b11).map({0: 0, 1: 1, 2: 3, 3: -1}).where(bits.notna())
    )
    q = q.where(q.notna(), from_bits)
    snow_bit = (bits.fillna(0).astype("int64") // (1 << 14)) % 2 == 1
    snow_flag = snow.str.lower().isin(["0b1", "1", "yes"]) | (bits.notna() & snow_bit)
    q = q.mask((q == 1) & snow_flag, 2)
    return q.map(lambda v: "" if pd.isna(v) else str(int(v))).astype("string")


def _appeears(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"_source_row": frame["_source_row"]})
    out["parcel_id"] = ""
    out["_point"] = (_col(frame, "category") + ":" + _col(frame, "id")).str.strip(":")
    out["_lon"], out["_lat"] = _col(frame, "longitude"), _col(frame, "latitude")
    out["composite_date"] = _col(frame, "date")
    out["ndvi"] = _suffix_col(frame, "_ndvi")
    out["evi"] = _suffix_col(frame, "_evi")
    reliability = _suffix_col(frame, "_pixel_reliability", "_summaryqa")
    derived = _quality_from_vi_quality(
        _suffix_col(frame, "_vi_quality_modland"),
        _suffix_col(frame, "_possible_snow/ice"),
        _suffix_col(frame, "_vi_quality"),
    )
    out["quality"] = reliability.where(reliability != "", derived)
    return out


_DATE_IN_INDEX = re.compile(r"(\d{4})[_-](\d{2})[_-](\d{2})")


def _gee(frame: pd.DataFrame) -> pd.DataFrame:
    renamed, _, _ = headers.apply(FAMILY, frame)
    out = pd.DataFrame({"_source_row": frame["_source_row"]})
    for c in ("parcel_id", "composite_date", "ndvi", "evi", "quality"):
        out[c] = renamed[c] if c in renamed.columns else ""
    if (out["ndvi"] == "").all():
        out["ndvi"] = _col(frame, "mean", "ndvi_mean")
    if (out["evi"] == "").all():
        out["evi"] = _col(frame, "evi_mean")
    index = _col(frame, "system:index")
    start = pd.to_numeric(_col(frame, "system:time_start"), errors="coerce")
    from_ms = pd.to_datetime(start, unit="ms", errors="coerce").dt.strftime("%Y-%m-%d")
    from_index = index.str.extract(_DATE_IN_INDEX).apply(
        lambda r: "" if r.isna().any() else f"{r[0]}-{r[1]}-{r[2]}", axis=1
    )
    d = out["composite_date"].astype("string")
    d = d.mask(d == "", from_ms.fillna(""))
    out["composite_date"] = d.mask(d == "", from_index if len(from_index) else "")
    geo = _col(frame, ".geo")

    def xy(g: str) -> tuple[str, str]:
        try:
            obj = json.loads(g)
            if obj.get("type") == "Point":
                return str(obj["coordinates"][0]), str(obj["coordinates"][1])
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            pass
        return "", ""

    pts = [xy(g) for g in geo] if (out["parcel_id"] == "").any() else [("", "")] * len(out)
    out["_lon"] = [p[0] for p in pts]
    out["_lat"] = [p[1] for p in pts]
    out["_point"] = index
    return out


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    renamed, _, _ = headers.apply(FAMILY, frame)
    out = pd.DataFrame({"_source_row": frame["_source_row"]})
    for c in FAMILY.column_names:
        out[c] = renamed[c] if c in renamed.columns else ""
    if "_issue" in frame.columns:
        out["_issue"] = frame["_issue"]
    if (out["parcel_id"] == "").all():
        out["_lon"] = _col(frame, "longitude", "lon", "lng")
        out["_lat"] = _col(frame, "latitude", "lat")
        out["_point"] = out["_lon"] + "," + out["_lat"]
    return out


NORMALISE = {"appeears": _appeears, "gee": _gee, "plain": _plain}


# --- steps common to all layouts --------------------------------------------------------------


def _scale_and_fill(batch: pd.DataFrame, state: State) -> pd.DataFrame:
    ndvi = pd.to_numeric(batch["ndvi"], errors="coerce")
    evi = pd.to_numeric(batch["evi"], errors="coerce")
    if state.scale is None:
        values = pd.concat([ndvi, evi]).dropna()
        values = values[values != FILL]
        if len(values):
            state.scale = SCALE if values.abs().max() > 1.0 else 1.0
            if state.scale != 1.0:
                state.notes.append("unscaled MODIS integers detected: NDVI/EVI x 0.0001 applied")
    fill = (ndvi == FILL) | ((ndvi == FILL * SCALE) & (state.scale in (None, 1.0)))
    factor = state.scale or 1.0
    if "_scale" in batch.columns:  # ORNL: a per-row scale column
        per_row = pd.to_numeric(batch["_scale"], errors="coerce")
        factor = per_row.where(per_row.notna() & (per_row > 0), factor)
        fill = ndvi == FILL
    out = batch.copy()
    for name, values in (("ndvi", ndvi), ("evi", evi)):
        scaled = (values * factor).round(6)
        # only values that scaling or rounding changed are rewritten (the rest keep their text)
        changed = (values.notna() & (scaled != values)).fillna(False)
        text = batch[name]
        if changed.any():
            text = text.mask(changed, scaled[changed].map(lambda v: repr(float(v))))
        out[name] = text
    issue = out["_issue"] if "_issue" in out.columns else pd.Series("", index=out.index)
    issue = issue.fillna("").astype(str)
    out["_issue"] = issue.mask(
        fill & (issue == ""), "ndvi|fill_value|NDVI is the MODIS fill value -3000"
    )
    out.loc[fill, "ndvi"] = ""
    out.loc[fill & ((evi == FILL) | (evi == FILL * SCALE)), "evi"] = ""
    out.loc[fill & (out["quality"] == ""), "quality"] = "-1"
    return out


def _assign_points(batch: pd.DataFrame, ctx, state: State) -> pd.DataFrame:
    if "_lon" not in batch.columns:
        return batch
    todo = batch["parcel_id"].fillna("") == ""
    if not todo.any():
        return batch.drop(columns=["_point"], errors="ignore")
    state.points = True
    _, parcel = ctx.locate(batch.loc[todo, "_lon"], batch.loc[todo, "_lat"])
    out = batch.copy()
    out.loc[todo, "parcel_id"] = pd.Series(parcel, index=out.index[todo]).fillna("")
    no_layer = not ctx.parcels[0]
    issue = (
        out["_issue"].fillna("").astype(str)
        if "_issue" in out.columns
        else pd.Series("", index=out.index)
    )
    missing = todo & (out["parcel_id"] == "") & (issue == "")
    has_xy = (out["_lon"].fillna("") != "") & (out["_lat"].fillna("") != "")
    why = (
        "no parcels layer has been ingested yet"
        if no_layer
        else "is not inside any parcel of the parcels layer"
    )
    msgs = (
        "longitude,latitude|outside_parcels|point ("
        + out["_lat"].astype(str)
        + ", "
        + out["_lon"].astype(str)
        + ") "
        + why
    )
    issue = issue.mask(missing & has_xy, msgs)
    issue = issue.mask(
        missing & ~has_xy, "parcel_id|required|no parcel_id and no point coordinates"
    )
    out["_issue"] = issue
    return out


def _finish(batch: pd.DataFrame, ctx, state: State) -> pd.DataFrame:
    batch = _assign_points(_scale_and_fill(batch, state), ctx, state)
    keep = ["_source_row", "_issue", "_point", *FAMILY.column_names]
    for c in FAMILY.column_names:
        if c not in batch.columns:
            batch[c] = ""
    return batch[[c for c in keep if c in batch.columns]]


# --- streaming sources --------------------------------------------------------------------------


def _csv_batches(path: Path, cols: list[str], delim: str) -> Iterator[pd.DataFrame]:
    import pyarrow.csv as pacsv

    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=BATCH_BYTES),
        parse_options=pacsv.ParseOptions(delimiter=delim),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in cols}, strings_can_be_null=False
        ),
    )
    first = 2
    for rb in reader:
        frame = rb.to_pandas()
        frame.columns = [str(c).strip() for c in frame.columns]
        frame.insert(0, "_source_row", np.arange(first, first + len(frame), dtype="int64"))
        first += len(frame)
        yield frame


def _parquet_batches(path: Path) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    first = 1
    for rb in pf.iter_batches(batch_size=200_000):
        table = pa.Table.from_batches([rb])
        cols = {}
        for name, arr in zip(table.column_names, table.columns, strict=True):
            if pa.types.is_date(arr.type) or pa.types.is_timestamp(arr.type):
                arr = arr.cast(pa.date32()) if pa.types.is_timestamp(arr.type) else arr
            cols[name] = arr.cast(pa.string())
        frame = pa.table(cols).to_pandas().fillna("")
        frame.insert(0, "_source_row", np.arange(first, first + len(frame), dtype="int64"))
        first += len(frame)
        yield frame


def _ornl_batches(path: Path, delim: str, state: State) -> Iterator[pd.DataFrame]:
    """Long format -> one record per site, pixel and date (DuckDB pivots it out of core)."""
    import duckdb
    from pyproj import Transformer

    state.notes.append(
        "ORNL long format: one record per site, pixel and date "
        "(rows_received counts records, not band lines)"
    )
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = false")
    con.execute("set memory_limit = '512MB'")
    try:
        rel = con.execute(
            """
            with src as (
                select *, row_number() over () + 1 as _line
                from read_csv(?, delim = ?, header = true, all_varchar = true)
            )
            select
                coalesce(site, '') as site, pixel,
                coalesce(calendar_date, modis_date) as calendar_date,
                any_value(xllcorner) as xll, any_value(yllcorner) as yll,
                any_value(cellsize) as cellsize, any_value(nrows) as nrows,
                any_value(ncols) as ncols,
                any_value(latitude) as latitude, any_value(longitude) as longitude,
                min(_line) filter (where lower(band) like '%ndvi') as _source_row,
                any_value(value) filter (where lower(band) like '%ndvi') as ndvi,
                any_value(scale) filter (where lower(band) like '%ndvi') as _scale,
                any_value(value) filter (
                    where lower(band) like '%evi' and lower(band) not like '%ndvi') as evi,
                any_value(value) filter (
                    where lower(band) like '%reliability' or lower(band) like '%summaryqa'
                ) as reliability,
                any_value(value) filter (where lower(band) like '%vi_quality') as vi_quality,
                min(_line) as _first_line
            from src
            group by all
            order by _first_line
            """,
            [str(path), delim],
        )
        to_wgs = Transformer.from_crs(SINUSOIDAL, "EPSG:4326", always_xy=True)
        reader = rel.to_arrow_reader(200_000)
        for rb in reader:
            f = rb.to_pandas()
            out = pd.DataFrame(
                {"_source_row": f["_source_row"].fillna(f["_first_line"]).astype("int64")}
            )
            out["parcel_id"] = ""
            out["composite_date"] = f["calendar_date"].fillna("")
            out["ndvi"] = f["ndvi"].fillna("")
            out["evi"] = f["evi"].fillna("")
            out["_scale"] = f["_scale"].fillna("")
            rel_q = f["reliability"].fillna("")
            derived = _quality_from_vi_quality(
                pd.Series("", index=f.index),
                pd.Series("", index=f.index),
                f["vi_quality"].fillna("").astype("string"),
            )
            out["quality"] = rel_q.where(rel_q != "", derived.fillna(""))
            num = {
                c: pd.to_numeric(f[c], errors="coerce")
                for c in ("xll", "yll", "cellsize", "nrows", "ncols", "pixel")
            }
            n = num["ncols"].fillna(1)
            p = num["pixel"].fillna(1) - (1 if (num["pixel"] >= 1).all() else 0)
            col, row = p % n, p // n
            x = num["xll"] + (col + 0.5) * num["cellsize"]
            y = num["yll"] + (num["nrows"].fillna(1) - row - 0.5) * num["cellsize"]
            lon, lat = to_wgs.transform(x.to_numpy(dtype=float), y.to_numpy(dtype=float))
            lon = pd.Series(lon, index=f.index).where(
                x.notna(), pd.to_numeric(f["longitude"], errors="coerce")
            )
            lat = pd.Series(lat, index=f.index).where(
                y.notna(), pd.to_numeric(f["latitude"], errors="coerce")
            )
            out["_lon"] = lon.map(lambda v: "" if pd.isna(v) else f"{v:.6f}")
            out["_lat"] = lat.map(lambda v: "" if pd.isna(v) else f"{v:.6f}")
            out["_point"] = f["site"].astype(str) + ":" + f["pixel"].astype(str)
            yield out
    finally:
        con.close()


# --- GeoTIFF zonal statistics ------------------------------------------------------------------

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


def open_batches(path: Path, ctx) -> tuple[str, Iterator[pd.DataFrame], State]:
    """(format, batches of contract-named text frames, per-file state)."""
    state = State()
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff"):
        frame, notes = zonal(path, ctx)
        state.notes += notes
        return "geotiff/zonal", iter([frame]), state
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            cols = pq.ParquetFile(path).schema_arrow.names
        except (pa.ArrowInvalid, OSError) as exc:
            raise UnreadableFile(f"{path.name}: not a readable Parquet file: {exc}") from exc
        layout = layout_of(cols)
        source = _parquet_batches(path)
        fmt = f"parquet/{layout}"
    else:
        cols, delim = _header(path)
        layout = layout_of(cols)
        fmt = f"csv/{layout}"
        source = (
            _ornl_batches(path, delim, state)
            if layout == "ornl"
            else _csv_batches(path, cols, delim)
        )
    if layout == "ornl":
        return fmt, (_finish(b, ctx, state) for b in source), state
    return fmt, (_finish(NORMALISE[layout](b), ctx, state) for b in source), state


# --- fast path: a clean plain CSV checked in DuckDB --------------------------------------------

#: A plain decimal with at most 6 decimals (rounding to 6 decimals leaves it as parsed).
_DECIMAL = r"-?[0-9]+(\.[0-9]{1,6})?"
FAST_COLUMNS = ("parcel_id", "composite_date", "ndvi", "evi", "quality", "ndvi_std", "pixel_count")


@dataclass
class FastPlan:
    """A plain ``parcel_id, date, ndvi, evi, quality`` CSV split in DuckDB into the rows that pass
    every check of the contract as written (accepted without a round trip through pandas), and
    the rest, which go through the ordinary reader and row checks (:func:`split_rows`) and so get
    exactly the usual verdicts and reasons. A row is fast only when it is unambiguous: ISO date,
    plain decimals within range, an allowed quality, a known parcel, and a (parcel, date) key no
    other row of the file spells the same way; duplicates that only normalising reveals are
    resolved after the fact, as for any streamed file (``loader._finalize_streamed``)."""

    con: object
    columns: dict[str, str]  # contract name -> the file's header
    n_fast: int
    n_slow: int
    state: State
    format: str = "csv/plain"

    def slow_batches(self, ctx) -> Iterator[pd.DataFrame]:
        cols = ", ".join(f'coalesce("{h}", \'\') as "{h}"' for h in self.columns.values())
        reader = self.con.sql(
            f"select _source_row, {cols} from src semi join slow using (_source_row) "
            "order by _source_row").to_arrow_reader(200_000)
        for rb in reader:
            frame = rb.to_pandas()
            frame["_source_row"] = frame["_source_row"].astype("int64")
            yield _finish(_plain(frame), ctx, self.state)

    def accepted(self, schema: pa.Schema, lineage: dict) -> Iterator[pa.Table]:
        c = self.columns

        def val(name: str, cast: str) -> str:
            return f'try_cast(nullif(trim("{c[name]}"), \'\') as {cast})' if name in c else \
                f"null::{cast}"

        rel = self.con.sql(f"""
            select {val('parcel_id', 'varchar')} as parcel_id,
                {val('composite_date', 'date')} as composite_date,
                {val('ndvi', 'double')} as ndvi, {val('evi', 'double')} as evi,
                {val('quality', 'bigint')} as quality, {val('ndvi_std', 'double')} as ndvi_std,
                {val('pixel_count', 'bigint')} as pixel_count, _source_row
            from src anti join slow using (_source_row)
            order by _source_row
        """)
        for rb in rel.to_arrow_reader(500_000):
            n = rb.num_rows
            cols = {}
            for f in schema:
                if f.name in rb.schema.names:
                    cols[f.name] = rb.column(f.name).cast(f.type)
                elif f.name in lineage:
                    cols[f.name] = pa.array([lineage[f.name]] * n, type=f.type)
                else:
                    cols[f.name] = pa.nulls(n, type=f.type)
            yield pa.Table.from_pydict(cols, schema=schema)

    def copy_accepted(self, dest: Path, schema: pa.Schema, lineage: dict) -> int:
        """Write the accepted rows straight to ``dest`` (Parquet, the raw layer's ``schema``, in
        file order: src is scanned in insertion order, which DuckDB keeps with
        preserve_insertion_order) with DuckDB's parallel writer: the same rows and values as
        :meth:`accepted`, without the trip through Python. Only for a plan without slow rows
        (these are written by the loader, batch by batch, before the fast ones)."""
        if self.n_slow:
            raise ValueError("copy_accepted: the plan has rows for the ordinary reader")
        c = self.columns
        duck = {pa.string(): "varchar", pa.int64(): "bigint", pa.float64(): "double",
                pa.date32(): "date", pa.bool_(): "boolean",
                pa.timestamp("us", tz="UTC"): "timestamptz"}
        select = []
        for f in schema:
            cast = duck[f.type]
            if f.name in c:
                expr = f'try_cast(nullif(trim("{c[f.name]}"), \'\') as {cast})'
            elif f.name == "_source_row":
                expr = "_source_row::bigint"
            elif f.name in lineage:
                v = lineage[f.name]
                v = v.isoformat() if hasattr(v, "isoformat") else str(v)
                expr = "?::" + cast
                select.append((expr, f.name, v))
                continue
            else:
                expr = f"null::{cast}"
            select.append((expr, f.name, None))
        params = [v for _, _, v in select if v is not None]
        cols = ", ".join(f'{e} as "{n}"' for e, n, _ in select)
        self.con.execute("set timezone = 'UTC'")
        self.con.execute(
            f"copy (select {cols} from src) to '{dest}' "
            "(format parquet, compression snappy, row_group_size 122880)", params)
        return self.n_fast

    def close(self) -> None:
        self.con.close()


def fast_plan(path: Path, ctx, temp_dir: Path | None = None) -> FastPlan | None:
    """A :class:`FastPlan` for a plain CSV with a parcel_id column and only contract columns,
    or None (any other layout, an unscaled or unreadable file: the ordinary reader decides)."""
    import duckdb

    if path.suffix.lower() not in (".csv", ".txt") or path.stat().st_size == 0:
        return None
    try:
        cols, delim = _header(path)
        if layout_of(cols) != "plain":
            return None
    except (UnreadableFile, UnknownLayout, EmptyFile):
        return None
    mapped, unknown = headers.resolve(FAMILY, cols)
    columns = {m.column: m.source for m in mapped}
    if (unknown or any(m.factor != 1.0 for m in mapped)
            or not {"parcel_id", "composite_date", "ndvi", "quality"} <= set(columns)
            or not set(columns) <= set(FAST_COLUMNS) or len(set(cols)) != len(cols)):
        return None
    con = duckdb.connect()

    def run(query: str, params: list | None = None) -> list:
        return con.execute(query, params or []).fetchall()  # DuckDB 2.0: fetch every result

    try:
        run("set preserve_insertion_order = true")
        run("set memory_limit = '1GB'")
        if temp_dir is not None:
            temp_dir.mkdir(parents=True, exist_ok=True)
            run(f"set temp_directory = '{temp_dir}'")
        run(
            "create temp table src as select row_number() over () + 1 as _source_row, * "
            "from read_csv(?, header = true, all_varchar = true, delim = ?, quote = '\"', "
            "escape = '\"', auto_detect = false, columns = "
            + "{" + ", ".join(f"'{h}': 'varchar'" for h in cols) + "})",
            [str(path), delim],
        )
        n_ndvi, n_evi = (f'try_cast("{columns[k]}" as double)' if k in columns else "null"
                         for k in ("ndvi", "evi"))
        biggest = run(
            f"select greatest(max(abs({n_ndvi})) filter (where {n_ndvi} <> {FILL}), "
            f"max(abs({n_evi})) filter (where {n_evi} <> {FILL})) from src")[0][0]
        if biggest is not None and biggest > 1.0:
            con.close()
            return None  # unscaled MODIS integers: the ordinary reader scales them

        def txt(name: str) -> str:
            return f"coalesce(\"{columns[name]}\", '')" if name in columns else "''"

        def number(name: str, lo: float, hi: float, pattern: str = _DECIMAL,
                   optional: bool = True) -> str:
            t = txt(name)
            ok = (f"(regexp_full_match({t}, '{pattern}') and "
                  f"try_cast({t} as double) between {lo} and {hi})")
            return f"({t} = '' or {ok})" if optional else ok

        parcel = "true"
        if ctx.parcel_ids is not None:
            con.register("known_parcels", pa.table({"parcel_id": pa.array(ctx.parcel_ids)}))
            parcel = f"{txt('parcel_id')} in (select parcel_id from known_parcels)"
        today = ctx.refs.today.isoformat()
        iso = "'[0-9]{4}-[0-9]{2}-[0-9]{2}'"
        run(f"""
            create temp table slow as
            with checked as materialized (
                select _source_row, {txt('parcel_id')} as k_parcel,
                    {txt('composite_date')} as k_date,
                    coalesce(
                        regexp_full_match({txt('parcel_id')}, '\\S(.*\\S)?')
                        and {parcel}
                        and regexp_full_match({txt('composite_date')}, {iso})
                        and try_cast({txt('composite_date')} as date) <= date '{today}'
                        and {number('ndvi', -0.2, 1.0, optional=False)}
                        and {number('evi', -0.2, 1.0)}
                        and regexp_full_match({txt('quality')}, '-?[0-9]+')
                        and try_cast({txt('quality')} as bigint) in (-1, 0, 1, 2, 3)
                        and {number('ndvi_std', 0, 1.2)}
                        and {number('pixel_count', 0, 100_000_000, pattern='[0-9]+')},
                        false) as clean
                from src
            )
            select _source_row from checked where not clean
            union
            select _source_row from checked semi join (
                select k_parcel, k_date from checked group by all having count(*) > 1
            ) using (k_parcel, k_date)
        """)
        n_all = run("select count(*) from src")[0][0]
        n_slow = run("select count(*) from slow")[0][0]
    except duckdb.Error as exc:
        con.close()
        import logging

        logging.getLogger(__name__).info("%s: no DuckDB fast path (%s)", path.name, exc)
        return None  # malformed for DuckDB's reader: the ordinary reader reports it
    return FastPlan(con, columns, n_all - n_slow, n_slow, State())
