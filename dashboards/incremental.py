"""Incremental dashboard builds: content fingerprints of the inputs, and the render cache.

Each page module declares what it reads (``READS``: marts, and ``raw:<family>`` for the raw-layer
fallbacks). A *group* is one page module (the zones module renders the zones page and one page
per zone). Before reading anything, the build fingerprints every declared input:

* a mart: its column names and types, its row count and ``sum(hash(row))`` over all rows, in
  DuckDB (a parallel scan: ~0.1 s per million rows; order-independent, as the pages read every
  mart ``order by all``). A mart that is absent, or larger than the dashboard reads, is
  ``absent`` (the pages see it as absent too);
* a raw family: the names, sizes and modification times of its Parquet files (written once
  and renamed into place by the ingest, never changed in place).

A group's key hashes the dashboard code (every module and template under ``dashboards/``, the
county outlines, and the versions of the libraries that shape the output), the group, the
marts missing from the site (announced on every page) and the fingerprints of its inputs.

The render cache (``<site parent>/.dashboard-cache/``) holds, per group and key, what the group
rendered: each page's *body* (everything inside ``<main>``, from ``body.html``), its shell
fields (title, nav entry, marts named in the footer) and its CSVs. A group whose key is in the
cache is not read from the database nor rendered: its bodies are wrapped in a fresh shell (the
run id and times change every run, and are the only run-dependent part of a page) and its CSVs
are hard-linked into the new build. Entries are written to a temporary directory and renamed,
so a half-written entry never exists; entries the new build does not use are removed after it
is published. The cache also keeps the parsed and simplified parcel geometry
(:class:`GeometryStore`), keyed by the parcels' fingerprint.

Every build writes ``build-manifest.json`` into the site: per group, its key, its inputs'
fingerprints and whether it was rendered or reused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
CACHE_DIR_NAME = ".dashboard-cache"  # not ".site-*": those are builds (old ones removed)
MANIFEST = "build-manifest.json"
ABSENT = "absent"
RAW_PREFIX = "raw:"
#: Libraries whose version can change the rendered bytes.
LIBRARIES = ("plotly", "pandas", "numpy", "shapely", "jinja2", "duckdb", "markupsafe")


@cache
def code_version() -> str:
    """sha256 of the dashboard code and templates, what they use of the ground package (the
    CSV formula neutralisation, the bundled county outlines) and the library versions."""
    import sinkwatch.spreadsheet
    from sinkwatch.config import BOUNDARIES_GEOJSON

    h = hashlib.sha256()
    files = sorted(p for p in PACKAGE_DIR.rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts)
    ground = [Path(sinkwatch.spreadsheet.__file__), Path(BOUNDARIES_GEOJSON)]
    for f in [*files, *ground]:
        h.update(str(f.relative_to(PACKAGE_DIR) if f.is_relative_to(PACKAGE_DIR)
                     else f.name).encode())
        try:
            h.update(f.read_bytes())
        except OSError:
            h.update(b"<missing>")
    for lib in LIBRARIES:
        try:
            h.update(f"{lib}=={metadata.version(lib)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{lib}==?".encode())
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# fingerprints


def mart_fingerprints(con: duckdb.DuckDBPyConnection, names: Iterable[str], present: set[str],
                      max_rows: int) -> dict[str, str]:
    """name -> fingerprint of each mart in ``names`` (``absent`` when the dashboard would not
    read it). A mart whose hash fails gets a fingerprint that matches nothing (rendered)."""
    out: dict[str, str] = {}
    for name in sorted(set(names)):
        if name not in present:
            out[name] = ABSENT
            continue
        try:
            cols = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'main' and table_name = ? order by ordinal_position",
                [name]).fetchall()
            n, total = con.execute(
                f'select count(*), sum(hash(t)::hugeint) from main."{name}" as t').fetchone()
        except duckdb.Error as e:
            log.warning("mart %s could not be fingerprinted (%s): rendered", name, e)
            out[name] = f"unhashable:{os.urandom(8).hex()}"
            continue
        if n > max_rows:
            out[name] = ABSENT
            continue
        out[name] = hashlib.sha256(
            json.dumps([cols, n, str(total)], default=str).encode()).hexdigest()
    return out


def raw_fingerprint(raw_dir: Path | None, family: str) -> str:
    """The raw family's non-empty Parquet files (name, size, mtime); ``absent`` if none."""
    if raw_dir is None:
        return ABSENT
    files = []
    for f in sorted((raw_dir / family).glob("*.parquet")):
        st = f.stat()
        if st.st_size > 0:
            files.append((f.name, st.st_size, st.st_mtime_ns))
    if not files:
        return ABSENT
    return hashlib.sha256(json.dumps(files).encode()).hexdigest()


def group_key(group: str, fingerprints: dict[str, str], missing: list[str]) -> str:
    payload = json.dumps({"code": code_version(), "group": group, "missing": missing,
                          "inputs": sorted(fingerprints.items())})
    return hashlib.sha256(payload.encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# the render cache


@dataclass
class PageInfo:
    """What the shell of a page needs besides its body."""

    file_name: str
    nav: str
    title_zh: str
    title_en: str
    marts: list[str]


@dataclass
class Entry:
    """A group's rendered output in the cache."""

    path: Path
    pages: list[PageInfo]
    csvs: list[str]

    def body(self, info: PageInfo) -> str:
        return (self.path / "bodies" / info.file_name).read_text(encoding="utf-8")


def link_or_copy(src: Path, dst: Path) -> None:
    """Hard link (nothing writes into a build's files in place: the alerts refresh renames new
    files over them), or copy where linking is not possible."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


class RenderCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.groups = root / "groups"

    def _dir(self, group: str, key: str) -> Path:
        return self.groups / f"{group}-{key[:24]}"

    def get(self, group: str, key: str) -> Entry | None:
        d = self._dir(group, key)
        try:
            meta = json.loads((d / "entry.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("key") != key:
            return None
        entry = Entry(d, [PageInfo(**p) for p in meta["pages"]], list(meta["csvs"]))
        if not all((d / "bodies" / p.file_name).is_file() for p in entry.pages) or not all(
                (d / "data" / c).is_file() for c in entry.csvs):
            log.warning("render cache entry %s is incomplete: rendered again", d.name)
            return None
        return entry

    def put(self, group: str, key: str, pages: list[tuple[PageInfo, str]], data_dir: Path,
            csvs: list[str]) -> None:
        """Store a rendered group: bodies, and the CSVs (hard links to the build's files)."""
        self.groups.mkdir(parents=True, exist_ok=True)
        final = self._dir(group, key)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=self.groups))
        try:
            (tmp / "bodies").mkdir()
            (tmp / "data").mkdir()
            for info, body in pages:
                (tmp / "bodies" / info.file_name).write_text(body, encoding="utf-8")
            for c in csvs:
                link_or_copy(data_dir / c, tmp / "data" / c)
            (tmp / "entry.json").write_text(json.dumps(
                {"key": key, "group": group, "pages": [asdict(i) for i, _ in pages],
                 "csvs": csvs}, ensure_ascii=False), encoding="utf-8")
            if final.exists():
                shutil.rmtree(final)
            os.rename(tmp, final)
        except OSError as e:
            log.warning("render cache entry %s not stored: %s", final.name, e)
            shutil.rmtree(tmp, ignore_errors=True)

    def prune(self, keep: Iterable[tuple[str, str]]) -> None:
        """Remove the group entries other than ``keep`` ((group, key) pairs)."""
        wanted = {self._dir(g, k).name for g, k in keep}
        if self.groups.is_dir():
            for d in self.groups.iterdir():
                if d.name not in wanted:
                    shutil.rmtree(d, ignore_errors=True)


class GeometryStore:
    """Parsed and simplified parcel geometry between builds, one file per parcels fingerprint
    (only the newest is kept)."""

    def __init__(self, root: Path, reuse: bool = True) -> None:
        self.dir = root / "geometry"
        self.reuse = reuse  # False: compute (and store) the geometry whatever is stored

    @staticmethod
    def key(source: str, fingerprint: str) -> str:
        return hashlib.sha256(f"{code_version()}|{source}|{fingerprint}".encode()).hexdigest()

    def load(self, key: str) -> Any | None:
        f = self.dir / f"{key[:32]}.pickle"
        if not self.reuse:
            return None
        try:
            with f.open("rb") as fh:
                stored_key, state = pickle.load(fh)  # noqa: S301 - our own cache file
        except FileNotFoundError:
            return None
        except Exception as e:  # noqa: BLE001 - a damaged cache file: compute again
            log.warning("parcel geometry cache %s unreadable (%s): parsed again", f.name, e)
            return None
        return state if stored_key == key else None

    def save(self, key: str, state: Any) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".geometry-", dir=self.dir)
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((key, state), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.dir / f"{key[:32]}.pickle")
            for old in self.dir.glob("*.pickle"):
                if old.name != f"{key[:32]}.pickle":
                    old.unlink(missing_ok=True)
        except OSError as e:
            log.warning("parcel geometry cache not stored: %s", e)


def read_manifest(build_dir: Path | None) -> dict[str, Any]:
    if build_dir is None:
        return {}
    try:
        return json.loads((build_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
