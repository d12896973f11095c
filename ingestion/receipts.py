"""Receipts: one row per file the ingest looked at, written before anything else is decided.

The manifest is keyed by content (sha256): the same bytes uploaded twice are one manifest row, and
the second upload is a no-op. The receipts keep what the manifest cannot: every time a file was
received, under which name, from which path, with its size, sha256 and times. A receipt whose
content was received before says so (``is_duplicate``) and points to the receipt that first
brought those bytes (``duplicate_of``); ``upload_sha256`` is the manifest row it belongs to (for a
shapefile set, the set's digest: one manifest row, one receipt per member file). A file refused
before it could be read (a symbolic link) has a receipt and no manifest row.

Written to ``receipts/<family>/<receipt_id>.parquet`` (one file per upload, one row per member,
so that ingestion processes never share a writer); published as the ``receipts`` mart.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from ingestion.raw import TS, _write_parquet_atomic
from sinkwatch.config import Paths

RECEIPT_SCHEMA = pa.schema(
    [
        ("receipt_id", pa.string()),
        ("family", pa.string()),
        ("file_name", pa.string()),
        ("landing_path", pa.string()),
        ("size_bytes", pa.int64()),
        ("sha256", pa.string()),
        ("file_modified_at", TS),
        ("received_at", TS),
        ("upload_name", pa.string()),
        ("upload_sha256", pa.string()),
        ("is_duplicate", pa.bool_()),
        ("duplicate_of", pa.string()),
        ("outcome", pa.string()),
        ("detail", pa.string()),
        ("archive_path", pa.string()),
        ("run_id", pa.string()),
    ]
)

#: what became of a received file
INGESTED, DUPLICATE, REFUSED = "ingested", "duplicate", "refused"


@dataclass
class Receipt:
    receipt_id: str
    family: str
    file_name: str
    landing_path: str  # relative to $SINKWATCH_HOME when inside it, else absolute
    size_bytes: int
    sha256: str | None  # of this file's bytes (None: a symbolic link, never read)
    file_modified_at: datetime  # the file's mtime: when the upload finished writing it
    received_at: datetime  # when the ingest took it
    upload_name: str  # the manifest's file_name (the .shp of a shapefile set)
    upload_sha256: str | None  # the manifest row (None when the file was refused unread)
    is_duplicate: bool
    duplicate_of: str | None  # receipt_id of the receipt that first brought these bytes
    outcome: str  # ingested | duplicate | refused
    detail: str | None
    archive_path: str | None
    run_id: str


def display_path(path: Path, paths: Paths) -> str:
    """``path`` relative to $SINKWATCH_HOME when inside it (``landing/parcels/x.shp``), else
    absolute (``sinkwatch ingest PATH`` on files elsewhere)."""
    try:
        return str(path.absolute().relative_to(paths.home))
    except ValueError:
        return str(path.absolute())


def receipt_id(family: str, landing_path: str, sha256: str | None, received_at: datetime) -> str:
    text = f"{family}\0{landing_path}\0{sha256}\0{received_at.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def first_receipts(paths: Paths, family: str, upload_sha256: str) -> dict[str, str]:
    """member sha256 -> receipt_id of the earliest non-duplicate receipt of ``upload_sha256``
    (empty for content ingested before receipts were kept)."""
    folder = paths.receipts / family
    if not any(folder.glob("*.parquet")):
        return {}
    con = duckdb.connect()
    try:
        rows = con.execute(
            "select sha256, receipt_id from read_parquet(?, union_by_name = true) "
            "where upload_sha256 = ? and not is_duplicate "
            "qualify row_number() over (partition by sha256 order by received_at, receipt_id) = 1",
            [str(folder / "*.parquet"), upload_sha256],
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def write(paths: Paths, receipts: list[Receipt]) -> Path | None:
    """One Parquet file for the receipts of one upload (its members), named by the first."""
    if not receipts:
        return None
    dest = paths.receipts / receipts[0].family / f"{receipts[0].receipt_id}.parquet"
    table = pa.Table.from_pylist([asdict(r) for r in receipts], schema=RECEIPT_SCHEMA)
    _write_parquet_atomic(table, dest)
    return dest
