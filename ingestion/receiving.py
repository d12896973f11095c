"""Receiving an upload, before it is read: a copy of its files in the run's staging folder,
hashed in the same pass (a file still being written is left for the next run); its identity
(the sha256 of a file, or of a shapefile set's members); its receipts (one per file, written before
de-duplication); the archive as a hard link to the staged copy; a symbolic link refused with a
receipt; and the clean-up of staging folders a dead process left behind."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from ingestion import landing, receipts
from sinkwatch.config import Paths
from sinkwatch.contracts import Family

log = logging.getLogger(__name__)


class StillBeingWritten(Exception):
    """A file changed while it was copied: left in landing/ for the next run."""


@dataclass
class Staged:
    """A received file, copied (and hashed in the same pass) into the run's staging folder
    under its own name: the reader opens this copy, the archive is a hard link to it."""

    source: Path  # where it was received
    path: Path  # the staged copy
    sha256: str
    size: int
    mtime: float


def stage(upload: landing.Upload, folder: Path) -> list[Staged]:
    """Copy the upload's files into ``folder``, hashing as they are read. Never follows a link;
    raises :class:`StillBeingWritten` when a file's size or modification time moves during the
    copy, or when fewer bytes were read than its size said (a file being rewritten)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for src in upload.members:
        dest = folder / src.name
        fd = os.open(src, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            before = os.fstat(fd)
            if not stat.S_ISREG(before.st_mode):
                raise StillBeingWritten(f"{src.name}: not a regular file")
            h, n = hashlib.sha256(), 0
            with os.fdopen(os.dup(fd), "rb") as fh, dest.open("wb") as copy:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
                    copy.write(chunk)
                    n += len(chunk)
            after = os.fstat(fd)
        finally:
            os.close(fd)
        if n != before.st_size or (after.st_size, after.st_mtime_ns) != (
                before.st_size, before.st_mtime_ns):
            raise StillBeingWritten(
                f"{src.name}: changed while it was being copied ({before.st_size:,} -> "
                f"{after.st_size:,} bytes): left in landing/ for the next run"
            )
        os.utime(dest, ns=(before.st_atime_ns, before.st_mtime_ns))
        out.append(Staged(src, dest, h.hexdigest(), n, before.st_mtime))
    return out


def archive(staged: Staged, dest: Path) -> None:
    """``dest`` as a hard link to the staged copy (a byte copy across file systems)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(staged.path, tmp)
    except OSError:
        shutil.copy2(staged.path, tmp)
    os.replace(tmp, dest)


def write_receipts(family: Family, upload: landing.Upload, staged: list[Staged], digest: str,
              paths: Paths, run_id: str, now: datetime, duplicate: bool,
              archive_paths: list[str | None]) -> None:
    """The receipts of an upload's files, written before the upload is read (or skipped as a
    duplicate)."""
    first = receipts.first_receipts(paths, family.name, digest) if duplicate else {}
    detail = None
    if duplicate:
        prev = pq.read_table(paths.manifest / family.name / f"{digest}.parquet",
                             columns=["file_name", "archive_path", "loaded_at"]).to_pylist()[0]
        archive_paths = [prev["archive_path"]] * len(staged)
        when = prev["loaded_at"].strftime("%Y-%m-%d %H:%M:%S")
        detail = (f"same bytes as {prev['file_name']} (ingested {when} UTC, "
                  f"sha256 {digest[:12]}): not ingested again")
    rows = []
    for s, archived in zip(staged, archive_paths, strict=True):
        where = receipts.display_path(s.source, paths)
        rows.append(receipts.Receipt(
            receipt_id=receipts.receipt_id(family.name, where, s.sha256, now),
            family=family.name,
            file_name=s.source.name,
            landing_path=where,
            size_bytes=s.size,
            sha256=s.sha256,
            file_modified_at=datetime.fromtimestamp(s.mtime, UTC),
            received_at=now,
            upload_name=upload.name,
            upload_sha256=digest,
            is_duplicate=duplicate,
            duplicate_of=first.get(s.sha256),
            outcome=receipts.DUPLICATE if duplicate else receipts.INGESTED,
            detail=detail,
            archive_path=archived,
            run_id=run_id,
        ))
    receipts.write(paths, rows)


def refuse_link(family: Family, upload: landing.Upload, paths: Paths, run_id: str,
                 now: datetime, remove_source: bool) -> None:
    """A symbolic link in landing/: never followed; moved (as a link) to the archive, with a
    receipt that says why."""
    link = upload.primary
    st = os.lstat(link)
    archived = None
    if remove_source:
        dest = (paths.archive / family.name / now.strftime("%Y-%m-%d") / "refused"
                / f"{now:%H%M%S%f}__{link.name}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(link, dest)  # moves the link itself, not what it points to
        except OSError:
            os.symlink(os.readlink(link), dest)
            link.unlink()
        archived = str(dest.relative_to(paths.home))
    where = receipts.display_path(link, paths)
    receipts.write(paths, [receipts.Receipt(
        receipt_id=receipts.receipt_id(family.name, where, None, now),
        family=family.name, file_name=link.name, landing_path=where, size_bytes=st.st_size,
        sha256=None, file_modified_at=datetime.fromtimestamp(st.st_mtime, UTC), received_at=now,
        upload_name=upload.name, upload_sha256=None, is_duplicate=False, duplicate_of=None,
        outcome=receipts.REFUSED, detail=upload.refused, archive_path=archived, run_id=run_id,
    )])
    log.warning("%s/%s: refused: %s", family.name, link.name, upload.refused)


def upload_digest(upload: landing.Upload, staged: list[Staged]) -> str:
    """The upload's identity: the file's sha256, or for a set a sha256 over its members'
    extensions and sha256 (the same set under another name is the same upload)."""
    if upload.kind == "file":
        return staged[0].sha256
    parts = sorted(f"{landing.shapefile_part(s.source.name)[1]}\t{s.sha256}" for s in staged)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


#: a staging folder older than this was left by a process that died (ingests of other families
#: may be running now: their folders are young)
STALE_STAGING_SECONDS = 24 * 3600


def clean_stale(paths: Paths) -> None:
    root = paths.warehouse / ".staging"
    if not root.is_dir():
        return
    cutoff = time.time() - STALE_STAGING_SECONDS
    for d in root.iterdir():
        try:
            if d.lstat().st_mtime < cutoff:
                shutil.rmtree(d, ignore_errors=True)
        except FileNotFoundError:
            continue
