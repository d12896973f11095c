"""The manifest: one row per received file (``manifest/<family>/<sha256>.parquet``, keyed by the
file's sha256), and supersession: a corrected re-upload of the same logical batch marks the
earlier manifest rows ``superseded_by``. Used by :mod:`ingestion.loader`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.raw import TS, _write_parquet_atomic
from ingestion.validate import coerce
from sinkwatch.config import Paths
from sinkwatch.contracts import Family

MANIFEST_SCHEMA = pa.schema(
    [
        ("family", pa.string()),
        ("file_name", pa.string()),
        ("sha256", pa.string()),
        ("size_bytes", pa.int64()),
        ("format", pa.string()),
        ("received_at", TS),
        ("loaded_at", TS),
        ("rows_received", pa.int64()),
        ("rows_read", pa.int64()),
        ("rows_accepted", pa.int64()),
        ("rows_quarantined", pa.int64()),
        ("records_written", pa.int64()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("detail", pa.string()),
        ("reason_counts", pa.string()),
        ("archive_path", pa.string()),
        ("raw_path", pa.string()),
        ("quarantine_path", pa.string()),
        ("gate_suite", pa.string()),
        ("gate_passed", pa.bool_()),
        ("gate_failed_expectations", pa.int64()),
        ("batch_key", pa.string()),
        ("supersedes", pa.string()),
        ("superseded_by", pa.string()),
        ("superseded_at", TS),
        ("run_id", pa.string()),
        ("members", pa.string()),
    ]
)


@dataclass
class ManifestRow:
    family: str
    file_name: str
    sha256: str
    size_bytes: int
    format: str | None
    received_at: datetime
    loaded_at: datetime
    rows_received: int
    rows_read: int  # same as rows_received (kept for the existing ops model)
    rows_accepted: int
    rows_quarantined: int
    records_written: int  # rows in the raw Parquet (fewer when points are averaged per parcel)
    #: loaded | rejected_by_gate | schema_error | empty | unreadable | unknown_layout |
    #: unsafe_archive | incomplete_set | missing_reference | failed
    status: str
    error: str | None  # the one file-level message, None when the file was read
    detail: str
    reason_counts: str  # JSON {reason_code: rows}
    archive_path: str
    raw_path: str | None
    quarantine_path: str | None
    gate_suite: str | None
    gate_passed: bool | None
    gate_failed_expectations: int | None
    batch_key: str | None
    supersedes: str | None  # comma-separated sha256 of the earlier files this one replaces
    superseded_by: str | None
    superseded_at: datetime | None
    run_id: str
    #: the files of an upload of several (a shapefile set), comma-separated; None for one file
    members: str | None = None
    reasons: dict[str, int] = field(default_factory=dict, repr=False)

    def to_record(self) -> dict:
        rec = asdict(self)
        rec.pop("reasons")
        return rec

    def to_json(self) -> dict:
        rec = self.to_record()
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in rec.items()}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _batch_units(family: Family, frame: pd.DataFrame) -> set[tuple]:
    if not family.batch or not all(c in frame.columns for c in family.batch):
        return set()
    cols = [coerce(family.column(c), frame[c]).astype("string") for c in family.batch]
    units = pd.concat(cols, axis=1).dropna()
    return set(map(tuple, units.itertuples(index=False, name=None)))


def _batch_key(family: Family, units: set[tuple]) -> str | None:
    if not units:
        return None
    text = json.dumps(sorted(units), ensure_ascii=False)
    return hashlib.sha256(f"{family.name}|{'|'.join(family.batch)}|{text}".encode()).hexdigest()


def _supersede(
    family: Family, paths: Paths, digest: str, batch_key: str, at: datetime
) -> list[str]:
    """Mark earlier manifest rows of the same logical batch as superseded by ``digest``."""
    earlier = []
    for mf in sorted((paths.manifest / family.name).glob("*.parquet")):
        if mf.stem == digest:
            continue
        table = pq.read_table(mf)
        rec = table.to_pylist()[0]
        if rec.get("batch_key") != batch_key or rec.get("superseded_by"):
            continue
        rec.update(superseded_by=digest, superseded_at=at)
        full = {f.name: rec.get(f.name) for f in MANIFEST_SCHEMA}
        if full["rows_received"] is None:
            full["rows_received"] = rec.get("rows_read")
        _write_parquet_atomic(pa.Table.from_pylist([full], schema=MANIFEST_SCHEMA), mf)
        earlier.append(rec["sha256"])
    return earlier
