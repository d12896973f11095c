"""警情 (alerts): what a duty officer looks at first. Open alerts, a map of the fire danger of
the newest rated day with the places of the open alerts, and the history below.

Rendered with the whole site by the nightly run (from the marts ``fct_alerts`` and
``fct_fire_danger_daily``), and again after every alerting run of the ingest DAGs from the alert
store and the fire-danger ratings as they are at that moment (``refresh_alerts_page`` in
:mod:`dashboards.build`), without rendering the other pages: an alert never waits for the night.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboards import geo
from dashboards.core import Col, Kpi, Marts, Page, Section, Table, isnull
from dashboards.figures import Fig, Figure, text_array
from dashboards.pages.common import counties_geo, unavailable_figure

ALERTS = "fct_alerts"
DANGER = "fct_fire_danger_daily"
#: The inputs this page reads (marts, and ``raw:<family>`` for raw-layer fallbacks): the
#: page is rendered again only when one of them changed (dashboards.incremental); a read
#: that is not declared here is reported and keeps the page from being cached.
READS = (ALERTS, DANGER)
SEVERITY_RANK = {"critical": 0, "high": 1, "warning": 2, "info": 3}
SEVERITY_ZH = {"critical": "特急", "high": "紧急", "warning": "警示", "info": "提示"}
STATE_ZH = {"open": "未处理", "acknowledged": "已签收", "closed": "已关闭"}
TYPE_ZH = {"fire_event": "林草火情", "fire_danger": "森林草原火险", "pest_outbreak": "有害生物疫情",
           "ndvi_anomaly": "植被退化异常"}
TYPE_COLOUR = {"fire_event": "#d7301f", "fire_danger": "#fc8d59", "pest_outbreak": "#6a51a3",
               "ndvi_anomaly": "#8c6d31"}
#: Fire-danger classes 一级..五级: colours from low (green) to extreme (dark red).
DANGER_COLOUR = {1: "#1a9850", 2: "#91cf60", 3: "#fee08b", 4: "#fc8d59", 5: "#b2182b"}


def _places(v: Any) -> str:
    if isinstance(v, str):
        try:
            v = json.loads(v)
        except ValueError:
            return v
    if v is None or (not isinstance(v, (list, tuple)) and isnull(v)):
        return ""
    return ", ".join(str(x) for x in list(v))


def _time(v: Any) -> str | None:
    if isnull(v):
        return None
    ts = pd.Timestamp(v)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert("Asia/Shanghai").strftime("%Y-%m-%d %H:%M")


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    recs = []
    for r in df.to_dict("records"):
        sev, state, kind = str(r.get("severity")), str(r.get("state")), str(r.get("alert_type"))
        recs.append({
            "severity_zh": SEVERITY_ZH.get(sev, sev), "severity_en": sev,
            "state_zh": STATE_ZH.get(state, state), "state_en": state,
            "type_zh": TYPE_ZH.get(kind, kind), "type_en": kind,
            "title": r.get("title"), "message": r.get("message"),
            "places": " · ".join(p for p in (_places(r.get("county_codes")),
                                             _places(r.get("zone_ids"))) if p),
            "n_parcels": len(json.loads(r["parcel_ids"])) if isinstance(r.get("parcel_ids"), str)
            else (len(r["parcel_ids"]) if isinstance(r.get("parcel_ids"), (list, tuple)) else None),
            "first_seen": _time(r.get("first_seen_at")),
            "updated": _time(r.get("last_updated_at")),
            "history": r.get("state_history"),
            "alert_id": r.get("alert_id"),
        })
    return recs


def _cols(history: bool) -> list[Col]:
    cols = [
        Col("severity_zh", "级别", "Severity", "bi", key_en="severity_en"),
        Col("state_zh", "状态", "State", "bi", key_en="state_en"),
        Col("type_zh", "类型", "Type", "bi", key_en="type_en"),
        Col("title", "警情", "Alert"),
        Col("places", "旗县区 · 发展区", "Counties · zones"),
        Col("n_parcels", "涉及地块", "Parcels", "int"),
        Col("first_seen", "首次发现（北京时间）", "First seen (UTC+8)"),
        Col("updated", "最近更新", "Last updated"),
        Col("message", "详情", "Details"),
    ]
    if history:
        cols.append(Col("history", "状态变化", "State changes"))
    return cols + [Col("alert_id", "编号", "Alert id")]


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(_rank=df["severity"].map(SEVERITY_RANK).fillna(9)).sort_values(
        ["_rank", "last_updated_at", "alert_id"], ascending=[True, False, True]).drop(
        columns="_rank")


def _latest_danger(marts: Marts) -> tuple[str | None, pd.DataFrame]:
    d = marts.get(DANGER)
    need = {"area_kind", "area_id", "obs_date", "danger_class", "is_rated"}
    if d.empty or not need <= set(d.columns):
        return None, pd.DataFrame()
    d = d[(d["area_kind"] == "county") & d["is_rated"].fillna(False).astype(bool)]
    if d.empty:
        return None, d
    day = d["obs_date"].max()
    return str(pd.Timestamp(day).date()), d[d["obs_date"] == day]


def _map(open_alerts: pd.DataFrame, marts: Marts) -> Figure:
    title_zh = "警情地图：最新火险等级与未处理警情"
    title_en = "Map: newest fire danger and open alerts"
    day, danger = _latest_danger(marts)
    shapes = counties_geo()
    pts = open_alerts.dropna(subset=["lon", "lat"]) if not open_alerts.empty and {
        "lon", "lat"} <= set(open_alerts.columns) else pd.DataFrame()
    if danger.empty and pts.empty:
        return unavailable_figure("alerts-map", title_zh, title_en, [DANGER, ALERTS])

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        regions = []
        for r in danger.to_dict("records"):
            shape = shapes.get(str(r["area_id"]))
            cls = None if isnull(r.get("danger_class")) else int(r["danger_class"])
            if shape is None or cls is None:
                continue
            name = r.get("area_name_zh") or r["area_id"]
            regions.append(geo.Region(
                shape=shape, value=float(cls), label=str(name),
                detail=f"{'火险等级' if zh else 'Danger class'} {cls} · FWI "
                       f"{'' if isnull(r.get('fwi')) else round(float(r['fwi']), 1)}",
                colour=DANGER_COLOUR.get(cls)))
        layers = []
        for kind, g in (pts.groupby("alert_type") if not pts.empty else []):
            layers.append(go.Scatter(
                x=g["lon"], y=g["lat"], mode="markers",
                name=TYPE_ZH.get(kind, kind) if zh else kind,
                marker={"size": 11, "color": TYPE_COLOUR.get(kind, "#333"), "symbol": "diamond",
                        "line": {"width": 1, "color": "#fff"}},
                customdata=text_array(zip(g["title"].astype(str), g["severity"].astype(str),
                                          strict=True), 2),
                hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra></extra>"))
        return geo.map_figure(outlines=list(shapes.values()), regions=regions, points=layers,
                              colour_title="火险等级" if zh else "Danger class",
                              vrange=(1, 5), tickformat=".0f")

    note_zh = (f"旗县区颜色：{day} 的火险等级（一级绿至五级深红）；菱形：未处理警情的位置。"
               if day else "菱形：未处理警情的位置。")
    note_en = (f"County colour: fire danger class on {day} (1 green to 5 dark red); diamonds: "
               "places of the open alerts." if day else "Diamonds: places of the open alerts.")
    return Figure("alerts-map", title_zh, title_en, [DANGER, ALERTS], build("zh"), build("en"),
                  note_zh=note_zh, note_en=note_en)


def page(marts: Marts) -> Page:
    df = marts.get(ALERTS)
    history = "state_history" in df.columns
    if df.empty:
        open_df = closed = df
    else:
        df = _sorted(df)
        open_df = df[df["state"].isin(["open", "acknowledged"])]
        closed = df
    n_open = int((df["state"] == "open").sum()) if not df.empty else 0
    n_ack = int((df["state"] == "acknowledged").sum()) if not df.empty else 0
    n_crit = int(((df["state"] != "closed") & (df["severity"] == "critical")).sum()) \
        if not df.empty else 0
    day, danger = _latest_danger(marts)
    worst = None if danger.empty else int(danger["danger_class"].max())
    kpis = [
        Kpi("未处理警情", "Open alerts", str(n_open), source=ALERTS,
            tone="bad" if n_open else "ok"),
        Kpi("已签收处置中", "Acknowledged", str(n_ack), source=ALERTS),
        Kpi("特急（未关闭）", "Critical, not closed", str(n_crit), source=ALERTS,
            tone="bad" if n_crit else ""),
        Kpi("最高火险等级", "Highest fire danger", "—" if worst is None else f"{worst} 级",
            source=DANGER, sub_zh=day or "", sub_en=day or "",
            tone="bad" if (worst or 0) >= 4 else ""),
    ]
    unavailable = [] if marts.has(ALERTS) else [ALERTS]
    open_table = Table("alerts_open", "未处理与处置中的警情", "Open and acknowledged alerts",
                       [ALERTS], _cols(history), _records(open_df), unavailable=unavailable,
                       note_zh="按级别、最近更新排序。签收：sinkwatch alerts ack <编号> "
                       "--by <姓名>，或在 Airflow 中运行 alert_state。",
                       note_en="By severity, then last update. Acknowledge with "
                       "`sinkwatch alerts ack <id> --by <name>` or the alert_state DAG.")
    all_table = Table("alerts_history", "全部警情（含已关闭）", "All alerts (closed included)",
                      [ALERTS], _cols(history), _records(closed), unavailable=unavailable)
    return Page(
        slug="alerts", nav="alerts", title_zh="警情", title_en="Alerts",
        lead_zh="林草火情、森林草原火险、有害生物疫情与植被退化异常，在接收数据的运行中即时发出。",
        lead_en="Fires, fire danger, pest outbreaks and vegetation anomalies, raised by the run "
        "that received the data.",
        kpis=kpis,
        sections=[
            Section("open", "当前警情", "Current alerts", tables=[open_table]),
            Section("map", "地图", "Map", figures=[_map(open_df, marts)]),
            Section("history", "历史", "History", tables=[all_table]),
        ],
    )
