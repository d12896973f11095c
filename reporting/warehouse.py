"""Which published warehouse a report or a lineage question reads.

Every publish keeps the validated file in ``warehouse/published/`` as
``marts_<UTC date>_<run>.duckdb`` (orchestration.pipeline.publish) and copies the run history into
it first, so each version knows when it was published: the ``publish`` stage of its own run in
``ops_run_history``. ``--as-of DATE`` picks the newest version published at or before the end of
DATE in the bureau's time zone (Asia/Shanghai, ``SINKWATCH_TZ``); the file name's UTC date only
narrows the candidates. A final report pins its version under ``published/pinned/`` (a hard
link), which the history pruning (the last ``SINKWATCH_KEEP_PUBLISHED`` versions) never removes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sinkwatch.config import Paths

NAME = re.compile(r"^marts_(\d{4}-\d{2}-\d{2})_(.+)\.duckdb$")


def bureau_tz() -> ZoneInfo:
    return ZoneInfo(os.environ.get("SINKWATCH_TZ", "Asia/Shanghai"))


class NoWarehouse(LookupError):
    pass


@dataclass(frozen=True)
class Version:
    """One published warehouse: its file, run, publication time and build facts."""

    path: Path
    run_id: str
    published_at: datetime | None  # UTC, from the version's own run history
    built_at: datetime | None
    data_as_of: date | None
    code_fingerprint: str | None  # sha256 of the dbt project that built it (__code__)

    def connect(self):
        import duckdb

        return duckdb.connect(str(self.path), read_only=True)


def describe(path: Path) -> Version:
    """Read a warehouse file's run id, publication time, build time and dbt code fingerprint."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        run_id, built_at, data_as_of = con.execute(
            "select run_id, built_at, data_as_of from meta_run").fetchone()
        published_at = None
        try:
            published_at = con.execute(
                "select max(started_at) from ops_run_history where stage = 'publish' and "
                "run_id = ?", [run_id]).fetchone()[0]
        except duckdb.Error:
            pass
        code = None
        try:
            row = con.execute("select fingerprint from _sinkwatch.build_inputs "
                              "where input = '__code__'").fetchone()
            code = row[0] if row else None
        except duckdb.Error:
            pass
    finally:
        con.close()
    if published_at is not None and published_at.tzinfo is None:
        published_at = published_at.replace(tzinfo=UTC)
    return Version(path, run_id, published_at, built_at, data_as_of, code)


def history_files(p: Paths) -> list[Path]:
    files = list(p.history.glob("marts_*.duckdb")) + list((p.history / "pinned").glob(
        "marts_*.duckdb"))
    return sorted(f for f in files if NAME.match(f.name))


def end_of_day(day: date) -> datetime:
    """The end of ``day`` in the bureau's time zone, as UTC."""
    local = datetime.combine(day + timedelta(days=1), time(0), tzinfo=bureau_tz())
    return local.astimezone(UTC)


def as_of(day: date, p: Paths) -> Version:
    """The newest version published at or before the end of ``day`` (bureau time)."""
    limit = end_of_day(day)
    best: Version | None = None
    seen: set[tuple[int, int]] = set()
    for f in history_files(p):
        if NAME.match(f.name).group(1) > limit.date().isoformat():
            continue  # published (UTC date) after the day
        st = f.stat()
        if (st.st_dev, st.st_ino) in seen:  # a pinned link of a kept version
            continue
        seen.add((st.st_dev, st.st_ino))
        v = describe(f)
        if v.published_at is None or v.published_at >= limit:
            continue
        if best is None or (v.published_at, v.run_id) > (best.published_at, best.run_id):
            best = v
    if best is None:
        raise NoWarehouse(f"no warehouse published on or before {day} in {p.history}")
    return best


def select(p: Paths, day: date | None = None) -> Version:
    """The published warehouse (``day`` None) or the one in force at the end of ``day``."""
    if day is not None:
        return as_of(day, p)
    if not p.published.exists():
        raise NoWarehouse(f"nothing published yet: {p.published}")
    return describe(p.published)


def pin(v: Version, p: Paths) -> Path:
    """Keep ``v`` for good under ``published/pinned/`` (a hard link with its history name)."""
    pinned = p.history / "pinned"
    pinned.mkdir(parents=True, exist_ok=True)
    if v.path.parent == pinned:
        return v.path
    name = v.path.name if NAME.match(v.path.name) else (
        f"marts_{(v.published_at or datetime.now(UTC)).strftime('%Y-%m-%d')}_"
        f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', v.run_id)}.duckdb")
    dest = pinned / name
    if not dest.exists():
        try:
            os.link(v.path, dest)
        except OSError:
            import shutil

            shutil.copy2(v.path, dest)
    return dest
