"""A persistent index of the parsed raw parcels layer, so that locating a few points (a night's
FIRMS hotspots) does not parse the whole layer (issue: the nightly cost followed the size of the
parcels layer, not of the new data).

:func:`ingestion.context.load_parcels` reads every raw parcels file and parses 200,000 WKT
polygons at city scale (~1-2.5 s), and the process-level cache of :mod:`ingestion.context` does
not help across nights (one process per Airflow task). This index holds, in the exact order of
``load_parcels`` (ids sorted, the latest geometry per id), ``parcel_id``, the bounding box
(``xmin``, ``ymin``, ``xmax``, ``ymax``, as ``shapely.bounds``) and the polygon as WKB. It is
written when the full layer is parsed (:meth:`Context.parcels`) or on demand
(:meth:`Context.parcel_index`), under ``$SINKWATCH_HOME/cache/parcel_layer/``, keyed by the exact
list of raw parcels files (path, size, mtime; the names are content hashes) and
:data:`VERSION`: a new parcels file changes the key. An entry is written under a temporary name
and renamed (a reader sees a whole file or none), at most :data:`KEEP` entries are kept, and an
entry that cannot be read (damaged, or not what its name says) is removed with a warning and the
caller takes the full path.

:func:`candidates` finds, for a few points, the polygons whose box contains a point (boxes sorted
by ``xmin`` once, a ``searchsorted`` window of width ``max(xmax - xmin)`` per point, then the
other three bounds), and :meth:`Context.locate` parses only those and runs
:func:`ingestion.spatial.assign_points` on them in layer order. That gives the full path's answer
exactly: the STRtree of ``assign_points`` also only tests polygons whose box contains the point,
a polygon that contains a point contains it in its (closed) box, WKB round-trips the parsed
coordinates bit for bit, and the candidates keep the layer's order, so where polygons overlap the
first in sorted-id order still wins (a point exactly on a shared border is ``within`` neither, in
both paths). Too many point-box pairs (:data:`MAX_PAIRS`) also send the caller to the full path.

The file is Arrow IPC, uncompressed, one record batch, opened as a memory map: opening it and
taking the four bounding-box columns is zero-copy (~5 ms for 200,000 parcels), and only the
candidates' WKB is taken. Parquet was measured too: the bounds are quick (~20 ms) but the WKB
column has to be read (decompressed) whole to take 40 rows (45-190 ms); npz would need a second
file for the variable-length WKB. The IPC file is larger (30 MB against 9 MB for zstd Parquet at
200,000 squares), which a cache of :data:`KEEP` entries can afford. IPC has no checksum of its
own, so the values carry a CRC-32 in the file's metadata, checked on opening (~15 ms): a damaged
byte in a box or a WKB would otherwise give a wrong answer without an error.

Measured (``python -m bench.locate_few``: 200,000 adjacent 375 m squares in one raw parcels file,
each figure in a fresh process, 2 shared cores): today's ``locate`` of 40 points 1.0-1.2 s
(DuckDB read, ``from_wkt``, STRtree); with the index 0.04 s (0.07-0.09 s for 2,000 points,
0.37-0.46 s for 20,000, against 1.0-1.7 s); writing the index from the parsed layer 0.18 s
(bounds, WKB, checksum, 29.6 MB), once per parcels layer. The candidate search in numpy takes
18 ms for 40 points (0.46 s for 20,000) where a DuckDB range join over the same boxes took 0.07 s
(17 s for 20,000).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: bump when what is stored, or how it is read, changes
VERSION = "1"
#: entries kept (newest by modification time): a parcels upload is a few per year
KEEP = 3
_META = b"sinkwatch_parcel_layer"
COLUMNS = ("parcel_id", "xmin", "ymin", "xmax", "ymax", "wkb")
#: point-box pairs tested per chunk in :func:`candidates` (bounds the temporary arrays)
PAIRS_PER_CHUNK = 4_000_000
#: point-box pairs beyond which :func:`candidates` gives up (the caller reads the layer): at
#: ~40 ns a pair, 20 million is ~0.8 s, the order of the full read of a city-sized layer
MAX_PAIRS = 20_000_000
#: a box wider than this many times the median width is tested against every point
WIDE = 16

_LOCK = threading.Lock()
#: the last opened index of this process: (path, Index)
_OPEN: dict[str, tuple[Path, Index]] = {}


def entry(cache_dir: Path, key) -> Path:
    """The index file of a raw parcels layer, named by its files key (path, size, mtime)."""
    digest = hashlib.sha256(json.dumps([VERSION, list(map(list, key))]).encode()).hexdigest()
    return Path(cache_dir) / f"{digest[:32]}.v{VERSION}.arrow"


@dataclass
class Index:
    """An opened (memory-mapped) index: the table and its bounding boxes as numpy arrays."""

    table: object  # pyarrow.Table, one chunk per column
    xmin: np.ndarray
    ymin: np.ndarray
    xmax: np.ndarray
    ymax: np.ndarray
    _by_xmin: tuple | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.xmin)

    def by_xmin(self) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
        """(rows of the ordinary boxes by xmin, their xmin in that order, the widest of them,
        the wide boxes), computed once (~10 ms for 200,000). A box wider than
        :data:`WIDE` times the median width (a long strip) is tested against every point
        rather than widening every point's window."""
        if self._by_xmin is None:
            width = self.xmax - self.xmin
            finite = np.isfinite(width)
            cutoff = WIDE * float(np.median(width[finite])) if finite.any() else 0.0
            wide = finite & (width > cutoff)
            ordinary = np.flatnonzero(~wide)  # empty polygons (NaN) sort last, never match
            order = ordinary[np.argsort(self.xmin[ordinary], kind="stable")]
            w = width[ordinary][finite[ordinary]]
            # a margin, so that float rounding of ``x - wmax`` never drops a box whose right
            # edge is exactly at x (an extra box is harmless: its xmax is tested)
            wmax = (float(w.max()) if len(w) else 0.0) * (1 + 1e-9) + 1e-9
            self._by_xmin = (order, self.xmin[order], wmax, np.flatnonzero(wide))
        return self._by_xmin

    def rows(self, idx: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Parcel ids and WKB (object array of bytes) of the rows ``idx``."""
        import pyarrow as pa

        taken = self.table.select(["parcel_id", "wkb"]).take(pa.array(idx, pa.int64()))
        wkb = taken.column("wkb").to_numpy(zero_copy_only=False)
        return taken.column("parcel_id").to_pylist(), np.asarray(wkb, dtype=object)


def load(path: Path, key) -> Index | None:
    """The index at ``path`` (memory-mapped, kept open for the process), or None when absent or
    unreadable (removed, with a warning)."""
    with _LOCK:
        hit = _OPEN.get("index")
        if hit is not None and hit[0] == path:
            return hit[1]
    if not path.exists():
        return None
    import pyarrow as pa
    import pyarrow.ipc as ipc

    try:
        table = ipc.open_file(pa.memory_map(str(path))).read_all()
        meta = json.loads(table.schema.metadata[_META])
        if meta.get("version") != VERSION or meta.get("key") != json.loads(
                json.dumps(list(map(list, key)))):
            raise ValueError("written for another parcels layer or format version")
        if tuple(table.column_names) != COLUMNS or table.num_rows != meta.get("rows"):
            raise ValueError(f"columns {table.column_names}, {table.num_rows} rows")
        table = table.combine_chunks()
        table.validate(full=True)  # offsets in range before any WKB is taken
        if _checksum(table) != meta.get("crc32"):
            raise ValueError("checksum mismatch")
        xmin, ymin, xmax, ymax = (
            np.asarray(table.column(c).chunk(0).to_numpy(), dtype=float)
            if table.num_rows else np.empty(0)
            for c in ("xmin", "ymin", "xmax", "ymax")
        )
    except Exception as exc:  # a damaged entry is never used
        log.warning("parcel layer index %s unreadable (%s): removed, reading the parcels layer",
                    path.name, exc)
        path.unlink(missing_ok=True)
        return None
    index = Index(table, xmin, ymin, xmax, ymax)
    with _LOCK:
        _OPEN["index"] = (path, index)
    return index


def forget() -> None:
    """Close the process's opened index (the next :func:`load` opens the file again)."""
    with _LOCK:
        _OPEN.clear()


def discard(path: Path, why: str) -> None:
    """Remove an entry found wrong after it was opened (e.g. a WKB that does not parse)."""
    log.warning("parcel layer index %s unusable (%s): removed, reading the parcels layer",
                path.name, why)
    forget()
    path.unlink(missing_ok=True)


def store(path: Path, key, ids: list[str], geoms: list) -> None:
    """Write the index of a parsed layer (temporary name, then rename); a failure only costs the
    next night a full read."""
    import pyarrow as pa
    import pyarrow.ipc as ipc
    import shapely

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        g = np.asarray(geoms, dtype=object)
        bounds = shapely.bounds(g).reshape(-1, 4)
        table = pa.table(
            {"parcel_id": pa.array(ids, pa.string()),
             **{c: pa.array(bounds[:, i], pa.float64())
                for i, c in enumerate(("xmin", "ymin", "xmax", "ymax"))},
             "wkb": pa.array(shapely.to_wkb(g) if len(g) else [], pa.binary())},
        )
        meta = {"version": VERSION, "key": list(map(list, key)), "rows": len(ids),
                "crc32": _checksum(table)}
        table = table.replace_schema_metadata({_META: json.dumps(meta).encode()})
        with pa.OSFile(str(tmp), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=max(len(ids), 1))
        os.replace(tmp, path)
    except Exception as exc:
        log.warning("parcel layer index %s not written (%s)", path.name, exc)
        return
    finally:
        tmp.unlink(missing_ok=True)
    _prune(path.parent)


def _checksum(table) -> int:
    """CRC-32 of the values (nulls, offsets from 0, data bytes) of every column: the same for
    the table written and the table read back, whatever the buffers' padding (~15 ms for
    200,000 parcels). A damaged byte in the bounds or a WKB would otherwise give a wrong answer
    silently."""
    import pyarrow as pa

    crc = 0
    for column in table.columns:
        for arr in column.chunks:
            n, bufs = len(arr), arr.buffers()
            if n == 0:
                continue
            crc = zlib.crc32(np.packbits(arr.is_null().to_numpy(zero_copy_only=False)), crc)
            if pa.types.is_binary(arr.type) or pa.types.is_string(arr.type):
                off = np.frombuffer(bufs[1], dtype=np.int32)[arr.offset: arr.offset + n + 1]
                crc = zlib.crc32(off - off[0], crc)
                if bufs[2] is not None:
                    crc = zlib.crc32(memoryview(bufs[2])[off[0]: off[-1]], crc)
            else:
                crc = zlib.crc32(np.frombuffer(bufs[1], dtype=np.float64)[
                    arr.offset: arr.offset + n], crc)
    return crc


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.arrow"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)


def candidates(index: Index, x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """Rows (ascending, i.e. in layer order) whose bounding box contains at least one of the
    points (closed intervals, as the STRtree's envelope test), or None when that would test
    more than :data:`MAX_PAIRS` point-box pairs. Points must not be NaN."""
    order, xs, wmax, wide = index.by_xmin()
    lo = np.searchsorted(xs, x - wmax, side="left")
    hi = np.searchsorted(xs, x, side="right")
    counts = hi - lo
    if int(counts.sum()) + len(x) * len(wide) > MAX_PAIRS:
        return None
    found: list[np.ndarray] = []
    start = 0
    while start < len(x):  # points in chunks of at most PAIRS_PER_CHUNK pairs (or one point)
        cum = np.cumsum(counts[start:])
        stop = start + max(1, int(np.searchsorted(cum, PAIRS_PER_CHUNK, side="right")))
        n = counts[start:stop]
        total = int(n.sum())
        if total:
            point = np.repeat(np.arange(start, stop), n)
            first = np.cumsum(n) - n
            rows = order[np.repeat(lo[start:stop] - first, n) + np.arange(total)]
            keep = ((index.xmax[rows] >= x[point]) & (index.ymin[rows] <= y[point])
                    & (index.ymax[rows] >= y[point]))
            found.append(rows[keep])
        start = stop
    step = max(1, PAIRS_PER_CHUNK // max(len(wide), 1))
    for s in range(0, len(x) if len(wide) else 0, step):  # the wide boxes: every point
        px, py = x[s: s + step, None], y[s: s + step, None]
        inside = ((index.xmin[wide] <= px) & (index.xmax[wide] >= px)
                  & (index.ymin[wide] <= py) & (index.ymax[wide] >= py))
        found.append(wide[inside.any(axis=0)])
    if not found:
        return np.empty(0, dtype=np.int64)
    return np.unique(np.concatenate(found))
