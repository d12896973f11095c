"""Zip archives, opened one way only: every member checked, then extracted into a private folder
that is removed afterwards. Every reader that takes a zip (FIRMS, parcels, and the row count of a
refused file) goes through :func:`extracted`; nothing hands a zip to GDAL's ``/vsizip/``.

Refused before a byte is written (:class:`UnsafeArchive`, status ``unsafe_archive``): a member
name that is absolute (``/etc/x``, ``C:\\x``) or climbs out with ``..``; a member that is a
symbolic link; more members than ``SINKWATCH_MAX_ZIP_MEMBERS``; declared sizes above
``SINKWATCH_MAX_EXPANDED_BYTES`` or a compression ratio above ``SINKWATCH_MAX_ZIP_RATIO`` (a zip
bomb). While extracting, the bytes actually written are counted against the same limit, so a
zip whose headers understate the sizes is stopped too. Nested archives are not opened.
"""

from __future__ import annotations

import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from ingestion.limits import RATIO_FLOOR_BYTES, Limits
from ingestion.tabular import UnreadableFile

CHUNK = 1 << 20


class UnsafeArchive(UnreadableFile):
    """A zip that would write outside its folder, or expand beyond the configured limits."""

    status = "unsafe_archive"


def _member_path(name: str) -> PurePosixPath | None:
    """The member's relative path, or None when it is absolute or climbs out with ``..``."""
    n = name.replace("\\", "/")
    if n.startswith("/") or re.match(r"^[A-Za-z]:", n):
        return None
    parts = PurePosixPath(n).parts
    if ".." in parts:
        return None
    return PurePosixPath(*[p for p in parts if p not in ("", ".")])


def check(path: Path, limits: Limits | None = None) -> list[zipfile.ZipInfo]:
    """The file members of ``path`` after every check on the central directory (raises
    :class:`UnsafeArchive` or :class:`UnreadableFile`)."""
    limits = limits or Limits.from_env()
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise UnreadableFile(f"{path.name}: not a readable zip archive: {exc}") from exc
    if len(infos) > limits.max_zip_members:
        raise UnsafeArchive(
            f"{path.name}: {len(infos):,} members (limit {limits.max_zip_members:,}, "
            "SINKWATCH_MAX_ZIP_MEMBERS): the archive is refused"
        )
    files = []
    for info in infos:
        if _member_path(info.filename) is None:
            raise UnsafeArchive(
                f"{path.name}: member {info.filename!r} has an absolute path or climbs out "
                "of the archive with '..' (path traversal): the archive is refused"
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UnsafeArchive(
                f"{path.name}: member {info.filename!r} is a symbolic link: the archive is refused"
            )
        if info.flag_bits & 0x1:
            raise UnreadableFile(f"{path.name}: member {info.filename!r} is encrypted")
        if info.is_dir():
            continue
        member_ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and member_ratio > limits.max_zip_ratio:
            raise UnsafeArchive(
                f"{path.name}: member {info.filename!r} expands {member_ratio:,.0f}:1 "
                f"({info.compress_size:,} to {info.file_size:,} bytes; limit "
                f"{limits.max_zip_ratio:g}:1, SINKWATCH_MAX_ZIP_RATIO): a zip bomb?"
            )
        files.append(info)
    total = sum(i.file_size for i in files)
    if total > limits.max_expanded_bytes:
        raise UnsafeArchive(
            f"{path.name}: expands to {total:,} bytes (limit {limits.max_expanded_bytes:,}, "
            "SINKWATCH_MAX_EXPANDED_BYTES): the archive is refused"
        )
    ratio = total / max(path.stat().st_size, 1)
    if total > RATIO_FLOOR_BYTES and ratio > limits.max_zip_ratio:
        raise UnsafeArchive(
            f"{path.name}: expands {ratio:,.0f}:1 ({path.stat().st_size:,} to {total:,} bytes; "
            f"limit {limits.max_zip_ratio:g}:1, SINKWATCH_MAX_ZIP_RATIO): a zip bomb?"
        )
    return files


@contextmanager
def extracted(path: Path, limits: Limits | None = None) -> Iterator[Path]:
    """Check ``path`` (:func:`check`), extract it into a new folder next to it and yield the
    folder; the folder is removed on exit. Bytes written are counted against the limits."""
    limits = limits or Limits.from_env()
    files = check(path, limits)
    folder = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        written = 0
        with zipfile.ZipFile(path) as zf:
            for info in files:
                dest = folder.joinpath(*_member_path(info.filename).parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                n = 0
                try:
                    with zf.open(info) as src, dest.open("wb") as out:
                        while chunk := src.read(CHUNK):
                            n += len(chunk)
                            written += len(chunk)
                            if n > info.file_size or written > limits.max_expanded_bytes:
                                raise UnsafeArchive(
                                    f"{path.name}: member {info.filename!r} expands beyond "
                                    "what the archive declares or beyond "
                                    f"{limits.max_expanded_bytes:,} bytes "
                                    "(SINKWATCH_MAX_EXPANDED_BYTES): the archive is refused"
                                )
                            out.write(chunk)
                except (zipfile.BadZipFile, EOFError, OSError) as exc:
                    raise UnreadableFile(
                        f"{path.name}: member {info.filename!r} cannot be extracted: {exc}"
                    ) from exc
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def members(folder: Path) -> list[Path]:
    """The extracted files, sorted by their path in the archive (macOS ``__MACOSX`` and other
    hidden entries left out)."""
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith((".", "__MACOSX"))
                                   for part in p.relative_to(folder).parts)
    )
