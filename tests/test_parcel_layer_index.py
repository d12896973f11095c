"""The parcel layer index (ingestion/parcel_index.py): ``Context.locate`` of a few points from the
index gives exactly the full path's answer without parsing the layer; a new parcels file changes
the key; a damaged index is removed with a warning and the layer is read."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from ingestion import context, parcel_index, spatial
from ingestion.context import Context

D = 0.01  # side of a grid square, degrees
X0, Y0 = 110.0, 41.0


def _square(i: int, j: int, side: float = D) -> str:
    x, y = X0 + i * D, Y0 + j * D
    return shapely.to_wkt(shapely.box(x, y, x + side, y + side), rounding_precision=-1)


def _layer() -> dict[str, str]:
    """A 4 x 3 grid of squares sharing borders (ids not in grid order), a square with a hole
    holding another square, two overlapping squares, a wide strip, and an empty polygon."""
    rng = np.random.default_rng(3)
    cells = [(i, j) for i in range(4) for j in range(3)]
    ids = [f"150222-G-{n:06d}" for n in rng.permutation(100)[: len(cells)]]
    layer = {pid: _square(i, j) for pid, (i, j) in zip(ids, cells, strict=True)}
    hx, hy = X0 + 5 * D, Y0
    layer["150222-H-000001"] = shapely.to_wkt(shapely.Polygon(
        [(hx, hy), (hx + 3 * D, hy), (hx + 3 * D, hy + 3 * D), (hx, hy + 3 * D)],
        [[(hx + D, hy + D), (hx + 2 * D, hy + D), (hx + 2 * D, hy + 2 * D),
          (hx + D, hy + 2 * D)]]), rounding_precision=-1)
    layer["150222-H-000002"] = _square(6, 1, side=D / 2)  # inside half of the hole
    layer["150222-O-000002"] = _square(0, 5)  # overlapping: the smaller id wins,
    layer["150222-O-000001"] = shapely.to_wkt(  # whatever the file order
        shapely.box(X0 + D / 2, Y0 + 5 * D, X0 + 1.5 * D, Y0 + 6 * D), rounding_precision=-1)
    layer["150222-W-000001"] = shapely.to_wkt(
        shapely.box(X0 - 2 * D, Y0 + 8 * D, X0 + 9 * D, Y0 + 8.5 * D), rounding_precision=-1)
    layer["150222-Z-000001"] = "POLYGON EMPTY"
    return layer


def _write_raw(home, layer: dict[str, str], name: str, year: int = 2024) -> None:
    """A raw parcels file with the columns ``load_parcels`` reads."""
    folder = home.raw / "parcels"
    folder.mkdir(parents=True, exist_ok=True)
    n = len(layer)
    pq.write_table(pa.table({
        "parcel_id": list(layer), "survey_year": [year] * n,
        "geometry_wkt": list(layer.values()),
        "_ingested_at": pa.array([datetime(year, 1, 1, tzinfo=UTC)] * n,
                                 pa.timestamp("us", tz="UTC")),
    }), folder / f"{name}.parquet")


def _points() -> tuple[pd.Series, pd.Series]:
    """Random points over the layer, points on every grid line and corner (shared borders), in
    the hole, on the wide strip's right edge, outside, and NaN / unparseable coordinates."""
    rng = np.random.default_rng(11)
    xs = list(X0 - 3 * D + rng.random(600) * 13 * D)
    ys = list(Y0 - D + rng.random(600) * 11 * D)
    for i in range(-2, 10):
        for j in range(0, 10):
            xs += [X0 + i * D, X0 + (i + 0.5) * D, X0 + i * D]
            ys += [Y0 + (j + 0.5) * D, Y0 + j * D, Y0 + j * D]
    xs += [X0 + 6.5 * D, X0 + 6.25 * D, X0 + 0.75 * D, X0 + 9 * D, X0 + 8.99 * D, 0.0, np.nan,
           110.0]
    ys += [Y0 + 1.75 * D, Y0 + 1.25 * D, Y0 + 5.5 * D, Y0 + 8.2 * D, Y0 + 8.2 * D, 0.0, 41.0,
           np.nan]
    lon = pd.Series(xs, dtype=object)
    lat = pd.Series(ys, dtype=object)
    lon.iloc[-1] = "not a number"
    return lon, lat


def _expected(home, lon, lat) -> np.ndarray:
    """The full path, straight: load_parcels and assign_points over the whole layer."""
    files = sorted(str(p) for p in (home.raw / "parcels").glob("*.parquet"))
    ids, geoms = context.load_parcels(files)
    x = pd.to_numeric(lon, errors="coerce").to_numpy(float)
    y = pd.to_numeric(lat, errors="coerce").to_numpy(float)
    ok = ~(np.isnan(x) | np.isnan(y))
    out = np.full(len(x), None, dtype=object)
    out[ok] = spatial.assign_points(x[ok], y[ok], ids, geoms)
    return out


@pytest.fixture
def counted(monkeypatch):
    """Counts of full layer reads (load_parcels) and WKT parses in the Context."""
    context.clear_cache()
    calls = {"load_parcels": 0, "from_wkt": 0}
    real_load, real_wkt = context.load_parcels, shapely.from_wkt

    def load(files):
        calls["load_parcels"] += 1
        return real_load(files)

    def from_wkt(*a, **k):
        calls["from_wkt"] += 1
        return real_wkt(*a, **k)

    monkeypatch.setattr(context, "load_parcels", load)
    monkeypatch.setattr(shapely, "from_wkt", from_wkt)
    yield calls
    context.clear_cache()


def _index_files(home):
    return sorted((home.cache / "parcel_layer").glob("*.arrow"))


def test_index_path_gives_the_full_paths_answer_without_parsing_the_layer(home, counted):
    _write_raw(home, _layer(), "a")
    lon, lat = _points()
    expected = _expected(home, lon, lat)
    counted.update(load_parcels=0, from_wkt=0)
    assert sum(p is not None for p in expected) > 100  # sanity: many points are in a parcel
    assert expected[-6] == "150222-O-000001"  # the overlap: the smaller id
    assert expected[-8] is None and expected[-7] == "150222-H-000002"  # hole, square in it
    assert list(expected[-3:]) == [None, None, None]

    first = Context(home)  # no index yet: the full path, which writes the index
    county_full, parcel_full = first.locate(lon, lat)
    assert counted["load_parcels"] == 1 and "parcels" in first.__dict__
    assert list(parcel_full) == list(expected)
    [entry] = _index_files(home)

    context.clear_cache()  # a new process (the next night's Airflow task)
    counted.update(load_parcels=0, from_wkt=0)
    ctx = Context(home)
    county, parcel = ctx.locate(lon, lat)
    assert list(parcel) == list(expected)
    assert list(county) == list(county_full)
    assert counted == {"load_parcels": 0, "from_wkt": 0}
    assert "parcels" not in ctx.__dict__
    assert _index_files(home) == [entry]
    # one point at a time too (its candidates alone)
    for k in (0, 5, len(lon) - 9, len(lon) - 6, len(lon) - 4):
        assert ctx.locate(lon.iloc[[k]], lat.iloc[[k]])[1][0] == expected[k]
    assert counted["load_parcels"] == 0


def test_index_rows_are_the_layer_in_load_parcels_order(home, counted):
    _write_raw(home, _layer(), "a")
    index = Context(home).parcel_index(build=True)
    ids, geoms = Context(home).parcels
    got_ids, wkb = index.rows(np.arange(len(index)))
    assert got_ids == ids
    assert all(shapely.equals_exact(a, b, 0) or (a.is_empty and b.is_empty)
               for a, b in zip(shapely.from_wkb(wkb), geoms, strict=True))
    bounds = shapely.bounds(np.asarray(geoms, dtype=object))
    np.testing.assert_array_equal(np.column_stack(
        [index.xmin, index.ymin, index.xmax, index.ymax]), bounds)


def test_many_points_or_pairs_take_the_full_path(home, counted, monkeypatch):
    _write_raw(home, _layer(), "a")
    Context(home).parcel_index(build=True)
    lon, lat = _points()
    expected = _expected(home, lon, lat)
    context.clear_cache()
    counted.update(load_parcels=0)
    monkeypatch.setattr(context, "FEW_POINTS", 2)
    assert list(Context(home).locate(lon, lat)[1]) == list(expected)
    assert counted["load_parcels"] == 1

    # as many as the point-box pairs allow
    context.clear_cache()
    counted.update(load_parcels=0)
    monkeypatch.setattr(context, "FEW_POINTS", 20_000)
    monkeypatch.setattr(parcel_index, "MAX_PAIRS", 10)
    assert list(Context(home).locate(lon, lat)[1]) == list(expected)
    assert counted["load_parcels"] == 1


def test_a_new_parcels_file_changes_the_key(home, counted):
    _write_raw(home, _layer(), "a")
    lon, lat = _points()
    Context(home).locate(lon, lat)  # writes the first index
    [old] = _index_files(home)

    # a later survey moves one grid square and adds a parcel
    moved = dict(_layer())
    pid = sorted(k for k in moved if "-G-" in k)[0]
    _write_raw(home, {pid: _square(1, 8), "150222-N-000001": _square(2, 6)}, "b", year=2025)
    expected = _expected(home, lon, lat)
    context.clear_cache()
    counted.update(load_parcels=0)
    assert Context(home).parcel_index() is None  # no index for the new files
    assert list(Context(home).locate(lon, lat)[1]) == list(expected)
    assert counted["load_parcels"] == 1  # read the new layer, and wrote its index
    assert len(_index_files(home)) == 2 and old in _index_files(home)

    context.clear_cache()
    counted.update(load_parcels=0)
    ctx = Context(home)
    parcel = ctx.locate(lon, lat)[1]
    assert list(parcel) == list(expected) and counted["load_parcels"] == 0
    assert "150222-N-000001" in set(parcel) and pid in set(parcel)


def _damage_truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _damage_garbage(path):
    """Bytes overwritten in the data (a bad disk block): the Arrow structure still reads."""
    data = bytearray(path.read_bytes())
    mid = len(data) // 3
    data[mid: mid + 16] = b"\x7f" * 16
    path.write_bytes(bytes(data))


def _damage_wkb(path):
    """A well-formed Arrow file, checksum right, whose WKB does not parse (a bug, not a disk)."""
    import pyarrow.ipc as ipc

    table = ipc.open_file(pa.BufferReader(path.read_bytes())).read_all()  # not mapped
    bad = pa.array([b"\x01\x03garbage"] * table.num_rows, pa.binary())
    table = table.set_column(table.column_names.index("wkb"), "wkb", bad)
    [(name, value)] = table.schema.metadata.items()
    meta = json.loads(value) | {"crc32": parcel_index._checksum(table)}
    table = table.replace_schema_metadata({name: json.dumps(meta).encode()})
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, table.schema) as w:
        w.write_table(table)


def _damage_other_layer(path):
    """The index of another layer under this name (right format, wrong key)."""
    import pyarrow.ipc as ipc

    table = ipc.open_file(pa.BufferReader(path.read_bytes())).read_all()  # not mapped.slice(0, 3)
    [(name, value)] = table.schema.metadata.items()
    meta = json.loads(value) | {"key": [["/elsewhere/x.parquet", 1, 2]], "rows": 3}
    meta = {name: json.dumps(meta).encode()}
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(
            sink, table.schema.with_metadata(meta)) as w:
        w.write_table(table)


@pytest.mark.parametrize("damage", [_damage_truncate, _damage_garbage, _damage_wkb,
                                    _damage_other_layer])
def test_a_damaged_index_is_removed_and_the_layer_read(home, counted, caplog, damage):
    _write_raw(home, _layer(), "a")
    lon, lat = _points()
    expected = _expected(home, lon, lat)
    Context(home).locate(lon, lat)
    [entry] = _index_files(home)
    damage(entry)

    context.clear_cache()
    counted.update(load_parcels=0)
    with caplog.at_level(logging.WARNING, logger="ingestion.parcel_index"):
        parcel = Context(home).locate(lon, lat)[1]
    assert list(parcel) == list(expected)
    assert counted["load_parcels"] == 1
    assert any("parcel layer index" in r.getMessage() and "removed" in r.getMessage()
               for r in caplog.records)
    # the full path wrote a good index again: the next process uses it
    context.clear_cache()
    counted.update(load_parcels=0)
    assert list(Context(home).locate(lon, lat)[1]) == list(expected)
    assert counted["load_parcels"] == 0


def test_no_parcels_layer(home, counted):
    lon, lat = _points()
    county, parcel = Context(home).locate(lon, lat)
    assert all(p is None for p in parcel) and not _index_files(home)


def test_candidates_are_the_boxes_containing_a_point():
    rng = np.random.default_rng(5)
    n = 3000
    x0, y0 = rng.random(n) * 10, rng.random(n) * 10
    w = np.where(rng.random(n) < 0.01, rng.random(n) * 8, rng.random(n) * 0.2)
    h = rng.random(n) * 0.3
    xmin, xmax, ymin, ymax = x0, x0 + w, y0, y0 + h
    xmin[7] = xmax[7] = ymin[7] = ymax[7] = np.nan  # an empty polygon
    index = parcel_index.Index(None, xmin, ymin, xmax, ymax)
    assert 10 < len(index.by_xmin()[3]) < 100  # the wide boxes, tested against every point
    wide = np.nanargmax(xmax - xmin)
    px = np.concatenate([rng.random(500) * 10, xmax[10:60], xmin[60:110], [xmax[wide]]])
    py = np.concatenate([rng.random(500) * 10, ymax[10:60], ymin[60:110], [ymin[wide]]])
    for chunk in (4_000_000, 7):  # one chunk, and many
        parcel_index.PAIRS_PER_CHUNK = chunk
        try:
            got = parcel_index.candidates(index, px, py)
        finally:
            parcel_index.PAIRS_PER_CHUNK = 4_000_000
        inside = ((xmin[None, :] <= px[:, None]) & (xmax[None, :] >= px[:, None])
                  & (ymin[None, :] <= py[:, None]) & (ymax[None, :] >= py[:, None]))
        np.testing.assert_array_equal(got, np.flatnonzero(inside.any(axis=0)))
