"""Projects (issue #15 item 1): one file row per project, with its parcels named in one of three
ways, expanded by this reader into one raw row per project and parcel:

* a ``parcel_id`` column: the row names one parcel (one row per project-parcel, the project's
  columns repeated);
* a parcel list column (``小班列表`` / ``parcel_ids``): parcel ids separated by ``;`` (also
  ``；`` ``,`` ``，`` ``、`` or blanks);
* a boundary column (``项目边界`` / ``boundary_wkt``): a WGS84 polygon in WKT; the project's
  parcels are those whose representative point lies inside it (the parcels layer must be loaded).

A parcel belongs to one project at a time: a row that puts a parcel into a project while
another project holds it for an overlapping crediting period (in a raw file that is not
superseded, or earlier in the same file) is quarantined with ``parcel_in_two_projects``, naming
both projects. Rows of the same project never conflict (a re-upload supersedes the earlier file).
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from ingestion.headers import norm

LIST_HEADERS = ("小班列表", "小班号列表", "项目小班", "地块列表", "parcel_ids", "parcels",
                "parcel_list")
BOUNDARY_HEADERS = ("项目边界", "边界", "boundary_wkt", "boundary", "geometry_wkt", "wkt")
#: Header spellings of the reader's own input columns -> their (underscored) working names.
EXTRA_HEADERS = {**{norm(h): "_parcel_list" for h in LIST_HEADERS},
                 **{norm(h): "_boundary" for h in BOUNDARY_HEADERS}}
_SEPARATORS = re.compile(r"[;；,，、\s]+")
_OPEN_END = date(9999, 12, 31)


def _period(row: pd.Series) -> tuple[date, date]:
    """Crediting period [start, end) of a row; an unreadable date counts as open-ended."""
    start = pd.to_datetime(row.get("crediting_start") or row.get("start_date"), errors="coerce")
    years = pd.to_numeric(row.get("crediting_years"), errors="coerce")
    if pd.isna(start):
        return date.min, _OPEN_END
    begin = start.date()
    if pd.isna(years):
        return begin, _OPEN_END
    try:
        return begin, begin.replace(year=begin.year + int(years))
    except ValueError:  # 29 February
        return begin, begin.replace(year=begin.year + int(years), day=28)


def existing_assignments(paths) -> dict[str, list[tuple[str, date, date, str]]]:
    """parcel -> [(project, start, end, file)] of the raw projects files still in force (loaded
    and not superseded)."""
    import duckdb

    raw = sorted(p for p in (paths.raw / "projects").glob("*.parquet")
                 if p.name != "_empty.parquet")
    if not raw:
        return {}
    con = duckdb.connect()
    try:
        rows = con.execute(
            "select r.parcel_id, r.project_id, r.start_date, r.crediting_start, "
            "r.crediting_years, m.file_name "
            "from read_parquet(?, union_by_name = true) r "
            "join read_parquet(?, union_by_name = true) m on m.sha256 = r._source_sha256 "
            "where m.status = 'loaded' and m.superseded_by is null",
            [[str(p) for p in raw], str(paths.manifest / "projects" / "*.parquet")]).fetchall()
    except duckdb.Error:  # no manifest yet
        return {}
    finally:
        con.close()
    out: dict[str, list[tuple[str, date, date, str]]] = {}
    for parcel, project, start, cstart, years, file_name in rows:
        s, e = _period(pd.Series({"start_date": start, "crediting_start": cstart,
                                  "crediting_years": years}))
        out.setdefault(parcel, []).append((project, s, e, file_name))
    return out


def _boundary_parcels(wkt: str, ctx) -> tuple[list[str], str | None]:
    import shapely

    try:
        poly = shapely.from_wkt(wkt)
    except Exception:  # shapely raises GEOSException (and others) for bad WKT
        return [], "boundary|unparseable_boundary|cannot read the project boundary as WKT"
    if poly is None or poly.is_empty or poly.geom_type not in ("Polygon", "MultiPolygon"):
        return [], "boundary|unparseable_boundary|the project boundary is not a polygon"
    ids, geoms = ctx.parcels
    if not ids:
        return [], ("boundary|no_parcels_layer|a boundary needs the parcels layer; upload "
                    "parcels first or list the parcel ids")
    points = shapely.point_on_surface(geoms)
    inside = shapely.contains(poly, points)
    hits = [pid for pid, ok in zip(ids, inside, strict=True) if ok]
    if not hits:
        return [], "boundary|no_parcels_in_boundary|no parcel of the parcels layer lies inside"
    return hits, None


def expand(frame: pd.DataFrame, ctx) -> pd.DataFrame:
    """One row per project and parcel, with ``parcel_source`` and, for a parcel another project
    holds, an ``_issue``."""
    out_rows: list[dict] = []
    for _, row in frame.iterrows():
        base = {k: v for k, v in row.items() if k not in ("_parcel_list", "_boundary")}
        own = str(row.get("parcel_id") or "").strip()
        listed = str(row.get("_parcel_list") or "").strip()
        boundary = str(row.get("_boundary") or "").strip()
        if own:
            out_rows.append({**base, "parcel_source": "row"})
        elif listed:
            for pid in dict.fromkeys(p for p in _SEPARATORS.split(listed) if p):
                out_rows.append({**base, "parcel_id": pid, "parcel_source": "list"})
        elif boundary:
            hits, issue = _boundary_parcels(boundary, ctx)
            if issue:
                out_rows.append({**base, "parcel_id": "", "parcel_source": "boundary",
                                 "_issue": issue})
            for pid in hits:
                out_rows.append({**base, "parcel_id": pid, "parcel_source": "boundary"})
        else:
            out_rows.append({**base, "parcel_id": "", "parcel_source": ""})
    out = pd.DataFrame(out_rows, columns=list(dict.fromkeys(
        [c for c in frame.columns if c not in ("_parcel_list", "_boundary")]
        + ["parcel_id", "parcel_source", "_issue"])))
    for col in ("_issue", "parcel_source", "parcel_id"):  # plain text, also when all empty
        out[col] = pd.Series([v if isinstance(v, str) else "" for v in out[col]],
                             index=out.index, dtype=object)
    held = existing_assignments(ctx.paths)
    for i, row in out.iterrows():
        parcel, project = row["parcel_id"], str(row.get("project_id") or "").strip()
        if not parcel or not project or row["_issue"]:
            continue
        start, end = _period(row)
        for other, s, e, where in held.get(parcel, []):
            if other != project and s < end and start < e:
                out.at[i, "_issue"] = (
                    f"parcel_id|parcel_in_two_projects|parcel {parcel} is already in project "
                    f"{other} ({s:%Y-%m-%d} – {e:%Y-%m-%d}, {where}); it cannot also be in "
                    f"project {project} ({start:%Y-%m-%d} – {end:%Y-%m-%d}) at the same time")
                break
        else:
            held.setdefault(parcel, []).append((project, start, end, "earlier in this file"))
    return out
