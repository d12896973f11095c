"""Static dashboard site rendered from the published marts.

``build_site`` opens the published DuckDB file read-only, reads the marts the pages ask for
(lazily, through that one connection, closed when the render ends), and renders a
self-contained static site (HTML + Plotly + CSV + map geometry) that works from ``file://``
without network access.  Each build goes into its own directory
next to ``site_dir`` (``.site-<run_id>``); ``site_dir`` itself is a symlink that is swapped
atomically to the new build, so a reader never sees a half-written site and a failed build
never touches the live one.  The previous build is kept (for a quick manual roll-back); older
ones are deleted.

Pages (flat, so every relative link works from a file or any static server):

* ``index.html`` overview: 2025 indicators vs target with trend, city net sink, project area;
* ``alerts.html`` 警情: open alerts, fire-danger map, history (also refreshed on its own after
  every alerting run: :func:`refresh_alerts_page`);
* ``zones.html`` + ``zone-<id>.html``: zone map, table, one page per zone (KPIs, trend,
  losses); ``zone-<id>-parcels.html``: the zone's parcel map and register (its own group, so
  a change of the accounts does not render the parcel registers again);
* ``counties.html``: demonstration forest vs 500 mu per year, county shares, county map;
* ``disturbances.html``: fire hotspots and reports on the map, pests, losses;
* ``trading.html`` 碳汇交易: project reserve, credits by vintage, ledger balances, claims, map;
* ``health.html``: runs, gate results by suite, freshness, quarantine per file, GX Data Docs.

Marts that are not (yet) in the database render as a "not yet available" note.  Where the issue
asks for it, raw-layer Parquet under ``<home>/warehouse/raw`` is the fallback (fire hotspots,
fire and pest reports, parcel geometry); ``<home>`` is the directory above the database's
``warehouse/`` folder.

Incremental: each page module declares what it reads (``READS``); :func:`plan_build`
fingerprints those inputs first and only the page groups whose inputs changed since a build in
the render cache are read and rendered (:mod:`dashboards.incremental`); the others keep their
cached body inside a new shell (run id, times). The result is byte for byte a full render.

Run by hand: ``python -m dashboards.build --run-id manual__2025-06-01``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import plotly
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dashboards import incremental
from dashboards.core import BEIJING, NAV, Marts, Page, isnull
from dashboards.gx_results import gx_results as _gx_results
from dashboards.reading import (
    MAX_MART_ROWS,
    RAW_FALLBACKS,
    LazyFrames,
    LazyRaw,
    present_marts,
    read_frames,
    read_raw,
)

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = TEMPLATES_DIR / "assets"
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"

BUILD_PREFIX = ".site-"  # build directories: <site_dir.parent>/.site-<run_id>
#: The marts every page needs; a missing one is announced on every page.
MARTS = ("fct_target_progress", "fct_annual_sink", "dim_zones", "dim_counties", "meta_run")


# --------------------------------------------------------------------------------------------
# reading


def _home_for(db_path: Path) -> Path | None:
    """``<home>`` when the database sits at ``<home>/warehouse/<file>``, else None."""
    parent = db_path.resolve().parent
    return parent.parent if parent.name == "warehouse" else None


def _read_home(home: Path | None, frames: Mapping[str, pd.DataFrame], missing: list[str],
               raw: Mapping[str, pd.DataFrame] | None = None) -> Marts:
    """The marts plus what ``home`` holds: the raw-layer fallbacks (``raw``, default: every
    family read now), GX results and Data Docs."""
    gate_results: list[dict[str, Any]] = []
    data_docs = None
    if raw is None:
        raw = {}
        raw_dir = home / "warehouse" / "raw" if home is not None else None
        if raw_dir is not None and raw_dir.is_dir():
            mem = duckdb.connect()
            try:
                for family, wanted in RAW_FALLBACKS.items():
                    df = read_raw(mem, raw_dir, family, wanted)
                    if df is not None:
                        raw[family] = df
            finally:
                mem.close()
    if home is not None:
        gate_results = _gx_results(home / "gx")
        docs = home / "gx" / "data_docs"
        data_docs = docs if (docs / "index.html").is_file() else None
    return Marts(frames, missing, raw=raw, gate_results=gate_results, data_docs=data_docs,
                 home=home)


def _missing(frames: Mapping[str, pd.DataFrame], db_path: Path) -> list[str]:
    missing = [m for m in MARTS if m not in frames]
    for m in missing:
        log.warning("mart %s is missing from %s; rendering it as 'no data'", m, db_path)
    return missing


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
        frames = read_frames(con, present_marts(con))
    finally:
        con.close()
    return _read_home(home, frames, _missing(frames, db_path))


@dataclass
class Plan:
    """What a build renders: the marts (read lazily through ``con``), and per group its key,
    its inputs' fingerprints and the render-cache entry it reuses (groups not listed in
    ``hits`` are rendered). :meth:`close` the plan when the render is done."""

    marts: Marts
    keys: dict[str, str | None]
    inputs: dict[str, dict[str, str]]
    hits: dict[str, incremental.Entry]
    cache: incremental.RenderCache | None
    con: duckdb.DuckDBPyConnection | None = None
    loads: list[str] = field(default_factory=list)  # what was read, in order (LazyFrames)

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


def plan_build(db_path: Path, home: Path | None, cache: incremental.RenderCache | None,
               reuse: bool = True) -> Plan:
    """Fingerprint every group's inputs and look the groups up in ``cache`` (when ``reuse``).
    The marts and raw families of the groups to render (and the marts every page needs) are
    then there to read, lazily: a table is read when a page first asks for it, through the one
    read-only connection the plan keeps open (every read sees the same published file, which
    is only ever replaced by a rename) until :meth:`Plan.close`."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise FileNotFoundError(f"published DuckDB file not found: {db_path}")
    home = Path(home) if home else _home_for(db_path)
    raw_dir = home / "warehouse" / "raw" if home is not None else None
    declared = {g: group_reads(g) for g in GROUPS}
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        present = present_marts(con)
        all_reads = {n for reads, _ in declared.values() for n in reads} | set(MARTS)
        fps = incremental.mart_fingerprints(
            con, [n for n in all_reads if not n.startswith(incremental.RAW_PREFIX)], present,
            MAX_MART_ROWS)
        for n in all_reads:
            if n.startswith(incremental.RAW_PREFIX):
                fps[n] = incremental.raw_fingerprint(raw_dir, n[len(incremental.RAW_PREFIX):])
        missing = [m for m in MARTS if fps[m] == incremental.ABSENT]
        keys: dict[str, str | None] = {}
        inputs: dict[str, dict[str, str]] = {}
        hits: dict[str, incremental.Entry] = {}
        for g, (reads, always) in declared.items():
            inputs[g] = {n: fps[n] for n in sorted(set(reads))}
            keys[g] = None if always else incremental.group_key(g, inputs[g], missing)
            entry = cache.get(g, keys[g]) if (cache and reuse and keys[g]) else None
            if entry is not None:
                hits[g] = entry
        wanted = set(MARTS) | {n for g, (reads, _) in declared.items() if g not in hits
                               for n in reads}
        loads: list[str] = []
        frames = LazyFrames(con, sorted(
            n for n in wanted if n in present and not n.startswith(incremental.RAW_PREFIX)),
            loads)
        raw = LazyRaw(con, raw_dir, [n[len(incremental.RAW_PREFIX):] for n in wanted
                                     if n.startswith(incremental.RAW_PREFIX)], loads)
        marts = _read_home(home, frames, _missing(frames, db_path), raw)
    except BaseException:
        con.close()
        raise
    marts.fingerprints = fps
    if cache is not None:
        marts.geometry_store = incremental.GeometryStore(cache.root, reuse=reuse)
    return Plan(marts, keys, inputs, hits, cache, con, loads)


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


#: The page modules (dashboards/pages/<group>.py), in the order of the site's pages.
GROUPS = ("overview", "alerts", "zones", "zone_parcels", "counties", "disturbances", "trading",
          "health")


def group_reads(group: str) -> tuple[tuple[str, ...], bool]:
    """A page module's declared inputs (``READS``) and whether it renders on every build."""
    module = importlib.import_module(f"dashboards.pages.{group}")
    return tuple(module.READS), bool(getattr(module, "ALWAYS", False))


def group_pages(group: str, marts: Marts, now: dt.datetime) -> list[Page]:
    module = importlib.import_module(f"dashboards.pages.{group}")
    if group in ("zones", "zone_parcels"):
        return module.pages(marts)
    if group == "health":
        return [module.page(marts, now)]
    return [module.page(marts)]


def build_pages(marts: Marts, now: dt.datetime) -> list[Page]:
    return [p for g in GROUPS for p in group_pages(g, marts, now)]


def page_info(page: Page) -> incremental.PageInfo:
    return incremental.PageInfo(page.file_name, page.nav, page.title_zh, page.title_en,
                                page.marts())


def render(marts: Marts, out_dir: Path, run_id: str, now: dt.datetime | None = None,
           plan: Plan | None = None) -> dict[str, Any]:
    """Write the pages, assets/ and data/ into ``out_dir`` (which must exist and be empty).

    With a ``plan``, the groups it found in the render cache are not rendered: their bodies
    get a new shell and their CSVs are linked from the cache; the others are rendered and
    stored in the cache. Writes ``build-manifest.json`` and returns its content.
    """
    (out_dir / "assets").mkdir()
    (out_dir / "data").mkdir()
    shutil.copyfile(PLOTLY_JS, out_dir / "assets" / "plotly.min.js")
    for f in sorted(STATIC_DIR.iterdir()):
        if f.is_file():
            shutil.copyfile(f, out_dir / "assets" / f.name)
    if marts.data_docs is not None:
        # the GX Data Docs travel with the site so that the relative link works anywhere
        shutil.copytree(marts.data_docs, out_dir / "gx")

    now = now or dt.datetime.now(BEIJING)
    env = _env()
    meta = _meta(marts)
    csv_names: set[str] = set()

    def claim(name: str) -> None:
        if name in csv_names:
            raise ValueError(f"two tables write data/{name}")
        csv_names.add(name)

    groups: dict[str, Any] = {}
    for group in GROUPS:
        t0 = time.perf_counter()
        key = plan.keys.get(group) if plan else None
        entry = plan.hits.get(group) if plan else None
        undeclared: list[str] = []
        loaded_before = len(plan.loads) if plan else 0
        if entry is not None:
            for c in entry.csvs:
                claim(c)
                incremental.link_or_copy(entry.path / "data" / c, out_dir / "data" / c)
            pages = [(info, entry.body(info)) for info in entry.pages]
            csvs = entry.csvs
        else:
            view = replace(marts, accessed=set())
            built = group_pages(group, view, now)
            csvs = []
            for page in built:
                for t in page.tables():
                    claim(t.csv_name)
                    t.write_csv(out_dir / "data")
                    csvs.append(t.csv_name)
            pages = [(page_info(p), _body_html(env, p, marts.missing)) for p in built]
            undeclared = sorted((view.accessed or set()) - set(group_reads(group)[0]))
            if undeclared:
                log.error("dashboard page %s read undeclared inputs %s: add them to its "
                          "READS (not cached until then)", group, undeclared)
                key = None
            if key and plan and plan.cache:
                plan.cache.put(group, key, pages, out_dir / "data", csvs)
        for info, body in pages:
            (out_dir / info.file_name).write_text(
                _page_html(env, info, body, meta, run_id, now), encoding="utf-8")
        groups[group] = {
            "rendered": entry is None, "key": key,
            "inputs": plan.inputs.get(group, {}) if plan else {},
            "pages": [i.file_name for i, _ in pages], "csvs": csvs,
            "undeclared_reads": undeclared, "seconds": round(time.perf_counter() - t0, 3),
            # tables and raw families read from disk while rendering the group (lazily)
            "loaded": plan.loads[loaded_before:] if plan else [],
        }
    manifest = {"run_id": run_id, "generated_at": now.isoformat(),
                "code_version": incremental.code_version(), "groups": groups}
    (out_dir / incremental.MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    log.info("dashboard: rendered %s, reused %s",
             [g for g, v in groups.items() if v["rendered"]],
             [g for g, v in groups.items() if not v["rendered"]])
    return manifest


def _body_html(env: Environment, page: Page, missing: list[str]) -> str:
    return env.get_template("body.html").render(page=page, missing=missing)


def _page_html(env: Environment, info: incremental.PageInfo, body: str, meta: dict[str, Any],
               run_id: str, now: dt.datetime) -> str:
    return env.get_template("page.html").render(
        info=info,
        body=body,
        nav=NAV,
        run_id=run_id,
        meta=meta,
        generated_at=now.strftime("%Y-%m-%d %H:%M"),
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
    env = _env()
    html = _page_html(env, page_info(page), _body_html(env, page, marts.missing), meta, run_id,
                      dt.datetime.now(BEIJING))
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




def build_site(db_path: Path, site_dir: Path, run_id: str, home: Path | None = None, *,
               now: dt.datetime | None = None, incremental_render: bool = True) -> Path:
    """Render the dashboard from the published marts; return the real path of the new build.

    Nothing under ``site_dir`` changes until the new build is complete; then one atomic
    symlink swap makes it live. Page groups whose inputs did not change since a build still in
    the render cache (``<site_dir parent>/.dashboard-cache``) are not rendered again
    (``incremental_render=False`` renders everything, and refreshes the cache). ``now`` is the
    time the pages show (default: the clock).
    """
    site_dir = Path(os.path.abspath(site_dir))
    cache = incremental.RenderCache(site_dir.parent / incremental.CACHE_DIR_NAME)
    plan = plan_build(Path(db_path), home, cache, reuse=incremental_render)
    try:
        final = publish(site_dir, run_id, lambda out: render(plan.marts, out, run_id, now, plan))
    finally:
        plan.close()
    used = incremental.read_manifest(final).get("groups", {})
    cache.prune((g, v["key"]) for g, v in used.items() if v.get("key"))
    return final


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
    ap.add_argument("--full", action="store_true",
                    help="render every page, whatever the render cache holds")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    out = build_site(args.db, args.site, args.run_id, incremental_render=not args.full)
    print(json.dumps({"site": str(args.site), "build": str(out)}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
