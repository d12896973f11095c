"""Delimited text and Excel workbooks as text tables, and the file-level errors of every reader.

Survey files are small (thousands of rows), so they are read whole; the large families
(vegetation indices) stream in :mod:`ingestion.vegetation`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ingestion.limits import Limits

ENCODINGS = ("utf-8-sig", "gb18030")


class UnreadableFile(ValueError):
    """The file cannot be parsed at all in any format its family accepts."""

    status = "unreadable"


class EmptyFile(UnreadableFile):
    """No bytes, or a header without a single data row."""

    status = "empty"


class UnknownLayout(UnreadableFile):
    """Readable, but not one of the layouts this family knows."""

    status = "unknown_layout"


def utf16_encoding(data: bytes) -> str | None:
    """"utf-16" (with a byte-order mark), "utf-16-le"/"utf-16-be" (NUL in every other byte of
    the first 4 KB, as Excel's "Unicode text" export), or None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= 0.3 * half and even == 0:
        return "utf-16-le"
    if even >= 0.3 * half and odd == 0:
        return "utf-16-be"
    return None


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text") or GB18030/GBK text."""
    utf16 = utf16_encoding(data)
    if utf16:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError as exc:
            raise UnreadableFile(f"{name}: looks like UTF-16 text but does not decode: {exc}") \
                from exc
    if b"\x00" in data[:65536]:
        raise UnreadableFile(f"{name}: binary data (NUL bytes), not a text table")
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(f"{name}: not UTF-8 or GB18030/GBK text")


def check_line_lengths(data: bytes, name: str, limit: int | None = None) -> None:
    """Refuse text with a line longer than ``SINKWATCH_MAX_LINE_BYTES`` (a 50 MB single line is
    not a table: the CSV parser would hold it whole, or make millions of columns of it)."""
    limit = limit or Limits.from_env().max_line_bytes
    lines = data.split(b"\n")
    if max(map(len, lines)) <= limit:
        return
    number, long = next((i, len(x)) for i, x in enumerate(lines, 1) if len(x) > limit)
    raise UnreadableFile(
        f"{name}: line {number} is {long:,} bytes long (limit {limit:,}, "
        "SINKWATCH_MAX_LINE_BYTES): not a table of rows"
    )


def sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _frame(header: list[str], rows: list[tuple[int, list[str]]], name: str) -> pd.DataFrame:
    """Rows of text cells under ``header``; a row with more cells than the header is flagged."""
    width = len(header)
    seen: dict[str, int] = {}
    cols = []
    for h in header:
        h = str(h).strip() if h is not None else ""
        h = h or f"column_{len(cols) + 1}"
        seen[h] = seen.get(h, 0) + 1
        cols.append(h if seen[h] == 1 else f"{h}.{seen[h]}")
    data = {c: [] for c in cols}
    numbers, issues = [], []
    for number, cells in rows:
        numbers.append(number)
        extra = [c for c in cells[width:] if str(c).strip()]
        issues.append(
            f"|ragged_row|row has {len(cells)} cells but the header has {width}" if extra else ""
        )
        for j, c in enumerate(cols):
            data[c].append(cells[j] if j < len(cells) else "")
    frame = pd.DataFrame(data, dtype="string")
    frame.insert(0, "_source_row", pd.array(numbers, dtype="int64"))
    if any(issues):
        frame["_issue"] = issues
    return frame


def _data_rows(table: list[list[str]], header_rows: int) -> list[tuple[int, list[str]]]:
    return [
        (i + 1, r)
        for i, r in enumerate(table)
        if i >= header_rows and any(str(c).strip() for c in r)
    ]


def read_delimited(path: Path, header_rows_fn=None) -> pd.DataFrame:
    """CSV/TSV (UTF-8, UTF-8 with BOM, GBK/GB18030; comma, tab, semicolon), cells as text.

    ``_source_row`` is the record number in the file (the header is row 1)."""
    data = path.read_bytes()
    if not data.strip():
        raise EmptyFile(f"{path.name}: the file is empty ({len(data)} bytes)")
    check_line_lengths(data, path.name)
    text = decode(data, path.name)
    if not text.strip("\ufeff \t\r\n"):
        raise EmptyFile(f"{path.name}: the file is empty ({len(data)} bytes of blanks)")
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    try:
        table = list(csv.reader(io.StringIO(text), delimiter=sniff_delimiter(first)))
    except csv.Error as exc:
        raise UnreadableFile(f"{path.name}: cannot parse as delimited text: {exc}") from exc
    while table and not any(c.strip() for c in table[0]):
        table.pop(0)
    if not table:
        raise EmptyFile(f"{path.name}: the file has no header and no rows")
    header_rows = header_rows_fn(table) if header_rows_fn else 1
    return _frame(table[0], _data_rows(table, header_rows), path.name)


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


@dataclass
class Sheet:
    title: str
    rows: list[list[str]]  # every row of the sheet, as text; rows[i] is row i + 1 in Excel


def excel_sheets(path: Path) -> list[Sheet]:
    """Every worksheet of a workbook, values as text (dates as ISO, whole numbers without
    ``.0``); trailing empty rows dropped."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise UnreadableFile(f"{path.name}: not a readable .xlsx workbook: {exc}") from exc
    try:
        sheets = []
        for ws in wb.worksheets:
            try:
                rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
            except Exception as exc:  # a damaged sheet inside a readable package
                raise UnreadableFile(
                    f"{path.name}: sheet {ws.title!r} cannot be read: {exc}") from exc
            while rows and not any(rows[-1]):
                rows.pop()
            sheets.append(Sheet(ws.title, rows))
    finally:
        wb.close()
    return sheets


def sheet_frame(sheet: Sheet, header: int, header_rows: int, name: str) -> pd.DataFrame:
    """The rows of ``sheet`` under the header row ``header`` (0-based; ``header_rows`` rows of
    headers), ``_source_row`` the row number in Excel."""
    rows = [(i + 1, r) for i, r in enumerate(sheet.rows)
            if i >= header + header_rows and any(str(c).strip() for c in r)]
    frame = _frame(sheet.rows[header], rows, name)
    frame.attrs["sheet"] = sheet.title
    return frame


class MissingReference(UnreadableFile):
    """The file needs reference data that has not been ingested yet (e.g. parcels)."""

    status = "missing_reference"
