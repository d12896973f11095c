"""Readers: one per real upload format. Each returns text values under the contract's column
names plus ``_source_row`` (1-based line or feature number in the file), so that the row
validator can name file, row and field for anything it rejects.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from shapely.geometry import shape

from ingestion import spatial

ENCODINGS = ("utf-8-sig", "gb18030")


class UnreadableFile(ValueError):
    """The file cannot be parsed at all in any format its family accepts."""


def decode(data: bytes, name: str) -> str:
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(f"{name}: not UTF-8 or GB18030 text")


def read_text_table(path: Path) -> pd.DataFrame:
    """CSV or TSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or Excel, all values as text."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = pd.read_excel(path, dtype=str, engine="openpyxl")
        frame.insert(0, "_source_row", range(2, len(frame) + 2))
        return frame
    text = decode(path.read_bytes(), path.name)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
            quoting=csv.QUOTE_MINIMAL, skip_blank_lines=True,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UnreadableFile(f"{path.name}: cannot parse as delimited text: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.insert(0, "_source_row", range(2, len(frame) + 2))
    return frame


def read_generic(path: Path, aliases: dict[str, str] | None = None) -> pd.DataFrame:
    frame = read_text_table(path)
    if aliases:
        frame = frame.rename(columns={k: v for k, v in aliases.items() if k in frame.columns})
    return frame


def read_parcels_geojson(path: Path) -> pd.DataFrame:
    """GeoJSON FeatureCollection in WGS84: properties plus area (mu, equal-area), centroid, WKT."""
    try:
        data = json.loads(decode(path.read_bytes(), path.name))
        features = data["features"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise UnreadableFile(f"{path.name}: not a GeoJSON FeatureCollection: {exc}") from exc
    rows = []
    for i, feat in enumerate(features, start=1):
        props = {k: ("" if v is None else str(v)) for k, v in (feat.get("properties") or {}).items()}
        props["_source_row"] = i
        geom_json = feat.get("geometry")
        try:
            geom = shape(geom_json) if geom_json else None
        except (ValueError, TypeError, AttributeError):
            geom = None
        if geom is not None and not geom.is_empty and geom.geom_type in ("Polygon", "MultiPolygon"):
            props["area_mu"] = f"{spatial.area_mu(geom):.4f}"
            c = geom.centroid
            props["centroid_lon"] = f"{c.x:.6f}"
            props["centroid_lat"] = f"{c.y:.6f}"
            props["geometry_wkt"] = geom.wkt
        else:
            # left empty: the validator quarantines the feature with a reason naming the field
            props.update(area_mu="", centroid_lon="", centroid_lat="", geometry_wkt="")
        rows.append(props)
    return pd.DataFrame(rows)


# --- NASA FIRMS -----------------------------------------------------------------------------

VIIRS_CONFIDENCE_PCT = {"l": 20.0, "low": 20.0, "n": 60.0, "nominal": 60.0, "h": 90.0, "high": 90.0}


def _hhmm(value: str) -> str:
    """FIRMS acq_time as HHMM, unpadded HMM/MM, or HH:MM[:SS] -> 'HH:MM' (UTC)."""
    v = str(value).strip()
    if not v:
        return ""
    if ":" in v:
        parts = v.split(":")
        return f"{int(parts[0]):02d}:{int(parts[1]):02d}" if all(p.isdigit() for p in parts) else v
    if v.isdigit() and len(v) <= 4:
        v = v.zfill(4)
        return f"{v[:2]}:{v[2:]}"
    return v


def read_firms_csv(path: Path) -> pd.DataFrame:
    frame = read_text_table(path)
    cols = {c.lower() for c in frame.columns}
    frame.columns = [c.lower() for c in frame.columns]
    is_viirs = "bright_ti4" in cols or "viirs" in path.name.lower() or "_sv-" in path.name.lower() \
        or "_j1v-" in path.name.lower() or "_j2v-" in path.name.lower()
    out = pd.DataFrame({"_source_row": frame["_source_row"]})
    for target, candidates in {
        "latitude": ["latitude"],
        "longitude": ["longitude"],
        "brightness_k": ["bright_ti4", "brightness"],
        "brightness2_k": ["bright_ti5", "bright_t31"],
        "scan_km": ["scan"],
        "track_km": ["track"],
        "acq_date": ["acq_date"],
        "satellite": ["satellite"],
        "version": ["version"],
        "frp_mw": ["frp"],
        "daynight": ["daynight"],
        "fire_type": ["type"],
    }.items():
        found = next((c for c in candidates if c in frame.columns), None)
        out[target] = frame[found] if found else ""
    out["acq_time_utc"] = frame["acq_time"].map(_hhmm) if "acq_time" in frame.columns else ""
    if "instrument" in frame.columns:
        out["instrument"] = frame["instrument"].str.strip().str.upper()
    else:
        out["instrument"] = "VIIRS" if is_viirs else "MODIS"
    conf = frame["confidence"].astype(str).str.strip() if "confidence" in frame.columns else ""
    out["confidence_raw"] = conf
    out["confidence_pct"] = [
        f"{VIIRS_CONFIDENCE_PCT[c.lower()]}" if c.lower() in VIIRS_CONFIDENCE_PCT else c for c in conf
    ]
    out["is_nrt"] = out["version"].astype(str).str.upper().str.contains("NRT").map(str)
    return out


def reader_for(family: str, path: Path) -> Callable[[Path], pd.DataFrame]:
    suffix = path.suffix.lower()
    if family == "parcels":
        if suffix in (".geojson", ".json"):
            return read_parcels_geojson
        raise UnreadableFile(f"{path.name}: parcels are read from GeoJSON (.geojson/.json)")
    if family == "fire_hotspots":
        if suffix in (".csv", ".txt"):
            return read_firms_csv
        raise UnreadableFile(f"{path.name}: FIRMS hotspots are read from CSV")
    if family == "vegetation_indices":
        return lambda p: read_generic(p, {"date": "composite_date"})
    if suffix in (".csv", ".tsv", ".txt", ".xlsx", ".xlsm"):
        return read_generic
    raise UnreadableFile(f"{path.name}: unsupported file type {suffix!r} for {family}")
