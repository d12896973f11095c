"""Static dashboard site rendered from the published marts.

``build_site`` opens the published DuckDB file read-only, reads the marts into memory, closes
the connection, and renders a self-contained static site (HTML + Plotly + CSV) that works from
``file://`` without network access.  Each build goes into its own directory next to
``site_dir`` (``.site-<run_id>``); ``site_dir`` itself is a symlink that is swapped atomically
to the new build, so a reader never sees a half-written site.  The previous build is kept (for
a quick manual roll-back); older ones are deleted.

Run by hand: ``python -m dashboards.build --run-id manual__2025-06-01``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import plotly
import plotly.graph_objects as go
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = TEMPLATES_DIR / "assets"
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"

BUILD_PREFIX = ".site-"  # build directories: <site_dir.parent>/.site-<run_id>
MARTS = ("fct_target_progress", "fct_annual_sink", "dim_zones", "dim_counties", "meta_run")
BEIJING = dt.timezone(dt.timedelta(hours=8))

# Display order of the plan's city-level indicators (others follow alphabetically).
INDICATOR_ORDER = (
    "forest_coverage_pct",
    "forest_stock_m3",
    "grassland_cvc_pct",
    "wetland_protection_rate_pct",
    "sink_project_area_mu",
    "demo_forest_area_mu",
)
# Indicators the bureau reports in plain 亩 (per-county yearly quota of 500 mu), not 万亩.
PLAIN_MU_INDICATORS = {"demo_forest_area_mu"}

LAND_CLASSES: dict[str, tuple[str, str, str]] = {
    # land_class: (zh, en, colour)
    "forest": ("森林", "Forest", "#2e7d32"),
    "grassland": ("草原", "Grassland", "#b08d1a"),
    "wetland": ("湿地", "Wetland", "#1f6fb2"),
}
OUTSIDE_ZH, OUTSIDE_EN, OUTSIDE_COLOUR = "试验区外", "Outside zones", "#9aa3ad"
ON_TRACK_COLOUR, BEHIND_COLOUR, UNKNOWN_COLOUR = "#2e7d32", "#d9822b", "#9aa3ad"
FONT_STACK = (
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif'
)


# --------------------------------------------------------------------------------------------
# units and formatting


@dataclass(frozen=True)
class Unit:
    """How a raw mart unit is shown: ``shown = raw / factor``."""

    factor: float
    zh: str
    en: str
    decimals: int


T_CO2E = Unit(1.0, "t CO₂e", "t CO₂e", 0)
WAN_MU = Unit(10_000.0, "万亩", "10k mu", 2)


def display_unit(unit: str | None, indicator: str = "") -> Unit:
    """Units the bureau uses: 万亩 for areas, 万 m³ for stock, % as is."""
    u = (unit or "").strip().lower()
    if u in {"mu", "亩"}:
        if indicator in PLAIN_MU_INDICATORS:
            return Unit(1.0, "亩", "mu", 0)
        return WAN_MU
    if u in {"m3", "m³", "m^3", "cubic_metre", "cubic_meter"}:
        return Unit(10_000.0, "万 m³", "10k m³", 1)
    if u in {"%", "pct", "percent"}:
        return Unit(1.0, "%", "%", 2)
    if u in {"t co2e", "tco2e", "t_co2e", "t co₂e"}:
        return T_CO2E
    return Unit(1.0, unit or "", unit or "", 2)


def isnull(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(isinstance(x, float) and math.isnan(x))
    except TypeError:
        return False


def scaled(x: Any, unit: Unit) -> float | None:
    """Raw value converted to the display unit (None stays None)."""
    if isnull(x):
        return None
    return float(x) / unit.factor


def fmt_num(x: Any, decimals: int = 0) -> str:
    if isnull(x):
        return "—"
    return f"{float(x):,.{decimals}f}"


def as_bool(x: Any) -> bool | None:
    return None if isnull(x) else bool(x)


def as_int(x: Any) -> int | None:
    return None if isnull(x) else int(x)


def as_str(x: Any) -> str | None:
    return None if isnull(x) else str(x)


# --------------------------------------------------------------------------------------------
# tables (one definition drives both the HTML table and its CSV)


@dataclass(frozen=True)
class Col:
    key: str
    zh: str
    en: str
    kind: str = "text"  # text | bi | num | int | flag
    decimals: int = 0
    key_en: str | None = None  # kind == "bi": English text lives under this key
    dec_key: str | None = None  # kind == "num": per-row decimals (rows in different units)

    @property
    def numeric(self) -> bool:
        return self.kind in {"num", "int"}


@dataclass
class Table:
    key: str  # CSV file stem, also the HTML anchor
    title_zh: str
    title_en: str
    sources: list[str]
    cols: list[Col]
    records: list[dict[str, Any]]
    note_zh: str = ""
    note_en: str = ""

    @property
    def csv_name(self) -> str:
        return f"{self.key}.csv"

    @property
    def empty(self) -> bool:
        return not self.records

    def html_rows(self) -> list[list[dict[str, Any]]]:
        rows = []
        for rec in self.records:
            cells = []
            for c in self.cols:
                v = rec.get(c.key)
                cell: dict[str, Any] = {"kind": c.kind, "numeric": c.numeric, "flag": None}
                if c.kind == "bi":
                    cell["zh"] = "—" if isnull(v) else str(v)
                    en = rec.get(c.key_en) if c.key_en else None
                    cell["en"] = cell["zh"] if isnull(en) else str(en)
                elif c.kind == "flag":
                    cell["flag"] = as_bool(v)
                elif c.kind == "num":
                    d = rec.get(c.dec_key, c.decimals) if c.dec_key else c.decimals
                    cell["zh"] = cell["en"] = fmt_num(v, d)
                elif c.kind == "int":
                    cell["zh"] = cell["en"] = "—" if isnull(v) else f"{int(v):d}"
                else:
                    cell["zh"] = cell["en"] = "—" if isnull(v) else str(v)
                cells.append(cell)
            rows.append(cells)
        return rows

    def frame(self) -> pd.DataFrame:
        data: dict[str, list[Any]] = {}
        for c in self.cols:
            if c.kind == "bi":
                data[f"{c.zh}"] = [r.get(c.key) for r in self.records]
                data[f"{c.en}"] = [r.get(c.key_en) if c.key_en else None for r in self.records]
            elif c.kind == "flag":
                data[f"{c.zh} ({c.en})"] = [
                    {True: "是 yes", False: "否 no"}.get(as_bool(r.get(c.key)), "")  # type: ignore[arg-type]
                    for r in self.records
                ]
            elif c.kind == "num":
                data[f"{c.zh} ({c.en})"] = [
                    None if isnull(r.get(c.key)) else round(float(r[c.key]), max(c.decimals, 4))
                    for r in self.records
                ]
            elif c.kind == "int":
                data[f"{c.zh} ({c.en})"] = pd.array(
                    [as_int(r.get(c.key)) for r in self.records], dtype="Int64"
                )
            else:
                data[f"{c.zh} ({c.en})"] = [r.get(c.key) for r in self.records]
        return pd.DataFrame(data)

    def write_csv(self, data_dir: Path) -> Path:
        out = data_dir / self.csv_name
        # utf-8-sig writes the BOM so that Excel opens the Chinese headers correctly.
        self.frame().to_csv(out, index=False, encoding="utf-8-sig", lineterminator="\r\n")
        return out


# --------------------------------------------------------------------------------------------
# figures


@dataclass
class Figure:
    key: str
    title_zh: str
    title_en: str
    sources: list[str]
    fig_zh: go.Figure | None
    fig_en: go.Figure | None
    empty_zh: str = "暂无数据"
    empty_en: str = "No data"
    note_zh: str = ""
    note_en: str = ""

    @property
    def empty(self) -> bool:
        return self.fig_zh is None

    def spec(self, lang: str) -> str:
        fig = self.fig_zh if lang == "zh" else self.fig_en
        assert fig is not None
        return script_json(fig.to_json())


def script_json(text: str) -> str:
    """Make JSON text safe to sit inside a <script> element (still valid JSON)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def base_layout(height: int, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "plotly_white",
        "height": height,
        "margin": {"l": 10, "r": 30, "t": 30, "b": 40},
        "font": {"family": FONT_STACK, "size": 13, "color": "#1f2933"},
        "hoverlabel": {"font": {"family": FONT_STACK}},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
        "separators": ".,",
    }
    layout.update(extra)
    return layout


# --------------------------------------------------------------------------------------------
# reading the marts


@dataclass
class Marts:
    frames: dict[str, pd.DataFrame]
    missing: list[str] = field(default_factory=list)

    def get(self, name: str) -> pd.DataFrame:
        return self.frames.get(name, pd.DataFrame())


def read_marts(db_path: Path) -> Marts:
    """Read every mart into memory with a read-only connection that is always closed."""
    if not db_path.is_file():
        raise FileNotFoundError(f"published DuckDB file not found: {db_path}")
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        present = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        frames: dict[str, pd.DataFrame] = {}
        missing: list[str] = []
        for name in MARTS:
            if name not in present:
                log.warning("mart %s is missing from %s; rendering it as 'no data'", name, db_path)
                missing.append(name)
                continue
            frames[name] = con.execute(f'select * from main."{name}"').df()
    finally:
        con.close()
    return Marts(frames, missing)


# --------------------------------------------------------------------------------------------
# page content


def _indicator_sort_key(indicator: str) -> tuple[int, str]:
    try:
        return (INDICATOR_ORDER.index(indicator), indicator)
    except ValueError:
        return (len(INDICATOR_ORDER), indicator)


def latest_per(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The row with the latest ``year`` for each combination of ``keys``."""
    df = df[df["year"].notna()]
    if df.empty:
        return df
    return df.sort_values("year").groupby(keys, dropna=False, sort=False).tail(1)


def indicator_records(tp: pd.DataFrame) -> list[dict[str, Any]]:
    records = []
    for r in tp.to_dict("records"):
        unit = display_unit(r.get("unit"), r.get("indicator") or "")
        records.append(
            {
                "indicator": r.get("indicator"),
                "name_zh": as_str(r.get("indicator_name_zh")) or r.get("indicator"),
                "name_en": as_str(r.get("indicator_name_en")) or r.get("indicator"),
                "scope_id": as_str(r.get("scope_id")),
                "scope_name_zh": as_str(r.get("scope_name_zh")),
                "year": as_int(r.get("year")),
                "value": scaled(r.get("value"), unit),
                "baseline": scaled(r.get("baseline_value"), unit),
                "target": scaled(r.get("target_value"), unit),
                "target_year": as_int(r.get("target_year")),
                "unit": unit,
                "unit_zh": unit.zh,
                "unit_en": unit.en,
                "progress_pct": None if isnull(r.get("progress_pct")) else float(r["progress_pct"]),
                "on_track": as_bool(r.get("is_on_track")),
            }
        )
    return records


def city_indicator_table(tp: pd.DataFrame) -> tuple[Table, list[dict[str, Any]]]:
    city = tp[tp["scope"] == "city"] if not tp.empty else tp
    latest = latest_per(city, ["indicator"]) if not city.empty else city
    records = indicator_records(latest)
    records.sort(key=lambda r: _indicator_sort_key(r["indicator"] or ""))
    # Each row carries its own unit and hence its own number of decimals.
    for r in records:
        r["dec"] = r["unit"].decimals
        for k in ("value", "baseline", "target"):
            r[f"{k}_txt"] = fmt_num(r[k], r["dec"])
    table = Table(
        key="target_progress_city",
        title_zh="2025年规划指标完成情况（全市）",
        title_en="2025 plan indicators — city of Baotou",
        sources=["fct_target_progress"],
        cols=[
            Col("name_zh", "指标", "Indicator", "bi", key_en="name_en"),
            Col("year", "年份", "Year", "int"),
            Col("value", "当前值", "Value", "num", dec_key="dec"),
            Col("baseline", "2021年基期值", "2021 baseline", "num", dec_key="dec"),
            Col("target", "目标值", "Target", "num", dec_key="dec"),
            Col("unit_zh", "单位", "Unit", "bi", key_en="unit_en"),
            Col("target_year", "目标年", "Target year", "int"),
            Col("progress_pct", "完成进度 %", "Progress %", "num", 1),
            Col("on_track", "是否达到进度", "On track", "flag"),
        ],
        records=records,
        note_zh="完成进度 = (当前值 − 2021年基期值) ÷ (目标值 − 2021年基期值)，由数据集市计算。",
        note_en="Progress = (value − 2021 baseline) ÷ (target − 2021 baseline), as computed "
        "in the mart.",
    )
    return table, records


def county_indicator_table(tp: pd.DataFrame, counties: pd.DataFrame) -> Table:
    county = tp[tp["scope"] == "county"] if not tp.empty else tp
    latest = latest_per(county, ["indicator", "scope_id"]) if not county.empty else county
    records = indicator_records(latest)
    names_en = _county_names(counties, "county_name_en")
    names_zh = _county_names(counties, "county_name_zh")
    for r in records:
        sid = r["scope_id"]
        r["county_zh"] = r["scope_name_zh"] or names_zh.get(sid) or sid
        r["county_en"] = names_en.get(sid) or r["county_zh"]
        r["unit_txt_zh"], r["unit_txt_en"] = r["unit"].zh, r["unit"].en
    records.sort(key=lambda r: (_indicator_sort_key(r["indicator"] or ""), r["scope_id"] or ""))
    return Table(
        key="target_progress_county",
        title_zh="旗县区年度指标（最新年份）",
        title_en="County-level yearly indicators (latest year)",
        sources=["fct_target_progress", "dim_counties"],
        cols=[
            Col("name_zh", "指标", "Indicator", "bi", key_en="name_en"),
            Col("scope_id", "区划代码", "County code"),
            Col("county_zh", "旗县区", "County", "bi", key_en="county_en"),
            Col("year", "年份", "Year", "int"),
            Col("value", "当前值", "Value", "num", 0),
            Col("target", "目标值", "Target", "num", 0),
            Col("unit_txt_zh", "单位", "Unit", "bi", key_en="unit_txt_en"),
            Col("on_track", "是否达标", "On track", "flag"),
        ],
        records=records,
        note_zh="实施方案要求“十四五”期间各旗县区每年新建示范碳汇林不少于500亩。",
        note_en="The pilot-zone plan requires each banner/county/district to establish at least "
        "500 mu of demonstration carbon forest every year (2021–2025).",
    )


def _county_names(counties: pd.DataFrame, col: str) -> dict[str, str]:
    if counties.empty or col not in counties:
        return {}
    return {
        str(k): str(v)
        for k, v in zip(counties["county_code"], counties[col], strict=True)
        if not isnull(k) and not isnull(v)
    }


def _land(land_class: Any) -> tuple[str, str, str]:
    if isnull(land_class):
        return ("—", "—", UNKNOWN_COLOUR)
    return LAND_CLASSES.get(str(land_class), (str(land_class), str(land_class), UNKNOWN_COLOUR))


def zone_sink(sink: pd.DataFrame, zones: pd.DataFrame, counties: pd.DataFrame) -> tuple[
    int | None, list[dict[str, Any]]
]:
    """Net sink per zone for the latest year in fct_annual_sink (zone_id null = outside)."""
    if sink.empty or sink["year"].notna().sum() == 0:
        return None, []
    year = int(sink["year"].max())
    cur = sink[sink["year"] == year].copy()
    cur["zone_key"] = cur["zone_id"].where(cur["zone_id"].notna(), None)
    agg = (
        cur.groupby("zone_key", dropna=False)
        .agg(
            area_mu=("area_mu", lambda s: s.sum(min_count=1)),
            removals=("removals_co2e_t", lambda s: s.sum(min_count=1)),
            emissions=("emissions_co2e_t", lambda s: s.sum(min_count=1)),
            net=("net_sink_co2e_t", lambda s: s.sum(min_count=1)),
            n_parcels=("n_parcels", lambda s: s.sum(min_count=1)),
            land_class=("land_class", lambda s: s.dropna().iloc[0] if s.notna().any() else None),
        )
        .reset_index()
    )
    zinfo = {} if zones.empty else {str(r["zone_id"]): r for r in zones.to_dict("records")}
    cz = _county_names(counties, "county_name_zh")
    ce = _county_names(counties, "county_name_en")
    records = []
    for r in agg.to_dict("records"):
        zid = None if isnull(r["zone_key"]) else str(r["zone_key"])
        z = zinfo.get(zid, {}) if zid else {}
        land_class = as_str(z.get("land_class")) or as_str(r["land_class"])
        lzh, len_, colour = _land(land_class)
        ccode = as_str(z.get("county_code"))
        if zid is None:
            name_zh, name_en, colour = OUTSIDE_ZH, OUTSIDE_EN, OUTSIDE_COLOUR
            lzh, len_ = "—", "—"
        else:
            name_zh = as_str(z.get("zone_name_zh")) or zid
            name_en = as_str(z.get("zone_name_en")) or name_zh
        records.append(
            {
                "zone_id": zid or "—",
                "name_zh": name_zh,
                "name_en": name_en,
                "land_class": land_class,
                "land_zh": lzh,
                "land_en": len_,
                "colour": colour,
                "county_zh": (cz.get(ccode) or ccode) if ccode else "—",
                "county_en": (ce.get(ccode) or cz.get(ccode) or ccode) if ccode else "—",
                "planned_wan_mu": scaled(z.get("planned_area_mu"), WAN_MU) if z else None,
                "area_wan_mu": scaled(r["area_mu"], WAN_MU),
                "removals": None if isnull(r["removals"]) else float(r["removals"]),
                "emissions": None if isnull(r["emissions"]) else float(r["emissions"]),
                "net": None if isnull(r["net"]) else float(r["net"]),
                "n_parcels": as_int(r["n_parcels"]),
                "year": year,
            }
        )
    # zones first (largest sink first), the outside-zones row last
    records.sort(key=lambda r: (r["zone_id"] == "—", -(r["net"] or 0.0), r["zone_id"]))
    return year, records


def zone_table(year: int | None, records: list[dict[str, Any]]) -> Table:
    return Table(
        key="annual_sink_by_zone_latest",
        title_zh=f"各碳汇发展区年度净碳汇（{year}年）" if year else "各碳汇发展区年度净碳汇",
        title_en=f"Annual net sink by zone ({year})" if year else "Annual net sink by zone",
        sources=["fct_annual_sink", "dim_zones", "dim_counties"],
        cols=[
            Col("year", "年份", "Year", "int"),
            Col("zone_id", "发展区编号", "Zone ID"),
            Col("name_zh", "发展区", "Zone", "bi", key_en="name_en"),
            Col("land_zh", "类型", "Type", "bi", key_en="land_en"),
            Col("county_zh", "旗县区", "County", "bi", key_en="county_en"),
            Col("planned_wan_mu", "规划面积（万亩）", "Planned area (10k mu)", "num", 2),
            Col("area_wan_mu", "核算面积（万亩）", "Accounted area (10k mu)", "num", 2),
            Col("removals", "清除量（t CO₂e）", "Removals (t CO₂e)", "num", 0),
            Col("emissions", "排放量（t CO₂e）", "Emissions (t CO₂e)", "num", 0),
            Col("net", "净碳汇（t CO₂e）", "Net sink (t CO₂e)", "num", 0),
            Col("n_parcels", "地块数", "Parcels", "int"),
        ],
        records=records,
    )


def city_sink(sink: pd.DataFrame) -> tuple[list[str], list[dict[str, Any]]]:
    """City totals per year, plus net sink per land class (wide)."""
    if sink.empty or sink["year"].notna().sum() == 0:
        return [], []
    df = sink[sink["year"].notna()].copy()
    df["year"] = df["year"].astype(int)
    classes = sorted(
        {str(c) for c in df["land_class"].dropna().unique()},
        key=lambda c: (list(LAND_CLASSES).index(c) if c in LAND_CLASSES else 99, c),
    )
    records = []
    for year, g in df.groupby("year", sort=True):
        rec: dict[str, Any] = {
            "year": int(year),
            "area_wan_mu": scaled(g["area_mu"].sum(min_count=1), WAN_MU),
            "removals": g["removals_co2e_t"].sum(min_count=1),
            "emissions": g["emissions_co2e_t"].sum(min_count=1),
            "net": g["net_sink_co2e_t"].sum(min_count=1),
        }
        for c in classes:
            rec[f"net_{c}"] = g.loc[g["land_class"] == c, "net_sink_co2e_t"].sum(min_count=1)
        records.append({k: (None if isnull(v) else v) for k, v in rec.items()})
    return classes, records


def city_table(classes: list[str], records: list[dict[str, Any]]) -> Table:
    cols = [
        Col("year", "年份", "Year", "int"),
        Col("area_wan_mu", "核算面积（万亩）", "Accounted area (10k mu)", "num", 2),
        Col("removals", "清除量（t CO₂e）", "Removals (t CO₂e)", "num", 0),
        Col("emissions", "排放量（t CO₂e）", "Emissions (t CO₂e)", "num", 0),
    ]
    for c in classes:
        zh, en, _ = _land(c)
        cols.append(Col(f"net_{c}", f"{zh}净碳汇（t CO₂e）", f"{en} net sink (t CO₂e)", "num", 0))
    cols.append(Col("net", "全市净碳汇（t CO₂e）", "City net sink (t CO₂e)", "num", 0))
    return Table(
        key="annual_sink_city_by_year",
        title_zh="全市年度净碳汇",
        title_en="City net sink per year",
        sources=["fct_annual_sink"],
        cols=cols,
        records=records,
        note_zh="净碳汇 = 清除量 − 排放量；含试验区外地块。",
        note_en="Net sink = removals − emissions; includes parcels outside the zones.",
    )


# -- figures ----------------------------------------------------------------------------------


def progress_figure(records: list[dict[str, Any]]) -> Figure:
    rows = [r for r in records if r["progress_pct"] is not None or r["value"] is not None]
    sources = ["fct_target_progress"]
    title_zh, title_en = "2025年目标完成进度（2021年基期 = 0%，目标 = 100%）", (
        "Progress towards the 2025 targets (2021 baseline = 0%, target = 100%)"
    )
    if not any(r["progress_pct"] is not None for r in rows):
        return Figure("progress", title_zh, title_en, sources, None, None)

    def build(lang: str) -> go.Figure:
        zh = lang == "zh"
        fig = go.Figure()
        groups = [
            (True, "达到进度" if zh else "On track", ON_TRACK_COLOUR),
            (False, "滞后" if zh else "Behind", BEHIND_COLOUR),
            (None, "未评估" if zh else "Not assessed", UNKNOWN_COLOUR),
        ]
        for flag, label, colour in groups:
            sel = [r for r in rows if r["on_track"] is flag]
            if not sel:
                continue
            unit = [r["unit_zh"] if zh else r["unit_en"] for r in sel]
            text = []
            for r, u in zip(sel, unit, strict=True):
                t = f"{r['value_txt']} / {r['target_txt']} {u}"
                if r["progress_pct"] is None:
                    t += " · 无进度数据" if zh else " · no progress figure"
                text.append(t)
            fig.add_trace(
                go.Bar(
                    orientation="h",
                    name=label,
                    y=[r["name_zh"] if zh else r["name_en"] for r in sel],
                    # an indicator without a progress figure gets an empty bar, not a made-up one
                    x=[r["progress_pct"] or 0.0 for r in sel],
                    marker={"color": colour},
                    text=text,
                    textposition=[
                        "inside" if (r["progress_pct"] or 0.0) >= 60 else "outside" for r in sel
                    ],
                    insidetextanchor="end",
                    insidetextfont={"color": "#ffffff"},
                    outsidetextfont={"color": "#1f2933"},
                    cliponaxis=False,
                    customdata=[
                        [r["value_txt"], r["baseline_txt"], r["target_txt"], u, r["year"],
                         fmt_num(r["progress_pct"], 1)]
                        for r, u in zip(sel, unit, strict=True)
                    ],
                    hovertemplate=(
                        "%{y}<br>"
                        + ("%{customdata[4]}年: %{customdata[0]} %{customdata[3]}<br>"
                           "2021年基期: %{customdata[1]}<br>目标: %{customdata[2]}<br>"
                           "进度: %{customdata[5]}%" if zh else
                           "%{customdata[4]}: %{customdata[0]} %{customdata[3]}<br>"
                           "2021 baseline: %{customdata[1]}<br>Target: %{customdata[2]}<br>"
                           "Progress: %{customdata[5]}%")
                        + "<extra></extra>"
                    ),
                )
            )
        xs = [r["progress_pct"] for r in rows if r["progress_pct"] is not None]
        lo, hi = min(0.0, min(xs)), max(100.0, max(xs))
        fig.add_vline(
            x=100, line={"color": "#52606d", "dash": "dash", "width": 1.5},
            annotation_text="2025目标" if zh else "2025 target",
            annotation_position="top",
        )
        fig.update_layout(
            **base_layout(
                110 + 52 * len(rows),
                barmode="overlay",
                bargap=0.35,
                xaxis={"title": {"text": "完成进度 %" if zh else "Progress %"},
                       "range": [lo - 5, hi * 1.45], "ticksuffix": "%", "zeroline": True},
                yaxis={"autorange": "reversed", "automargin": True,
                       "categoryorder": "array",
                       "categoryarray": [r["name_zh"] if zh else r["name_en"] for r in rows]},
            )
        )
        return fig

    return Figure("progress", title_zh, title_en, sources, build("zh"), build("en"))


def county_indicator_figure(table: Table) -> Figure:
    rows = [r for r in table.records if r["value"] is not None]
    indicators = sorted({r["indicator"] for r in rows}, key=_indicator_sort_key)
    sources = ["fct_target_progress", "dim_counties"]
    if not rows:
        return Figure("county", table.title_zh, table.title_en, sources, None, None)
    first = indicators[0]
    rows = [r for r in rows if r["indicator"] == first]
    title_zh = f"{rows[0]['name_zh']}（各旗县区，最新年份）"
    title_en = f"{rows[0]['name_en']} by county (latest year)"

    def build(lang: str) -> go.Figure:
        zh = lang == "zh"
        names = [r["county_zh"] if zh else r["county_en"] for r in rows]
        unit = rows[0]["unit"].zh if zh else rows[0]["unit"].en
        colours = [
            {True: ON_TRACK_COLOUR, False: BEHIND_COLOUR}.get(r["on_track"], UNKNOWN_COLOUR)
            for r in rows
        ]
        fig = go.Figure(
            go.Bar(
                x=names, y=[r["value"] for r in rows], marker={"color": colours},
                name="当前值" if zh else "Value",
                customdata=[[r["year"]] for r in rows],
                hovertemplate="%{x} %{customdata[0]}: %{y:,.0f} " + unit + "<extra></extra>",
            )
        )
        if any(r["target"] is not None for r in rows):
            fig.add_trace(
                go.Scatter(
                    x=names, y=[r["target"] for r in rows], mode="markers",
                    name="目标" if zh else "Target",
                    marker={"symbol": "line-ew-open", "size": 34, "color": "#1f2933",
                            "line": {"width": 3}},
                    hovertemplate="%{x}: " + ("目标" if zh else "target")
                    + " %{y:,.0f} " + unit + "<extra></extra>",
                )
            )
        fig.update_layout(**base_layout(
            320, yaxis={"title": {"text": unit}, "rangemode": "tozero"},
            xaxis={"type": "category"}, showlegend=True,
        ))
        return fig

    return Figure(
        "county", title_zh, title_en, sources, build("zh"), build("en"),
        note_zh="绿色 = 达标，橙色 = 未达标；横线为目标值。",
        note_en="Green = on track, orange = behind; the dash marks the target.",
    )


def zone_figure(year: int | None, records: list[dict[str, Any]]) -> Figure:
    rows = [r for r in records if r["net"] is not None]
    sources = ["fct_annual_sink", "dim_zones"]
    title_zh = f"各碳汇发展区年度净碳汇（{year}年，t CO₂e）" if year else "各碳汇发展区年度净碳汇"
    title_en = f"Annual net sink by zone ({year}, t CO₂e)" if year else "Annual net sink by zone"
    if not rows:
        return Figure("zones", title_zh, title_en, sources, None, None)

    def build(lang: str) -> go.Figure:
        zh = lang == "zh"
        fig = go.Figure()
        order = [r["zone_id"] for r in rows]
        label = {
            r["zone_id"]: (f"{r['name_zh']}" if zh else f"{r['name_en']}")
            + ("" if r["zone_id"] == "—" else f" · {r['zone_id']}")
            for r in rows
        }
        groups: dict[str, list[dict[str, Any]]] = {}
        rank = {c: i for i, c in enumerate(LAND_CLASSES)}
        for r in sorted(rows, key=lambda r: (r["zone_id"] == "—",
                                             rank.get(r["land_class"] or "", 99))):
            groups.setdefault(r["land_zh"] if zh else r["land_en"], []).append(r)
        for name, sel in groups.items():
            outside = sel[0]["zone_id"] == "—"
            fig.add_trace(
                go.Bar(
                    orientation="h",
                    name=(OUTSIDE_ZH if zh else OUTSIDE_EN) if outside else name,
                    y=[label[r["zone_id"]] for r in sel],
                    x=[r["net"] for r in sel],
                    marker={"color": sel[0]["colour"]},
                    customdata=[[fmt_num(r["area_wan_mu"], 2)] for r in sel],
                    hovertemplate="%{y}<br>%{x:,.0f} t CO₂e<br>"
                    + ("核算面积 " if zh else "Area ")
                    + "%{customdata[0]} " + ("万亩" if zh else "10k mu") + "<extra></extra>",
                )
            )
        fig.update_layout(**base_layout(
            120 + 28 * len(rows),
            barmode="relative",
            xaxis={"title": {"text": "净碳汇 t CO₂e" if zh else "Net sink t CO₂e"},
                   "tickformat": ",.0f"},
            yaxis={"autorange": "reversed", "automargin": True, "categoryorder": "array",
                   "categoryarray": [label[z] for z in order]},
        ))
        return fig

    return Figure("zones", title_zh, title_en, sources, build("zh"), build("en"))


def city_figure(classes: list[str], records: list[dict[str, Any]]) -> Figure:
    sources = ["fct_annual_sink"]
    title_zh, title_en = "全市年度净碳汇（t CO₂e）", "City net sink per year (t CO₂e)"
    if not any(r["net"] is not None for r in records):
        return Figure("city", title_zh, title_en, sources, None, None)

    def build(lang: str) -> go.Figure:
        zh = lang == "zh"
        years = [str(r["year"]) for r in records]
        fig = go.Figure()
        for c in classes:
            czh, cen, colour = _land(c)
            fig.add_trace(go.Bar(
                x=years, y=[r.get(f"net_{c}") for r in records], name=czh if zh else cen,
                marker={"color": colour},
                hovertemplate="%{x}: %{y:,.0f} t CO₂e<extra>" + (czh if zh else cen)
                + "</extra>",
            ))
        fig.add_trace(go.Scatter(
            x=years, y=[r["net"] for r in records], name="全市合计" if zh else "City total",
            mode="lines+markers+text", line={"color": "#1f2933", "width": 2},
            text=[fmt_num(r["net"]) for r in records], textposition="top center",
            hovertemplate="%{x}: %{y:,.0f} t CO₂e<extra></extra>",
        ))
        fig.update_layout(**base_layout(
            400, barmode="relative",
            xaxis={"type": "category", "title": {"text": "年份" if zh else "Year"}},
            yaxis={"title": {"text": "t CO₂e"}, "tickformat": ",.0f"},
        ))
        return fig

    return Figure(
        "city", title_zh, title_en, sources, build("zh"), build("en"),
        note_zh="柱为各类型净碳汇（负值为净排放），折线为全市合计。",
        note_en="Bars: net sink by land type (negative = net emission); line: city total.",
    )


# --------------------------------------------------------------------------------------------
# rendering


def _meta(marts: Marts) -> dict[str, Any]:
    m = marts.get("meta_run")
    if m.empty:
        return {"data_run_id": None, "built_at": None, "data_as_of": None}
    r = m.iloc[0]

    def text(v: Any, fmt: str) -> str | None:
        if isnull(v):
            return None
        return v.strftime(fmt) if hasattr(v, "strftime") else str(v)

    return {
        "data_run_id": as_str(r.get("run_id")),
        "built_at": text(r.get("built_at"), "%Y-%m-%d %H:%M"),
        "data_as_of": text(r.get("data_as_of"), "%Y-%m-%d"),
    }


def _kpis(
    indicator_rows: list[dict[str, Any]],
    city_records: list[dict[str, Any]],
    zone_year: int | None,
    zone_records: list[dict[str, Any]],
    zones: pd.DataFrame,
) -> list[dict[str, Any]]:
    kpis = []
    latest = next((r for r in reversed(city_records) if r["net"] is not None), None)
    kpis.append({
        "label_zh": f"全市净碳汇（{latest['year']}年）" if latest else "全市净碳汇",
        "label_en": f"City net sink ({latest['year']})" if latest else "City net sink",
        "value": fmt_num(latest["net"]) if latest else "—",
        "unit": "t CO₂e",
        "source": "fct_annual_sink",
    })
    assessed = [r for r in indicator_rows if r["on_track"] is not None]
    kpis.append({
        "label_zh": "2025年指标达到进度",
        "label_en": "2025 indicators on track",
        "value": f"{sum(r['on_track'] for r in assessed)} / {len(assessed)}" if assessed else "—",
        "unit": "",
        "source": "fct_target_progress",
    })
    n_zones = 0 if zones.empty else int(zones["zone_id"].nunique())
    with_data = len([r for r in zone_records if r["zone_id"] != "—"])
    kpis.append({
        "label_zh": f"有核算数据的发展区（{zone_year}年）" if zone_year else "有核算数据的发展区",
        "label_en": f"Zones with accounts ({zone_year})" if zone_year else "Zones with accounts",
        "value": f"{with_data} / {n_zones}" if n_zones else (str(with_data) if zone_year else "—"),
        "unit": "",
        "source": "fct_annual_sink · dim_zones",
    })
    return kpis


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def render(marts: Marts, out_dir: Path, run_id: str) -> None:
    """Write index.html, assets/ and data/ into ``out_dir`` (which must exist and be empty)."""
    (out_dir / "assets").mkdir()
    (out_dir / "data").mkdir()
    shutil.copyfile(PLOTLY_JS, out_dir / "assets" / "plotly.min.js")
    for f in sorted(STATIC_DIR.iterdir()):
        if f.is_file():
            shutil.copyfile(f, out_dir / "assets" / f.name)

    tp = marts.get("fct_target_progress")
    sink = marts.get("fct_annual_sink")
    zones = marts.get("dim_zones")
    counties = marts.get("dim_counties")

    ind_table, ind_rows = city_indicator_table(tp)
    cty_table = county_indicator_table(tp, counties)
    zone_year, zone_rows = zone_sink(sink, zones, counties)
    z_table = zone_table(zone_year, zone_rows)
    classes, city_rows = city_sink(sink)
    c_table = city_table(classes, city_rows)

    sections = [
        {
            "id": "targets", "title_zh": "规划目标", "title_en": "Plan targets",
            "figures": [progress_figure(ind_rows)], "tables": [ind_table],
        },
        {
            "id": "demo-forest", "title_zh": "旗县区示范碳汇林", "title_en":
            "County demonstration carbon forest",
            "figures": [county_indicator_figure(cty_table)], "tables": [cty_table],
        },
        {
            "id": "zones", "title_zh": "碳汇发展区", "title_en": "Carbon-sink zones",
            "figures": [zone_figure(zone_year, zone_rows)], "tables": [z_table],
        },
        {
            "id": "city", "title_zh": "全市年度净碳汇", "title_en": "City net sink",
            "figures": [city_figure(classes, city_rows)], "tables": [c_table],
        },
    ]
    for s in sections:
        for t in s["tables"]:
            t.write_csv(out_dir / "data")

    now = dt.datetime.now(BEIJING)
    html = _env().get_template("index.html").render(
        run_id=run_id,
        meta=_meta(marts),
        generated_at=now.strftime("%Y-%m-%d %H:%M"),
        missing=marts.missing,
        kpis=_kpis(ind_rows, city_rows, zone_year, zone_rows, zones),
        sections=sections,
        marts_used=MARTS,
    )
    (out_dir / "index.html").write_text(html, encoding="utf-8")


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


def build_site(db_path: Path, site_dir: Path, run_id: str) -> Path:
    """Render the dashboard from the published marts; return the real path of the new build."""
    marts = read_marts(Path(db_path))  # the connection is closed before anything is rendered
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
