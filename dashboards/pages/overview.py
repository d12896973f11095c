"""Overview (index.html): the plan's 2025 indicators, the city's net sink, project area by type."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboards.core import (
    BEHIND_COLOUR,
    LAND_CLASSES,
    ON_TRACK_COLOUR,
    UNKNOWN_COLOUR,
    WAN_MU,
    Col,
    Kpi,
    Marts,
    Page,
    Section,
    Table,
    _indicator_sort_key,
    fmt_num,
    land,
    scaled,
)
from dashboards.figures import Figure, base_layout
from dashboards.pages.common import (
    city_figure,
    city_indicator_table,
    city_sink,
    city_table,
    indicator_records,
    unavailable_figure,
)

PROJECT_TYPES = {
    "sink_project_area_forest_mu": "forest",
    "sink_project_area_grassland_mu": "grassland",
    "sink_project_area_wetland_mu": "wetland",
}

#: The inputs this page reads (marts, and ``raw:<family>`` for raw-layer fallbacks): the
#: page is rendered again only when one of them changed (dashboards.incremental); a read
#: that is not declared here is reported and keeps the page from being cached.
READS = ("fct_target_progress", "fct_annual_sink", "dim_zones")


def _spark(key: str, rows: list[dict[str, Any]], latest: dict[str, Any]) -> Figure:
    """Value per year since 2021 with the 2025 target as a dashed line."""
    pts = sorted((r for r in rows if r["value"] is not None and r["year"]), key=lambda r: r["year"])
    baseline, target = latest.get("baseline"), latest.get("target")

    def build(lang: str) -> go.Figure:
        zh = lang == "zh"
        unit = latest["unit_zh"] if zh else latest["unit_en"]
        d = latest["unit"].decimals
        fig = go.Figure()
        xs = [r["year"] for r in pts]
        ys = [r["value"] for r in pts]
        if baseline is not None and 2021 not in xs:
            fig.add_trace(go.Scatter(
                x=[2021], y=[baseline], mode="markers", name="基期" if zh else "Baseline",
                marker={"color": "#9aa3ad", "size": 7, "symbol": "diamond"},
                hovertemplate=("2021年基期" if zh else "2021 baseline")
                + f": %{{y:,.{d}f}} {unit}<extra></extra>",
            ))
        colour = {True: ON_TRACK_COLOUR, False: BEHIND_COLOUR}.get(latest["on_track"],
                                                                  UNKNOWN_COLOUR)
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines+markers", name="实际值" if zh else "Value",
            line={"color": colour, "width": 2.5}, marker={"size": 6, "color": colour},
            hovertemplate="%{x}: %{y:," + f".{d}f}} {unit}<extra></extra>",
        ))
        if target is not None:
            fig.add_hline(y=target, line={"color": "#1f2933", "dash": "dot", "width": 1.2},
                          annotation_text=("目标 " if zh else "target ") + fmt_num(target, d),
                          annotation_position="top left",
                          annotation_font={"size": 10, "color": "#52606d"})
        fig.update_layout(**base_layout(
            150, margin={"l": 6, "r": 6, "t": 14, "b": 22}, showlegend=False,
            xaxis={"range": [2020.6, 2025.4], "dtick": 1, "tickfont": {"size": 10},
                   "showgrid": False},
            yaxis={"tickfont": {"size": 10}, "nticks": 4, "tickformat": f",.{min(d, 1)}f"},
        ))
        return fig

    return Figure(f"spark-{key}", latest["name_zh"], latest["name_en"], ["fct_target_progress"],
                  build("zh"), build("en"))


def indicator_cards(tp: pd.DataFrame, latest_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    city = tp[tp["scope"] == "city"] if not tp.empty else tp
    cards = []
    for r in latest_rows:
        if r["indicator"] in PROJECT_TYPES:
            continue  # shown in "project area by type"
        hist = indicator_records(city[city["indicator"] == r["indicator"]])
        p = r["progress_pct"]
        cards.append({
            **r,
            "bar": 0.0 if p is None else max(0.0, min(100.0, p)),
            "progress_txt": "—" if p is None else f"{p:,.1f}%",
            "exceeded": p is not None and p > 100,
            "fig": _spark(r["indicator"], hist, r),
        })
    return cards


def trend_table(tp: pd.DataFrame) -> Table:
    city = tp[tp["scope"] == "city"] if not tp.empty else tp
    records = indicator_records(city)
    for r in records:
        r["dec"] = r["unit"].decimals
    records.sort(key=lambda r: (_indicator_sort_key(r["indicator"] or ""), r["year"] or 0))
    return Table(
        key="target_progress_city_by_year",
        title_zh="规划指标逐年数值（2021年以来）",
        title_en="Plan indicators per year since 2021",
        sources=["fct_target_progress"],
        cols=[
            Col("name_zh", "指标", "Indicator", "bi", key_en="name_en"),
            Col("year", "年份", "Year", "int"),
            Col("value", "数值", "Value", "num", dec_key="dec"),
            Col("target", "2025年目标", "2025 target", "num", dec_key="dec"),
            Col("unit_zh", "单位", "Unit", "bi", key_en="unit_en"),
            Col("progress_pct", "完成进度 %", "Progress %", "num", 1),
            Col("on_track", "是否达到进度", "On track", "flag"),
        ],
        records=records,
    )


def project_area(marts: Marts) -> tuple[Figure, Table]:
    tp = marts.get("fct_target_progress")
    rows: list[dict[str, Any]] = []
    source = "fct_target_progress"
    if not tp.empty:
        city = tp[(tp["scope"] == "city") & tp["indicator"].isin(list(PROJECT_TYPES))]
        for r in city.sort_values("year").groupby("indicator").tail(1).to_dict("records"):
            cls = PROJECT_TYPES[r["indicator"]]
            zh, en, colour = land(cls)
            rows.append({"class": cls, "zh": zh, "en": en, "colour": colour, "year": r["year"],
                         "value": scaled(r["value"], WAN_MU),
                         "target": scaled(r["target_value"], WAN_MU)})
    if not rows:
        zones = marts.get("dim_zones")
        if not zones.empty and "planned_area_mu" in zones:
            source = "dim_zones"
            for cls, g in zones.groupby("land_class"):
                zh, en, colour = land(cls)
                rows.append({"class": cls, "zh": zh, "en": en, "colour": colour, "year": None,
                             "value": None,
                             "target": scaled(g["planned_area_mu"].sum(), WAN_MU)})
    rank = {c: i for i, c in enumerate(LAND_CLASSES)}
    rows.sort(key=lambda r: rank.get(r["class"], 9))
    table = Table(
        key="sink_project_area_by_type",
        title_zh="林草碳汇项目规模（按类型，万亩）",
        title_en="Carbon-sink project area by type (10k mu)",
        sources=[source],
        cols=[Col("zh", "类型", "Type", "bi", key_en="en"), Col("year", "年份", "Year", "int"),
              Col("value", "已落实（万亩）", "In place (10k mu)", "num", 2),
              Col("target", "2025年目标（万亩）", "2025 target (10k mu)", "num", 2)],
        records=rows,
    )
    title_zh, title_en = "林草碳汇项目规模：已落实与目标（万亩）", (
        "Carbon-sink project area: in place vs target (10k mu)")
    if not rows:
        return Figure("project-area", title_zh, title_en, [source], None, None), table

    def build(lang: str) -> go.Figure:
        zh = lang == "zh"
        names = [r["zh"] if zh else r["en"] for r in rows]
        fig = go.Figure()
        fig.add_trace(go.Bar(
            y=names, x=[r["target"] for r in rows], orientation="h",
            name="2025年目标" if zh else "2025 target",
            marker={"color": "rgba(0,0,0,0)", "line": {"color": "#52606d", "width": 1.5}},
            hovertemplate="%{y}: %{x:,.2f} " + ("万亩" if zh else "10k mu") + "<extra></extra>",
        ))
        fig.add_trace(go.Bar(
            y=names, x=[r["value"] for r in rows], orientation="h",
            name="已落实" if zh else "In place", marker={"color": [r["colour"] for r in rows]},
            text=[fmt_num(r["value"], 1) for r in rows], textposition="auto",
            hovertemplate="%{y}: %{x:,.2f} " + ("万亩" if zh else "10k mu") + "<extra></extra>",
        ))
        fig.update_layout(**base_layout(
            230, barmode="overlay", bargap=0.35,
            xaxis={"title": {"text": "万亩" if zh else "10k mu"}, "tickformat": ",.0f"},
            yaxis={"autorange": "reversed", "automargin": True},
        ))
        return fig

    return Figure("project-area", title_zh, title_en, [source], build("zh"), build("en"),
                  note_zh="空心框为2025年目标，实心柱为已落实规模。",
                  note_en="Outline: 2025 target; filled bar: area in place."), table


def page(marts: Marts) -> Page:
    tp = marts.get("fct_target_progress")
    sink = marts.get("fct_annual_sink")
    ind_table, ind_rows = city_indicator_table(tp)
    classes, city_rows = city_sink(sink)
    fig_area, tbl_area = project_area(marts)

    kpis: list[Kpi] = []
    nets = [r for r in city_rows if r["net"] is not None]
    latest = nets[-1] if nets else None
    prev = nets[-2] if len(nets) > 1 else None
    sub_zh = sub_en = ""
    if latest and prev and prev["net"]:
        ch = (latest["net"] - prev["net"]) / abs(prev["net"]) * 100
        sub_zh = f"较{prev['year']}年 {ch:+.1f}%"
        sub_en = f"{ch:+.1f}% vs {prev['year']}"
    kpis.append(Kpi(
        f"全市净碳汇（{latest['year']}年）" if latest else "全市净碳汇",
        f"City net sink ({latest['year']})" if latest else "City net sink",
        fmt_num(latest["net"]) if latest else "—", "t CO₂e", "fct_annual_sink", sub_zh, sub_en,
    ))
    assessed = [r for r in ind_rows if r["on_track"] is not None]
    n_ok = sum(bool(r["on_track"]) for r in assessed)
    kpis.append(Kpi(
        "2025年指标达到进度", "2025 indicators on track",
        f"{n_ok} / {len(assessed)}" if assessed else "—", "", "fct_target_progress",
        "绿色 = 达到进度" if assessed else "", "on schedule for 2025" if assessed else "",
        tone="" if not assessed else ("ok" if n_ok == len(assessed) else "warn"),
    ))
    total = next((r for r in ind_rows if r["indicator"] == "sink_project_area_mu"), None)
    kpis.append(Kpi(
        "林草碳汇项目总规模", "Carbon-sink project area",
        fmt_num(total["value"], 1) if total else "—", "万亩" if total else "",
        "fct_target_progress",
        f"目标 {fmt_num(total['target'], 0)} 万亩" if total and total["target"] else "",
        f"target {fmt_num(total['target'], 0)} × 10k mu" if total and total["target"] else "",
    ))
    zones = marts.get("dim_zones")
    kpis.append(Kpi(
        "碳汇发展区", "Carbon-sink zones",
        str(zones["zone_id"].nunique()) if not zones.empty else "—", "个" if not zones.empty
        else "", "dim_zones",
        (f"规划 {fmt_num(zones['planned_area_mu'].sum() / 1e4, 0)} 万亩"
         if not zones.empty and "planned_area_mu" in zones else ""),
        (f"{fmt_num(zones['planned_area_mu'].sum() / 1e4, 0)} × 10k mu planned"
         if not zones.empty and "planned_area_mu" in zones else ""),
    ))

    cards = indicator_cards(tp, ind_rows)
    targets = Section(
        "targets", "2025年规划指标", "2025 plan indicators",
        cards=cards, tables=[ind_table, trend_table(tp)],
        note_zh="每张卡片：最新值、2025年目标、完成进度（2021年基期 = 0%，目标 = 100%）"
        "及2021年以来走势。",
        note_en="Each card: latest value, 2025 target, progress (2021 baseline = 0%, target = "
        "100%) and the trend since 2021.",
    )
    if not cards:
        targets.figures = [unavailable_figure(
            "targets-na", "规划指标", "Plan indicators", ["fct_target_progress"])] if (
            not marts.has("fct_target_progress")) else [
            Figure("targets-na", "规划指标", "Plan indicators", ["fct_target_progress"],
                   None, None)]
    sections = [
        targets,
        Section("city", "全市年度净碳汇", "City net sink per year",
                figures=[city_figure(classes, city_rows)],
                tables=[city_table(classes, city_rows)]),
        Section("project-area", "林草碳汇项目规模", "Carbon-sink project area by type",
                figures=[fig_area], tables=[tbl_area]),
    ]
    return Page(
        "index", "index", "总览", "Overview",
        lead_zh="是否按进度完成2025年目标、今年碳汇有多大——全市一览。",
        lead_en="Are we on track for 2025, and how big is this year's sink — the city at a "
        "glance.",
        kpis=kpis, sections=sections,
    )
