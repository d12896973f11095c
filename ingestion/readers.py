"""Readers: one per real upload format, chosen from the file itself (the folder names the family).

Every reader returns a :class:`Reading`: the detected format and batches of text values under
the contract's column names, plus ``_source_row`` (the row or feature number in the file) and,
where the reader itself rejects a row, ``_issue`` (``field|code|message``). The validator names
file, row and field for anything it rejects; file-level failures raise one of the
:mod:`ingestion.tabular` errors with a single clear message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ingestion import firms, headers, parcels, projects, vegetation, weather
from ingestion.tabular import (
    EmptyFile,
    MissingReference,
    UnknownLayout,
    UnreadableFile,
    read_delimited,
    read_excel,
)
from sinkwatch.contracts import FAMILIES, Family

#: Data sheet name of the upload templates (``ingestion.templates``); a workbook with a sheet of
#: this name or of the family's name is read from that sheet, otherwise from the first sheet.
TEMPLATE_SHEET = "数据 data"

__all__ = ["Reading", "read", "EmptyFile", "MissingReference", "UnknownLayout", "UnreadableFile"]


@dataclass
class Reading:
    format: str
    batches: Iterator[pd.DataFrame]
    notes: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    streamed: bool = False  # more than one batch may come; dedupe across batches afterwards
    state: object | None = None  # vegetation.State (points averaged per parcel, scale applied)


def _header_rows(family: Family):
    """A template has a Chinese header row and an English one below it: skip both."""

    def count(table: list[list[str]]) -> int:
        if len(table) > 1 and headers.header_score(family, table[1]) >= 0.8:
            return 2
        return 1

    return count


def read_survey(family: Family, path: Path, extra: dict[str, str] | None = None) -> Reading:
    """A tabular upload; ``extra`` maps further (normalised) headers onto ``_``-prefixed working
    columns that a family's own reader uses and the contract does not hold."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame = read_excel(path, (family.name, TEMPLATE_SHEET), _header_rows(family))
        fmt = f"xlsx/sheet:{frame.attrs.get('sheet')}"
    elif suffix in (".csv", ".tsv", ".txt"):
        frame = read_delimited(path, _header_rows(family))
        fmt = "csv"
    elif suffix == ".xls":
        raise UnreadableFile(f"{path.name}: legacy .xls workbooks are not read; save as .xlsx")
    else:
        raise UnreadableFile(
            f"{path.name}: unsupported file type {suffix!r} for {family.name} "
            f"(accepted: {', '.join(family.formats)})"
        )
    if extra:
        frame = frame.rename(columns={c: extra[headers.norm(c)] for c in frame.columns
                                      if headers.norm(c) in extra})
    renamed, unknown, notes = headers.apply(family, frame)
    if not [c for c in renamed.columns if not c.startswith("_")]:
        raise UnknownLayout(
            f"{path.name}: no column matches the {family.name} contract "
            f"(found: {', '.join(map(str, frame.columns[1:]))})"
        )
    return Reading(fmt, iter([renamed]), notes, unknown)


def read(family_name: str, path: Path, ctx) -> Reading:
    """Open ``path`` as a file of ``family_name``; raises a :mod:`ingestion.tabular` error for a
    file that cannot be read at all."""
    family = FAMILIES[family_name]
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise EmptyFile(f"{path.name}: the file is empty (0 bytes)")
    if family_name == "parcels":
        if suffix not in family.formats:
            raise UnreadableFile(
                f"{path.name}: parcels are read from GeoJSON, GeoPackage or a zipped shapefile"
            )
        frame, fmt, notes = parcels.read(path)
        return Reading(fmt, iter([frame]), notes)
    if family_name == "fire_hotspots":
        if suffix not in family.formats:
            raise UnreadableFile(f"{path.name}: FIRMS hotspots are read from CSV, JSON or zip")
        frame, fmt = firms.read(path)
        county, parcel = ctx.locate(frame["longitude"], frame["latitude"])
        frame["county_code"] = pd.Series(county, index=frame.index).fillna("").astype("string")
        frame["parcel_id"] = pd.Series(parcel, index=frame.index).fillna("").astype("string")
        lon = pd.to_numeric(frame["longitude"], errors="coerce")
        lat = pd.to_numeric(frame["latitude"], errors="coerce")
        outside = lon.notna() & lat.notna() & (frame["county_code"] == "")
        msgs = (
            "latitude,longitude|outside_study_area|point ("
            + frame["latitude"]
            + ", "
            + frame["longitude"]
            + ") lies outside the 9 county-level divisions of Baotou"
        )
        frame["_issue"] = msgs.where(outside, "")
        return Reading(fmt, iter([frame]))
    if family_name == "vegetation_indices":
        if suffix not in family.formats:
            raise UnreadableFile(
                f"{path.name}: vegetation indices are read from CSV, Parquet or GeoTIFF"
            )
        fmt, batches, state = vegetation.open_batches(path, ctx)
        return Reading(fmt, batches, state.notes, streamed=True, state=state)
    if family_name == "weather_daily":
        if suffix not in family.formats:
            raise UnreadableFile(f"{path.name}: weather is read from CSV (GSOD, CMA) or .xlsx")
        frame, fmt, notes, unknown = weather.read(path)
        return Reading(fmt, iter([frame]), notes, unknown)
    if family_name == "projects":
        reading = read_survey(family, path, projects.EXTRA_HEADERS)
        frame = projects.expand(next(reading.batches), ctx)
        return Reading(reading.format, iter([frame]), reading.notes, reading.unknown_columns)
    return read_survey(family, path)
