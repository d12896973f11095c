"""Content shared by several pages: indicator records, sink aggregates, geometry sources."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from pandas.core.dtypes.cast import maybe_box_native

from dashboards import geo
from dashboards.core import (
    LAND_CLASSES,
    OUTSIDE_COLOUR,
    OUTSIDE_EN,
    OUTSIDE_ZH,
    WAN_MU,
    Col,
    Marts,
    Table,
    _county_names,
    _indicator_sort_key,
    _land,
    as_bool,
    as_int,
    as_str,
    display_unit,
    fmt_num,
    isnull,
    latest_per,
    scaled,
)
from dashboards.figures import Fig, Figure, base_layout
from sinkwatch.config import BOUNDARIES_GEOJSON


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
                "sample_baseline": scaled(r.get("sample_baseline_value"), unit),
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
        for k in ("value", "baseline", "sample_baseline", "target"):
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
            Col("sample_baseline", "样本2021年值", "Sample 2021 value", "num", dec_key="dec"),
            Col("target", "目标值", "Target", "num", dec_key="dec"),
            Col("unit_zh", "单位", "Unit", "bi", key_en="unit_en"),
            Col("target_year", "目标年", "Target year", "int"),
            Col("progress_pct", "完成进度 %", "Progress %", "num", 1),
            Col("on_track", "是否达到进度", "On track", "flag"),
        ],
        records=records,
        note_zh="完成进度 = (当前值 − 起点) ÷ (目标值 − 2021年基期值)；"
        "起点为样本2021年值（有则用），否则为2021年基期值，由数据集市计算。",
        note_en="Progress = (value − start) ÷ (target − 2021 baseline); start is the sample's own "
        "2021 value where there is one, else the 2021 baseline, as computed in the mart.",
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
        band = sink_band(df)
        if band:
            rec["net_low"] = g[band[0]].sum(min_count=1)
            rec["net_high"] = g[band[1]].sum(min_count=1)
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


def zone_figure(year: int | None, records: list[dict[str, Any]]) -> Figure:
    rows = [r for r in records if r["net"] is not None]
    sources = ["fct_annual_sink", "dim_zones"]
    title_zh = f"各碳汇发展区年度净碳汇（{year}年，t CO₂e）" if year else "各碳汇发展区年度净碳汇"
    title_en = f"Annual net sink by zone ({year}, t CO₂e)" if year else "Annual net sink by zone"
    if not rows:
        return Figure("zones", title_zh, title_en, sources, None, None)

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        fig = Fig()
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
    has_band = any(r.get("net_low") is not None for r in records)

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        years = [str(r["year"]) for r in records]
        fig = Fig()
        for c in classes:
            czh, cen, colour = _land(c)
            fig.add_trace(go.Bar(
                x=years, y=[r.get(f"net_{c}") for r in records], name=czh if zh else cen,
                marker={"color": colour},
                hovertemplate="%{x}: %{y:,.0f} t CO₂e<extra>" + (czh if zh else cen)
                + "</extra>",
            ))
        if has_band:
            fig.add_trace(go.Scatter(
                x=years + years[::-1],
                y=[r.get("net_high") for r in records] + [r.get("net_low") for r in records][::-1],
                fill="toself", fillcolor="rgba(31,41,51,0.12)", line={"width": 0},
                name="不确定性区间" if zh else "Uncertainty band", hoverinfo="skip",
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
        note_zh="柱为各类型净碳汇（负值为净排放），折线为全市合计。" + (
            "阴影为数据集市给出的不确定性区间。" if has_band else
            "不确定性区间：fct_annual_sink 尚未提供区间字段（暂未显示）。"),
        note_en="Bars: net sink by land type (negative = net emission); line: city total. " + (
            "Shaded: the mart's uncertainty interval." if has_band else
            "Uncertainty band: not yet available (fct_annual_sink has no interval columns)."),
    )



# --------------------------------------------------------------------------------------------
# uncertainty, geometry, names


def sink_band(sink: pd.DataFrame) -> tuple[str, str] | None:
    """(low, high) column names of a net-sink uncertainty interval, if the mart has one."""
    for lo, hi in (("net_sink_ci95_low_co2e_t", "net_sink_ci95_high_co2e_t"),
                   ("net_sink_low_co2e_t", "net_sink_high_co2e_t"),
                   ("net_sink_co2e_t_low", "net_sink_co2e_t_high"),
                   ("net_sink_ci_low_co2e_t", "net_sink_ci_high_co2e_t")):
        if lo in sink.columns and hi in sink.columns:
            return lo, hi
    return None


@cache
def counties_geo() -> dict[str, geo.Shape]:
    return geo.county_shapes(BOUNDARIES_GEOJSON)


RAW_PARCELS = "raw/parcels/*.parquet"


def parcels_source_name(marts: Marts) -> str | None:
    """Where the parcel geometry comes from, decided without reading a parcel: the dim_parcels
    mart when it has rows and a ``geometry_wkt`` column, else the raw parcels Parquet."""
    shape = marts.shape("dim_parcels")
    if shape is not None and shape[0] > 0 and "geometry_wkt" in shape[1]:
        return "dim_parcels"
    return RAW_PARCELS if marts.has_raw("parcels") else None


def parcels_source(marts: Marts) -> tuple[str | None, pd.DataFrame]:
    """Parcels with ``geometry_wkt``: the dim_parcels mart if it has geometry, else raw Parquet."""
    src = parcels_source_name(marts)
    if src == "dim_parcels":
        return src, marts.get("dim_parcels")
    raw = marts.raw_frame("parcels") if src else None
    if raw is not None and not raw.empty:
        return RAW_PARCELS, raw
    return None, pd.DataFrame()


def parcel_geometry(marts: Marts) -> geo.ParcelGeometry | None:
    """The parcel polygons of ``parcels_source``, parsed once per build (``Marts.cache``): the
    zones map and the 22 zone parcel pages all draw from the same parsed geometry. With a
    geometry store (``Marts.geometry_store``), the parsed and simplified shapes are kept between
    builds, keyed by the parcels' content fingerprint: unchanged parcels are never parsed (nor
    read: the source is decided from the catalogue, the frame read only on a store miss)."""
    if "parcel_geometry" not in marts.cache:
        src = parcels_source_name(marts)
        pg = None
        if src:
            store = marts.geometry_store
            fp = marts.fingerprints.get("dim_parcels" if src == "dim_parcels" else "raw:parcels")
            key = store.key(src, fp) if store is not None and fp else None
            state = store.load(key) if key else None
            if state is not None:
                pg = geo.ParcelGeometry.restored(src, state)
            else:
                read_src, parcels = parcels_source(marts)
                if read_src:
                    pg = geo.ParcelGeometry(read_src, parcels)
                    if key and read_src == src:
                        store.save(key, pg.state())
        marts.cache["parcel_geometry"] = pg
    return marts.cache["parcel_geometry"]


def zones_geo(marts: Marts) -> tuple[str | None, dict[str, geo.Shape]]:
    pg = parcel_geometry(marts)
    return (pg.source, pg.zones) if pg else (None, {})


PESTS = {
    "asian_longhorned_beetle": ("光肩星天牛", "Asian longhorned beetle"),
    "fall_webworm": ("美国白蛾", "Fall webworm"),
    "grassland_rodent_pika": ("草原鼠兔害", "Grassland rodents & pikas"),
    "pine_wilt_nematode": ("松材线虫病", "Pine wilt nematode"),
    "poplar_canker": ("杨树溃疡病", "Poplar canker"),
    "grassland_locust": ("草原蝗虫", "Grassland locusts"),
}
SEVERITY = {
    "light": ("轻度", "Light", "#f2cc8f"),
    "moderate": ("中度", "Moderate", "#e07a3f"),
    "severe": ("重度", "Severe", "#b2182b"),
}
CAUSES = {
    "农事烧荒": "Agricultural burning",
    "野外吸烟": "Smoking outdoors",
    "清明祭祀用火": "Qingming ritual fire",
    "火因不明": "Cause unknown",
    "雷击": "Lightning",
    "电力线路故障": "Power-line fault",
    "fire": "Fire (biomass CO₂)",
    "fire_non_co2": "Fire CH₄ and N₂O",
    "pest": "Pests",
    "pests": "Pests",
    "drought": "Drought",
    "harvest": "Harvest",
    "land_use_change": "Land-use change",
    "soil_carbon": "Soil carbon (management change)",
    "mortality": "Tree mortality (plots)",
}
CAUSES_ZH = {"fire": "火灾（生物量CO₂）", "fire_non_co2": "火灾CH₄与N₂O",
             "pest": "病虫害", "pests": "病虫害", "drought": "干旱",
             "harvest": "采伐", "land_use_change": "土地用途变化",
             "soil_carbon": "土壤碳（经营方式变化）", "mortality": "林木枯损（样地）",
             "Cause under investigation": "火因调查中"}


def pest_name(p: Any) -> tuple[str, str]:
    key = "" if isnull(p) else str(p)
    zh, en = PESTS.get(key, (key.replace("_", " "), key.replace("_", " ").capitalize()))
    return zh, en


def cause_name(c: Any) -> tuple[str, str]:
    key = "" if isnull(c) else str(c)
    zh = CAUSES_ZH.get(key, key)
    en = CAUSES.get(key, key.replace("_", " ").capitalize())
    return zh or "—", en or "—"


def unavailable_figure(key: str, title_zh: str, title_en: str, names: list[str],
                       note_zh: str = "", note_en: str = "") -> Figure:
    """A figure card that says which mart is not yet available."""
    shown = " / ".join(names)
    return Figure(
        key, title_zh, title_en, list(names), None, None,
        empty_zh=f"暂未提供：数据集市 {shown} 尚未发布，发布后本图自动显示。",
        empty_en=f"Not yet available: mart {shown} has not been published yet; this chart "
        "appears automatically once it is.",
        note_zh=note_zh, note_en=note_en, unavailable=list(names),
    )


def generic_table(key: str, title_zh: str, title_en: str, name: str, df: pd.DataFrame,
                  max_rows: int = 200) -> Table:
    """A mart shown as it is (for marts whose columns the pages do not know yet)."""
    cols = []
    for c in df.columns:
        kind = "num" if pd.api.types.is_float_dtype(df[c]) else (
            "int" if pd.api.types.is_integer_dtype(df[c]) else "text")
        cols.append(Col(c, c, c, kind, 2 if kind == "num" else 0))
    names = list(df.columns)
    values = [column_cells(df.iloc[:, i]) for i in range(len(names))]
    records = [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
    return Table(key, title_zh, title_en, [name], cols, records, max_rows=max_rows)


def _cell(v: Any) -> Any:
    return None if isnull(v) else (v if isinstance(v, int | float) else str(v))


def column_cells(s: pd.Series) -> list[Any]:
    """A column's table cells: ``_cell`` of each value as ``DataFrame.to_dict("records")`` gives
    it (None for missing, numbers as Python numbers, anything else as text), column-wise: a
    zone's parcel register has 20,000 rows, and a dict per row through ``to_dict`` and ``isnull``
    per cell was most of a zone page's time."""
    dtype = s.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return [None if v != v else v for v in s.to_numpy().tolist()]  # NaN != NaN
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return s.to_numpy().tolist()
    if isinstance(dtype, pd.StringDtype):
        return s.to_numpy(dtype=object, na_value=None).tolist()
    return [_cell(maybe_box_native(v)) for v in s]

