"""What in ``landing/<family>/`` is ready to be ingested: the one place that decides.

Conventions for the stations (README, "Uploading"):

* **Write under a temporary name, then rename.** A file whose name ends in ``.part`` (also
  ``.partial``, ``.tmp``, ``.crdownload``, ``.filepart``, ``.download``, ``.upload``) or starts
  with ``~$`` (an Excel lock file) is an upload in progress and is left alone.
* **Or drop a ready marker.** ``<name>.ready`` (empty) next to ``<name>`` says that ``<name>``
  is complete; a file called ``READY`` or ``.ready`` in a sub-folder says that the whole folder
  is. A marker is removed once its files are ingested. With ``SINKWATCH_REQUIRE_READY=1`` only
  marked files are taken.
* **Otherwise the file must be still.** A file without a marker is taken once it has not
  changed for ``SINKWATCH_SETTLE_SECONDS`` (default 10): a younger one is watched for the rest of
  that time and left for the next run if its size or modification time moves. The loader checks
  again while it copies the file (:func:`ingestion.loader.stage`): bytes that change during the
  copy are never ingested.
* **A shapefile is one upload of several files.** ``x.shp``, ``x.shx``, ``x.dbf`` and their
  sidecars (``.prj``, ``.cpg``, ``.qix``, ``.sbn``/``.sbx``, ``.shp.xml``, ...) found together,
  loose in the family folder or in a sub-folder, are grouped by name into one upload: archived
  together, one manifest row naming its members, one receipt per file. A set without its
  ``.shp``, ``.shx`` or ``.dbf`` waits for the rest, up to ``SINKWATCH_SHAPEFILE_WAIT_SECONDS``
  (default a day) after its newest file; then it is refused as ``incomplete_set``.
  ``x.ready`` marks the whole set ready.
* Sub-folders are read (their files are uploads like any other); names starting with ``.`` are
  not (system files, and this program's own temporary files).
* **Symbolic links are never followed** (a link could point anywhere on the server): a link,
  to a file or a folder, is refused, recorded as a receipt and moved to the archive as a link.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.limits import Limits
from ingestion.tabular import UnreadableFile

IN_PROGRESS_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".filepart", ".download",
                        ".upload")
READY_SUFFIX = ".ready"
FOLDER_MARKERS = ("READY", ".ready")
#: the three files without which a shapefile cannot be read, and the sidecars that travel with
#: them (longest first: ``x.shp.xml`` is a sidecar of ``x``, not a file ``x.shp`` + ``.xml``)
SHAPEFILE_REQUIRED = (".shp", ".shx", ".dbf")
SHAPEFILE_PARTS = tuple(sorted(
    (*SHAPEFILE_REQUIRED, ".shp.xml", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".fbn", ".fbx",
     ".ain", ".aih", ".atx", ".ixs", ".mxs", ".qpj", ".qmd"),
    key=len, reverse=True))


class IncompleteSet(UnreadableFile):
    """A shapefile set still without its .shp, .shx or .dbf after the wait."""

    status = "incomplete_set"


def shapefile_part(name: str) -> tuple[str, str] | None:
    """(stem, extension) when ``name`` is part of a shapefile set, else None."""
    low = name.lower()
    for ext in SHAPEFILE_PARTS:
        if low.endswith(ext) and len(name) > len(ext):
            return name[: -len(ext)], ext
    return None


@dataclass
class Upload:
    """One upload: a file (or, later, a set of files read together), and what marks it ready."""

    name: str  # the manifest's file_name
    members: list[Path]  # the received files; the first is the one a reader opens
    markers: list[Path] = field(default_factory=list)  # ready markers to remove once ingested
    refused: str | None = None  # refused before reading (a symbolic link): the error
    kind: str = "file"  # file | shapefile
    incomplete: str | None = None  # a shapefile set refused after the wait: what is missing

    @property
    def primary(self) -> Path:
        return self.members[0]


@dataclass
class Discovery:
    uploads: list[Upload]
    waiting: list[tuple[Path, str]]  # left for a later run, and why


def _symlink_error(path: Path) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return (f"{path.name}: a symbolic link (to {target!r}); links in landing/ are not followed: "
            "upload the file itself")


def _walk(folder: Path, files: list[Path], links: list[Path], markers: dict[Path, Path],
          marked_dirs: set[Path], waiting: list[tuple[Path, str]]) -> None:
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda e: e.name)
    names = {e.name for e in entries}
    if any(m in names for m in FOLDER_MARKERS):
        marked_dirs.add(folder)
    for e in entries:
        path = Path(e.path)
        if e.is_symlink():
            links.append(path)
        elif e.name.startswith("."):
            continue
        elif e.is_dir(follow_symlinks=False):
            _walk(path, files, links, markers, marked_dirs, waiting)
        elif not e.is_file(follow_symlinks=False):
            continue  # sockets, fifos: never uploads
        elif e.name in FOLDER_MARKERS:
            continue
        elif e.name.lower().endswith(READY_SUFFIX):
            markers[path.with_name(e.name[: -len(READY_SUFFIX)])] = path
        elif e.name.lower().endswith(IN_PROGRESS_SUFFIXES) or e.name.startswith("~$"):
            waiting.append((path, "upload in progress (temporary name)"))
        else:
            files.append(path)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns


def discover(folder: Path, limits: Limits | None = None, clock: Callable[[], float] = time.time,
             sleep: Callable[[float], None] = time.sleep) -> Discovery:
    """The uploads ready in ``folder`` (``landing/<family>/``), sorted by name, and the files
    left waiting. May sleep up to ``SINKWATCH_SETTLE_SECONDS`` when a file is younger."""
    limits = limits or Limits.from_env()
    files: list[Path] = []
    links: list[Path] = []
    markers: dict[Path, Path] = {}
    marked_dirs: set[Path] = set()
    waiting: list[tuple[Path, str]] = []
    if folder.is_dir():
        _walk(folder, files, links, markers, marked_dirs, waiting)
    uploads = [Upload(p.name, [p], refused=_symlink_error(p)) for p in links]

    now = clock()
    ready: list[Upload] = []
    unmarked: list[Upload] = []
    for up in group(files):
        if up.incomplete:
            newest = max(os.stat(m, follow_symlinks=False).st_mtime for m in up.members)
            if now - newest < limits.shapefile_wait_seconds:
                waiting.append((up.primary, f"{up.incomplete}; waiting for the rest "
                                            "(SINKWATCH_SHAPEFILE_WAIT_SECONDS)"))
                continue
            up.incomplete += (f" (waited {limits.shapefile_wait_seconds:g} s, "
                              "SINKWATCH_SHAPEFILE_WAIT_SECONDS)")
        keys = [*up.members, *([_set_key(up)] if up.kind == "shapefile" else [])]
        up.markers = sorted({markers[k] for k in keys if k in markers})
        folder_marked = any(d == m.parent or d in m.parents for m in up.members
                            for d in marked_dirs)
        if up.markers or folder_marked:
            ready.append(up)
        elif limits.require_ready:
            waiting.append((up.primary, "no ready marker (SINKWATCH_REQUIRE_READY=1)"))
        else:
            unmarked.append(up)
    ready += _settled(unmarked, limits.settle_seconds, waiting, clock, sleep)
    uploads += ready
    return Discovery(sorted(uploads, key=lambda u: (u.name, str(u.primary))), waiting)


def _set_key(upload: Upload) -> Path:
    """``folder/x`` for the set ``x.shp``...: what ``x.ready`` marks."""
    stem, _ = shapefile_part(upload.primary.name)
    return upload.primary.with_name(stem)


def group(files: list[Path]) -> list[Upload]:
    """One upload per file, except the parts of a shapefile set (same folder, same name up to
    the extension, case-insensitive), which are one upload named after its ``.shp``; a set
    without a required part is marked ``incomplete``."""
    sets: dict[tuple[Path, str], list[tuple[str, Path]]] = {}
    uploads = []
    for p in files:
        part = shapefile_part(p.name)
        if part is None:
            uploads.append(Upload(p.name, [p]))
        else:
            sets.setdefault((p.parent, part[0].lower()), []).append((part[1], p))
    order = {e: i for i, e in enumerate(dict.fromkeys((*SHAPEFILE_REQUIRED, *SHAPEFILE_PARTS)))}
    for parts in sets.values():
        parts.sort(key=lambda ep: (order[ep[0]], ep[1].name))
        members = [p for _, p in parts]
        have = {e for e, _ in parts}
        missing = [e for e in SHAPEFILE_REQUIRED if e not in have]
        stem = shapefile_part(members[0].name)[0]
        up = Upload(members[0].name, members, kind="shapefile")
        if missing:
            up.incomplete = (f"{up.name}: shapefile set {stem!r} is incomplete: no "
                             f"{', '.join(missing)} (found: {', '.join(m.name for m in members)})")
        uploads.append(up)
    return uploads


def _settled(uploads: list[Upload], settle: float, waiting: list[tuple[Path, str]],
             clock: Callable[[], float], sleep: Callable[[float], None]) -> list[Upload]:
    """The uploads whose files have not changed for ``settle`` seconds (waiting out the rest of
    that time for the younger ones, once for all of them)."""
    if settle <= 0 or not uploads:
        return uploads
    now = clock()
    before = {m: _stat(m) for u in uploads for m in u.members}
    ages = {m: now - s[1] / 1e9 for m, s in before.items() if s is not None}
    young = [a for a in ages.values() if a < settle]
    if young:
        sleep(min(settle, settle - max(min(young), 0.0)))
    out = []
    for u in uploads:
        moved = [m for m in u.members
                 if before[m] is None or (ages[m] < settle and _stat(m) != before[m])]
        if moved:
            waiting.append((u.primary, f"still being written ({moved[0].name} changed within "
                                       f"{settle:g} s, SINKWATCH_SETTLE_SECONDS)"))
        else:
            out.append(u)
    return out


def uploads_of(files: list[Path]) -> list[Upload]:
    """Uploads for files named explicitly (``sinkwatch ingest PATH``): shapefile sets grouped,
    an incomplete one refused at once, no readiness checks, and links followed (the caller chose
    the file)."""
    return sorted(group([p.resolve() for p in files]), key=lambda u: (u.name, str(u.primary)))


def remove_empty_dirs(folder: Path) -> None:
    """Remove the sub-folders of ``folder`` that ingestion emptied (a folder marker counts as
    empty); ``folder`` itself stays. Links are not followed."""
    for d, dirs, files in os.walk(folder, topdown=False):
        here = Path(d)
        if here == folder:
            continue
        if dirs and any((here / x).exists() for x in dirs):
            continue
        if all(f in FOLDER_MARKERS for f in files):
            for f in files:
                (here / f).unlink()
            here.rmdir()
