"""Locating a night's few points in a city-sized parcels layer: the full read against the parcel
layer index (:mod:`ingestion.parcel_index`). Not a test and not part of ``make bench``:

    python -m bench.locate_few <work dir> [--parcels 200000] [--points 40] [--repeat 3]

Writes ~200,000 adjacent squares (375 m) as one raw-parcels-like Parquet file under
``<work dir>/warehouse/raw/parcels/``, then times, each in a fresh process (as an Airflow task):
(a) ``Context.locate`` of ``--points`` random points without an index (DuckDB read, ``from_wkt``,
STRtree: today's path), (c) writing the index from the parsed layer, (b) ``locate`` with the
index present. The answers of (a) and (b) are compared.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

SIDE = 0.0035  # degrees, ~375 m at 41° N in latitude
X0, Y0 = 109.5, 40.0


def write_layer(home: Path, n: int) -> Path:
    """``n`` squares sharing their borders, ids shuffled (layer order is not grid order)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    nx = int(np.ceil(np.sqrt(n * 1.25)))
    k = np.arange(n)
    x0, y0 = X0 + (k % nx) * SIDE, Y0 + (k // nx) * SIDE
    wkt = shapely.to_wkt(shapely.box(x0, y0, x0 + SIDE, y0 + SIDE), rounding_precision=-1)
    ids = np.array([f"150222-F-{i:06d}" for i in k], dtype=object)
    np.random.default_rng(1).shuffle(ids)
    table = pa.table({
        "parcel_id": pa.array(ids, pa.string()),
        "survey_year": pa.array(np.full(n, 2024)),
        "geometry_wkt": pa.array(wkt, pa.string()),
        "_ingested_at": pa.array(np.full(n, np.datetime64("2024-01-01", "us")),
                                 pa.timestamp("us", tz="UTC")),
    })
    folder = home / "warehouse" / "raw" / "parcels"
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"bench{n}.parquet"
    pq.write_table(table, dest)
    return dest


def _points(n_parcels: int, n: int) -> tuple[list[float], list[float]]:
    nx = int(np.ceil(np.sqrt(n_parcels * 1.25)))
    ny = n_parcels // nx
    rng = np.random.default_rng(7)
    return ((X0 + rng.random(n) * nx * SIDE).tolist(), (Y0 + rng.random(n) * ny * SIDE).tolist())


def _child(home: str, mode: str, lon: list[float], lat: list[float]) -> dict:
    """One measurement in this (fresh) process: ``full``, ``index`` or ``write``."""
    import time

    import pandas as pd

    from ingestion import parcel_index
    from ingestion.context import Context
    from sinkwatch.config import Paths

    ctx = Context(Paths(Path(home)))
    ctx.counties  # noqa: B018 - the county path is the same in both: not timed
    if mode == "write":
        key = ctx._parcels_key()
        path = ctx._index_entry(key)
        path.unlink(missing_ok=True)
        store, parcel_index.store = parcel_index.store, lambda *a: None
        ids, geoms = ctx.parcels  # parsed, not timed
        parcel_index.store = store
        t = time.perf_counter()
        parcel_index.store(path, key, ids, geoms)
        return {"seconds": time.perf_counter() - t, "bytes": path.stat().st_size}
    if mode == "full":  # today's locate: no index to use, and none written
        assert ctx.parcel_index() is None
        parcel_index.store = lambda *a: None
    t = time.perf_counter()
    _, parcel = ctx.locate(pd.Series(lon), pd.Series(lat))
    took = time.perf_counter() - t
    return {"seconds": took, "parsed": "parcels" in ctx.__dict__, "parcel": list(parcel)}


def _run(home: Path, mode: str, lon: list[float], lat: list[float]) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.locate_few", str(home), "--child", mode],
        input=json.dumps([lon, lat]), capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("work", type=Path)
    ap.add_argument("--parcels", type=int, default=200_000)
    ap.add_argument("--points", type=int, nargs="+", default=[40])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", choices=("full", "index", "write"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        lon, lat = json.loads(sys.stdin.read())
        print(json.dumps(_child(str(args.work), args.child, lon, lat)))
        return
    home = args.work.resolve()
    if not any((home / "warehouse" / "raw" / "parcels").glob("*.parquet")):
        write_layer(home, args.parcels)
    for n in args.points:
        lon, lat = _points(args.parcels, n)
        for _ in range(args.repeat):
            for f in (home / "cache" / "parcel_layer").glob("*.arrow"):
                f.unlink()
            full = _run(home, "full", lon, lat)
            wrote = _run(home, "write", [], [])
            fast = _run(home, "index", lon, lat)
            assert not fast["parsed"] and full["parsed"], (full["parsed"], fast["parsed"])
            assert fast["parcel"] == full["parcel"], "index path differs from the full path"
            print(f"{n} points: full {full['seconds']:.3f} s, index {fast['seconds']:.3f} s "
                  f"({sum(p is not None for p in fast['parcel'])} in a parcel); writing the "
                  f"index {wrote['seconds']:.3f} s, {wrote['bytes'] / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
