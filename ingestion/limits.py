"""Limits that protect the ingest from hostile or broken uploads, read from the environment at the
start of each ingest (so a deployment tunes them in ``.env``, and a test with ``monkeypatch``).

=====================================  ===========  ===============================================
variable                               default      what it limits
=====================================  ===========  ===============================================
``SINKWATCH_MAX_EXPANDED_BYTES``       2147483648   bytes a zip may expand to (all members; 2 GiB)
``SINKWATCH_MAX_ZIP_RATIO``            200          expanded / compressed size, of the archive and
                                                    of each member (above 1 MiB expanded)
``SINKWATCH_MAX_ZIP_MEMBERS``          10000        members in one zip
``SINKWATCH_MAX_LINE_BYTES``           1048576      longest line of a CSV/TSV/TXT file (1 MiB)
``SINKWATCH_SETTLE_SECONDS``           10           a file without a ready marker is taken once it
                                                    has not changed for this long (0: at once)
``SINKWATCH_REQUIRE_READY``            0            1: take only files with a ready marker
``SINKWATCH_SHAPEFILE_WAIT_SECONDS``   86400        how long an incomplete shapefile set (no
                                                    .shp, .shx or .dbf yet) waits before it is
                                                    refused as ``incomplete_set``
=====================================  ===========  ===============================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass

#: the ratio limit applies only to what expands to more than this (a small, very compressible
#: member, e.g. an empty .cpg or a column of zeros, is harmless)
RATIO_FLOOR_BYTES = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_expanded_bytes: int = 2 << 30
    max_zip_ratio: float = 200.0
    max_zip_members: int = 10_000
    max_line_bytes: int = 1 << 20
    settle_seconds: float = 10.0
    require_ready: bool = False
    shapefile_wait_seconds: float = 86_400.0

    @classmethod
    def from_env(cls) -> Limits:
        d = cls()

        def num(name: str, default: float, kind=int):
            raw = os.environ.get(name, "").strip()
            if not raw:
                return default
            try:
                value = kind(raw)
            except ValueError:
                raise ValueError(f"{name}={raw!r} is not a number") from None
            if value < 0:
                raise ValueError(f"{name}={raw!r} must not be negative")
            return value

        return cls(
            max_expanded_bytes=num("SINKWATCH_MAX_EXPANDED_BYTES", d.max_expanded_bytes),
            max_zip_ratio=num("SINKWATCH_MAX_ZIP_RATIO", d.max_zip_ratio, float),
            max_zip_members=num("SINKWATCH_MAX_ZIP_MEMBERS", d.max_zip_members),
            max_line_bytes=num("SINKWATCH_MAX_LINE_BYTES", d.max_line_bytes),
            settle_seconds=num("SINKWATCH_SETTLE_SECONDS", d.settle_seconds, float),
            require_ready=os.environ.get("SINKWATCH_REQUIRE_READY", "").strip().lower()
            in ("1", "true", "yes"),
            shapefile_wait_seconds=num("SINKWATCH_SHAPEFILE_WAIT_SECONDS",
                                       d.shapefile_wait_seconds, float),
        )
