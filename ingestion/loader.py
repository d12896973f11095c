"""Load received files into the raw layer, losing nothing.

For every received file: archive it byte for byte, read it with the reader for its format
(detected from the file), check every row against the contract (quarantine with a reason naming
file, row and field), validate the accepted batch with the Great Expectations raw suite, write
the accepted rows to ``raw/<family>/<sha256>.parquet``, the quarantined rows to
``quarantine/<family>/<sha256>.parquet`` and one manifest row to
``manifest/<family>/<sha256>.parquet``. Per-file Parquet means ingestion DAGs can run at the same
time without sharing a DuckDB writer.

* Every file looked at gets a receipt first (:mod:`ingestion.receipts`: name, path, size,
  sha256, times), also when its bytes were received before; the same bytes twice are then a
  no-op (the manifest is keyed by sha256) and the receipt points to the first one.
* rows_received = rows_accepted + rows_quarantined for every file, whatever happens; a file
  refused whole (unreadable, unknown layout, unsafe archive, ...) is recorded with its status
  and one clear error, its data rows counted and quarantined with that reason
  (:mod:`ingestion.refused`; one file-level record with no row number when nothing can be
  counted), and never stops the rest of the batch.
* A corrected re-upload of the same logical batch (same ``Family.batch`` value set, e.g. the
  same plots of the same inventory year) supersedes the earlier file: the new manifest row lists
  ``supersedes`` and the earlier one is rewritten with ``superseded_by``.
* Large files stream: batches are written as they are checked, and duplicate keys across
  batches (or points averaged per parcel) are resolved by DuckDB over the written Parquet.

The pieces live in their own modules: the raw schema, Parquet writing and the streamed post-pass
in :mod:`ingestion.raw`, the quarantine file in :mod:`ingestion.quarantine`, the manifest row and
supersession in :mod:`ingestion.manifest`.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion import landing, readers, receipts, receiving, refused, spatial, vegetation_fast
from ingestion.context import Context
from ingestion.manifest import (
    MANIFEST_SCHEMA,
    ManifestRow,
    _batch_key,
    _batch_units,
    _supersede,
)
from ingestion.quarantine import QUARANTINE_SCHEMA, _Quarantine
from ingestion.raw import _finalize_streamed, _raw_table, _write_parquet_atomic, raw_schema
from ingestion.tabular import UnreadableFile
from ingestion.validate import SchemaError, split_rows
from sinkwatch.config import Paths
from sinkwatch.contracts import FAMILIES, LINEAGE_COLUMNS, Family

log = logging.getLogger(__name__)

#: above this many accepted rows the GX gate runs in the database (a SQL query asset over the
#: batch's Parquet on DuckDB) instead of on a pandas frame: pandas GX on millions of rows needs
#: gigabytes, SQL pushdown checks every row in bounded memory.
GATE_FULL_ROWS = 250_000

#: Time spent in the raw gate by this process: one dict per gated file (family, rows, seconds,
#: engine); read by the benchmark (bench/stage.py).
GATE_TIMINGS: list[dict] = []


def ensure_empty_partitions(paths: Paths) -> None:
    """An empty, typed ``_empty.parquet`` per family (and for the manifest, quarantine and
    receipts) so that dbt sources always resolve, even before the first upload."""
    for family in FAMILIES.values():
        dest = paths.raw / family.name / "_empty.parquet"
        if not dest.exists() or pq.read_schema(dest) != raw_schema(family):
            _write_parquet_atomic(raw_schema(family).empty_table(), dest)
    for base, schema in ((paths.manifest, MANIFEST_SCHEMA), (paths.quarantine, QUARANTINE_SCHEMA),
                         (paths.receipts, receipts.RECEIPT_SCHEMA)):
        dest = base / "_empty" / "_empty.parquet"
        if not dest.exists() or pq.read_schema(dest) != schema:
            _write_parquet_atomic(schema.empty_table(), dest)


def _gate_frame(family: Family, raw: Path) -> pd.DataFrame:
    cols = ", ".join(family.column_names)
    con = duckdb.connect()
    try:
        return con.execute(f"select {cols} from read_parquet('{raw}')").df()
    finally:
        con.close()


#: Families whose rows carry a point that must lie in the row's own parcel (checked by the gate).
POINT_IN_PARCEL = {"forest_plots": ("plot_lon", "plot_lat"), "grassland_quadrats": ("lon", "lat")}


def _in_own_parcel(family: str, accepted: pd.DataFrame, ctx) -> pd.Series:
    """True where the point lies in the polygon of the parcel the row names (null without a
    parcels layer)."""
    ids, geoms = ctx.parcels
    if not ids:
        return pd.Series(pd.NA, index=accepted.index, dtype="boolean")
    lon_col, lat_col = POINT_IN_PARCEL[family]
    located = spatial.assign_points(accepted[lon_col].astype(float).to_numpy(),
                                    accepted[lat_col].astype(float).to_numpy(), ids, geoms)
    return pd.Series(located == accepted["parcel_id"].astype(object).to_numpy(),
                     index=accepted.index, dtype="boolean")


def ingest_file(
    family: Family,
    src: Path,
    paths: Paths,
    run_id: str,
    gate: bool = True,
    ctx: Context | None = None,
    remove_source: bool = True,
) -> ManifestRow | None:
    """Ingest one received file. Returns None when the same bytes were ingested before."""
    return ingest_upload(family, landing.Upload(src.name, [src]), paths, run_id, gate, ctx,
                         remove_source)


def ingest_upload(
    family: Family,
    upload: landing.Upload,
    paths: Paths,
    run_id: str,
    gate: bool = True,
    ctx: Context | None = None,
    remove_source: bool = True,
) -> ManifestRow | None:
    """Ingest one upload (a received file). Returns None when the same bytes were ingested
    before, when the upload was refused unread (a symbolic link: a receipt says why), or when a
    file changed while it was copied (left in landing/ for the next run)."""
    now = datetime.now(UTC)
    if upload.refused:
        receiving.refuse_link(family, upload, paths, run_id, now, remove_source)
        return None
    staging = paths.warehouse / ".staging" / uuid.uuid4().hex
    try:
        try:
            staged = receiving.stage(upload, staging)
        except (receiving.StillBeingWritten, OSError) as exc:
            log.warning("%s/%s: not taken this time: %s", family.name, upload.name, exc)
            return None
        digest = receiving.upload_digest(upload, staged)
        duplicate = (paths.manifest / family.name / f"{digest}.parquet").exists()
        archive_dir = paths.archive / family.name / now.strftime("%Y-%m-%d")
        if upload.kind == "file":
            archived = archive_dir / f"{digest[:12]}__{upload.name}"
            member_paths = [archived]
        else:  # a set: its files together in one folder, under their own names
            stem = landing.shapefile_part(upload.name)[0]
            archived = archive_dir / f"{digest[:12]}__{stem}"
            member_paths = [archived / s.source.name for s in staged]
        receiving.write_receipts(family, upload, staged, digest, paths, run_id, now, duplicate,
                  [str(m.relative_to(paths.home)) for m in member_paths])
        if duplicate:
            log.info("%s: seen before (sha256 %s), nothing to do", upload.name, digest[:12])
            row = None
        else:
            for s, dest in zip(staged, member_paths, strict=True):
                receiving.archive(s, dest)
            row = _ingest_staged(family, staged[0].path, digest, archived, paths, run_id, gate,
                                 ctx or Context(paths), now, upload, staged)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if remove_source:
        for f in [*upload.members, *upload.markers]:
            f.unlink(missing_ok=True)
    return row


def _quarantine_whole(family: Family, src: Path, q: _Quarantine, status: str,
                      error: str) -> tuple[int, bool]:
    """Quarantine every data row of a file refused whole (:mod:`ingestion.refused`), each with
    the file's reason. Returns (rows, whether the count is complete)."""
    reason = error.split(": ", 1)[-1]
    n = 0
    try:
        for frame in refused.data_rows(src, family):
            q.write_all(frame, status, reason)
            n += len(frame)
    except Exception as exc:  # a file that cannot even be counted: say so, keep what was
        log.warning("%s/%s: rows counted up to %d: %s", family.name, src.name, n, exc)
        return n, False
    return n, True


def _ingest_staged(family: Family, src: Path, digest: str, archived: Path, paths: Paths,
                   run_id: str, gate: bool, ctx: Context, now: datetime,
                   upload: landing.Upload | None = None,
                   staged: list[receiving.Staged] | None = None) -> ManifestRow:
    """Read, check, gate and record the staged copy ``src`` (named as received; the first file
    of a set, its other files beside it)."""
    manifest_path = paths.manifest / family.name / f"{digest}.parquet"
    received_at = datetime.fromtimestamp(src.stat().st_mtime, UTC)
    rel_archive = str(archived.relative_to(paths.home))

    raw_dest = paths.raw / family.name / f"{digest}.parquet"
    tmp_raw = raw_dest.with_name(f".{digest}.batches.tmp")
    q = _Quarantine(
        paths.quarantine / family.name / f"{digest}.parquet",
        {
            "family": family.name,
            "file_name": src.name,
            "sha256": digest,
            "archive_path": rel_archive,
            "run_id": run_id,
            "at": now,
        },
    )
    schema = raw_schema(family)
    lineage = {"_source_file": rel_archive, "_source_sha256": digest, "_ingested_at": now}
    status, error, fmt = "loaded", None, None
    notes: list[str] = []
    received = accepted_n = 0
    units: set[tuple] = set()
    writer: pq.ParquetWriter | None = None
    reading = None
    schema_error: SchemaError | None = None
    fast = None
    try:
        if upload is not None and upload.incomplete:
            raise landing.IncompleteSet(upload.incomplete)
        if family.name == "vegetation_indices":
            fast = vegetation_fast.fast_plan(src, ctx, paths.warehouse / ".duckdb_tmp")
        if fast is not None:  # a clean plain CSV: most rows are checked and written by DuckDB
            reading = readers.Reading(fast.format, fast.slow_batches(ctx), streamed=True,
                                      state=fast.state)
            notes.append(f"{fast.n_fast} rows checked in DuckDB, {fast.n_slow} row by row")
        else:
            reading = readers.read(family.name, src, ctx, digest)
        fmt = reading.format
        for batch in reading.batches:
            if not len(batch):
                continue
            received += len(batch)
            units |= _batch_units(family, batch)
            if schema_error is None:
                try:
                    split = split_rows(
                        family,
                        batch,
                        src.name,
                        ctx.refs,
                        check_duplicates="_point" not in batch.columns,
                    )
                except SchemaError as exc:
                    schema_error = exc
                    status, error = "schema_error", str(exc)
            if schema_error is not None:
                q.write_all(batch, "schema_error", str(schema_error).split(": ", 1)[-1])
                continue
            q.write_split(split.quarantined)
            if len(split.accepted) and family.name in POINT_IN_PARCEL:
                split.accepted["is_in_parcel"] = _in_own_parcel(family.name, split.accepted, ctx)
            if len(split.accepted):
                if writer is None:
                    tmp_raw.parent.mkdir(parents=True, exist_ok=True)
                    writer = pq.ParquetWriter(tmp_raw, schema)
                writer.write_table(_raw_table(split.accepted, schema, lineage))
                accepted_n += len(split.accepted)
        if fast is not None and status == "loaded" and fast.n_fast and writer is None \
                and not fast.n_slow:  # every row clean: DuckDB writes the raw file itself
            tmp_raw.parent.mkdir(parents=True, exist_ok=True)
            n = fast.copy_accepted(tmp_raw, schema, lineage)
            received += n
            accepted_n += n
        elif fast is not None and status == "loaded" and fast.n_fast:
            for table in fast.accepted(schema, lineage):
                if writer is None:
                    tmp_raw.parent.mkdir(parents=True, exist_ok=True)
                    writer = pq.ParquetWriter(tmp_raw, schema)
                writer.write_table(table)
                received += table.num_rows
                accepted_n += table.num_rows
        if received == 0 and status == "loaded":
            status, error = "empty", f"{src.name}: no data rows (only a header, or nothing at all)"
    except UnreadableFile as exc:
        status, error = exc.status, str(exc)
    except Exception as exc:  # never let one file stop the batch
        log.exception("%s/%s: failed", family.name, src.name)
        status, error = "failed", f"{src.name}: {type(exc).__name__}: {exc}"
    finally:
        if writer is not None:
            writer.close()
        if fast is not None:
            fast.close()
    if reading is not None:
        notes += reading.notes
        if reading.unknown_columns:
            notes.append(
                "ignored columns not in the contract: "
                + ", ".join(map(str, reading.unknown_columns))
            )

    records_written = 0
    if tmp_raw.exists():
        if status == "loaded":
            if reading is not None and reading.streamed:
                points = bool(getattr(reading.state, "points", False))
                accepted_n -= _finalize_streamed(family, tmp_raw, raw_dest, points, q, src.name)
                tmp_raw.unlink(missing_ok=True)
            else:
                tmp_raw.replace(raw_dest)
        else:
            tmp_raw.unlink()
    if status not in ("loaded", "empty") and schema_error is None:
        # refused whole (unreadable, unknown layout, unsafe archive, failed, even after some
        # rows were read): every data row of the file is received and quarantined, with the
        # file's reason; what was written before the failure is dropped
        q.reset()
        accepted_n = 0
        received, complete = _quarantine_whole(family, src, q, status, str(error))
        if not complete and received:
            notes.append(f"rows after row {received} could not be counted")
            q.write([None], [""], [status], [f"{error} (rows after the first {received} could "
                                             "not be counted)"], [None])
    if status != "loaded" and received == 0:
        q.write([None], [""], [status], [error], [None])  # the file-level record

    gate_suite = gate_passed = gate_failed = None
    if status == "loaded" and gate and accepted_n and raw_dest.exists():
        from expectations import gates

        t_gate = time.perf_counter()
        batch_id = gates.batch_id(family.name, digest)
        in_db = accepted_n > GATE_FULL_ROWS
        if in_db:
            result = gates.validate_parquet(family.name, raw_dest, batch_id, update_docs=False)
        else:
            result = gates.validate_frame(family.name, _gate_frame(family, raw_dest), batch_id,
                                          update_docs=False)
        gate_suite, gate_passed = result.suite, result.passed
        gate_failed = result.n_failed_critical + result.n_failed_warning
        if in_db:
            notes.append("GX gate ran in the database (SQL over the batch's Parquet)")
        GATE_TIMINGS.append({"family": family.name, "file": src.name, "rows": accepted_n,
                             "engine": "sql" if in_db else "pandas",
                             "seconds": round(time.perf_counter() - t_gate, 3)})
        if not result.passed:
            status = "rejected_by_gate"
            error = str(gates.GateFailed([result]))
            first = "; ".join(gates.describe_failure(f) for f in result.critical_failures[:3])
            reason = f"batch rejected by gate {result.suite}: {first}"
            if reading is not None and getattr(reading.state, "points", False):
                reason += " (points averaged per parcel; rows listed by their first point)"
            for rb in pq.ParquetFile(raw_dest).iter_batches(batch_size=100_000):
                f = rb.to_pandas().drop(columns=["_source_file", "_source_sha256", "_ingested_at"])
                q.write_all(
                    f.astype({c: "string" for c in f.columns if c != "_source_row"}),
                    "gate_rejected",
                    reason,
                )
            raw_dest.unlink()
            accepted_n = 0

    if raw_dest.exists():
        records_written = pq.ParquetFile(raw_dest).metadata.num_rows
    if reading is not None and getattr(reading.state, "points", False) and status == "loaded":
        notes.append(
            f"{accepted_n} accepted points averaged into {records_written} parcel composites"
        )
        if q.rows + accepted_n != received:  # points quarantined after the gate are not per row
            accepted_n = received - q.rows
    q_path = q.close()
    rows_quarantined = q.rows
    assert accepted_n + rows_quarantined == received, (
        f"{src.name}: accepted {accepted_n} + quarantined {rows_quarantined} != received {received}"
    )

    batch_key = _batch_key(family, units) if status == "loaded" else None
    supersedes = _supersede(family, paths, digest, batch_key, now) if batch_key else []
    if supersedes:
        notes.append(
            f"supersedes the earlier upload(s) of the same batch: "
            f"{', '.join(s[:12] for s in supersedes)}"
        )
    row = ManifestRow(
        family=family.name,
        file_name=src.name,
        sha256=digest,
        size_bytes=sum(s.size for s in staged) if staged else archived.stat().st_size,
        format=fmt,
        received_at=received_at,
        loaded_at=datetime.now(UTC),
        rows_received=received,
        rows_read=received,
        rows_accepted=accepted_n,
        rows_quarantined=rows_quarantined,
        records_written=records_written,
        status=status,
        error=error,
        detail="; ".join(notes) if status == "loaded" else (error or ""),
        reason_counts=json.dumps(dict(sorted(q.codes.items())), ensure_ascii=False),
        archive_path=rel_archive,
        raw_path=str(raw_dest.relative_to(paths.home)) if raw_dest.exists() else None,
        quarantine_path=str(Path(q_path).relative_to(paths.home)) if q_path else None,
        gate_suite=gate_suite,
        gate_passed=gate_passed,
        gate_failed_expectations=gate_failed,
        batch_key=batch_key,
        supersedes=",".join(supersedes) or None,
        superseded_by=None,
        superseded_at=None,
        run_id=run_id,
        members=", ".join(s.source.name for s in staged) if staged and len(staged) > 1 else None,
        reasons=dict(q.codes),
    )
    _write_parquet_atomic(
        pa.Table.from_pylist([row.to_record()], schema=MANIFEST_SCHEMA), manifest_path
    )
    level = logging.INFO if status == "loaded" else logging.WARNING
    log.log(
        level,
        "%s/%s: %s (%s), received %d, accepted %d, quarantined %d %s %s",
        family.name,
        src.name,
        status,
        fmt,
        received,
        row.rows_accepted,
        row.rows_quarantined,
        row.reason_counts,
        error or "",
    )
    return row


def ingest_paths(
    family_name: str,
    files: list[Path],
    paths: Paths,
    run_id: str = "manual",
    gate: bool = True,
    remove_source: bool = False,
    docs: bool = True,
) -> list[ManifestRow]:
    """Ingest the given files as ``family_name`` (sorted by name); files seen before are skipped.

    ``docs``: build the GX Data Docs pages of the gated files and the index (a caller ingesting
    several families passes False and builds them once, see
    :func:`orchestration.pipeline.ingest`)."""
    return _ingest_uploads(family_name, landing.uploads_of(files), paths, run_id, gate,
                           remove_source, docs)


def _ingest_uploads(family_name: str, uploads: list[landing.Upload], paths: Paths, run_id: str,
                    gate: bool, remove_source: bool, docs: bool) -> list[ManifestRow]:
    family = FAMILIES[family_name]
    paths.ensure()
    ensure_empty_partitions(paths)
    receiving.clean_stale(paths)
    ctx = Context(paths)
    rows = []
    for upload in uploads:
        row = ingest_upload(family, upload, paths, run_id=run_id, gate=gate, ctx=ctx,
                            remove_source=remove_source)
        if row is not None:
            rows.append(row)
    if docs and any(r.gate_suite for r in rows):  # the batches' results, in the Data Docs once
        from expectations import gates

        gates.build_data_docs(gates.docs_run_names(rows))
    return rows


def ingest_family(
    family_name: str, paths: Paths, run_id: str = "manual", gate: bool = True, docs: bool = True
) -> list[ManifestRow]:
    """Ingest what is ready in ``landing/<family>/`` (:func:`ingestion.landing.discover`: not
    ``.part`` files, not files still being written, no symbolic links followed), sorted by name;
    ``docs`` as in :func:`ingest_paths`."""
    folder = paths.landing_for(family_name)
    folder.mkdir(parents=True, exist_ok=True)
    found = landing.discover(folder)
    for path, why in found.waiting:
        log.info("%s/%s: waiting: %s", family_name, path.relative_to(folder), why)
    rows = _ingest_uploads(family_name, found.uploads, paths, run_id, gate, True, docs)
    landing.remove_empty_dirs(folder)
    return rows


__all__ = [
    "ingest_family",
    "ingest_paths",
    "ingest_file",
    "ingest_upload",
    "ManifestRow",
    "LINEAGE_COLUMNS",
    "raw_schema",
    "MANIFEST_SCHEMA",
    "QUARANTINE_SCHEMA",
]
