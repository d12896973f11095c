"""Counties: demonstration carbon forest vs the 500 mu yearly quota, county shares, county map."""

from __future__ import annotations

from typing import Any

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
    num_or_none,
    pick,
    scaled,
)
from dashboards.figures import Fig, Figure, base_layout
from dashboards.pages.common import counties_geo, county_indicator_table

QUOTA_MU = 500.0
#: The inputs this page reads (marts, and ``raw:<family>`` for raw-layer fallbacks): the
#: page is rendered again only when one of them changed (dashboards.incremental); a read
#: that is not declared here is reported and keeps the page from being cached.
READS = ("dim_counties", "fct_demo_forest_compliance", "fct_target_progress",
         "fct_annual_sink")
PALETTE = ["#1b5e20", "#388e3c", "#66bb6a", "#a5d6a7", "#b08d1a", "#d9b44a", "#1f6fb2",
           "#64a5d8", "#8d6e63", "#9aa3ad"]


def demo_records(marts: Marts) -> tuple[str | None, list[dict[str, Any]]]:
    """(source mart, rows county × year with area_mu, required_mu, compliant)."""
    cz, ce = county_names(marts.get("dim_counties"))
    df = marts.get("fct_demo_forest_compliance")
    src = "fct_demo_forest_compliance"
    if not df.empty:
        area = pick(df, "area_mu", "demo_forest_area_mu", "planted_area_mu", "value")
        req = pick(df, "required_mu", "target_mu", "quota_mu", "target_value")
        ok = pick(df, "is_compliant", "compliant", "is_on_track")
        code = pick(df, "county_code", "scope_id")
        year = pick(df, "year", "planting_year")
    if df.empty or not (area and code and year):
        tp = marts.get("fct_target_progress")
        if tp.empty:
            return None, []
        df = tp[(tp["scope"] == "county") & (tp["indicator"] == "demo_forest_area_mu")]
        src, area, req, ok, code, year = ("fct_target_progress", "value", "target_value",
                                          "is_on_track", "scope_id", "year")
    recs = []
    for r in df.to_dict("records"):
        c = str(r[code])
        a = num_or_none(r.get(area))
        q = num_or_none(r.get(req)) if req else None
        q = QUOTA_MU if q is None else q
        flag = None if not ok or isnull(r.get(ok)) else bool(r[ok])
        if flag is None and a is not None:
            flag = a >= q
        recs.append({"county_code": c, "county_zh": cz.get(c, c), "county_en": ce.get(c, c),
                     "year": None if isnull(r.get(year)) else int(r[year]), "area_mu": a,
                     "required_mu": q, "compliant": flag})
    recs.sort(key=lambda r: (r["county_code"], r["year"] or 0))
    return src, recs


def demo_figure(src: str | None, recs: list[dict[str, Any]]) -> Figure:
    title_zh = "各旗县区每年新建示范碳汇林面积（亩，要求 ≥ 500亩）"
    title_en = "Demonstration carbon forest established per county and year (mu, quota ≥ 500)"
    if not recs:
        return Figure("demo", title_zh, title_en, [src or "fct_demo_forest_compliance"], None,
                      None)
    counties = sorted({r["county_code"] for r in recs})
    years = sorted({r["year"] for r in recs if r["year"]})
    cell = {(r["county_code"], r["year"]): r for r in recs}

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        name = {r["county_code"]: r["county_zh"] if zh else r["county_en"] for r in recs}
        z, text, hover = [], [], []
        for c in counties:
            zr, tr, hr = [], [], []
            for y in years:
                r = cell.get((c, y))
                if r is None or r["area_mu"] is None:
                    zr.append(None)
                    tr.append("—")
                    hr.append("无数据" if zh else "no data")
                    continue
                zr.append(1 if r["compliant"] else 0)
                tr.append(fmt_num(r["area_mu"]) + (" ✓" if r["compliant"] else " ✗"))
                hr.append(("达标" if zh else "meets quota") if r["compliant"]
                          else ("未达标" if zh else "below quota"))
            z.append(zr)
            text.append(tr)
            hover.append(hr)
        fig = Fig(go.Heatmap(
            x=[str(y) for y in years], y=[name[c] for c in counties], z=z, text=text,
            customdata=hover, texttemplate="%{text}", textfont={"size": 12},
            colorscale=[[0, "#f6d5b8"], [0.5, "#f6d5b8"], [0.5, "#cfe8cf"], [1, "#cfe8cf"]],
            zmin=0, zmax=1, showscale=False, xgap=3, ygap=3,
            hovertemplate="%{y} %{x}: %{text} " + ("亩" if zh else "mu")
            + " · %{customdata}<extra></extra>",
        ))
        fig.update_layout(**base_layout(
            90 + 40 * len(counties), margin={"l": 10, "r": 10, "t": 20, "b": 30},
            xaxis={"type": "category", "side": "top"},
            yaxis={"autorange": "reversed", "automargin": True}, plot_bgcolor="#ffffff",
        ))
        return fig

    return Figure("demo", title_zh, title_en, [src or ""], build("zh"), build("en"),
                  note_zh="绿色 = 当年新建 ≥ 500亩（✓），橙色 = 不足500亩（✗）。",
                  note_en="Green = at least 500 mu established that year (✓); orange = below (✗).")


def demo_table(src: str | None, recs: list[dict[str, Any]]) -> Table:
    return Table(
        "demo_forest_by_county_year", "示范碳汇林：各旗县区逐年完成情况",
        "Demonstration forest per county and year", [src or "fct_demo_forest_compliance"],
        [Col("county_code", "区划代码", "County code"),
         Col("county_zh", "旗县区", "County", "bi", key_en="county_en"),
         Col("year", "年份", "Year", "int"),
         Col("area_mu", "新建面积（亩）", "Established (mu)", "num", 0),
         Col("required_mu", "要求（亩）", "Required (mu)", "num", 0),
         Col("compliant", "是否达标", "Meets quota", "flag")], recs)


def share_records(marts: Marts) -> tuple[list[tuple[str, str, str]], list[dict[str, Any]],
                                         list[str]]:
    """Per county: value of each indicator and its share of the city total."""
    counties = marts.get("dim_counties")
    cz, ce = county_names(counties)
    sink = marts.get("fct_annual_sink")
    ind: list[tuple[str, str, str]] = []
    vals: dict[str, dict[str, float | None]] = {c: {} for c in cz}
    sources = []
    if not counties.empty:
        sources.append("dim_counties")
        for col, zh, en in (("forest_area_mu", "森林面积", "Forest area"),
                            ("grassland_area_mu", "草原面积", "Grassland area"),
                            ("wetland_area_mu", "湿地面积", "Wetland area")):
            if col in counties:
                ind.append((col, zh, en))
                for r in counties.to_dict("records"):
                    vals.setdefault(str(r["county_code"]), {})[col] = num_or_none(r[col])
    if not sink.empty and sink["year"].notna().any():
        sources.append("fct_annual_sink")
        y = int(sink["year"].max())
        g = sink[sink["year"] == y].groupby("county_code")
        ind.append(("removals", f"清除量（{y}年）", f"Removals ({y})"))
        for c, v in g["removals_co2e_t"].sum().items():
            vals.setdefault(str(c), {})["removals"] = float(v)
    src, demo = demo_records(marts)
    if demo:
        sources.append(src or "")
        ind.append(("demo", "示范碳汇林累计", "Demonstration forest (cumulative)"))
        for r in demo:
            d = vals.setdefault(r["county_code"], {})
            d["demo"] = (d.get("demo") or 0.0) + (r["area_mu"] or 0.0)
    totals = {k: sum((v.get(k) or 0.0) for v in vals.values()) for k, _, _ in ind}
    recs = []
    for c in sorted(vals):
        rec: dict[str, Any] = {"county_code": c, "county_zh": cz.get(c, c),
                               "county_en": ce.get(c, c)}
        for k, _, _ in ind:
            v = vals[c].get(k)
            rec[k] = v
            rec[f"{k}_share"] = (v / totals[k] * 100) if v is not None and totals[k] else None
        recs.append(rec)
    return ind, recs, sources


def share_figure(ind: list[tuple[str, str, str]], recs: list[dict[str, Any]],
                 sources: list[str]) -> Figure:
    title_zh = "各旗县区占全市指标的份额（林长制责任分解）"
    title_en = "Each county's share of the city's indicators (forest-chief responsibility)"
    if not ind or not recs:
        return Figure("shares", title_zh, title_en, sources or ["dim_counties"], None, None)

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        fig = Fig()
        ylab = [zh_ if zh else en for _, zh_, en in ind]
        for i, r in enumerate(recs):
            fig.add_trace(go.Bar(
                orientation="h", y=ylab, x=[r.get(f"{k}_share") for k, _, _ in ind],
                name=r["county_zh"] if zh else r["county_en"],
                marker={"color": PALETTE[i % len(PALETTE)], "line": {"color": "#fff",
                                                                     "width": 0.5}},
                hovertemplate="%{fullData.name}: %{x:.1f}%<extra>%{y}</extra>",
            ))
        fig.update_layout(**base_layout(
            130 + 46 * len(ind), barmode="stack",
            xaxis={"range": [0, 100], "ticksuffix": "%", "title": {"text": "占全市 %" if zh
                                                                   else "Share of city %"}},
            yaxis={"autorange": "reversed", "automargin": True},
            legend={"orientation": "h", "y": -0.25, "x": 0},
            margin={"l": 10, "r": 20, "t": 10, "b": 40},
        ))
        return fig

    return Figure("shares", title_zh, title_en, sources, build("zh"), build("en"))


def share_table(ind: list[tuple[str, str, str]], recs: list[dict[str, Any]],
                sources: list[str]) -> Table:
    cols = [Col("county_code", "区划代码", "County code"),
            Col("county_zh", "旗县区", "County", "bi", key_en="county_en")]
    for k, zh, en in ind:
        if k.endswith("_area_mu"):
            for r in recs:
                r[f"{k}_wan"] = scaled(r.get(k), WAN_MU)
            cols.append(Col(f"{k}_wan", f"{zh}（万亩）", f"{en} (10k mu)", "num", 2))
        elif k == "demo":
            cols.append(Col(k, f"{zh}（亩）", f"{en} (mu)", "num", 0))
        else:
            cols.append(Col(k, f"{zh}（t CO₂e）", f"{en} (t CO₂e)", "num", 0))
        cols.append(Col(f"{k}_share", f"{zh}占比 %", f"{en} share %", "num", 1))
    return Table("county_shares", "各旗县区指标及占全市份额", "County indicators and shares",
                 sources or ["dim_counties"], cols, recs)


def county_map(marts: Marts) -> Figure:
    sink = marts.get("fct_annual_sink")
    shapes = counties_geo()
    title_zh, title_en = "各旗县区年度净碳汇", "Net sink by county"
    if sink.empty or not shapes or not sink["year"].notna().any():
        return Figure("county-map", title_zh, title_en, ["fct_annual_sink"], None, None)
    y = int(sink["year"].max())
    net = sink[sink["year"] == y].groupby("county_code")["net_sink_co2e_t"].sum()
    cz, ce = county_names(marts.get("dim_counties"))

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        regions = []
        for code, s in shapes.items():
            v = num_or_none(net.get(code))
            nm = (cz if zh else ce).get(code, code)
            regions.append(geo.Region(s, v, nm, f"{fmt_num(v)} t CO₂e", text=nm))
        return geo.map_figure(outlines=[], regions=regions,
                              colour_title="净碳汇<br>t CO₂e" if zh else "Net sink<br>t CO₂e",
                              vrange=geo.sink_range(r.value for r in regions), height=560)

    return Figure("county-map", f"{title_zh}（{y}年，t CO₂e）", f"{title_en} ({y}, t CO₂e)",
                  ["fct_annual_sink", "dim_counties"], build("zh"), build("en"),
                  note_zh="行政区划边界：DataV.GeoAtlas（随站点发布，离线可用）。",
                  note_en="Boundaries: DataV.GeoAtlas (shipped with the site, works offline).")


def page(marts: Marts) -> Page:
    src, demo = demo_records(marts)
    ind, shares, sources = share_records(marts)
    latest_year = max((r["year"] for r in demo if r["year"]), default=None)
    this = [r for r in demo if r["year"] == latest_year]
    ok = sum(1 for r in this if r["compliant"])
    kpis = [
        Kpi(f"示范林达标旗县区（{latest_year}年）" if latest_year else "示范林达标旗县区",
            f"Counties meeting the quota ({latest_year})" if latest_year else "Counties meeting "
            "the quota", f"{ok} / {len(this)}" if this else "—", "", src or "",
            "每年新建 ≥ 500亩", "≥ 500 mu per year",
            tone="" if not this else ("ok" if ok == len(this) else "warn")),
        Kpi("示范碳汇林累计", "Demonstration forest, cumulative",
            fmt_num(sum(r["area_mu"] or 0 for r in demo)) if demo else "—", "亩", src or ""),
        Kpi("旗县区", "Counties", str(len(county_names(marts.get("dim_counties"))[0])) or "—",
            "个", "dim_counties"),
    ]
    cty = county_indicator_table(marts.get("fct_target_progress"), marts.get("dim_counties"))
    return Page(
        "counties", "counties", "旗县区", "Counties",
        lead_zh="林长制责任分解：各旗县区示范碳汇林完成情况与占全市指标的份额。",
        lead_en="Forest-chief responsibility system: each county's demonstration forest and "
        "its share of the city's indicators.",
        kpis=kpis,
        sections=[
            Section("demo", "示范碳汇林（每年 ≥ 500亩）", "Demonstration forest (≥ 500 mu/yr)",
                    figures=[demo_figure(src, demo)], tables=[demo_table(src, demo)]),
            Section("shares", "指标份额", "Shares of indicators",
                    figures=[share_figure(ind, shares, sources), county_map(marts)],
                    tables=[share_table(ind, shares, sources), cty]),
        ],
    )

