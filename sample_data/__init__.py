"""Deterministic, realistic-looking **synthetic** sample data for the Baotou carbon-sink pilot zone.

Nothing written here is official data. The files imitate what the platform's users upload (forestry
bureau surveys, NASA FIRMS downloads, MODIS NDVI extracts, pest and fire reports), with the column
contracts of :mod:`sinkwatch.contracts`, so that the whole pipeline can be built, tested and shown
without real survey data. Totals are tuned to published city-level figures (see
the project's carbon-accounting reference, §6); everything below the city level is made up.

Modules
-------
* :mod:`sample_data.geography` — projection, plan figures, counties, zones, land quotas, scales;
  formatting, CSV and geometry helpers; county boundaries and the dbt seeds.
* :mod:`sample_data.landscape` — the landscape model every family draws from: grid parcels, land
  classes, attributes, zones and sink projects (:func:`~sample_data.landscape.build_landscape`).
* :mod:`sample_data.surveys` — parcels (full layer 2021 and 2025, grassland management, wetland
  project statuses), forest plots (trees on their species' DBH-age curves), grassland quadrats,
  wetland surveys (with management status), demonstration forests.
* :mod:`sample_data.remote_sensing` — vegetation-index composites.
* :mod:`sample_data.disturbances` — fire events, FIRMS hotspots, fire reports, pest reports.
* :mod:`sample_data.projects` — the carbon-offset project reserve (after the fire reports).

Surveys and disturbances are drawn from simple, documented models (H–D curves, growth rates,
peak-season biomass ranges, seasonal NDVI curves, fire seasons, pest hosts) with one
``numpy.random.Generator`` per family seeded from ``(seed, family)``. The static industrial FIRMS
sources (Baogang, two thermal power plants, Bayan Obo) are placed at approximate coordinates.

Output is byte-identical for the same ``(scale, seed)``: fixed iteration orders, fixed float
formatting, no timestamps. Run ``python -m sample_data LANDING --scale demo``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sample_data.disturbances import (
    _fire_events,
    _write_fire_hotspots,
    _write_fire_replay,
    _write_fire_reports,
    _write_pest_reports,
)
from sample_data.geography import FAMILY_NAMES, SCALES
from sample_data.landscape import build_landscape
from sample_data.projects import write_projects
from sample_data.remote_sensing import _write_vegetation_indices
from sample_data.surveys import (
    _write_demo_forests,
    _write_forest_plots,
    _write_grassland_quadrats,
    _write_parcels,
    _write_wetland_surveys,
)
from sample_data.weather import write_weather


def generate(landing: Path, scale: str = "demo", seed: int = 20211008,
             pending: Path | None = None) -> dict[str, list[Path]]:
    """Write the synthetic Baotou sample dataset into ``landing/<family>/``.

    ``scale`` is ``"small"`` (≈200 parcels, NDVI 2024–2025; for end-to-end tests) or ``"demo"``
    (≈1,600 parcels, NDVI 2021–2025). Same ``(scale, seed)`` gives byte-identical files. Returns the
    written paths per family. With ``pending``, the demo's fire replay (FIRMS NRT files of a
    burning fire, one folder ``step_NN/<family>/`` per ingest run) is written there as well.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}, not {scale!r}")
    spec = SCALES[scale]
    landing = Path(landing)
    land = build_landscape(scale, seed)

    def rng(k: int) -> np.random.Generator:
        return np.random.default_rng([seed, 100 + k])

    d = {name: landing / name for name in FAMILY_NAMES}
    events = _fire_events(land, spec, rng(6))
    if pending is not None:
        _write_fire_replay(land, rng(14), Path(pending))
    return {
        "parcels": _write_parcels(land, d["parcels"], seed),
        "forest_plots": _write_forest_plots(land, spec, rng(1), d["forest_plots"]),
        "grassland_quadrats": _write_grassland_quadrats(land, spec, rng(2),
                                                        d["grassland_quadrats"]),
        "wetland_surveys": _write_wetland_surveys(land, rng(3), d["wetland_surveys"]),
        "demo_forests": _write_demo_forests(rng(4), d["demo_forests"]),
        "vegetation_indices": _write_vegetation_indices(land, spec, rng(5),
                                                        d["vegetation_indices"]),
        "fire_hotspots": _write_fire_hotspots(land, spec, events, rng(7), d["fire_hotspots"]),
        "fire_reports": _write_fire_reports(land, events, rng(8), d["fire_reports"]),
        "pest_reports": _write_pest_reports(land, spec, rng(9), d["pest_reports"]),
        "weather_daily": write_weather(d["weather_daily"], seed),
        "projects": write_projects(land, d["projects"], d["fire_reports"]),
    }
