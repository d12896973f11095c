"""NASA FIRMS active-fire detections (MODIS C6.1, VIIRS 375 m S-NPP/NOAA-20/NOAA-21).

Layouts (detected from the header, never from the file name alone):

* ``regional_13``: near-real-time regional feeds, no ``instrument`` and no ``type``;
* ``api_14``: API/download files with ``instrument``;
* ``archive_15``: archive (standard) files with ``instrument`` and ``type``;
* any of them with the country endpoint's leading ``country_id``;
* VIIRS brightness as ``bright_ti4/bright_ti5`` or ``brightness/bright_t31``.

Containers: CSV, JSON array (FIRMS API ``json``), and zipped shapefile (DBF names upper case,
cut to 10 characters) or a zip holding CSV files. ``acq_time`` as ``HHMM``, ``HMM``, ``MM`` or
``HH:MM[:SS]`` (UTC). Confidence kept as written (``confidence_raw``) and normalised to
``confidence_pct`` (VIIRS l/n/h -> 20/60/90) and ``confidence_class`` (MODIS <30 low, <80
nominal, else high). ``type`` 1-3 (volcano, static land source such as a steel works, offshore)
is kept and flagged ``is_non_vegetation``. ``version`` ending in ``NRT`` marks near-real-time
rows, which dbt replaces with the archive row of the same detection.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion import archives
from ingestion.tabular import UnknownLayout, UnreadableFile, decode, read_delimited

VIIRS_CONFIDENCE_PCT = {"l": 20.0, "low": 20.0, "n": 60.0, "nominal": 60.0, "h": 90.0, "high": 90.0}
VIIRS_CLASS = {
    "l": "low",
    "low": "low",
    "n": "nominal",
    "nominal": "nominal",
    "h": "high",
    "high": "high",
}
#: satellite spellings -> (canonical name, instrument)
SATELLITES = {
    "t": ("Terra", "MODIS"),
    "terra": ("Terra", "MODIS"),
    "a": ("Aqua", "MODIS"),
    "aqua": ("Aqua", "MODIS"),
    "n": ("N", "VIIRS"),
    "npp": ("N", "VIIRS"),
    "snpp": ("N", "VIIRS"),
    "s-npp": ("N", "VIIRS"),
    "suomi npp": ("N", "VIIRS"),
    "suomi-npp": ("N", "VIIRS"),
    "suomi_npp": ("N", "VIIRS"),
    "n20": ("N20", "VIIRS"),
    "1": ("N20", "VIIRS"),
    "j1": ("N20", "VIIRS"),
    "noaa-20": ("N20", "VIIRS"),
    "noaa20": ("N20", "VIIRS"),
    "noaa_20": ("N20", "VIIRS"),
    "n21": ("N21", "VIIRS"),
    "2": ("N21", "VIIRS"),
    "j2": ("N21", "VIIRS"),
    "noaa-21": ("N21", "VIIRS"),
    "noaa21": ("N21", "VIIRS"),
    "noaa_21": ("N21", "VIIRS"),
}
FIRMS_COLUMNS = {
    "latitude",
    "longitude",
    "brightness",
    "bright_ti4",
    "scan",
    "track",
    "acq_date",
    "acq_time",
    "satellite",
    "instrument",
    "confidence",
    "version",
    "bright_t31",
    "bright_ti5",
    "frp",
    "daynight",
    "type",
    "country_id",
}


def hhmm(value: object) -> str:
    """FIRMS acq_time as HHMM, unpadded HMM/MM, or HH:MM[:SS] -> 'HH:MM' (UTC)."""
    v = "" if value is None else str(value).strip()
    if v.endswith(".0") and v[:-2].isdigit():
        v = v[:-2]
    if not v:
        return ""
    if ":" in v:
        parts = v.split(":")
        if all(p.isdigit() for p in parts) and len(parts) in (2, 3):
            h, m = int(parts[0]), int(parts[1])
            return f"{h:02d}:{m:02d}" if h < 24 and m < 60 else v
        return v
    if v.isdigit() and len(v) <= 4:
        v = v.zfill(4)
        return f"{v[:2]}:{v[2:]}" if int(v[:2]) < 24 and int(v[2:]) < 60 else value
    return v


def _text_frame(records: list[dict]) -> pd.DataFrame:
    def cell(v: object) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    frame = pd.DataFrame([{str(k): cell(v) for k, v in r.items()} for r in records], dtype="string")
    frame.insert(0, "_source_row", pd.array(range(1, len(frame) + 1), dtype="int64"))
    return frame


def _read_json(path: Path) -> pd.DataFrame:
    try:
        data = json.loads(decode(path.read_bytes(), path.name))
    except json.JSONDecodeError as exc:
        raise UnreadableFile(f"{path.name}: not valid JSON: {exc}") from exc
    if isinstance(data, dict) and "features" in data:  # GeoJSON flavour
        data = [{**(f.get("properties") or {})} for f in data["features"]]
    elif isinstance(data, dict):
        data = next((v for v in data.values() if isinstance(v, list)), None)
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise UnknownLayout(f"{path.name}: JSON is not an array of detection objects")
    return _text_frame(data)


def _read_zip(path: Path) -> tuple[pd.DataFrame, str]:
    """A zip of CSV files or a zipped shapefile, extracted (and checked) by
    :func:`ingestion.archives.extracted`."""
    with archives.extracted(path) as folder:
        files = archives.members(folder)
        names = [str(f.relative_to(folder)) for f in files]
        shp = [f for f in files if f.suffix.lower() == ".shp"]
        csvs = [f for f in files if f.suffix.lower() in (".csv", ".txt")]
        if not shp and csvs:
            frames = [read_delimited(f) for f in csvs]
            frame = pd.concat(frames, ignore_index=True)
            frame["_source_row"] = pd.array(range(1, len(frame) + 1), dtype="int64")
            return frame, "zip/csv"
        if not shp:
            raise UnknownLayout(
                f"{path.name}: zip holds neither a shapefile nor CSV ({', '.join(names)})"
            )
        return _text_frame(_shapefile_records(shp[0], path.name)), "zip/shapefile"


def _shapefile_records(shp: Path, name: str) -> list[dict]:
    import pyogrio

    try:
        gdf = pyogrio.read_dataframe(shp)
    except Exception as exc:  # GDAL errors come in several classes
        raise UnreadableFile(f"{name}: cannot read shapefile {shp.name}: {exc}") from exc
    geom = gdf.geometry if "geometry" in gdf else None
    attrs = pd.DataFrame(gdf.drop(columns="geometry", errors="ignore"))
    for c in attrs.columns:
        if pd.api.types.is_datetime64_any_dtype(attrs[c]):
            attrs[c] = attrs[c].dt.strftime("%Y-%m-%d")
    records = attrs.to_dict("records")
    cols = {str(c).lower() for c in attrs.columns}
    if geom is not None and not {"latitude", "longitude"} <= cols:
        for r, g in zip(records, geom, strict=True):
            if g is not None and not g.is_empty:
                r["LONGITUDE"], r["LATITUDE"] = g.x, g.y
    return records


def read_raw(path: Path) -> tuple[pd.DataFrame, str]:
    """The file's own columns (lower-cased), as text, and the container format."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        frame, container = _read_json(path), "json"
    elif suffix == ".zip":
        frame, container = _read_zip(path)
    elif suffix == ".shp":  # a shapefile set (ingestion.landing), sidecars beside it
        frame, container = _text_frame(_shapefile_records(path, path.name)), "shapefile"
    else:
        frame, container = read_delimited(path), "csv"
    frame.columns = [c if c.startswith("_") else c.strip().lower() for c in frame.columns]
    return frame, container


def layout_name(cols: set[str]) -> str:
    firms = cols & FIRMS_COLUMNS
    viirs_names = "bright_ti4" in cols
    n = len(firms - {"country_id"})
    if "type" in cols:
        base = f"archive_{n}"
    elif "instrument" in cols:
        base = f"api_{n}"
    else:
        base = f"regional_{n}"
    if "country_id" in cols:
        base = "country_" + base
    return base + ("_ti4" if viirs_names else "")


def normalise(frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, str]:
    """Text frame in any FIRMS layout -> contract columns (text) and the layout name."""
    cols = set(frame.columns)
    needed = {"latitude", "longitude", "acq_date"}
    if not needed <= cols or not ({"brightness", "bright_ti4"} & cols):
        raise UnknownLayout(
            f"{name}: not a FIRMS layout (needs latitude, longitude, acq_date and brightness or "
            f"bright_ti4); found: {', '.join(c for c in frame.columns if not c.startswith('_'))}"
        )
    layout = layout_name(cols)

    def col(*names: str) -> pd.Series:
        for n in names:
            if n in cols:
                return frame[n].astype("string").fillna("").str.strip()
        return pd.Series("", index=frame.index, dtype="string")

    out = pd.DataFrame({"_source_row": frame["_source_row"]})
    if "_issue" in frame.columns:
        out["_issue"] = frame["_issue"]
    for target, names in {
        "latitude": ("latitude",),
        "longitude": ("longitude",),
        "brightness_k": ("bright_ti4", "brightness"),
        "brightness2_k": ("bright_ti5", "bright_t31"),
        "scan_km": ("scan",),
        "track_km": ("track",),
        "acq_date": ("acq_date",),
        "version": ("version",),
        "frp_mw": ("frp",),
        "fire_type": ("type",),
    }.items():
        out[target] = col(*names)
    out["daynight"] = col("daynight").str.upper()
    out["acq_time_utc"] = col("acq_time").map(hhmm).astype("string")

    sat = col("satellite")
    known = [SATELLITES.get(s.lower()) for s in sat.tolist()]
    out["satellite"] = pd.Series(
        [k[0] if k else s for k, s in zip(known, sat.tolist(), strict=True)],
        index=frame.index,
        dtype="string",
    )
    conf = col("confidence")
    lower_conf = conf.str.lower()
    low = name.lower()
    if "instrument" in cols:
        instrument = col("instrument").str.upper()
    else:
        instrument = pd.Series(
            [k[1] if k else "" for k in known], index=frame.index, dtype="string"
        )
        if "bright_ti4" in cols or any(h in low for h in ("viirs", "_sv-", "_j1v-", "_j2v-")):
            fallback = "VIIRS"
        elif "modis" in low or "_m-c6" in low or "bright_t31" in cols and "_sv" not in low:
            fallback = "MODIS"
        else:
            fallback = ""
        guess = np.where(lower_conf.isin(list(VIIRS_CLASS)), "VIIRS", fallback)
        instrument = instrument.mask(instrument == "", pd.Series(guess, index=frame.index))
    out["instrument"] = instrument

    out["confidence_raw"] = conf
    num = pd.to_numeric(conf, errors="coerce")
    pct = lower_conf.map(VIIRS_CONFIDENCE_PCT)
    out["confidence_pct"] = np.where(
        num.notna(), conf, pct.map(lambda v: "" if pd.isna(v) else str(v))
    )
    cls = lower_conf.map(VIIRS_CLASS)
    by_pct = pd.cut(num, [-np.inf, 30, 80, np.inf], right=False, labels=["low", "nominal", "high"])
    out["confidence_class"] = cls.where(cls.notna(), by_pct.astype("string")).fillna("")

    ftype = pd.to_numeric(out["fire_type"], errors="coerce")
    out["is_non_vegetation"] = np.where(
        ftype.isna(), "", np.where(ftype.isin([1, 2, 3]), "true", "false")
    )
    version = out["version"].str.upper()
    by_name = (
        "true"
        if "_nrt" in low or "nrt" in low.split("_")
        else ("false" if "archive" in low or "_sp" in low else "")
    )
    out["is_nrt"] = np.where(
        version.str.contains("NRT"), "true", np.where(version != "", "false", by_name)
    )
    return out, layout


def read(path: Path) -> tuple[pd.DataFrame, str]:
    frame, container = read_raw(path)
    if frame.empty:
        from ingestion.tabular import EmptyFile

        raise EmptyFile(f"{path.name}: no detections in the file (header only)")
    out, layout = normalise(frame, path.name)
    return out, f"firms/{container}/{layout}"


__all__ = ["read", "normalise", "hhmm"]
