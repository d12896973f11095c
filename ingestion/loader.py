"""Load one family's landing folder into the raw layer.

For every received file: archive it as received, read it with the reader for its format, check
every row against the contract (quarantine with a reason), validate the accepted batch with the
Great Expectations raw suite, write the accepted rows to ``raw/<family>/<sha256>.parquet`` and the
quarantined rows to ``quarantine/<family>/<sha256>.parquet``, and record one manifest row in
``manifest/<family>/<sha256>.parquet``. Parquet files per received file mean that ingestion DAGs
can run at the same time without sharing a DuckDB writer. A file seen before (same sha256) is a
no-op, so reruns are idempotent.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion import readers, spatial
from ingestion.contracts import FAMILIES, LINEAGE_COLUMNS, Family
from ingestion.validate import SchemaError, Split, split_rows
from sinkwatch.config import BOUNDARIES_GEOJSON, Paths

log = logging.getLogger(__name__)

ARROW_TYPES = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "date": pa.date32(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


def raw_schema(family: Family) -> pa.Schema:
    fields = [pa.field(c.name, ARROW_TYPES[c.dtype]) for c in family.columns]
    fields += [
        pa.field("_source_file", pa.string()),
        pa.field("_source_sha256", pa.string()),
        pa.field("_source_row", pa.int64()),
        pa.field("_ingested_at", pa.timestamp("us", tz="UTC")),
    ]
    return pa.schema(fields)


QUARANTINE_SCHEMA_FIXED = ("_source_file", "_source_sha256", "_source_row", "_reason", "_quarantined_at")

MANIFEST_SCHEMA = pa.schema([
    ("family", pa.string()),
    ("file_name", pa.string()),
    ("sha256", pa.string()),
    ("size_bytes", pa.int64()),
    ("received_at", pa.timestamp("us", tz="UTC")),
    ("loaded_at", pa.timestamp("us", tz="UTC")),
    ("rows_read", pa.int64()),
    ("rows_accepted", pa.int64()),
    ("rows_quarantined", pa.int64()),
    ("status", pa.string()),
    ("detail", pa.string()),
    ("archive_path", pa.string()),
    ("raw_path", pa.string()),
    ("quarantine_path", pa.string()),
    ("gate_suite", pa.string()),
    ("gate_passed", pa.bool_()),
    ("gate_failed_expectations", pa.int64()),
    ("run_id", pa.string()),
])


@dataclass
class ManifestRow:
    family: str
    file_name: str
    sha256: str
    size_bytes: int
    received_at: datetime
    loaded_at: datetime
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    status: str  # loaded | rejected_by_gate | schema_error | unreadable
    detail: str
    archive_path: str
    raw_path: str | None
    quarantine_path: str | None
    gate_suite: str | None
    gate_passed: bool | None
    gate_failed_expectations: int | None
    run_id: str


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_parquet_atomic(table: pa.Table, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    pq.write_table(table, tmp)
    tmp.replace(dest)


def ensure_empty_partitions(paths: Paths) -> None:
    """An empty, typed ``_empty.parquet`` per family so that dbt sources always resolve, even
    before the first upload of a family."""
    for family in FAMILIES.values():
        dest = paths.raw / family.name / "_empty.parquet"
        if not dest.exists():
            schema = raw_schema(family)
            _write_parquet_atomic(schema.empty_table(), dest)
    manifest_empty = paths.manifest / "_empty" / "_empty.parquet"
    if not manifest_empty.exists():
        _write_parquet_atomic(MANIFEST_SCHEMA.empty_table(), manifest_empty)


def _to_arrow(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    cols = {}
    for field in schema:
        series = frame[field.name] if field.name in frame.columns else pd.Series([None] * len(frame))
        values = [None if pd.isna(v) else v for v in series.tolist()]
        cols[field.name] = pa.array(values, type=field.type)
    return pa.table(cols, schema=schema)


class HotspotLocator:
    """Assigns FIRMS detections to county (bundled boundaries) and parcel (latest raw parcels)."""

    def __init__(self, paths: Paths):
        self.county_ids, self.county_geoms = spatial.load_counties(BOUNDARIES_GEOJSON)
        self.parcel_ids: list[str] = []
        self.parcel_geoms: list = []
        files = [p for p in (paths.raw / "parcels").glob("*.parquet") if p.name != "_empty.parquet"]
        if files:
            import shapely

            con = duckdb.connect()
            try:
                rows = con.execute(
                    "select parcel_id, geometry_wkt from read_parquet(?) "
                    "qualify row_number() over (partition by parcel_id order by survey_year desc, "
                    "_ingested_at desc) = 1 order by parcel_id",
                    [[str(f) for f in sorted(files)]],
                ).fetchall()
            finally:
                con.close()
            self.parcel_ids = [r[0] for r in rows]
            self.parcel_geoms = list(shapely.from_wkt([r[1] for r in rows]))

    def locate(self, accepted: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        lon = accepted["longitude"].astype(float).to_numpy()
        lat = accepted["latitude"].astype(float).to_numpy()
        county = spatial.assign_points(lon, lat, self.county_ids, self.county_geoms)
        parcel = spatial.assign_points(lon, lat, self.parcel_ids, self.parcel_geoms)
        return pd.Series(county, index=accepted.index), pd.Series(parcel, index=accepted.index)


def _route_outside_study_area(split: Split, raw: pd.DataFrame, locator: HotspotLocator,
                              file_name: str) -> Split:
    acc = split.accepted
    if acc.empty:
        return split
    county, parcel = locator.locate(acc)
    acc = acc.assign(county_code=county.astype("string"), parcel_id=parcel.astype("string"))
    outside = county.isna()
    if outside.any():
        by_row = raw.set_index("_source_row")
        rows = acc.loc[outside, "_source_row"]
        q = by_row.loc[rows.tolist()].reset_index().astype("string")
        q["_source_row"] = rows.to_numpy()
        q.insert(1, "_reason", [
            f"{file_name} row {r}: outside_study_area: point ({la}, {lo}) lies outside the 9 "
            f"county-level divisions of Baotou"
            for r, la, lo in zip(rows, acc.loc[outside, "latitude"], acc.loc[outside, "longitude"],
                                 strict=True)
        ])
        quarantined = pd.concat([split.quarantined, q], ignore_index=True)
    else:
        quarantined = split.quarantined
    return Split(accepted=acc.loc[~outside].reset_index(drop=True), quarantined=quarantined)


def ingest_file(family: Family, src: Path, paths: Paths, run_id: str, gate: bool = True,
                locator: HotspotLocator | None = None) -> ManifestRow | None:
    """Ingest one received file. Returns None when the same bytes were ingested before."""
    digest = sha256_of(src)
    manifest_path = paths.manifest / family.name / f"{digest}.parquet"
    if manifest_path.exists():
        log.info("%s: seen before (sha256 %s), nothing to do", src.name, digest[:12])
        src.unlink()
        return None

    now = datetime.now(UTC)
    received_at = datetime.fromtimestamp(src.stat().st_mtime, UTC)
    archive_dir = paths.archive / family.name / now.strftime("%Y-%m-%d")
    archive_dir.mkdir(parents=True, exist_ok=True)
    archived = archive_dir / f"{digest[:12]}__{src.name}"
    shutil.copy2(src, archived)
    rel_archive = str(archived.relative_to(paths.home))

    status, detail = "loaded", ""
    gate_suite = gate_passed = gate_failed = None
    raw_frame = pd.DataFrame({"_source_row": []})
    try:
        raw_frame = readers.reader_for(family.name, src)(src)
        split = split_rows(family, raw_frame, src.name)
        if family.name == "fire_hotspots":
            split = _route_outside_study_area(split, raw_frame, locator or HotspotLocator(paths),
                                              src.name)
        unknown = split.accepted.attrs.get("unknown_columns") or []
        if unknown:
            detail = f"ignored columns not in the contract: {', '.join(unknown)}"
    except readers.UnreadableFile as exc:
        status, detail = "unreadable", str(exc)
        split = Split(pd.DataFrame(), pd.DataFrame({"_source_row": [], "_reason": []}))
    except SchemaError as exc:
        status, detail = "schema_error", str(exc)
        q = raw_frame.astype("string")
        q["_source_row"] = raw_frame["_source_row"].astype("int64")
        q.insert(1, "_reason", [f"{src.name} row {r}: {exc}" for r in raw_frame["_source_row"]])
        split = Split(pd.DataFrame(), q)

    rows_read = len(raw_frame)
    accepted, quarantined = split.accepted, split.quarantined

    if status == "loaded" and gate and not accepted.empty:
        from sinkwatch import gates

        result = gates.validate_frame(family.name, accepted.drop(columns=["_source_row"]),
                                      batch_id=f"{family.name}:{digest[:12]}")
        gate_suite, gate_passed = result.suite, result.passed
        gate_failed = result.n_failed_critical + result.n_failed_warning
        if not result.passed:
            status = "rejected_by_gate"
            detail = str(gates.GateFailed([result]))
            first = "; ".join(gates.describe_failure(f) for f in result.critical_failures[:3])
            q = accepted.astype("string")
            q["_source_row"] = accepted["_source_row"].astype("int64")
            q.insert(1, "_reason", [f"{src.name} row {r}: batch rejected by gate {result.suite}: "
                                    f"{first}" for r in accepted["_source_row"]])
            quarantined = pd.concat([quarantined, q], ignore_index=True)
            accepted = accepted.iloc[0:0]

    assert len(accepted) + len(quarantined) == rows_read, (
        f"{src.name}: accepted {len(accepted)} + quarantined {len(quarantined)} != read {rows_read}"
    )

    raw_path = q_path = None
    if len(accepted):
        accepted = accepted.assign(_source_file=rel_archive, _source_sha256=digest,
                                   _ingested_at=pd.Timestamp(now))
        dest = paths.raw / family.name / f"{digest}.parquet"
        _write_parquet_atomic(_to_arrow(accepted, raw_schema(family)), dest)
        raw_path = str(dest.relative_to(paths.home))
    if len(quarantined):
        qf = quarantined.copy()
        qf["_source_file"] = rel_archive
        qf["_source_sha256"] = digest
        qf["_quarantined_at"] = now.isoformat()
        value_cols = [c for c in qf.columns if c not in QUARANTINE_SCHEMA_FIXED]
        qf = qf[list(QUARANTINE_SCHEMA_FIXED) + value_cols]
        for c in qf.columns:
            if c != "_source_row":
                qf[c] = qf[c].astype("string")
        dest = paths.quarantine / family.name / f"{digest}.parquet"
        dest.parent.mkdir(parents=True, exist_ok=True)
        qf.to_parquet(dest.with_name(f".{dest.name}.tmp"), index=False)
        dest.with_name(f".{dest.name}.tmp").replace(dest)
        q_path = str(dest.relative_to(paths.home))

    row = ManifestRow(
        family=family.name, file_name=src.name, sha256=digest, size_bytes=archived.stat().st_size,
        received_at=received_at, loaded_at=datetime.now(UTC), rows_read=rows_read,
        rows_accepted=len(accepted), rows_quarantined=len(quarantined), status=status,
        detail=detail, archive_path=rel_archive, raw_path=raw_path, quarantine_path=q_path,
        gate_suite=gate_suite, gate_passed=gate_passed, gate_failed_expectations=gate_failed,
        run_id=run_id,
    )
    _write_parquet_atomic(
        pa.Table.from_pylist([asdict(row)], schema=MANIFEST_SCHEMA), manifest_path
    )
    src.unlink()
    level = logging.INFO if status == "loaded" else logging.WARNING
    log.log(level, "%s/%s: %s, read %d, accepted %d, quarantined %d %s", family.name, src.name,
            status, rows_read, row.rows_accepted, row.rows_quarantined, detail)
    return row


def ingest_family(family_name: str, paths: Paths, run_id: str = "manual",
                  gate: bool = True) -> list[ManifestRow]:
    """Ingest every file waiting in ``landing/<family>/`` (sorted by name)."""
    family = FAMILIES[family_name]
    paths.ensure()
    ensure_empty_partitions(paths)
    landing = paths.landing_for(family_name)
    landing.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in landing.iterdir() if p.is_file() and not p.name.startswith("."))
    locator = HotspotLocator(paths) if family_name == "fire_hotspots" and files else None
    rows = []
    for f in files:
        row = ingest_file(family, f, paths, run_id=run_id, gate=gate, locator=locator)
        if row is not None:
            rows.append(row)
    return rows


__all__ = ["ingest_family", "ingest_file", "ManifestRow", "LINEAGE_COLUMNS", "raw_schema"]
