"""Static dashboard site rendered from the published marts.

``build_site`` opens the published DuckDB file read-only, reads the marts into memory, closes
the connection, and renders a self-contained static site (HTML + Plotly + CSV + map geometry)
that works from ``file://`` without network access.  Each build goes into its own directory
next to ``site_dir`` (``.site-<run_id>``); ``site_dir`` itself is a symlink that is swapped
atomically to the new build, so a reader never sees a half-written site and a failed build
never touches the live one.  The previous build is kept (for a quick manual roll-back); older
ones are deleted.

Pages (flat, so every relative link works from a file or any static server):

* ``index.html`` overview: 2025 indicators vs target with trend, city net sink, project area;
* ``alerts.html`` 警情: open alerts, fire-danger map, history (also refreshed on its own after
  every alerting run: :func:`refresh_alerts_page`);
* ``zones.html`` + ``zone-<id>.html``: zone map, table, one page per zone;
* ``counties.html``: demonstration forest vs 500 mu per year, county shares, county map;
* ``disturbances.html``: fire hotspots and reports on the map, pests, losses;
* ``trading.html`` 碳汇交易: project reserve, credits by vintage, ledger balances, claims, map;
* ``health.html``: runs, gate results by suite, freshness, quarantine per file, GX Data Docs.

Marts that are not (yet) in the database render as a "not yet available" note.  Where the issue
asks for it, raw-layer Parquet under ``<home>/warehouse/raw`` is the fallback (fire hotspots,
fire and pest reports, parcel geometry); ``<home>`` is the directory above the database's
``warehouse/`` folder.

Run by hand: ``python -m dashboards.build --run-id manual__2025-06-01``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import plotly
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dashboards.core import BEIJING, NAV, Marts, Page, isnull

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = TEMPLATES_DIR / "assets"
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"

BUILD_PREFIX = ".site-"  # build directories: <site_dir.parent>/.site-<run_id>
#: The marts every page needs; a missing one is announced on every page.
MARTS = ("fct_target_progress", "fct_annual_sink", "dim_zones", "dim_counties", "meta_run")
#: Tables read when present (all marts: fct_*, dim_*, ops_*, meta_*).
MART_PREFIXES = ("fct_", "dim_", "ops_", "meta_")
MAX_MART_ROWS = 250_000  # a mart larger than this is not something a page plots
#: Raw-layer families used as fallbacks: family -> columns read.
RAW_FALLBACKS = {
    "parcels": ["parcel_id", "county_code", "zone_id", "land_class", "area_mu", "geometry_wkt"],
    "fire_hotspots": ["latitude", "longitude", "acq_date", "acq_time_utc", "satellite",
                      "instrument", "confidence_pct", "frp_mw", "county_code", "parcel_id"],
    "fire_reports": ["report_id", "county_code", "parcel_id", "start_date", "end_date", "lon",
                     "lat", "burned_area_ha", "vegetation_type", "cause"],
    "pest_reports": ["report_id", "county_code", "parcel_id", "report_date", "pest", "host",
                     "affected_area_mu", "severity", "dead_trees", "damaged_rate_pct"],
}
#: Rows of a raw family the pages use (when the column exists): parcel geometry only draws the
#: zones (outlines, a zone's parcels); 60 % of the city's raw parcel rows are outside any zone.
RAW_ROWS = {"parcels": ("zone_id", "zone_id is not null")}


# --------------------------------------------------------------------------------------------
# reading


def _home_for(db_path: Path) -> Path | None:
    """``<home>`` when the database sits at ``<home>/warehouse/<file>``, else None."""
    parent = db_path.resolve().parent
    return parent.parent if parent.name == "warehouse" else None


def _read_raw(con: duckdb.DuckDBPyConnection, raw_dir: Path, family: str,
              wanted: list[str]) -> pd.DataFrame | None:
    files = [f for f in sorted((raw_dir / family).glob("*.parquet")) if f.stat().st_size > 0]
    if not files:
        return None
    glob = str(raw_dir / family / "*.parquet").replace("'", "''")
    try:
        rel = con.sql(f"select * from read_parquet('{glob}', union_by_name = true)")
        cols = [c for c in wanted if c in rel.columns]
        if not cols:
            return None
        rel = rel.select(", ".join(f'"{c}"' for c in cols))
        if family in RAW_ROWS and RAW_ROWS[family][0] in cols:
            rel = rel.filter(RAW_ROWS[family][1])
        return rel.df()
    except duckdb.Error as e:
        log.warning("raw %s unreadable, skipped: %s", family, e)
        return None


def _gx_results(gx_dir: Path) -> list[dict[str, Any]]:
    """The latest validation result per suite from ``<home>/gx/validations`` (GX JSON files)."""
    out: list[dict[str, Any]] = []
    vdir = gx_dir / "validations"
    if not vdir.is_dir():
        return out
    for suite_dir in sorted(p for p in vdir.iterdir() if p.is_dir()):
        latest: tuple[str, Path] | None = None
        for f in suite_dir.rglob("*.json"):
            # <suite>/<run name>/<run time>/<batch>.json: the run time sorts chronologically
            key = f.parent.name
            if latest is None or key > latest[0]:
                latest = (key, f)
        if latest is None:
            continue
        try:
            doc = json.loads(latest[1].read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            log.warning("unreadable GX result %s: %s", latest[1], e)
            continue
        out.append(_gx_summary(suite_dir.name, latest[1], doc))
    return out


def _gx_summary(suite: str, path: Path, doc: dict[str, Any]) -> dict[str, Any]:
    stats = doc.get("statistics") or {}
    meta = doc.get("meta") or {}
    run = meta.get("run_id") or {}
    failures = []
    for r in doc.get("results") or []:
        if r.get("success", True):
            continue
        cfg = r.get("expectation_config") or {}
        kw = cfg.get("kwargs") or {}
        res = r.get("result") or {}
        cols = [kw[k] for k in ("column", "column_A", "column_B") if kw.get(k)]
        cols += list(kw.get("column_list") or [])
        failures.append({
            "type": cfg.get("type") or cfg.get("expectation_type") or "?",
            "columns": cols,
            "severity": (cfg.get("severity") or (cfg.get("meta") or {}).get("severity")
                         or "critical"),
            "unexpected_count": res.get("unexpected_count"),
            "element_count": res.get("element_count"),
            "observed": res.get("observed_value"),
            "sample": (res.get("partial_unexpected_list") or [])[:3],
        })
    return {
        "suite": suite,
        "stage": suite.split("__", 1)[0] if "__" in suite else "",
        "run_name": run.get("run_name"),
        "validated_at": meta.get("validation_time") or run.get("run_time"),
        "evaluated": stats.get("evaluated_expectations"),
        "successful": stats.get("successful_expectations"),
        "failed": stats.get("unsuccessful_expectations"),
        "success": doc.get("success"),
        "failures": failures,
        "path": str(path),
    }


def read_marts(db_path: Path, home: Path | None = None) -> Marts:
    """Read every mart into memory with a read-only connection that is always closed.

    ``home`` (default: derived from ``db_path``) locates the raw-layer fallbacks and the GX
    results; without it those parts of the site say "not yet available".
    """
    db_path = Path(db_path)
    if not db_path.is_file():
        raise FileNotFoundError(f"published DuckDB file not found: {db_path}")
    home = Path(home) if home else _home_for(db_path)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        present = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        frames: dict[str, pd.DataFrame] = {}
        for name in sorted(present):
            if not name.startswith(MART_PREFIXES):
                continue
            n = con.execute(f'select count(*) from main."{name}"').fetchone()
            if n and n[0] > MAX_MART_ROWS:
                log.warning("mart %s has %s rows; not read by the dashboard", name, n[0])
                continue
            # in a fixed order: a mart built by parallel aggregation has no stable row order,
            # and the pages list rows in the order read (ties of a page's own sort included)
            frames[name] = con.execute(f'select * from main."{name}" order by all').df()
        missing = [m for m in MARTS if m not in frames]
        for m in missing:
            log.warning("mart %s is missing from %s; rendering it as 'no data'", m, db_path)
    finally:
        con.close()

    raw: dict[str, pd.DataFrame] = {}
    gate_results: list[dict[str, Any]] = []
    data_docs = None
    if home is not None:
        raw_dir = home / "warehouse" / "raw"
        if raw_dir.is_dir():
            mem = duckdb.connect()
            try:
                for family, cols in RAW_FALLBACKS.items():
                    df = _read_raw(mem, raw_dir, family, cols)
                    if df is not None:
                        raw[family] = df
            finally:
                mem.close()
        gate_results = _gx_results(home / "gx")
        docs = home / "gx" / "data_docs"
        data_docs = docs if (docs / "index.html").is_file() else None
    return Marts(frames, missing, raw=raw, gate_results=gate_results, data_docs=data_docs,
                 home=home)


# --------------------------------------------------------------------------------------------
# rendering


def _meta(marts: Marts) -> dict[str, Any]:
    m = marts.get("meta_run")
    if m.empty:
        return {"data_run_id": None, "built_at": None, "data_as_of": None, "gwp": None}
    r = m.iloc[0]

    def text(v: Any, fmt: str) -> str | None:
        if isnull(v):
            return None
        return v.strftime(fmt) if hasattr(v, "strftime") else str(v)

    return {
        "data_run_id": None if isnull(r.get("run_id")) else str(r.get("run_id")),
        "built_at": text(r.get("built_at"), "%Y-%m-%d %H:%M"),
        "data_as_of": text(r.get("data_as_of"), "%Y-%m-%d"),
        "gwp": None if isnull(r.get("gwp_vintage")) else str(r.get("gwp_vintage")),
    }


def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def build_pages(marts: Marts, now: dt.datetime) -> list[Page]:
    from dashboards.pages import (
        alerts,
        counties,
        disturbances,
        health,
        overview,
        trading,
        zones,
    )

    pages = [overview.page(marts), alerts.page(marts)]
    pages += zones.pages(marts)
    pages.append(counties.page(marts))
    pages.append(disturbances.page(marts))
    pages.append(trading.page(marts))
    pages.append(health.page(marts, now))
    return pages


def render(marts: Marts, out_dir: Path, run_id: str) -> None:
    """Write the pages, assets/ and data/ into ``out_dir`` (which must exist and be empty)."""
    (out_dir / "assets").mkdir()
    (out_dir / "data").mkdir()
    shutil.copyfile(PLOTLY_JS, out_dir / "assets" / "plotly.min.js")
    for f in sorted(STATIC_DIR.iterdir()):
        if f.is_file():
            shutil.copyfile(f, out_dir / "assets" / f.name)
    if marts.data_docs is not None:
        # the GX Data Docs travel with the site so that the relative link works anywhere
        shutil.copytree(marts.data_docs, out_dir / "gx")

    now = dt.datetime.now(BEIJING)
    pages = build_pages(marts, now)
    csv_names: set[str] = set()
    for page in pages:
        for t in page.tables():
            if t.csv_name in csv_names:
                raise ValueError(f"two tables write data/{t.csv_name}")
            csv_names.add(t.csv_name)
            t.write_csv(out_dir / "data")

    env = _env()
    meta = _meta(marts)
    for page in pages:
        (out_dir / page.file_name).write_text(_page_html(env, page, marts, meta, run_id, now),
                                              encoding="utf-8")


def _page_html(env: Environment, page: Page, marts: Marts, meta: dict[str, Any], run_id: str,
               now: dt.datetime) -> str:
    return env.get_template("page.html").render(
        page=page,
        nav=NAV,
        run_id=run_id,
        meta=meta,
        generated_at=now.strftime("%Y-%m-%d %H:%M"),
        missing=marts.missing,
    )


def refresh_alerts_page(site_dir: Path, frames: dict[str, pd.DataFrame], run_id: str
                        ) -> Path | None:
    """Render the alerts page (警情) again inside the published site, from ``frames`` (the
    alert store's snapshot as ``fct_alerts``, the ratings as ``fct_fire_danger_daily``), without
    touching the other pages: its CSVs and then its HTML are each written to a temporary name
    and renamed. The page says which run refreshed it. Returns the page, or None when no site
    has been published yet (the nightly run renders it with the rest)."""
    from dashboards.pages import alerts

    target = _current_target(Path(site_dir))
    if target is None:
        return None
    marts = Marts(frames)
    page = alerts.page(marts)
    for t in page.tables():
        tmp_dir = Path(tempfile.mkdtemp(dir=target / "data", prefix=".refresh-"))
        try:
            written = t.write_csv(tmp_dir)
            os.replace(written, target / "data" / written.name)
        finally:
            shutil.rmtree(tmp_dir, ignore_errors=True)
    meta = {"data_run_id": run_id, "built_at": None, "data_as_of": None, "gwp": None}
    html = _page_html(_env(), page, marts, meta, run_id, dt.datetime.now(BEIJING))
    tmp = target / f".{page.file_name}.tmp"
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target / page.file_name)
    return target / page.file_name


# --------------------------------------------------------------------------------------------
# atomic publication


def _safe_name(run_id: str) -> str:
    if not run_id or not run_id.strip():
        raise ValueError("run_id must not be empty")
    safe = re.sub(r"[^A-Za-z0-9._+-]+", "_", run_id.strip())
    return safe.strip(".") or "run"


def _current_target(site_dir: Path) -> Path | None:
    if not site_dir.is_symlink():
        return None
    target = site_dir.parent / os.readlink(site_dir)
    return target.resolve() if target.exists() else None


def _remove_old_builds(parent: Path, keep: Iterable[Path]) -> None:
    keep_set = {p.resolve() for p in keep}
    for p in sorted(parent.glob(f"{BUILD_PREFIX}*")):
        if p.is_symlink() or not p.is_dir() or p.resolve() in keep_set:
            continue
        log.info("removing old site build %s", p)
        shutil.rmtree(p, ignore_errors=True)


def publish(site_dir: Path, run_id: str, render_into: Callable[[Path], None]) -> Path:
    """Render into a fresh build directory and point the ``site_dir`` symlink at it.

    The symlink is relative (``.site-<run_id>``) so the tree can be moved or mounted elsewhere.
    Keeps the new and the previous build; removes older builds and abandoned partial renders.
    """
    site_dir = Path(os.path.abspath(site_dir))
    parent = site_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    name = _safe_name(run_id)

    staging = Path(tempfile.mkdtemp(prefix=f"{BUILD_PREFIX}{name}.partial-", dir=parent))
    try:
        os.chmod(staging, 0o755)
        render_into(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

    if site_dir.exists() and not site_dir.is_symlink() and not site_dir.is_dir():
        shutil.rmtree(staging, ignore_errors=True)
        raise FileExistsError(f"{site_dir} exists and is neither a directory nor a symlink")

    previous = _current_target(site_dir)
    final = parent / f"{BUILD_PREFIX}{name}"
    if final.exists() or final.is_symlink():
        if previous is not None and final.resolve() == previous:
            # Re-run of the run that is live right now: never touch the live directory.
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            final = parent / f"{BUILD_PREFIX}{name}.{stamp}"
        else:
            # Leftover of an earlier attempt of this run that never went live.
            if final.is_dir() and not final.is_symlink():
                shutil.rmtree(final)
            else:
                final.unlink()
    os.rename(staging, final)

    if site_dir.is_dir() and not site_dir.is_symlink():
        # First run after a plain directory was used: move it aside; it becomes "previous".
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        legacy = parent / f"{BUILD_PREFIX}legacy-{stamp}"
        os.rename(site_dir, legacy)
        previous = legacy.resolve()

    tmp_link = parent / f".site.swap-{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(final.name, tmp_link)
    os.replace(tmp_link, site_dir)  # atomic: readers see the old or the new build, never neither
    log.info("site %s -> %s", site_dir, final.name)

    _remove_old_builds(parent, [final] + ([previous] if previous else []))
    return final.resolve()




def build_site(db_path: Path, site_dir: Path, run_id: str, home: Path | None = None) -> Path:
    """Render the dashboard from the published marts; return the real path of the new build.

    Nothing under ``site_dir`` changes until the new build is complete; then one atomic
    symlink swap makes it live.
    """
    marts = read_marts(Path(db_path), home)  # the connection is closed before rendering
    return publish(Path(site_dir), run_id, lambda out: render(marts, out, run_id))


def main(argv: Sequence[str] | None = None) -> int:
    from sinkwatch.config import paths

    p = paths()
    ap = argparse.ArgumentParser(description="Render the sinkwatch dashboard site.")
    ap.add_argument("--db", type=Path, default=p.published, help="published DuckDB file")
    ap.add_argument("--site", type=Path, default=p.site, help="site symlink to (re)point")
    ap.add_argument(
        "--run-id",
        default="manual__" + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    out = build_site(args.db, args.site, args.run_id)
    print(json.dumps({"site": str(args.site), "build": str(out)}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
