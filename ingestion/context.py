"""Reference data one ingestion run checks rows against, loaded once per run and lazily: the
county boundaries, the latest raw parcels layer (ids and polygons), and the species code list."""

from __future__ import annotations

from functools import cached_property

import duckdb
import numpy as np
import pandas as pd

from ingestion import spatial
from ingestion.validate import Refs, load_species
from sinkwatch.config import BOUNDARIES_GEOJSON, Paths


class Context:
    def __init__(self, paths: Paths):
        self.paths = paths

    @cached_property
    def counties(self) -> tuple[list[str], list]:
        return spatial.load_counties(BOUNDARIES_GEOJSON)

    def _parcel_files(self) -> list[str]:
        return sorted(
            str(p)
            for p in (self.paths.raw / "parcels").glob("*.parquet")
            if p.name != "_empty.parquet"
        )

    @cached_property
    def parcels(self) -> tuple[list[str], list]:
        """Latest geometry per parcel id of the raw parcels layer (empty when none ingested)."""
        files = self._parcel_files()
        if not files:
            return [], []
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

    @cached_property
    def parcel_ids(self) -> list[str] | None:
        """Parcel ids of the raw parcels layer (None when none ingested), without the
        geometries: the row checks need the ids only."""
        if "parcels" in self.__dict__:
            return self.parcels[0]
        files = self._parcel_files()
        if not files:
            return None
        con = duckdb.connect()
        try:
            rows = con.execute(
                "select distinct parcel_id from read_parquet(?, union_by_name = true) "
                "order by parcel_id", [files]).fetchall()
        finally:
            con.close()
        return [r[0] for r in rows]

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
            parcel[ok] = spatial.assign_points(x[ok], y[ok], *self.parcels)
        return county, parcel
