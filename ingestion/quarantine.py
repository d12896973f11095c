"""The quarantine file of one received file: every rejected row (or the whole file) with its
reason, streamed to ``quarantine/<family>/<sha256>.parquet``. Used by :mod:`ingestion.loader`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.raw import TS

#: One row per quarantined source row (row_number null: a file-level record, not counted in
#: rows_quarantined). ``raw_record`` is the row as read (JSON, contract names where mapped).
QUARANTINE_SCHEMA = pa.schema(
    [
        ("family", pa.string()),
        ("file_name", pa.string()),
        ("sha256", pa.string()),
        ("row_number", pa.int64()),
        ("field", pa.string()),
        ("reason_code", pa.string()),
        ("reason", pa.string()),
        ("raw_record", pa.string()),
        ("archive_path", pa.string()),
        ("run_id", pa.string()),
        ("quarantined_at", TS),
    ]
)


class _Quarantine:
    """Streams quarantine records of one file into one Parquet file."""

    def __init__(self, dest: Path, base: dict):
        self.dest, self.base = dest, base
        self.tmp = dest.with_name(f".{dest.name}.tmp")
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0  # counted source rows (row_number not null)
        self.codes: Counter = Counter()

    def write(
        self,
        rows: pd.Series,
        fields: Iterable,
        codes: Iterable,
        reasons: Iterable,
        records: Iterable[str | None],
    ) -> None:
        rows = list(rows)
        if not rows:
            return
        codes = list(codes)
        n = len(rows)
        table = pa.table(
            {
                "family": [self.base["family"]] * n,
                "file_name": [self.base["file_name"]] * n,
                "sha256": [self.base["sha256"]] * n,
                "row_number": rows,
                "field": list(fields),
                "reason_code": codes,
                "reason": list(reasons),
                "raw_record": list(records),
                "archive_path": [self.base["archive_path"]] * n,
                "run_id": [self.base["run_id"]] * n,
                "quarantined_at": [self.base["at"]] * n,
            },
            schema=QUARANTINE_SCHEMA,
        )
        if self.writer is None:
            self.dest.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.tmp, QUARANTINE_SCHEMA)
        self.writer.write_table(table)
        counted = [c for r, c in zip(rows, codes, strict=True) if r is not None]
        self.rows += len(counted)
        for c in counted:
            for one in str(c).split(","):
                self.codes[one] += 1

    def write_split(self, q: pd.DataFrame) -> None:
        if q.empty:
            return
        values = q.drop(columns=["_source_row", "_field", "_code", "_reason"])
        values = values[[c for c in values.columns if not str(c).startswith("_")]]
        records = [
            json.dumps(
                {k: v for k, v in r.items() if v is not None and v is not pd.NA},
                ensure_ascii=False,
                default=str,
            )
            for r in values.astype(object).where(values.notna(), None).to_dict("records")
        ]
        self.write(q["_source_row"].astype("int64"), q["_field"], q["_code"], q["_reason"], records)

    def write_all(self, frame: pd.DataFrame, code: str, reason: str, fld: str = "") -> None:
        """Every row of ``frame`` (as read) with one file-level reason."""
        q = frame.copy()
        q.insert(1, "_field", fld)
        q.insert(2, "_code", code)
        q.insert(
            3,
            "_reason",
            [f"{self.base['file_name']} row {r}: {reason}" for r in frame["_source_row"]],
        )
        self.write_split(q)

    def reset(self) -> None:
        """Forget every record written so far (a file refused whole is recounted from scratch)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        self.tmp.unlink(missing_ok=True)
        self.rows = 0
        self.codes.clear()

    def close(self) -> str | None:
        if self.writer is None:
            return None
        self.writer.close()
        self.tmp.replace(self.dest)
        return str(self.dest)
