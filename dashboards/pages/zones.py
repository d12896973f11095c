"""Zones: a map of the 22 carbon-sink zones over the 9 counties, the zone table, a page per zone
(its parcels have a page of their own: :mod:`dashboards.pages.zone_parcels`)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboards import geo
from dashboards.core import (
    WAN_MU,
    Col,
    Kpi,
    Marts,
    Page,
    Section,
    Table,
    county_names,
    fmt_num,
    isnull,
    land,
    num_or_none,
    pick,
    scaled,
)
from dashboards.figures import Fig, Figure, base_layout
from dashboards.pages.common import (
    cause_name,
    counties_geo,
    generic_table,
    unavailable_figure,
    zone_figure,
    zone_sink,
    zone_table,
    zones_geo,
)

LOSS_MARTS = ("fct_losses_by_cause", "fct_carbon_losses", "fct_disturbance_losses",
              "fct_loss_by_cause")
#: The inputs this page reads (marts, and ``raw:<family>`` for raw-layer fallbacks): the
#: page is rendered again only when one of them changed (dashboards.incremental); a read
#: that is not declared here is reported and keeps the page from being cached.
#: The parcel geometry (dim_parcels, else raw parcels) draws the zone outlines on the map;
#: each zone's parcel map and register are on its own page (dashboards.pages.zone_parcels).
READS = ("fct_annual_sink", "dim_zones", "dim_counties", "dim_parcels", "raw:parcels",
         "fct_zone_progress", *LOSS_MARTS)


def zone_slug(zone_id: str) -> str:
    return "zone-" + re.sub(r"[^A-Za-z0-9_-]+", "_", zone_id)


def parcels_slug(zone_id: str) -> str:
    """The zone's parcel page (dashboards.pages.zone_parcels)."""
    return zone_slug(zone_id) + "-parcels"


def zone_rows(zones: pd.DataFrame) -> list[dict[str, Any]]:
    """dim_zones' rows by zone id: one zone page (and one parcel page) each."""
    return [] if zones.empty else sorted(zones.to_dict("records"), key=lambda z: str(z["zone_id"]))


def zone_names(zrow: dict[str, Any]) -> tuple[str, str]:
    zid = str(zrow["zone_id"])
    name_zh = str(zrow.get("zone_name_zh") or zid)
    return name_zh, str(zrow.get("zone_name_en") or name_zh)


def zone_map(marts: Marts, year: int | None, rows: list[dict[str, Any]]) -> Figure:
    src, shapes = zones_geo(marts)
    cshapes = counties_geo()
    title_zh = f"碳汇发展区分布与净碳汇（{year}年）" if year else "碳汇发展区分布"
    title_en = f"Carbon-sink zones and their net sink ({year})" if year else "Carbon-sink zones"
    sources = ["fct_annual_sink", "dim_zones"] + ([src] if src else [])
    if not shapes:
        return unavailable_figure(
            "zone-map", title_zh, title_en, ["dim_parcels"],
            note_zh="发展区边界由地块几何（dim_parcels 或原始地块 Parquet）合并生成。",
            note_en="Zone outlines are the union of their parcels (dim_parcels or raw parcels).")
    by_id = {r["zone_id"]: r for r in rows}
    zones = marts.get("dim_zones")
    zinfo = {} if zones.empty else {str(r["zone_id"]): r for r in zones.to_dict("records")}
    cz, ce = county_names(marts.get("dim_counties"))

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        regions = []
        for zid, s in sorted(shapes.items()):
            r = by_id.get(zid, {})
            z = zinfo.get(zid, {})
            name = (z.get("zone_name_zh") if zh else z.get("zone_name_en")) or zid
            lzh, len_, _ = land(z.get("land_class"))
            net = r.get("net")
            detail = (f"{lzh if zh else len_} · "
                      + ("净碳汇 " if zh else "net sink ") + f"{fmt_num(net)} t CO₂e"
                      + "<br>" + ("规划面积 " if zh else "planned ")
                      + fmt_num(scaled(z.get("planned_area_mu"), WAN_MU), 2)
                      + (" 万亩" if zh else " × 10k mu"))
            regions.append(geo.Region(s, net, f"{zid} {name}", detail, text=zid))
        labels = {k: (cz if zh else ce).get(k, "") for k in cshapes}
        return geo.map_figure(
            outlines=list(cshapes.values()), regions=regions, outline_labels=labels,
            colour_title="净碳汇<br>t CO₂e" if zh else "Net sink<br>t CO₂e",
            vrange=geo.sink_range(r.value for r in regions), height=640,
        )

    return Figure(
        "zone-map", title_zh, title_en, sources, build("zh"), build("en"),
        note_zh="绿色为净吸收（碳汇），棕色为净排放；灰线为旗县区界。悬停查看数值，可拖动缩放。",
        note_en="Green: net removal (sink); brown: net emission; grey lines: county borders. "
        "Hover for values; drag and zoom.", wide=True,
    )


def zone_trend_records(sink: pd.DataFrame, zone_id: str) -> list[dict[str, Any]]:
    if sink.empty:
        return []
    df = sink[(sink["zone_id"] == zone_id) & sink["year"].notna()]
    recs = []
    for year, g in df.groupby("year", sort=True):
        recs.append({
            "year": int(year),
            "area_wan_mu": scaled(g["area_mu"].sum(min_count=1), WAN_MU),
            "removals": num_or_none(g["removals_co2e_t"].sum(min_count=1)),
            "emissions": num_or_none(g["emissions_co2e_t"].sum(min_count=1)),
            "net": num_or_none(g["net_sink_co2e_t"].sum(min_count=1)),
            "method": ", ".join(sorted({str(m) for m in g.get("method", pd.Series()).dropna()})),
        })
    return recs


def trend_figure(zone_id: str, recs: list[dict[str, Any]]) -> Figure:
    title_zh, title_en = "年度清除量、排放量与净碳汇（t CO₂e）", (
        "Removals, emissions and net sink per year (t CO₂e)")
    if not any(r["net"] is not None for r in recs):
        return Figure(f"trend-{zone_id}", title_zh, title_en, ["fct_annual_sink"], None, None)

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        years = [str(r["year"]) for r in recs]
        fig = Fig()
        fig.add_trace(go.Bar(x=years, y=[r["removals"] for r in recs],
                             name="清除量" if zh else "Removals", marker={"color": "#5aa469"},
                             hovertemplate="%{x}: %{y:,.0f} t CO₂e<extra></extra>"))
        fig.add_trace(go.Bar(x=years, y=[-(r["emissions"] or 0) for r in recs],
                             name="排放量" if zh else "Emissions", marker={"color": "#c98b4f"},
                             hovertemplate="%{x}: %{y:,.0f} t CO₂e<extra></extra>"))
        fig.add_trace(go.Scatter(x=years, y=[r["net"] for r in recs], mode="lines+markers",
                                 name="净碳汇" if zh else "Net sink",
                                 line={"color": "#1f2933", "width": 2.5},
                                 hovertemplate="%{x}: %{y:,.0f} t CO₂e<extra></extra>"))
        fig.update_layout(**base_layout(
            340, barmode="relative", xaxis={"type": "category"},
            yaxis={"title": {"text": "t CO₂e"}, "tickformat": ",.0f"},
        ))
        return fig

    return Figure(f"trend-{zone_id}", title_zh, title_en, ["fct_annual_sink"], build("zh"),
                  build("en"), note_zh="排放量绘为负值。", note_en="Emissions drawn as negative.")


def losses_figure(marts: Marts, zone_id: str) -> tuple[Figure, Table | None]:
    name, df = marts.first(*LOSS_MARTS)
    title_zh, title_en = "按原因的碳损失（t CO₂e）", "Carbon losses by cause (t CO₂e)"
    key = f"losses-{zone_id}"
    if name is None:
        return unavailable_figure(key, title_zh, title_en, [LOSS_MARTS[0]]), None
    cause = pick(df, "cause", "loss_cause", "disturbance_type")
    val = pick(df, "loss_co2e_t", "losses_co2e_t", "emissions_co2e_t", "co2e_t")
    if "zone_id" in df.columns:
        df = df[df["zone_id"] == zone_id]
    if cause is None or val is None or "year" not in df.columns or df.empty:
        return Figure(key, title_zh, title_en, [name], None, None,
                      empty_zh="本发展区暂无损失记录", empty_en="No losses recorded"), None
    agg = df.groupby(["year", cause])[val].sum().reset_index()
    causes = sorted(agg[cause].dropna().unique().tolist())
    years = sorted(agg["year"].dropna().astype(int).unique().tolist())

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        fig = Fig()
        for c in causes:
            sel = agg[agg[cause] == c]
            fig.add_trace(go.Bar(x=[str(int(y)) for y in sel["year"]], y=sel[val],
                                 name=cause_name(c)[0 if zh else 1],
                                 hovertemplate="%{x}: %{y:,.0f} t CO₂e<extra></extra>"))
        fig.update_layout(**base_layout(300, barmode="stack", xaxis={"type": "category"},
                                        yaxis={"title": {"text": "t CO₂e"}}))
        return fig

    recs = [{"year": int(r["year"]), "zh": cause_name(r[cause])[0], "en": cause_name(r[cause])[1],
             "loss": num_or_none(r[val])} for r in agg.to_dict("records")]
    table = Table(f"losses_{zone_id}", "按原因的碳损失", "Carbon losses by cause", [name],
                  [Col("year", "年份", "Year", "int"),
                   Col("zh", "原因", "Cause", "bi", key_en="en"),
                   Col("loss", "损失（t CO₂e）", "Loss (t CO₂e)", "num", 0)], recs)
    del years
    return Figure(key, title_zh, title_en, [name], build("zh"), build("en")), table


def zone_page(marts: Marts, zrow: dict[str, Any], latest: dict[str, Any] | None) -> Page:
    zid = str(zrow["zone_id"])
    sink = marts.get("fct_annual_sink")
    cz, ce = county_names(marts.get("dim_counties"))
    lzh, len_, _ = land(zrow.get("land_class"))
    recs = zone_trend_records(sink, zid)
    ccode = None if isnull(zrow.get("county_code")) else str(zrow["county_code"])
    kpis = [
        Kpi("规划面积", "Planned area", fmt_num(scaled(zrow.get("planned_area_mu"), WAN_MU), 2),
            "万亩", "dim_zones"),
        Kpi("地块面积", "Parcel area", fmt_num(scaled(zrow.get("parcel_area_mu"), WAN_MU), 2),
            "万亩", "dim_zones",
            f"{zrow.get('n_parcels')} 个地块" if not isnull(zrow.get("n_parcels")) else "",
            f"{zrow.get('n_parcels')} parcels" if not isnull(zrow.get("n_parcels")) else ""),
    ]
    last = recs[-1] if recs else None
    kpis.append(Kpi(f"净碳汇（{last['year']}年）" if last else "净碳汇",
                    f"Net sink ({last['year']})" if last else "Net sink",
                    fmt_num(last["net"]) if last else "—", "t CO₂e", "fct_annual_sink",
                    tone="" if not last or last["net"] is None else
                    ("ok" if last["net"] >= 0 else "bad")))
    kpis.append(Kpi("类型 · 旗县区", "Type · county", f"{lzh}", "", "dim_zones",
                    cz.get(ccode or "", ccode or "—"), ce.get(ccode or "", ccode or "—")))
    trend_tbl = Table(
        f"annual_sink_{zid}", "逐年核算结果", "Accounts per year", ["fct_annual_sink"],
        [Col("year", "年份", "Year", "int"),
         Col("area_wan_mu", "核算面积（万亩）", "Area (10k mu)", "num", 2),
         Col("removals", "清除量（t CO₂e）", "Removals (t CO₂e)", "num", 0),
         Col("emissions", "排放量（t CO₂e）", "Emissions (t CO₂e)", "num", 0),
         Col("net", "净碳汇（t CO₂e）", "Net sink (t CO₂e)", "num", 0),
         Col("method", "核算方法", "Method")], recs)
    loss_fig, loss_tbl = losses_figure(marts, zid)
    n_parcels = zrow.get("n_parcels")
    parcels_link = {
        "id": zid, "href": f"{parcels_slug(zid)}.html", "colour": land(zrow.get("land_class"))[2],
        "name_zh": "地块分布图与地块清单", "name_en": "Parcel map and parcel register",
        "value": "" if isnull(n_parcels) else fmt_num(n_parcels)}
    sections = [
        Section("trend", "年度趋势", "Trend", figures=[trend_figure(zid, recs)],
                tables=[trend_tbl]),
        Section("losses", "按原因的损失", "Losses by cause", figures=[loss_fig],
                tables=[loss_tbl] if loss_tbl else []),
        Section("parcels", "地块", "Parcels", links=[parcels_link],
                note_zh="本发展区的地块分布图和地块清单（含 CSV 下载）在单独的页面。",
                note_en="The zone's parcel map and parcel register (with its CSV) are on a "
                "page of their own."),
    ]
    name_zh, name_en = zone_names(zrow)
    del latest
    return Page(
        zone_slug(zid), "zones", f"{zid} {name_zh}", f"{zid} {name_en}",
        lead_zh=f"{lzh}碳汇发展区 · {cz.get(ccode or '', '')}",
        lead_en=f"{len_} carbon-sink zone · {ce.get(ccode or '', '')}",
        kpis=kpis, sections=sections,
        crumbs=[("index.html", "总览", "Overview"), ("zones.html", "碳汇发展区", "Zones")],
    )


def zone_progress_section(marts: Marts) -> Section:
    if not marts.has("fct_zone_progress"):
        return Section("progress", "发展区建设进度", "Zone progress",
                       unavailable=["fct_zone_progress"])
    df = marts.get("fct_zone_progress")
    return Section("progress", "发展区建设进度", "Zone progress", tables=[generic_table(
        "zone_progress", "发展区建设进度", "Zone progress", "fct_zone_progress", df)])


def pages(marts: Marts) -> list[Page]:
    sink = marts.get("fct_annual_sink")
    zones = marts.get("dim_zones")
    counties = marts.get("dim_counties")
    year, rows = zone_sink(sink, zones, counties)
    by_id = {r["zone_id"]: r for r in rows}
    table = zone_table(year, rows)
    # link each zone row to its page
    table.cols[1] = Col("zone_id", "发展区编号", "Zone ID", "link", href_key="href")
    for r in rows:
        r["href"] = f"{zone_slug(r['zone_id'])}.html" if r["zone_id"] != "—" else None

    zones_list = zone_rows(zones)
    links = []
    for z in zones_list:
        zid = str(z["zone_id"])
        _, _, colour = land(z.get("land_class"))
        net = by_id.get(zid, {}).get("net")
        links.append({"id": zid, "href": f"{zone_slug(zid)}.html", "colour": colour,
                      "name_zh": z.get("zone_name_zh") or zid,
                      "name_en": z.get("zone_name_en") or zid,
                      "value": f"{fmt_num(net)} t CO₂e" if net is not None else "—"})
    in_zones = [r for r in rows if r["zone_id"] != "—" and r["net"] is not None]
    kpis = [
        Kpi("碳汇发展区", "Zones", str(len(zones_list)) if zones_list else "—", "个", "dim_zones"),
        Kpi("规划面积合计", "Planned area",
            fmt_num(scaled(zones["planned_area_mu"].sum(), WAN_MU), 0) if not zones.empty
            else "—", "万亩", "dim_zones"),
        Kpi(f"发展区净碳汇（{year}年）" if year else "发展区净碳汇",
            f"Net sink in zones ({year})" if year else "Net sink in zones",
            fmt_num(sum(r["net"] for r in in_zones)) if in_zones else "—", "t CO₂e",
            "fct_annual_sink"),
        Kpi("净排放的发展区", "Zones that are net emitters",
            str(sum(1 for r in in_zones if r["net"] < 0)) if in_zones else "—", "个",
            "fct_annual_sink", "多为湿地（甲烷排放）", "mostly wetlands (methane)"),
    ]
    overview = Page(
        "zones", "zones", "碳汇发展区", "Carbon-sink zones",
        lead_zh="22个碳汇发展区的分布、年度净碳汇与排名；点击编号进入发展区页面。",
        lead_en="The 22 carbon-sink zones: where they are, their annual net sink and ranking; "
        "click an ID for the zone's page.",
        kpis=kpis,
        sections=[
            Section("map", "分布图", "Map", figures=[zone_map(marts, year, rows)]),
            Section("ranking", "净碳汇排名", "Ranking", figures=[zone_figure(year, rows)],
                    tables=[table]),
            zone_progress_section(marts),
            Section("pages", "发展区页面", "Zone pages", links=links),
        ],
    )
    out = [overview]
    for z in zones_list:
        out.append(zone_page(marts, z, by_id.get(str(z["zone_id"]))))
    return out
