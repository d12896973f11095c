"""The parsed parcels layer of an upload, cached by the upload's sha256 (issue #17).

Parsing a city-sized GeoJSON takes GDAL several seconds (25-40 s on a loaded machine); the same
bytes landed again (a rerun after a failure, a re-upload that has to be read again) are never
parsed twice. What is cached is what the parser hands over (attributes with their types,
geometries, CRS, and the format name), as Parquet with a GeoArrow WKB geometry column
(GeoPandas ``to_arrow`` / ``from_arrow``) under ``$SINKWATCH_HOME/cache/parcels/``; everything
after it (reprojection, validity checks and repairs, areas, contract mapping, row checks) runs as
for a parse, so a hit gives the same accepted and quarantined rows with the same reasons.

The key is the upload's sha256 plus a tag over what could change the parse or the refusals
before it: this module's version, the GDAL, pyogrio, GeoPandas and pyarrow versions, and the
configured ingest limits (``ingestion.limits``: a hit never skips a check the current limits
would make). An entry is written under a temporary name and renamed, so a reader sees a whole
file or none; an entry that cannot be read (damaged) is removed and the upload is parsed. At
most :data:`KEEP` entries are kept (the newest).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import uuid
from pathlib import Path

log = logging.getLogger(__name__)

#: bump when what is stored changes
VERSION = "1"
#: entries kept (newest by modification time); a parcels upload is a few per year
KEEP = 6
_META = b"sinkwatch_parcels_cache"


def _tag() -> str:
    import geopandas
    import pyarrow
    import pyogrio

    from ingestion.limits import Limits

    parts = [VERSION, pyogrio.__gdal_version_string__, pyogrio.__version__,
             geopandas.__version__, pyarrow.__version__,
             json.dumps(dataclasses.asdict(Limits.from_env()), sort_keys=True)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def entry(cache_dir: Path | None, digest: str | None) -> Path | None:
    """The cache file of an upload (None when there is no cache or no digest)."""
    if cache_dir is None or not digest:
        return None
    return Path(cache_dir) / f"{digest}.{_tag()}.parquet"


def load(path: Path | None):
    """(GeoDataFrame, format) of a cache entry, or None (absent or damaged: removed)."""
    if path is None or not path.exists():
        return None
    import geopandas
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        meta = json.loads(table.schema.metadata[_META])
        gdf = geopandas.GeoDataFrame.from_arrow(table)  # geometry as geoarrow.wkb, CRS in it
    except Exception as exc:  # a damaged entry is never used
        log.warning("parcels cache %s unreadable (%s): removed, parsing the upload", path.name,
                    exc)
        path.unlink(missing_ok=True)
        return None
    log.info("parcels cache hit %s: the upload is not parsed again", path.name)
    return gdf, meta["format"]


def store(path: Path | None, gdf, fmt: str) -> None:
    """Write an entry (temporary name, then rename); a failure only costs the next parse."""
    if path is None:
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        table = pa.table(gdf.to_arrow(index=False))
        meta = dict(table.schema.metadata or {})
        meta[_META] = json.dumps({"format": fmt, "version": VERSION}).encode()
        pq.write_table(table.replace_schema_metadata(meta), tmp)
        os.replace(tmp, path)
    except Exception as exc:
        log.warning("parcels cache: %s not written (%s)", path.name, exc)
        return
    finally:
        tmp.unlink(missing_ok=True)
    _prune(path.parent)


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.parquet"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)
