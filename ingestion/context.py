"""Reference data one ingestion run checks rows against, loaded lazily: the county boundaries,
the latest raw parcels layer (ids and polygons), and the species code list.

The parcels layer (200,000 WKT polygons at city scale: several seconds to read and parse) and
the county boundaries are cached for the process, so that the families of one run (and the
Contexts of successive runs) do not load them again. The parcels cache is keyed by the exact
list of raw parcels Parquet files (their names are content hashes) with their size and mtime:
a newly ingested parcels file changes the key, and the next Context reads the new layer. The
cached lists are the same objects from Context to Context, so that the STRtree cache of
:mod:`ingestion.spatial` (keyed by the identity of the geometry list) is reused too. Callers
must not mutate them.

Across processes (one per Airflow task, so one per night), :meth:`Context.locate` of a few points
(at most :data:`FEW_POINTS`) does not read the layer: it uses the persistent parcel layer index
of :mod:`ingestion.parcel_index` (bounding boxes and WKB, written when the layer was last parsed)
and parses only the polygons whose box contains a point, with the same answer. Without an index
it takes the full path, which writes the index for the next process.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ingestion import parcel_index, spatial
from ingestion.validate import Refs, load_species
from sinkwatch.config import BOUNDARIES_GEOJSON, Paths

#: (path, size, mtime_ns) of every raw parcels file, sorted by path.
FilesKey = tuple[tuple[str, int, int], ...]

#: Points up to which :meth:`Context.locate` takes the parcel layer index rather than the parsed
#: layer. At 200,000 parcels the index path takes 0.04 s for 40 points, 0.4 s for 20,000 (it
#: parses the few polygons around each point), the full read 1-1.7 s whatever the points: the
#: index path stays well below it up to here. Beyond, the candidates approach the whole layer
#: (a vegetation file), and the parsed layer, kept for the process with its STRtree, serves the
#: next batches of the run too.
FEW_POINTS = 20_000

_LOCK = threading.Lock()
#: The last loaded parcels layer, and the last loaded list of parcel ids: (key, value). One of
#: each: an older layer is of no further use once a new parcels file has been ingested.
_PARCELS: dict[str, tuple[FilesKey, object]] = {}
_COUNTIES: dict[tuple[str, int, int], tuple[list[str], list]] = {}


def _files_key(files: list[Path]) -> FilesKey:
    key = []
    for f in files:
        try:
            st = f.stat()
        except FileNotFoundError:  # removed since the listing (a file rejected by its gate)
            continue
        key.append((str(f), st.st_size, st.st_mtime_ns))
    return tuple(key)


def load_parcels(files: list[str]) -> tuple[list[str], list]:
    """Latest geometry per parcel id in ``files`` (ids sorted), geometries parsed by shapely."""
    import shapely

    con = duckdb.connect()
    try:
        rows = con.execute(
            "select parcel_id, geometry_wkt from read_parquet(?, union_by_name = true) "
            "qualify row_number() over (partition by parcel_id order by survey_year desc, "
            "_ingested_at desc) = 1 order by parcel_id",
            [files],
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows], list(shapely.from_wkt([r[1] for r in rows]))


def load_parcel_ids(files: list[str]) -> list[str]:
    """Distinct parcel ids in ``files`` (sorted), without the geometries."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            "select distinct parcel_id from read_parquet(?, union_by_name = true) "
            "order by parcel_id", [files]).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def _cached(kind: str, key: FilesKey, load):
    with _LOCK:
        hit = _PARCELS.get(kind)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = load([k[0] for k in key])
        _PARCELS[kind] = (key, value)
        return value


def counties(path: Path = BOUNDARIES_GEOJSON) -> tuple[list[str], list]:
    """County codes and geometries of the boundary file, loaded once per process (per file
    version)."""
    st = Path(path).stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _LOCK:
        hit = _COUNTIES.get(key)
        if hit is None:
            hit = _COUNTIES[key] = spatial.load_counties(Path(path))
        return hit


def clear_cache() -> None:
    """Forget the process-level reference data (the next Context reloads it)."""
    with _LOCK:
        _PARCELS.clear()
        _COUNTIES.clear()
    parcel_index.forget()


class Context:
    def __init__(self, paths: Paths):
        self.paths = paths

    @cached_property
    def counties(self) -> tuple[list[str], list]:
        return counties(BOUNDARIES_GEOJSON)

    def _parcel_files(self) -> list[Path]:
        return sorted(
            p
            for p in (self.paths.raw / "parcels").glob("*.parquet")
            if p.name != "_empty.parquet"
        )

    def _parcels_key(self) -> FilesKey:
        return _files_key(self._parcel_files())

    def _index_entry(self, key: FilesKey) -> Path | None:
        cache = getattr(self.paths, "cache", None)
        return parcel_index.entry(cache / "parcel_layer", key) if cache is not None else None

    @cached_property
    def parcels(self) -> tuple[list[str], list]:
        """Latest geometry per parcel id of the raw parcels layer (empty when none ingested).
        Parsing it writes the parcel layer index, when there is none for these files."""
        key = self._parcels_key()
        if not key:
            return [], []

        def load(files: list[str]) -> tuple[list[str], list]:
            layer = load_parcels(files)
            path = self._index_entry(key)
            if path is not None and not path.exists():
                parcel_index.store(path, key, *layer)
            return layer

        return _cached("parcels", key, load)

    def parcel_index(self, build: bool = False) -> parcel_index.Index | None:
        """The parcel layer index of the current raw parcels files (None when there is no
        layer, or no index and not ``build``: with it, the layer is parsed and the index
        written)."""
        key = self._parcels_key()
        path = self._index_entry(key) if key else None
        if path is None:
            return None
        index = parcel_index.load(path, key)
        if index is None and build:
            ids, geoms = self.parcels
            if not path.exists():  # parsed before, in this process
                parcel_index.store(path, key, ids, geoms)
            index = parcel_index.load(path, key)
        return index

    def _locate_few(self, x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
        """Parcel of each point from the parcel layer index (None when the index is absent or
        the layer is parsed in this process already: the caller takes the full path)."""
        if "parcels" in self.__dict__:
            return None
        key = self._parcels_key()
        with _LOCK:
            hit = _PARCELS.get("parcels")
        if not key or (hit is not None and hit[0] == key):
            return None
        path = self._index_entry(key)
        index = parcel_index.load(path, key) if path is not None else None
        if index is None:
            return None
        import shapely

        rows = parcel_index.candidates(index, x, y)
        if rows is None:  # too many point-box pairs for this path
            return None
        ids, wkb = index.rows(rows)
        try:
            geoms = list(shapely.from_wkb(wkb))
        except Exception as exc:  # a damaged WKB: never used, the layer is read
            parcel_index.discard(path, str(exc))
            return None
        # the candidates in layer order: the first polygon still wins on a shared border
        return spatial.assign_points(x, y, ids, geoms)

    @cached_property
    def parcel_ids(self) -> list[str] | None:
        """Parcel ids of the raw parcels layer (None when none ingested), without the
        geometries: the row checks need the ids only."""
        if "parcels" in self.__dict__:
            return self.parcels[0]
        key = self._parcels_key()
        if not key:
            return None
        with _LOCK:
            hit = _PARCELS.get("parcels")
        if hit is not None and hit[0] == key:  # the layer is loaded already: its ids
            return hit[1][0]
        return _cached("parcel_ids", key, load_parcel_ids)

    @cached_property
    def refs(self) -> Refs:
        ids = self.parcel_ids
        return Refs(species=load_species(), parcel_ids=set(ids) if ids is not None else None)

    def locate(self, lon: pd.Series, lat: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """County code and parcel id of each point (None outside)."""
        x = pd.to_numeric(lon, errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(lat, errors="coerce").to_numpy(dtype=float)
        ok = ~(np.isnan(x) | np.isnan(y))
        county = np.full(len(x), None, dtype=object)
        parcel = np.full(len(x), None, dtype=object)
        if ok.any():
            county[ok] = spatial.assign_points(x[ok], y[ok], *self.counties)
            few = self._locate_few(x[ok], y[ok]) if ok.sum() <= FEW_POINTS else None
            parcel[ok] = few if few is not None else spatial.assign_points(
                x[ok], y[ok], *self.parcels)
        return county, parcel
