"""Deterministic city-scale dataset for the benchmark, in the real upload formats.

The landscape, the forest plots, grassland quadrats, wetland surveys, demonstration forests, fire
reports and pest reports come from :mod:`sample_data` (same conventions: county codes,
zones, species, parcel ids), at a finer grid and with more plots, quadrats and reports. The two
large families are written here, vectorised and in chunks so that no more than one chunk is in
memory:

* vegetation indices: plain ``parcel_id,date,ndvi,evi,quality`` CSV (the layout the sample data
  and the bureau's own exports use), one file per year, one row per vegetated parcel and 16-day
  MOD13Q1 composite; the last composite of the last year is held back for the nightly run;
* FIRMS hotspots: the VIIRS archive CSV layout.

``generate(out, scale)`` writes ``out/full/<family>/`` (the history) and ``out/nightly/<family>/``
(what arrives one night later: one composite for every parcel, one day of hotspots and pest
reports). Same ``(scale, seed)``, same bytes.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely

from sample_data import geography
from sample_data.disturbances import _fire_events, _write_fire_reports, _write_pest_reports
from sample_data.geography import FAMILY_NAMES, YEARS, ScaleSpec, _f
from sample_data.landscape import Landscape, build_landscape
from sample_data.remote_sensing import _vi_params, vi_composites
from sample_data.surveys import (
    _write_demo_forests,
    _write_forest_plots,
    _write_grassland_quadrats,
    _write_parcels,
    _write_wetland_surveys,
)
from sinkwatch.contracts import FAMILIES

SEED = 20211008


@dataclass(frozen=True)
class BenchScale:
    cell_km: float  # grid cell of the landscape (≈ parcel size)
    vi_years: tuple[int, ...]
    max_plots: int  # forest plots per inventory cycle
    quadrat_parcels: int  # grassland parcels with a quadrat site (3-4 quadrats each, every year)
    hotspots: int  # FIRMS detections over the years
    pests_per_year: float
    nightly_hotspots: int
    nightly_pests: int


SCALES = {
    # ≈ 1,200 parcels, 2 years of composites: CI-sized
    "small": BenchScale(cell_km=5.0, vi_years=(2024, 2025), max_plots=120, quadrat_parcels=60,
                        hotspots=2_000, pests_per_year=40, nightly_hotspots=12, nightly_pests=3),
    # ≈ 28,000 parcels, 5 years
    "medium": BenchScale(cell_km=1.0, vi_years=YEARS, max_plots=1_500, quadrat_parcels=800,
                         hotspots=10_000, pests_per_year=300, nightly_hotspots=25,
                         nightly_pests=5),
    # ≈ 200,000 parcels, 5 years × 23 composites, 6,000 plots, ≈ 10,000 quadrats a year
    "city": BenchScale(cell_km=0.375, vi_years=YEARS, max_plots=6_000, quadrat_parcels=2_900,
                       hotspots=50_000, pests_per_year=1_000, nightly_hotspots=40,
                       nightly_pests=5),
}

DOY = np.arange(1, 354, 16)  # the 23 MOD13Q1 composites of a year (first day)
VI_CHUNK_PARCELS = 40_000  # parcels per written chunk (≈ 0.9 M rows)


def _sample_spec(s: BenchScale) -> ScaleSpec:
    return replace(geography.SCALES["demo"], cell_km=s.cell_km, ndvi_years=s.vi_years,
                   max_plots=s.max_plots, quadrat_parcels=s.quadrat_parcels,
                   pests_per_year=s.pests_per_year)


class _CsvOut:
    """A CSV file written table by table (header once, no quoting, as the portals export)."""

    def __init__(self, path: Path, schema: pa.Schema):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.sink = path.open("wb")
        self.sink.write((",".join(schema.names) + "\n").encode())
        self.writer = pacsv.CSVWriter(self.sink, schema, write_options=pacsv.WriteOptions(
            include_header=False, quoting_style="none"))

    def write_table(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def close(self) -> None:
        self.writer.close()
        self.sink.close()


def _csv(path: Path, columns: dict[str, pa.Array], append_to: _CsvOut | None = None
         ) -> _CsvOut:
    table = pa.table(columns)
    append_to = append_to or _CsvOut(path, table.schema)
    append_to.write_table(table)
    return append_to


def _fmt4(x: np.ndarray) -> pa.Array:
    """Four-decimal text, vectorised (``0.4123``, ``-0.0500``)."""
    return pa.array(np.char.mod("%.4f", x.ravel()))


def write_vegetation_indices(land: Landscape, scale: BenchScale, seed: int, full: Path,
                             nightly: Path) -> tuple[int, int]:
    veg = land.select(lambda p: p.land_class in ("forest", "grassland", "wetland"))
    prng = np.random.default_rng([seed, 500])
    params = np.array([_vi_params(p, prng) for p in veg])
    north = np.array([p.county in ("150206", "150222", "150223") for p in veg])
    ids = np.array([p.parcel_id for p in veg], dtype=object)
    last = scale.vi_years[-1]
    n_full = n_nightly = 0
    nightly_writer = None
    for yr in scale.vi_years:
        doy = DOY[:-1] if yr == last else DOY  # the year's last composite arrives "tonight"
        dates = np.array([(date(yr, 1, 1) + timedelta(days=int(d) - 1)).isoformat() for d in DOY])
        writer = None
        for c0 in range(0, len(veg), VI_CHUNK_PARCELS):
            sl = slice(c0, c0 + VI_CHUNK_PARCELS)
            rng = np.random.default_rng([seed, 510, yr, c0])
            ndvi, evi, q = vi_composites(params[sl], north[sl], yr, DOY, rng)
            k = len(doy)
            n = len(ids[sl])
            writer = _csv(full / "vegetation_indices" / f"mod13q1_ndvi_parcels_{yr}.csv", {
                "parcel_id": pa.array(np.repeat(ids[sl], k).astype(str)),
                "date": pa.array(np.tile(dates[:k], n)),
                "ndvi": _fmt4(ndvi[:, :k]), "evi": _fmt4(evi[:, :k]),
                "quality": pa.array(q[:, :k].ravel().astype(np.int64)),
            }, writer)
            n_full += n * k
            if yr == last:
                nightly_writer = _csv(
                    nightly / "vegetation_indices" / f"mod13q1_ndvi_parcels_{dates[-1]}.csv", {
                        "parcel_id": pa.array(ids[sl].astype(str)),
                        "date": pa.array(np.repeat(dates[-1], n)),
                        "ndvi": _fmt4(ndvi[:, -1]), "evi": _fmt4(evi[:, -1]),
                        "quality": pa.array(q[:, -1].astype(np.int64)),
                    }, nightly_writer)
                n_nightly += n
        writer.close()
    nightly_writer.close()
    return n_full, n_nightly


def _points_in_city(land: Landscape, n: int, rng: np.random.Generator) -> np.ndarray:
    """n random lon/lat points inside the city (rejection sampling in the bounding box)."""
    minx, miny, maxx, maxy = land.city_wgs.bounds
    prepared = land.city_wgs
    shapely.prepare(prepared)
    out = np.empty((0, 2))
    while len(out) < n:
        xy = np.column_stack([rng.uniform(minx, maxx, 2 * n), rng.uniform(miny, maxy, 2 * n)])
        out = np.vstack([out, xy[shapely.contains_xy(prepared, xy[:, 0], xy[:, 1])]])
    return out[:n]


def _firms_columns(xy: np.ndarray, days: np.ndarray, rng: np.random.Generator) -> dict:
    n = len(xy)
    night = rng.random(n) < 0.3
    minute = np.where(night, rng.integers(18 * 60, 20 * 60, n), rng.integers(300, 390, n))
    ti4 = np.where(night, rng.uniform(295, 335, n), rng.uniform(302, 360, n))
    conf = np.where(night, "n", np.where(ti4 < 312, "l", np.where(ti4 >= 355, "h", "n")))
    scan = rng.uniform(0.32, 0.78, n)
    track = np.minimum(0.78, scan * rng.uniform(0.85, 1.15, n) + 0.03)
    ftype = np.where(rng.random(n) < 0.1, 2, 0)
    return {
        "latitude": _round_text(xy[:, 1], 5), "longitude": _round_text(xy[:, 0], 5),
        "bright_ti4": _round_text(ti4, 2), "scan": _round_text(scan, 2),
        "track": _round_text(track, 2), "acq_date": pa.array(days),
        "acq_time": pa.array(np.char.mod("%04d", (minute // 60) * 100 + minute % 60)),
        "satellite": pa.array(np.repeat("N", n)), "instrument": pa.array(np.repeat("VIIRS", n)),
        "confidence": pa.array(conf), "version": pa.array(np.repeat("2", n)),
        "bright_ti5": _round_text(np.where(night, rng.uniform(262, 282, n),
                                           rng.uniform(280, 305, n)), 2),
        "frp": _round_text(rng.uniform(0.6, 30.0, n), 2),
        "daynight": pa.array(np.where(night, "N", "D")), "type": pa.array(ftype.astype(np.int64)),
    }


def _round_text(x: np.ndarray, nd: int) -> pa.Array:
    return pa.array(np.char.mod(f"%.{nd}f", np.round(x, nd) + 0.0))


def write_fire_hotspots(land: Landscape, scale: BenchScale, seed: int, first: date,
                        last: date, full: Path, nightly: Path) -> None:
    rng = np.random.default_rng([seed, 700])
    span = (last - first).days
    xy = _points_in_city(land, scale.hotspots, rng)
    offs = np.sort(rng.integers(0, span, scale.hotspots))  # up to the day before `last`
    days = np.array([(first + timedelta(days=int(d))).isoformat() for d in range(span)])[offs]
    cols = _firms_columns(xy, days, rng)
    # one detection per (lat, lon, date, time): drop the rare repeats, keep the first
    key = np.char.add(np.char.add(np.asarray(cols["latitude"]).astype(str),
                                  np.asarray(cols["longitude"]).astype(str)),
                      np.char.add(days.astype(str), np.asarray(cols["acq_time"]).astype(str)))
    _, keep = np.unique(key, return_index=True)
    keep = np.sort(keep)
    cols = {k: v.take(pa.array(keep)) for k, v in cols.items()}
    _csv(full / "fire_hotspots" / f"fire_archive_SV-C2_baotou_{first.year}_{last.year}.csv",
         cols).close()
    xy = _points_in_city(land, scale.nightly_hotspots, rng)
    days = np.repeat(last.isoformat(), len(xy))
    _csv(nightly / "fire_hotspots" / f"fire_nrt_SV-C2_baotou_{last.isoformat()}.csv",
         _firms_columns(xy, days, rng)).close()


def write_nightly_pests(land: Landscape, scale: BenchScale, seed: int, day: date,
                        nightly: Path) -> None:
    rng = np.random.default_rng([seed, 900])
    rodent = land.select(lambda p: p.land_class == "grassland"
                         and p.grassland_type in ("typical_steppe", "desert_steppe"))
    out = nightly / "pest_reports" / f"pest_reports_{day.isoformat()}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(FAMILIES["pest_reports"].column_names)
        for k in range(scale.nightly_pests):
            p = rodent[int(rng.integers(len(rodent)))]
            burrows = float(rng.lognormal(np.log(160.0), 0.55))
            sev = "light" if burrows < 150 else "moderate" if burrows < 300 else "severe"
            w.writerow([f"PR-{day:%Y%m%d}-{k + 1:03d}", p.county, p.parcel_id, day.isoformat(),
                        "grassland_rodent_pika", "", _f(p.area_mu * rng.uniform(0.2, 0.9), 1),
                        sev, "", "", "", ""])


def generate(out: Path, scale: str = "city", seed: int = SEED) -> dict:
    """Write ``out/full/<family>/`` and ``out/nightly/<family>/``; returns counts and timings."""
    s = SCALES[scale]
    out = Path(out)
    full, nightly = out / "full", out / "nightly"
    t0 = time.perf_counter()
    name = f"bench-{scale}"
    geography.SCALES[name] = _sample_spec(s)
    land = build_landscape(name, seed)
    spec = geography.SCALES[name]
    t_land = time.perf_counter() - t0

    def rng(k: int) -> np.random.Generator:
        return np.random.default_rng([seed, 100 + k])

    d = {f: full / f for f in FAMILY_NAMES}
    events = _fire_events(land, spec, rng(6))
    _write_parcels(land, d["parcels"])
    _write_forest_plots(land, spec, rng(1), d["forest_plots"])
    _write_grassland_quadrats(land, spec, rng(2), d["grassland_quadrats"])
    _write_wetland_surveys(land, rng(3), d["wetland_surveys"])
    _write_demo_forests(rng(4), d["demo_forests"])
    _write_fire_reports(land, events, rng(8), d["fire_reports"])
    _write_pest_reports(land, spec, rng(9), d["pest_reports"])
    n_vi, n_vi_nightly = write_vegetation_indices(land, s, seed, full, nightly)
    last = date(s.vi_years[-1], 1, 1) + timedelta(days=int(DOY[-1]) - 1)
    write_fire_hotspots(land, s, seed, date(YEARS[0], 1, 1), last, full, nightly)
    write_nightly_pests(land, s, seed, last, nightly)
    info = {
        "scale": scale, "seed": seed, "parcels": len(land.parcels),
        "vegetation_index_rows": n_vi, "nightly_vegetation_index_rows": n_vi_nightly,
        "nightly_date": last.isoformat(),
        "landscape_s": round(t_land, 1), "generate_s": round(time.perf_counter() - t0, 1),
        "bytes": {k: sum(f.stat().st_size for f in (out / k).rglob("*") if f.is_file())
                  for k in ("full", "nightly")},
    }
    (out / "dataset.json").write_text(json.dumps(info, indent=2))
    return info


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--scale", choices=sorted(SCALES), default="city")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    print(json.dumps(generate(args.out, args.scale, args.seed), indent=2))


if __name__ == "__main__":
    main()
