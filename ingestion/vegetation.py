"""Vegetation indices (MOD13Q1-style NDVI/EVI), streamed in batches so that a 1 GB file ingests
in bounded memory.

Layouts, detected from the header:

* ``appeears``: NASA AppEEARS point samples, read by the export's documented column grammar, not
  by a fixed header: ``Latitude, Longitude, Date`` (``Category``/``ID`` only when the request had
  them), ``MODIS_Tile``, and per requested layer ``<PRODUCT>_<VERSION>_<layer>`` (e.g.
  ``MOD13Q1_006__250m_16_days_NDVI``, ``MOD13A1_061__500m_16_days_EVI``), its quality layer and
  the decoded bit fields ``<quality layer>_<field>`` (``_MODLAND``, ``_Possible_snow/ice``, each
  with a ``_Description``), see :func:`appeears_layers`. Any product and version with an NDVI
  layer is read; an export without one (EVI only) is refused as ``schema_error``, every row
  quarantined: NDVI is required by the contract and by the marts (peak-season NDVI, the grassland
  NDVI->AGB fits and cover);
* ``ornl``: ORNL DAAC MODIS subsets / MODISTools long format (one row per band, pixel and date:
  ``band, value, scale, calendar_date, pixel``, ``xllcorner/yllcorner/cellsize/nrows/ncols``),
  pivoted with DuckDB;
* ``gee``: Google Earth Engine table exports (``system:index``, ``.geo``);
* ``plain``: ``parcel_id, date, ndvi, evi, quality`` (CSV or Parquet), or the same with
  ``latitude/longitude`` instead of ``parcel_id``;
* ``.tif``: a GeoTIFF raster, reduced to zonal statistics per parcel (mean, std, valid pixels)
  in :mod:`ingestion.vegetation_raster`.

Point rows (AppEEARS, ORNL pixels, GEE points) are assigned to parcels by point-in-polygon
against the raw parcels layer; a point in no parcel is quarantined with ``outside_parcels``.
The accepted points are then averaged per parcel and composite (``pixel_count`` points; good and
marginal points only when there are any).

Unscaled MODIS integers (|NDVI| > 1) are detected once per file and multiplied by 0.0001; the
fill value -3000 is quarantined as ``fill_value``. Quality is MODIS pixel reliability (-1 fill,
0 good, 1 marginal, 2 snow/ice, 3 cloudy), read from a reliability/SummaryQA column or derived
from the decoded VI Quality bits (MODLAND 00 -> 0, 01 -> 1 or 2 with the snow/ice bit, 10 -> 3,
11 -> -1).

A clean plain CSV is checked in DuckDB first (:mod:`ingestion.vegetation_fast`, called by the
loader); this module reads the rows that the fast path leaves to it, and every other file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ingestion import headers
from ingestion.limits import Limits
from ingestion.tabular import (
    EmptyFile,
    UnknownLayout,
    UnreadableFile,
    decode,
    sniff_delimiter,
    utf16_encoding,
)
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
    limit = Limits.from_env().max_line_bytes
    with path.open("rb") as fh:
        head = fh.read(limit + 1)
    if not head.strip():
        raise EmptyFile(f"{path.name}: the file is empty ({path.stat().st_size} bytes)")
    if utf16_encoding(head):
        raise UnreadableFile(
            f"{path.name}: UTF-16 text (Excel's \"Unicode text\"); vegetation-index files are "
            "read as UTF-8: save as \"CSV UTF-8\" and upload again"
        )
    if b"\n" not in head and len(head) > limit:
        raise UnreadableFile(
            f"{path.name}: line 1 is longer than {limit:,} bytes (SINKWATCH_MAX_LINE_BYTES): "
            "not a table with a header row"
        )
    text = decode(head.split(b"\n", 1)[0], path.name).lstrip("\ufeff").rstrip("\r")
    delim = sniff_delimiter(text)
    return [h.strip().strip('"') for h in text.split(delim)], delim


#: ``<PRODUCT>_<VERSION>_<layer>``: an AppEEARS result column (MOD13Q1_061__250m_16_days_NDVI)
_APPEEARS_COLUMN = re.compile(
    r"^(?P<product>[A-Za-z][A-Za-z0-9]*)_(?P<version>\d{3})_(?P<layer>.+)$"
)
#: AppEEARS columns that are the pixel's position, not a layer
_POSITION = re.compile(r"^(line_y|sample_x)_", re.IGNORECASE)


class NoNdviLayer(UnreadableFile):
    """An export of a product or layer set without NDVI (e.g. MOD13A1 EVI only)."""

    status = "schema_error"


@dataclass(frozen=True)
class AppeearsLayers:
    """The columns of one AppEEARS point export, found by the column grammar."""

    product: str  # MOD13A1.061
    layers: tuple[str, ...]  # the data and quality layers as named in the export
    ndvi: str | None = None
    evi: str | None = None
    reliability: str | None = None  # pixel_reliability / SummaryQA
    vi_quality: str | None = None  # the VI_Quality integer
    modland: str | None = None  # its decoded MODLAND bits
    snow: str | None = None  # its decoded possible snow/ice bit


def _first(columns: list[str], layer_of: dict[str, str], *ends: str) -> str | None:
    hits = [c for c in columns if layer_of[c].endswith(ends)]
    return hits[0] if hits else None


def appeears_layers(cols: list[str]) -> AppeearsLayers | None:
    """The AppEEARS layers of a header (``Latitude, Longitude, Date`` and at least one
    ``<PRODUCT>_<VERSION>_<layer>`` column), or None when it is not an AppEEARS point export.
    A decoded quality field is ``<quality layer>_<field>``, its text ``..._Description``."""
    low = {c.lower() for c in cols}
    if not {"latitude", "longitude", "date"} <= low:
        return None
    products: dict[str, list[tuple[str, str]]] = {}
    for c in cols:
        m = _APPEEARS_COLUMN.match(c)
        if m and not _POSITION.match(m["layer"]):
            products.setdefault(f"{m['product']}.{m['version']}", []).append((c, m["layer"]))
    if not products:
        return None
    found = []
    for product, columns in products.items():
        layer_of = {c: layer.lower() for c, layer in columns}
        qa = [c for c, layer in layer_of.items()
              if layer.endswith(("vi_quality", "pixel_reliability", "summaryqa"))]
        # a decoded field extends a quality layer's name; the rest are the layers themselves
        base = [c for c in layer_of
                if not any(layer_of[c].startswith(layer_of[q] + "_") for q in qa)
                and not layer_of[c].endswith(("_description", "_bitmask"))]

        vi_quality = _first(base, layer_of, "vi_quality")
        decoded = [c for c in layer_of if vi_quality and c.startswith(vi_quality + "_")]
        found.append(AppeearsLayers(
            product=product,
            layers=tuple(c.split("_", 2)[2] for c in base),
            ndvi=_first(base, layer_of, "ndvi"),
            evi=_first(base, layer_of, "_evi") or _first(
                [c for c in base if layer_of[c] == "evi"], layer_of, "evi"),
            reliability=_first(base, layer_of, "pixel_reliability", "summaryqa"),
            vi_quality=vi_quality,
            modland=_first(decoded, layer_of, "_modland"),
            snow=_first(decoded, layer_of, "_possible_snow/ice"),
        ))
    with_vi = [f for f in found if f.ndvi or f.evi]
    if len(with_vi) > 1:
        raise UnknownLayout(
            "an AppEEARS export has one product per file; this one has vegetation indices of "
            f"{', '.join(f.product for f in with_vi)}"
        )
    return (with_vi or found)[0]


def layout_of(cols: list[str]) -> str:
    low = {c.lower() for c in cols}
    if {"band", "value"} <= low and ({"calendar_date", "modis_date"} & low):
        return "ornl"
    if "system:index" in low or ".geo" in low:
        return "gee"
    if appeears_layers(cols) is not None:
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


def _appeears(frame: pd.DataFrame, layers: AppeearsLayers) -> pd.DataFrame:
    def col(name: str | None) -> pd.Series:
        if name is None:
            return pd.Series("", index=frame.index, dtype="string")
        return frame[name].astype("string").fillna("").str.strip()

    out = pd.DataFrame({"_source_row": frame["_source_row"]})
    out["parcel_id"] = ""
    out["_lon"], out["_lat"] = _col(frame, "longitude"), _col(frame, "latitude")
    # the request's point name; a single-coordinate request has no Category/ID: the coordinates
    point = (_col(frame, "category") + ":" + _col(frame, "id")).str.strip(":")
    out["_point"] = point.mask(point == "", out["_lat"] + "," + out["_lon"])
    out["composite_date"] = _col(frame, "date")
    out["ndvi"] = col(layers.ndvi)
    out["evi"] = col(layers.evi)
    reliability = col(layers.reliability)
    derived = _quality_from_vi_quality(col(layers.modland), col(layers.snow),
                                       col(layers.vi_quality))
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


NORMALISE = {"gee": _gee, "plain": _plain}


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
    no_layer = not ctx.parcel_ids  # the ids only: locate may not have parsed the layer
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

    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=BATCH_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=delim),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in cols}, strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as exc:
        raise UnreadableFile(f"{path.name}: cannot parse as delimited text: {exc}") from exc
    first = 2
    while True:
        try:
            rb = reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowInvalid as exc:
            raise UnreadableFile(
                f"{path.name}: cannot parse as delimited text after row {first - 1}: {exc}"
            ) from exc
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


def _layout(cols: list[str], path: Path) -> str:
    try:
        return layout_of(cols)
    except UnknownLayout as exc:
        raise UnknownLayout(f"{path.name}: {exc}") from exc


def open_batches(path: Path, ctx) -> tuple[str, Iterator[pd.DataFrame], State]:
    """(format, batches of contract-named text frames, per-file state)."""
    state = State()
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff"):
        from ingestion.vegetation_raster import zonal  # here: vegetation_raster imports this module

        frame, notes = zonal(path, ctx)
        state.notes += notes
        return "geotiff/zonal", iter([frame]), state
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            cols = pq.ParquetFile(path).schema_arrow.names
        except (pa.ArrowInvalid, OSError) as exc:
            raise UnreadableFile(f"{path.name}: not a readable Parquet file: {exc}") from exc
        layout = _layout(cols, path)
        source = _parquet_batches(path)
        fmt = f"parquet/{layout}"
    else:
        cols, delim = _header(path)
        layout = _layout(cols, path)
        fmt = f"csv/{layout}"
        source = (
            _ornl_batches(path, delim, state)
            if layout == "ornl"
            else _csv_batches(path, cols, delim)
        )
    if layout == "ornl":
        return fmt, (_finish(b, ctx, state) for b in source), state
    if layout == "appeears":
        layers = appeears_layers(cols)
        if layers.ndvi is None:
            raise NoNdviLayer(
                f"{path.name}: AppEEARS export of {layers.product} without an NDVI layer "
                f"(layers: {', '.join(layers.layers)}); the vegetation_indices contract requires "
                "NDVI (EVI alone is not accepted): request the product's NDVI layer too"
            )
        fmt = f"{fmt}/{layers.product}"
        state.notes.append(f"AppEEARS {layers.product}: NDVI from {layers.ndvi}"
                           + (f", EVI from {layers.evi}" if layers.evi else ", no EVI layer"))
        return fmt, (_finish(_appeears(b, layers), ctx, state) for b in source), state
    return fmt, (_finish(NORMALISE[layout](b), ctx, state) for b in source), state

