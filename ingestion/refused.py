"""The data rows of a file that is refused whole, so that they are received and quarantined too
(rows_received = rows_quarantined = the file's data rows, each with the file-level reason).

A refused file could not be read as its family, so its rows are counted the plainest way its
container allows, without trusting the layout:

* delimited text (any encoding the readers know, decoding errors replaced): every non-blank line
  after the header row (two header rows for a filled template) is one row, numbered by its line
  in the file; a line longer than ``SINKWATCH_MAX_LINE_BYTES`` is one row, kept shortened. A
  record with a quoted line break counts as two rows here;
* workbooks: every non-empty row under the first non-empty row of every sheet;
* JSON: the elements of the array (or the features of a GeoJSON collection);
* GeoJSON, GeoPackage, shapefile: the features, when GDAL can read them; Parquet: the rows;
* a zip: the rows of its members, when the archive is safe to open (:mod:`ingestion.archives`).

Nothing is counted for what cannot be opened at all (a truncated workbook, an unsafe zip, binary
data, a raster): the loader then writes the one file-level quarantine record.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ingestion import archives, headers
from ingestion.limits import Limits
from ingestion.tabular import sniff_delimiter, utf16_encoding
from sinkwatch.contracts import Family

BATCH = 100_000
SHOWN = 2_000  # characters of a row kept in the quarantine record

TEXT = (".csv", ".tsv", ".txt")
GEO = (".geojson", ".gpkg", ".shp", ".fgb")


def _frame(rows: list[int], records: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"_source_row": pd.array(rows, dtype="int64"),
                         "record": pd.array(records, dtype="string")})


def _short(text: str, length: int | None = None) -> str:
    length = len(text) if length is None else length
    return text if length <= SHOWN else f"{text[:SHOWN]}… ({length:,} characters)"


def _encoding(head: bytes) -> str | None:
    utf16 = utf16_encoding(head)
    if utf16:
        return utf16
    if b"\x00" in head:
        return None  # binary
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        return "utf-8-sig" if exc.start > len(head) - 4 else "gb18030"


def _lines(path: Path, limit: int) -> Iterator[tuple[int, str, int]]:
    """(line number, text, length) of every line, in bounded memory: a line longer than
    ``limit`` characters is cut (its length kept)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
        enc = _encoding(head)
        if enc is None:
            return
        fh.seek(0)
        decoder = codecs.getincrementaldecoder(enc)(errors="replace")
        number, carry, length = 1, "", 0
        while True:
            chunk = fh.read(1 << 20)
            text = decoder.decode(chunk, final=not chunk)
            parts = text.split("\n")
            for part in parts[:-1]:
                yield number, (carry + part).rstrip("\r"), length + len(part)
                number, carry, length = number + 1, "", 0
            tail = parts[-1]
            length += len(tail)
            if len(carry) < limit:
                carry += tail[: limit - len(carry)]
            if not chunk:
                break
        if length:
            yield number, carry.rstrip("\r"), length


def _text_rows(path: Path, family: Family) -> Iterator[pd.DataFrame]:
    limit = Limits.from_env().max_line_bytes
    header: list[str] | None = None
    second = True
    rows: list[int] = []
    records: list[str] = []
    for number, text, length in _lines(path, limit):
        if not text.strip().lstrip("\ufeff"):
            continue
        if header is None:
            header = [text]
            continue
        if second:  # a template's English header row under the Chinese one
            second = False
            cells = text.split(sniff_delimiter(text))
            if headers.header_score(family, cells) >= 0.8:
                continue
        rows.append(number)
        records.append(_short(text, length))
        if len(rows) >= BATCH:
            yield _frame(rows, records)
            rows, records = [], []
    if rows:
        yield _frame(rows, records)


def _excel_rows(path: Path, family: Family) -> Iterator[pd.DataFrame]:
    from openpyxl import load_workbook

    from ingestion.tabular import _cell_text

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # a workbook openpyxl cannot open has no countable rows
        return
    try:
        for ws in wb.worksheets:
            seen_header, second = False, True
            rows, sheets, cells = [], [], []
            for number, values in enumerate(ws.iter_rows(values_only=True), 1):
                text = [_cell_text(v) for v in values]
                if not any(text):
                    continue
                if not seen_header:
                    seen_header = True
                    continue
                if second:
                    second = False
                    if headers.header_score(family, text) >= 0.8:
                        continue
                rows.append(number)
                sheets.append(ws.title)
                cells.append(_short(json.dumps(text, ensure_ascii=False)))
            if rows:
                frame = _frame(rows, cells)
                frame.insert(1, "sheet", pd.array(sheets, dtype="string"))
                yield frame
    finally:
        wb.close()


def _json_rows(path: Path) -> Iterator[pd.DataFrame]:
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig", errors="replace"))
    except ValueError:
        return
    if isinstance(data, dict):
        data = data.get("features", next((v for v in data.values() if isinstance(v, list)), []))
    if isinstance(data, list) and data:
        yield _frame(list(range(1, len(data) + 1)),
                     [_short(json.dumps(x, ensure_ascii=False, default=str)) for x in data])


def _geo_rows(path: Path) -> Iterator[pd.DataFrame]:
    import pyogrio

    try:
        attrs = pyogrio.read_dataframe(path, read_geometry=False)
    except Exception:  # GDAL cannot read it: nothing to count
        return
    if len(attrs):
        records = [_short(json.dumps(r, ensure_ascii=False, default=str))
                   for r in attrs.astype(object).where(attrs.notna(), None).to_dict("records")]
        yield _frame(list(range(1, len(attrs) + 1)), records)


def _parquet_rows(path: Path) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception:  # not Parquet after all
        return
    first = 1
    for rb in pf.iter_batches(batch_size=BATCH):
        records = [_short(json.dumps(r, ensure_ascii=False, default=str)) for r in rb.to_pylist()]
        yield _frame(list(range(first, first + len(records))), records)
        first += len(records)


def _parquet_within_limits(path: Path) -> bool:
    from ingestion.parcels import check_parquet

    try:
        check_parquet(path, path.name)
    except ValueError:
        return False
    return True


def _zip_rows(path: Path, family: Family) -> Iterator[pd.DataFrame]:
    try:
        archives.check(path)
    except ValueError:  # unsafe or unreadable: the archive is not opened
        return
    with archives.extracted(path) as folder:
        for member in archives.members(folder):
            if member.suffix.lower() == ".zip":
                continue  # nested archives are not opened
            for frame in data_rows(member, family):
                frame.insert(1, "member", str(member.relative_to(folder)))
                yield frame


def data_rows(path: Path, family: Family) -> Iterator[pd.DataFrame]:
    """Batches of ``_source_row`` and the row as text (``record``; ``sheet`` or ``member`` where
    it applies) for every data row of ``path``."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        yield from _excel_rows(path, family)
    elif suffix == ".json" and family.name != "parcels":
        yield from _json_rows(path)
    elif suffix in GEO or suffix == ".json":
        yield from _geo_rows(path)
    elif suffix == ".parquet":
        if family.name == "parcels" and not _parquet_within_limits(path):
            return  # a decompression bomb is not opened to count its rows
        yield from _parquet_rows(path)
    elif suffix == ".zip":
        yield from _zip_rows(path, family)
    elif suffix in TEXT or not suffix:
        yield from _text_rows(path, family)
