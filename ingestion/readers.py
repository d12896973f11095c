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
    Sheet,
    UnknownLayout,
    UnreadableFile,
    excel_sheets,
    read_delimited,
    sheet_frame,
)
from sinkwatch.contracts import FAMILIES, Family

#: Data sheet name of the upload templates (``ingestion.templates``); a workbook with a sheet of
#: this name or of the family's name is read from that sheet, otherwise every sheet is tried
#: (:func:`read_workbook`).
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


@dataclass
class _SheetFit:
    sheet: Sheet
    header: int  # 0-based row of the header
    mapped: int  # contract columns its header names
    required: int  # of which required
    data_rows: int
    columns: list[str]


def _fit(family: Family, sheet: Sheet) -> _SheetFit | None:
    """How well a sheet fits the contract: the header is the first of its first five non-empty
    rows that names a contract column (a title row above the header is common)."""
    filled = [i for i, r in enumerate(sheet.rows) if any(str(c).strip() for c in r)]
    if not filled:
        return None
    header = filled[0]
    for i in filled[:5]:
        if headers.resolve(family, [c for c in sheet.rows[i] if c])[0]:
            header = i
            break
    cols = [c for c in sheet.rows[header] if c]
    mapped = {m.column for m in headers.resolve(family, cols)[0]}
    required = {c.name for c in family.columns if c.required and not c.computed}
    n_headers = _header_rows(family)(sheet.rows[header:])
    data = [i for i in filled if i >= header + n_headers]
    return _SheetFit(sheet, header, len(mapped), len(mapped & required), len(data), cols)


def _describe(fit: _SheetFit | None, sheet: Sheet) -> str:
    if fit is None:
        return f"{sheet.title!r} (empty)"
    first = ", ".join(c[:30] for c in fit.columns[:6]) + (", ..." if len(fit.columns) > 6 else "")
    what = "no contract column" if not fit.mapped else f"{fit.mapped} contract column(s)"
    return f"{sheet.title!r} ({what}; row {fit.header + 1}: {first})"


def read_workbook(family: Family, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The sheet of a workbook that fits the contract: the template's data sheet or a sheet named
    after the family if there is one, otherwise every sheet is tried and the one whose header
    names the most (required) contract columns is read. Refused, listing the sheets, when none
    names a contract column or when several fit with data rows (their rows would otherwise be
    lost: one sheet per file, or name the data sheet)."""
    sheets = excel_sheets(path)
    fits = [(_fit(family, s), s) for s in sheets]
    wanted = {family.name.lower(), TEMPLATE_SHEET.lower()}
    named = [(f, s) for f, s in fits if s.title.strip().lower() in wanted and f and f.mapped]
    matching = named or [(f, s) for f, s in fits if f and f.mapped]
    listing = "; ".join(_describe(f, s) for f, s in fits)
    if not matching:
        if all(f is None for f, _ in fits):
            raise EmptyFile(f"{path.name}: every sheet is empty ({listing})")
        raise UnknownLayout(
            f"{path.name}: no sheet matches the {family.name} contract; sheets: {listing}"
        )
    best = max(matching, key=lambda fs: (fs[0].data_rows > 0, fs[0].required, fs[0].mapped,
                                         fs[0].data_rows))[0]
    half = max(1, (sum(c.required and not c.computed for c in family.columns) + 1) // 2)
    rivals = [f for f, _ in matching
              if f is not best and f.data_rows and f.required >= half and not named]
    if rivals and best.data_rows:
        titles = ", ".join(repr(f.sheet.title) for f in [best, *rivals])
        raise UnknownLayout(
            f"{path.name}: several sheets match the {family.name} contract ({titles}); upload "
            f"one sheet per file, or name the sheet to read {TEMPLATE_SHEET!r}"
        )
    n_headers = _header_rows(family)(best.sheet.rows[best.header:])
    frame = sheet_frame(best.sheet, best.header, n_headers, path.name)
    notes = []
    if len(sheets) > 1:
        others = ", ".join(repr(s.title) for f, s in fits if f is not best)
        notes.append(f"read sheet {best.sheet.title!r} (not: {others})")
    if best.header:
        notes.append(f"header in row {best.header + 1} of sheet {best.sheet.title!r}")
    return frame, notes


def read_survey(family: Family, path: Path, extra: dict[str, str] | None = None) -> Reading:
    """A tabular upload; ``extra`` maps further (normalised) headers onto ``_``-prefixed working
    columns that a family's own reader uses and the contract does not hold."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame, sheet_notes = read_workbook(family, path)
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
    if suffix in (".xlsx", ".xlsm"):
        notes = sheet_notes + notes
    if not [c for c in renamed.columns if not c.startswith("_")]:
        raise UnknownLayout(
            f"{path.name}: no column matches the {family.name} contract "
            f"(found: {', '.join(map(str, frame.columns[1:]))})"
        )
    return Reading(fmt, iter([renamed]), notes, unknown)


def read(family_name: str, path: Path, ctx, digest: str | None = None) -> Reading:
    """Open ``path`` as a file of ``family_name``; raises a :mod:`ingestion.tabular` error for a
    file that cannot be read at all. ``digest`` (the upload's sha256) lets a parcels upload be
    taken from the parse cache under ``$SINKWATCH_HOME/cache/parcels``."""
    family = FAMILIES[family_name]
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise EmptyFile(f"{path.name}: the file is empty (0 bytes)")
    if family_name == "parcels":
        if suffix not in family.formats:
            raise UnreadableFile(
                f"{path.name}: parcels are read from GeoJSON, GeoPackage, GeoParquet (.parquet), "
                "FlatGeobuf (.fgb) or a shapefile (zipped, or its .shp, .shx, .dbf, .prj "
                "together)"
            )
        paths = getattr(ctx, "paths", None)
        cache_dir = paths.cache / "parcels" if paths is not None and digest else None
        frame, fmt, notes = parcels.read(path, cache_dir, digest)
        return Reading(fmt, iter([frame]), notes)
    if family_name == "fire_hotspots":
        if suffix not in family.formats:
            raise UnreadableFile(
                f"{path.name}: FIRMS hotspots are read from CSV, JSON, zip or a shapefile")
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
