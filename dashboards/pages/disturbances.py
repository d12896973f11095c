"""Disturbances: fire hotspots and fire reports on the map, pest reports, losses in t CO₂e."""

from __future__ import annotations

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
    num_or_none,
    pick,
    scaled,
)
from dashboards.figures import Fig, Figure, base_layout, text_array
from dashboards.pages.common import (
    SEVERITY,
    cause_name,
    counties_geo,
    pest_name,
    unavailable_figure,
)
from dashboards.pages.zones import LOSS_MARTS

HOTSPOT_MARTS = ("fct_fire_hotspots", "fct_disturbance_hotspots", "fct_hotspots")
#: Every detection with the static-source mask (issue #14), preferred once an evaluation wrote
#: it: masked detections are shown on request only (a legend entry that is off until clicked).
DETECTION_MART = "fct_fire_detections"
FIRE_MARTS = ("fct_fire_reports", "fct_disturbance_fires", "fct_fires")
PEST_MARTS = ("fct_pest_reports", "fct_disturbance_pests", "fct_pests")
#: The inputs this page reads (marts, and ``raw:<family>`` for raw-layer fallbacks): the
#: page is rendered again only when one of them changed (dashboards.incremental); a read
#: that is not declared here is reported and keeps the page from being cached.
READS = (DETECTION_MART, *HOTSPOT_MARTS, "raw:fire_hotspots", *FIRE_MARTS,
         "raw:fire_reports", *PEST_MARTS, "raw:pest_reports", *LOSS_MARTS, "dim_counties")
YEAR_COLOURS = ["#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000", "#7f0000"]


def _source(marts: Marts, names: tuple[str, ...], family: str) -> tuple[str | None, pd.DataFrame]:
    name, df = marts.first(*names)
    if name is not None:
        return name, df
    raw = marts.raw_frame(family)
    if raw is not None:
        return f"raw/{family}/*.parquet", raw
    return None, pd.DataFrame()


def hotspots(marts: Marts) -> tuple[str | None, pd.DataFrame]:
    src, df = marts.first(DETECTION_MART)
    if df.empty:
        src, df = _source(marts, HOTSPOT_MARTS, "fire_hotspots")
    if df.empty:
        return src, df
    lat, lon = pick(df, "latitude", "lat"), pick(df, "longitude", "lon")
    date = pick(df, "acq_date", "date")
    if not (lat and lon and date):
        return src, pd.DataFrame()
    out = pd.DataFrame({"lat": df[lat], "lon": df[lon], "date": pd.to_datetime(df[date])})
    for c in ("acq_time_utc", "satellite", "confidence_pct", "frp_mw", "county_code"):
        out[c] = df[c] if c in df.columns else None
    out["is_masked"] = df["is_masked"].fillna(False).astype(bool) if "is_masked" in df.columns \
        else False
    out = out.drop_duplicates(subset=["lat", "lon", "date", "acq_time_utc", "satellite"])
    out["year"] = out["date"].dt.year
    return src, out.dropna(subset=["lat", "lon"])


def fires(marts: Marts) -> tuple[str | None, pd.DataFrame]:
    src, df = _source(marts, FIRE_MARTS, "fire_reports")
    if df.empty:
        return src, df
    df = df.copy()
    start = pick(df, "start_date", "report_date")
    df["year"] = pd.to_datetime(df[start]).dt.year if start else None
    return src, df


def pests(marts: Marts) -> tuple[str | None, pd.DataFrame]:
    src, df = _source(marts, PEST_MARTS, "pest_reports")
    if df.empty:
        return src, df
    df = df.copy()
    d = pick(df, "report_date")
    df["year"] = pd.to_datetime(df[d]).dt.year if d else df.get("report_year")
    return src, df


def fire_map(hsrc: str | None, hs: pd.DataFrame, fsrc: str | None, fr: pd.DataFrame,
             marts: Marts) -> Figure:
    title_zh, title_en = "林草火情：卫星热点与火灾报告", "Fire: satellite hotspots and fire reports"
    srcs = [s for s in (hsrc, fsrc) if s]
    if hs.empty and fr.empty:
        return unavailable_figure("fire-map", title_zh, title_en, [HOTSPOT_MARTS[0]])
    static = hs[hs["is_masked"]] if not hs.empty else hs
    hs = hs[~hs["is_masked"]] if not hs.empty else hs
    years = sorted(int(y) for y in hs["year"].dropna().unique()) if not hs.empty else []
    cz, ce = county_names(marts.get("dim_counties"))

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        pts = []
        if len(static):  # steel works, power plants: masked, shown when the legend entry is on
            pts.append(go.Scatter(
                x=static["lon"], y=static["lat"], mode="markers", visible="legendonly",
                name="固定热源（已屏蔽）" if zh else "Static sources (masked)",
                marker={"size": 5, "color": "#7b8794", "opacity": 0.6, "symbol": "square"},
                hovertemplate="%{x:.3f}E %{y:.3f}N<extra></extra>"))
        for i, y in enumerate(years):
            sel = hs[hs["year"] == y]
            pts.append(go.Scatter(
                x=sel["lon"], y=sel["lat"], mode="markers", name=f"{y} " + ("热点" if zh else
                                                                          "hotspots"),
                marker={"size": 6, "color": YEAR_COLOURS[-len(years):][i] if len(years) <= 6
                        else YEAR_COLOURS[i % 6], "opacity": 0.8,
                        "line": {"width": 0.4, "color": "#5c1d00"}},
                customdata=text_array(zip(sel["date"].dt.strftime("%Y-%m-%d"),
                                          sel["satellite"].astype(str),
                                          sel["frp_mw"].map(lambda v: fmt_num(v, 1)),
                                          strict=True), 3),
                hovertemplate="%{customdata[0]} · %{customdata[1]}<br>FRP %{customdata[2]} MW"
                "<extra></extra>",
            ))
        lon, lat = pick(fr, "lon", "longitude"), pick(fr, "lat", "latitude")
        if not fr.empty and lon and lat:
            f = fr.dropna(subset=[lon, lat])
            area = f["burned_area_ha"] if "burned_area_ha" in f else pd.Series(1.0, f.index)
            pts.append(go.Scatter(
                x=f[lon], y=f[lat], mode="markers", name="火灾报告" if zh else "Fire reports",
                marker={"symbol": "triangle-up", "size": (area.fillna(0) ** 0.5 * 2.2 + 7)
                        .clip(upper=26), "color": "#1f2933", "opacity": 0.85,
                        "line": {"width": 1, "color": "#ffffff"}},
                customdata=[[str(r.get("report_id")), cause_name(r.get("cause"))[0 if zh else 1],
                             fmt_num(r.get("burned_area_ha"), 1)]
                            for r in f.to_dict("records")],
                hovertemplate="%{customdata[0]}<br>" + ("起因 " if zh else "cause ")
                + "%{customdata[1]}<br>" + ("过火面积 " if zh else "burned ")
                + "%{customdata[2]} ha<extra></extra>",
            ))
        shapes = counties_geo()
        labels = {k: (cz if zh else ce).get(k, "") for k in shapes}
        fig = geo.map_figure(outlines=list(shapes.values()), points=pts, height=640,
                             outline_labels=labels)
        fig.update_layout(showlegend=True, legend={"orientation": "v", "x": 1.0, "y": 1.0,
                                                   "xanchor": "right",
                                                   "bgcolor": "rgba(255,255,255,0.85)"})
        return fig

    return Figure("fire-map", title_zh, title_en, srcs, build("zh"), build("en"),
                  note_zh="圆点：FIRMS 卫星热点（按年份着色）；三角：火灾报告（大小为过火面积）。"
                  "钢厂、电厂等固定热源已屏蔽，点击图例“固定热源”显示。",
                  note_en="Dots: FIRMS satellite hotspots by year; triangles: fire reports "
                  "(size = burned area). Static sources (steel works, power plants) are masked; "
                  "click their legend entry to show them.", wide=True)


def pest_figure(src: str | None, df: pd.DataFrame) -> Figure:
    title_zh, title_en = "林草有害生物：按种类与危害程度的发生面积（万亩）", (
        "Pests: affected area by pest and severity (10k mu)")
    if df.empty or "pest" not in df.columns:
        return unavailable_figure("pests", title_zh, title_en, [PEST_MARTS[0]])
    sev = pick(df, "severity")
    area = pick(df, "affected_area_mu", "area_mu")
    g = df.groupby(["pest", sev] if sev else ["pest"])[area].sum().reset_index()
    pests_ = g.groupby("pest")[area].sum().sort_values(ascending=False).index.tolist()

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        fig = Fig()
        for key, (szh, sen, colour) in SEVERITY.items():
            sel = g[g[sev] == key] if sev else g
            fig.add_trace(go.Bar(
                orientation="h", y=[pest_name(p)[0 if zh else 1] for p in sel["pest"]],
                x=sel[area] / WAN_MU.factor, name=szh if zh else sen, marker={"color": colour},
                hovertemplate="%{y}: %{x:,.2f} " + ("万亩" if zh else "10k mu")
                + "<extra>" + (szh if zh else sen) + "</extra>",
            ))
        fig.update_layout(**base_layout(
            120 + 48 * len(pests_), barmode="stack",
            xaxis={"title": {"text": "万亩" if zh else "10k mu"}},
            yaxis={"automargin": True, "categoryorder": "array",
                   "categoryarray": [pest_name(p)[0 if zh else 1] for p in pests_][::-1]},
        ))
        return fig

    return Figure("pests", title_zh, title_en, [src or ""], build("zh"), build("en"))


def pest_table(src: str | None, df: pd.DataFrame) -> Table:
    recs: list[dict[str, Any]] = []
    if not df.empty and "pest" in df.columns:
        sev = "severity" if "severity" in df.columns else None
        keys = ["year", "pest"] + ([sev] if sev else [])
        g = df.groupby(keys, dropna=False).agg(
            n=("pest", "size"), area=("affected_area_mu", "sum")).reset_index()
        for r in g.to_dict("records"):
            pzh, pen = pest_name(r["pest"])
            s = SEVERITY.get(str(r.get("severity")), (r.get("severity"), r.get("severity"), ""))
            recs.append({"year": None if isnull(r["year"]) else int(r["year"]), "pzh": pzh,
                         "pen": pen, "szh": s[0], "sen": s[1], "n": int(r["n"]),
                         "area": scaled(r["area"], WAN_MU)})
    return Table(
        "pest_reports_by_pest_severity", "有害生物发生情况（按年份、种类、危害程度）",
        "Pest reports by year, pest and severity", [src or PEST_MARTS[0]],
        [Col("year", "年份", "Year", "int"), Col("pzh", "种类", "Pest", "bi", key_en="pen"),
         Col("szh", "危害程度", "Severity", "bi", key_en="sen"),
         Col("n", "报告数", "Reports", "int"),
         Col("area", "发生面积（万亩）", "Affected (10k mu)", "num", 2)],
        recs, unavailable=[] if src else [PEST_MARTS[0]],
    )


def fire_table(src: str | None, fr: pd.DataFrame, marts: Marts) -> Table:
    cz, ce = county_names(marts.get("dim_counties"))
    recs = []
    for r in fr.to_dict("records") if not fr.empty else []:
        c = str(r.get("county_code"))
        czh, cen = cause_name(r.get("cause"))
        recs.append({"id": r.get("report_id"), "year": None if isnull(r.get("year"))
                     else int(r["year"]),
                     "date": None if isnull(r.get("start_date")) else str(r["start_date"])[:10],
                     "czh": cz.get(c, c), "cen": ce.get(c, c), "cause_zh": czh,
                     "cause_en": cen, "veg": r.get("vegetation_type"),
                     "ha": num_or_none(r.get("burned_area_ha"))})
    recs.sort(key=lambda r: (r["date"] or ""), reverse=True)
    return Table(
        "fire_reports", "火灾报告", "Fire reports", [src or FIRE_MARTS[0]],
        [Col("id", "报告编号", "Report"), Col("date", "起火日期", "Start date"),
         Col("czh", "旗县区", "County", "bi", key_en="cen"),
         Col("cause_zh", "起因", "Cause", "bi", key_en="cause_en"),
         Col("veg", "植被类型", "Vegetation"),
         Col("ha", "过火面积（公顷）", "Burned (ha)", "num", 1)],
        recs, unavailable=[] if src else [FIRE_MARTS[0]],
    )


def hotspot_table(src: str | None, hs: pd.DataFrame, marts: Marts) -> Table:
    cz, ce = county_names(marts.get("dim_counties"))
    recs = []
    hs = hs[~hs["is_masked"]] if not hs.empty else hs
    if not hs.empty:
        g = hs.groupby(["year", "county_code"], dropna=False).agg(
            n=("lat", "size"), frp=("frp_mw", "sum")).reset_index()
        for r in g.to_dict("records"):
            c = "" if isnull(r["county_code"]) else str(r["county_code"])
            recs.append({"year": int(r["year"]), "code": c or "—", "czh": cz.get(c, c or "—"),
                         "cen": ce.get(c, c or "—"), "n": int(r["n"]),
                         "frp": num_or_none(r["frp"])})
    return Table(
        "fire_hotspots_by_county_year", "卫星热点（按年份、旗县区）",
        "Satellite hotspots by year and county", [src or HOTSPOT_MARTS[0]],
        [Col("year", "年份", "Year", "int"), Col("code", "区划代码", "County code"),
         Col("czh", "旗县区", "County", "bi", key_en="cen"), Col("n", "热点数", "Hotspots", "int"),
         Col("frp", "火辐射功率合计（MW）", "Total FRP (MW)", "num", 1)],
        recs, unavailable=[] if src else [HOTSPOT_MARTS[0]],
    )


def losses(marts: Marts) -> tuple[Figure, Table | None]:
    name, df = marts.first(*LOSS_MARTS)
    title_zh, title_en = "按原因的碳损失（t CO₂e）", "Carbon losses by cause (t CO₂e)"
    if name is None:
        return unavailable_figure(
            "losses", title_zh, title_en, [LOSS_MARTS[0]],
            note_zh="火灾、病虫害造成的碳损失由核算数据集市计算，发布后在此按年份、原因显示。",
            note_en="Losses to fire and pests are computed by the accounting marts and will "
            "show here by year and cause."), None
    cause = pick(df, "cause", "loss_cause", "disturbance_type")
    val = pick(df, "loss_co2e_t", "losses_co2e_t", "emissions_co2e_t", "co2e_t")
    if not cause or not val or "year" not in df.columns:
        return Figure("losses", title_zh, title_en, [name], None, None), None
    g = df.groupby(["year", cause])[val].sum().reset_index()

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        fig = Fig()
        for c in sorted(g[cause].dropna().unique()):
            sel = g[g[cause] == c]
            fig.add_trace(go.Bar(x=[str(int(y)) for y in sel["year"]], y=sel[val],
                                 name=cause_name(c)[0 if zh else 1],
                                 hovertemplate="%{x}: %{y:,.0f} t CO₂e<extra></extra>"))
        fig.update_layout(**base_layout(320, barmode="stack", xaxis={"type": "category"},
                                        yaxis={"title": {"text": "t CO₂e"},
                                               "tickformat": ",.0f"}))
        return fig

    recs = [{"year": int(r["year"]), "zh": cause_name(r[cause])[0], "en": cause_name(r[cause])[1],
             "v": num_or_none(r[val])} for r in g.to_dict("records")]
    table = Table("losses_by_cause", "按原因的碳损失", "Carbon losses by cause", [name],
                  [Col("year", "年份", "Year", "int"),
                   Col("zh", "原因", "Cause", "bi", key_en="en"),
                   Col("v", "损失（t CO₂e）", "Loss (t CO₂e)", "num", 0)], recs)
    return Figure("losses", title_zh, title_en, [name], build("zh"), build("en")), table


def page(marts: Marts) -> Page:
    hsrc, hs = hotspots(marts)
    fsrc, fr = fires(marts)
    psrc, pe = pests(marts)
    years = [int(y) for y in pd.concat([hs.get("year", pd.Series(dtype=float)),
                                        fr.get("year", pd.Series(dtype=float))]).dropna()]
    y = max(years) if years else None
    hs_y = hs[(hs["year"] == y) & ~hs["is_masked"]] if y and not hs.empty else hs.iloc[0:0]
    fr_y = fr[fr["year"] == y] if y and not fr.empty else fr.iloc[0:0]
    pe_y = pe[pe["year"] == y] if y and not pe.empty else pe.iloc[0:0]
    loss_fig, loss_tbl = losses(marts)
    lname, ldf = marts.first(*LOSS_MARTS)
    lval = pick(ldf, "loss_co2e_t", "losses_co2e_t", "emissions_co2e_t", "co2e_t")
    ly = ldf[ldf["year"] == ldf["year"].max()] if lname and "year" in ldf else ldf
    suffix_zh, suffix_en = (f"（{y}年）", f" ({y})") if y else ("", "")
    kpis = [
        Kpi("卫星热点" + suffix_zh, "Satellite hotspots" + suffix_en,
            str(len(hs_y)) if hsrc else "—", "个", hsrc or ""),
        Kpi("火灾报告" + suffix_zh, "Fire reports" + suffix_en, str(len(fr_y)) if fsrc else "—",
            "起", fsrc or "",
            f"过火 {fmt_num(fr_y['burned_area_ha'].sum(), 1)} 公顷" if fsrc and len(fr_y) else "",
            f"{fmt_num(fr_y['burned_area_ha'].sum(), 1)} ha burned" if fsrc and len(fr_y)
            else ""),
        Kpi("有害生物发生面积" + suffix_zh, "Pest-affected area" + suffix_en,
            fmt_num(scaled(pe_y["affected_area_mu"].sum(), WAN_MU), 2) if psrc and len(pe_y)
            else "—", "万亩", psrc or ""),
        Kpi("碳损失", "Carbon losses",
            fmt_num(ly[lval].sum()) if lname and lval else "—", "t CO₂e",
            lname or LOSS_MARTS[0], "" if lname else "数据集市尚未发布",
            "" if lname else "mart not yet published", tone="" if lname else "warn"),
    ]
    return Page(
        "disturbances", "disturbances", "灾害与损失", "Disturbances",
        lead_zh="火灾、有害生物对碳汇的影响：今天需要关注什么。",
        lead_en="What fire and pests took from the sink, and what needs attention today.",
        kpis=kpis,
        sections=[
            Section("fire", "火情", "Fire", figures=[fire_map(hsrc, hs, fsrc, fr, marts)],
                    tables=[hotspot_table(hsrc, hs, marts), fire_table(fsrc, fr, marts)]),
            Section("pests", "有害生物", "Pests", figures=[pest_figure(psrc, pe)],
                    tables=[pest_table(psrc, pe)]),
            Section("losses", "碳损失", "Carbon losses", figures=[loss_fig],
                    tables=[loss_tbl] if loss_tbl else []),
        ],
    )
