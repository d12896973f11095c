"""Remote-sensing family: MOD13Q1-style vegetation-index composites per parcel (the seasonal NDVI
model :func:`vi_composites`, also used by bench/generate.py at city scale)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

from sample_data.geography import ScaleSpec, _write_csv
from sample_data.landscape import Landscape, Parcel

VI_HEADER = ("parcel_id", "date", "ndvi", "evi", "quality")


def _vi_params(p: Parcel, rng: np.random.Generator) -> tuple[float, float, float, float]:
    """Winter base, peak NDVI, peak day of year and curve width (days) of a parcel."""
    if p.land_class == "forest":
        if p.forest_type == "shrub":
            peak = rng.uniform(0.40, 0.55)
        elif p.forest_type == "conifer":
            peak = rng.uniform(0.55, 0.72)
        else:
            peak = rng.uniform(0.62, 0.80)
        base = rng.uniform(0.12, 0.15) if p.forest_type == "conifer" else rng.uniform(0.07, 0.12)
        return base, peak, rng.uniform(195, 212), rng.uniform(52, 62)
    if p.land_class == "grassland":
        peak = {"desert_steppe": (0.15, 0.25), "typical_steppe": (0.30, 0.45),
                "meadow_steppe": (0.42, 0.55), "mountain_meadow": (0.42, 0.55)}[
            p.grassland_type or "typical_steppe"]
        return (rng.uniform(0.06, 0.10), rng.uniform(*peak), rng.uniform(205, 225),
                rng.uniform(38, 48))
    return (rng.uniform(0.06, 0.12), rng.uniform(0.35, 0.60), rng.uniform(200, 215),
            rng.uniform(45, 55))


VI_YEAR = {2021: 0.97, 2022: 1.00, 2023: 0.95, 2024: 1.02, 2025: 1.04}


def vi_composites(params: np.ndarray, north: np.ndarray, yr: int, doy: np.ndarray,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NDVI, EVI and pixel reliability for parcels x composites of one year: the sample-data
    model, also used by bench/generate.py at city scale."""
    n, m = len(params), len(doy)
    winter = (doy <= 49) | (doy >= 337)
    base, peak, pdoy, width = (params[:, k][:, None] for k in range(4))
    amp = (peak - base) * VI_YEAR[yr] * rng.normal(1.0, 0.03, (n, 1))
    ndvi = base + amp * np.exp(-(((doy[None, :] - pdoy) / width) ** 2))
    ndvi = ndvi + rng.normal(0.0, 0.012, (n, m))
    u_snow, u_q = rng.random((n, m)), rng.random((n, m))
    snow = winter[None, :] & (u_snow < np.where(north, 0.55, 0.35)[:, None])
    cloud = ~snow & (u_q < 0.05)
    marginal = ~snow & ~cloud & (u_q < 0.13)
    quality = np.zeros((n, m), dtype=np.int8)
    quality[marginal], quality[snow], quality[cloud] = 1, 2, 3
    ndvi = np.where(snow, rng.uniform(-0.08, 0.06, (n, m)), ndvi)
    ndvi = np.where(cloud, ndvi * rng.uniform(0.3, 0.8, (n, m)), ndvi)
    ndvi = np.where(marginal, ndvi + rng.normal(0.0, 0.03, (n, m)), ndvi)
    evi = ndvi * rng.uniform(0.52, 0.68, (n, m)) + rng.normal(0.0, 0.008, (n, m))
    ndvi = np.round(np.clip(ndvi, -0.2, 1.0), 4) + 0.0
    evi = np.round(np.clip(evi, -0.2, 1.0), 4) + 0.0
    return ndvi, evi, quality


#: Fraction of its usual NDVI that the collapsing grassland parcel keeps in the latest year, by
#: composite day of year (a summer drought on overgrazed steppe; the rest of the year as usual).
COLLAPSE = {145: 0.85, 161: 0.62, 177: 0.48, 193: 0.42, 209: 0.40, 225: 0.45, 241: 0.55,
            257: 0.68, 273: 0.80}


def _collapsing_grassland(veg: list[Parcel]) -> int | None:
    """The grassland parcel whose NDVI collapses in the latest year (monitoring/vegetation.py's
    ndvi_anomaly): the first typical-steppe parcel of Darhan Muminggan (达茂旗)."""
    return next((i for i, p in enumerate(veg) if p.land_class == "grassland"
                 and p.grassland_type == "typical_steppe" and p.county == "150223"), None)


def _collapse(ndvi: np.ndarray, evi: np.ndarray, quality: np.ndarray, i: int,
              doy: np.ndarray) -> None:
    """Scale row ``i`` by :data:`COLLAPSE` in place, as good-quality composites (no draws from
    the generator: every other value stays as it was)."""
    for j, d in enumerate(doy):
        if int(d) in COLLAPSE:
            ndvi[i, j] = np.round(ndvi[i, j] * COLLAPSE[int(d)], 4) + 0.0
            evi[i, j] = np.round(evi[i, j] * COLLAPSE[int(d)], 4) + 0.0
            quality[i, j] = 0


def _write_vegetation_indices(land: Landscape, spec: ScaleSpec, rng: np.random.Generator,
                              out: Path) -> list[Path]:
    veg = land.select(lambda p: p.land_class in ("forest", "grassland", "wetland"))
    params = np.array([_vi_params(p, rng) for p in veg])
    north = np.array([p.county in ("150206", "150222", "150223") for p in veg])
    doy = np.arange(1, 354, 16)
    n, m = len(veg), len(doy)
    ids = [p.parcel_id for p in veg]
    collapsing = _collapsing_grassland(veg)
    paths = []
    for yr in spec.ndvi_years:
        ndvi, evi, quality = vi_composites(params, north, yr, doy, rng)
        if yr == spec.ndvi_years[-1] and collapsing is not None:
            _collapse(ndvi, evi, quality, collapsing, doy)
        dates = [(date(yr, 1, 1) + timedelta(days=int(d) - 1)).isoformat() for d in doy]
        rows = [(ids[i], dates[j], f"{ndvi[i, j]:.4f}", f"{evi[i, j]:.4f}", str(quality[i, j]))
                for i in range(n) for j in range(m)]
        paths.append(_write_csv(out / f"mod13q1_ndvi_parcels_{yr}.csv", VI_HEADER, rows))
    return paths
