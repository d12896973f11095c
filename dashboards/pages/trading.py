"""碳汇交易 Carbon trading: the project reserve (eligibility and reasons), credits by vintage with
every deduction, the ledger's balances reconciled with the sink, subscriptions and retirements,
and each project's parcels on the map. Reads dim_projects, dim_project_parcels,
fct_project_credits, fct_ledger_balances and fct_offset_claims (a read-only snapshot of the
ledger taken before the build). Every text comes from the marts and is escaped by the
templates (jinja autoescape); CSV downloads go through ``Table`` (formula-neutralised)."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboards import geo
from dashboards.core import Col, Kpi, Marts, Page, Section, Table, fmt_num, isnull, num_or_none
from dashboards.figures import Fig, Figure, base_layout
from dashboards.pages.common import counties_geo

SOURCES = ("dim_projects", "dim_project_parcels", "fct_project_credits", "fct_ledger_balances",
           "fct_offset_claims")
#: The inputs this page reads (marts, and ``raw:<family>`` for raw-layer fallbacks): the
#: page is rendered again only when one of them changed (dashboards.incremental); a read
#: that is not declared here is reported and keeps the page from being cached.
READS = SOURCES
PROJECT_COLOURS = ["#1b5e20", "#1f6fb2", "#b08d1a", "#8d6e63", "#6a1b9a", "#00838f", "#c62828",
                   "#558b2f"]
TYPE_ZH = {"afforestation": "造林", "forest_management": "森林经营", "grassland": "草原",
           "wetland": "湿地"}
CLAIM_ZH = {"subscription": "认购", "retirement": "注销"}


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [] if df.empty else df.to_dict("records")


def _text(x: Any) -> str:
    return "" if isnull(x) else str(x)


def reserve_table(projects: pd.DataFrame) -> Table:
    recs = []
    for r in _records(projects):
        recs.append({**r, "type_zh": TYPE_ZH.get(_text(r.get("project_type")),
                                                 _text(r.get("project_type"))),
                     "start": _text(r.get("start_date"))[:10],
                     "crediting": f"{_text(r.get('crediting_start'))[:10]} – "
                                  f"{_text(r.get('crediting_end'))[:10]}",
                     "reasons": _text(r.get("ineligibility_reasons")) or "—"})
    return Table(
        "project_reserve", "项目储备：适用条件与不合格原因", "Project reserve: applicability",
        ["dim_projects"],
        [Col("project_id", "项目编号", "Project"),
         Col("project_name", "项目名称", "Name"),
         Col("type_zh", "类型", "Type", "bi", key_en="project_type"),
         Col("methodology", "方法学", "Methodology"),
         Col("scheme_code", "登记机构", "Scheme"),
         Col("owner", "业主", "Owner"),
         Col("start", "开始日期", "Start"),
         Col("crediting", "计入期", "Crediting period"),
         Col("n_parcels", "小班数", "Parcels", "int"),
         Col("parcels_area_mu", "小班面积（亩）", "Parcel area (mu)", "num", 0),
         Col("n_plots_inside", "样地数", "Plots inside", "int"),
         Col("is_eligible", "符合条件", "Eligible", "flag"),
         Col("reasons", "不合格原因 [条款; 来源等级]", "Reasons [clause; status]")],
        recs,
        note_zh="来源等级：P 原文、S 转述或副本、A 假设（未读到条款原文，须核实）。"
        "不合格的项目留在储备中并列出原因。",
        note_en="Status: P primary text, S secondary copy or summary, A assumed (clause not "
        "read, to be verified). A project that fails a condition stays in the reserve with "
        "the reasons.")


def credits_table(credits: pd.DataFrame) -> Table:
    recs = [r for r in _records(credits)
            if not isnull(r.get("gross_removals_t")) or not isnull(r.get("ex_ante_t"))]
    recs.sort(key=lambda r: (_text(r.get("project_id")), r.get("vintage") or 0))
    return Table(
        "project_credits", "各项目逐年碳汇量：事前估计与事后可签发量（含各项扣减）",
        "Credits per project and vintage: ex-ante and ex-post with every deduction",
        ["fct_project_credits"],
        [Col("project_id", "项目编号", "Project"),
         Col("vintage", "年份", "Vintage", "int"),
         Col("ex_ante_t", "事前估计", "Ex-ante", "num", 0),
         Col("gross_removals_t", "实测清除量", "Measured removals", "num", 0),
         Col("baseline_t", "基线", "Baseline", "num", 0),
         Col("leakage_t", "泄漏", "Leakage", "num", 0),
         Col("removals_u90_pct", "不确定性 90% (%)", "Uncertainty 90 % (%)", "num", 1),
         Col("uncertainty_deduction_t", "不确定性扣减", "Uncertainty deduction", "num", 0),
         Col("creditable_t", "可签发量", "Creditable", "num", 0),
         Col("buffer_t", "缓冲（非持久性）", "Buffer (non-permanence)", "num", 0),
         Col("issuable_to_owner_t", "归业主", "To the owner", "num", 0),
         Col("is_eligible", "符合条件", "Eligible", "flag")],
        recs, note_zh="单位：t CO₂e。不符合条件的项目可签发量为 0。",
        note_en="t CO₂e. An ineligible project has 0 creditable.")


def credits_figure(credits: pd.DataFrame) -> Figure:
    title_zh, title_en = "各年份可签发碳汇量（t CO₂e）", "Creditable removals by vintage (t CO₂e)"
    if credits.empty or not (credits["creditable_t"].fillna(0) > 0).any():
        return Figure("credits", title_zh, title_en, ["fct_project_credits"], None, None)
    df = credits[credits["creditable_t"].fillna(0) > 0]
    projects = sorted(df["project_id"].astype(str).unique())

    def build(lang: str) -> Fig:
        fig = Fig()
        for i, p in enumerate(projects):
            d = df[df["project_id"].astype(str) == p].sort_values("vintage")
            fig.add_trace(go.Bar(x=d["vintage"].astype(int).astype(str).tolist(),
                                 y=d["creditable_t"].tolist(), name=html.escape(p),
                                 marker={"color": PROJECT_COLOURS[i % len(PROJECT_COLOURS)]},
                                 hovertemplate="%{fullData.name} %{x}: %{y:,.0f} t<extra></extra>"))
        fig.update_layout(**base_layout(
            360, barmode="stack", xaxis={"type": "category"},
            yaxis={"title": {"text": "t CO₂e"}, "tickformat": ",.0f"}))
        return fig

    return Figure("credits", title_zh, title_en, ["fct_project_credits"], build("zh"),
                  build("en"), note_zh="已扣除基线、泄漏和不确定性；含缓冲部分。",
                  note_en="After baseline, leakage and uncertainty; the buffer share included.")


def balances_table(balances: pd.DataFrame) -> tuple[Table, list[dict[str, Any]]]:
    recs: list[dict[str, Any]] = []
    if not balances.empty:
        cols = ["creditable_units", "issued_units", "buffer_units", "reversed_units",
                "available_units", "shortfall_units", "held_issuer_units", "held_holder_units",
                "retired_units", "cancelled_units"]
        g = balances.groupby(["scheme_code", "vintage"], as_index=False)[cols].sum()
        for r in g.sort_values(["scheme_code", "vintage"]).to_dict("records"):
            r["reconciled"] = r["shortfall_units"] == 0
            recs.append(r)
    return Table(
        "ledger_balances", "登记簿余额与碳汇核算对账（按机制和年份）",
        "Ledger balances reconciled with the sink account (by scheme and vintage)",
        ["fct_ledger_balances"],
        [Col("scheme_code", "机制", "Scheme"), Col("vintage", "年份", "Vintage", "int"),
         Col("creditable_units", "可签发（本次核算）", "Creditable (this build)", "int"),
         Col("issued_units", "已签发", "Issued", "int"),
         Col("buffer_units", "缓冲", "Buffer", "int"),
         Col("reversed_units", "损失冲销", "Reversed (losses)", "int"),
         Col("available_units", "未签发", "Not yet issued", "int"),
         Col("shortfall_units", "超发未冲销", "Over-issued, not reversed", "int"),
         Col("held_issuer_units", "林草局持有", "Held by the bureau", "int"),
         Col("held_holder_units", "买方持有", "Held by buyers", "int"),
         Col("retired_units", "已注销", "Retired", "int"),
         Col("cancelled_units", "已撤销", "Cancelled", "int"),
         Col("reconciled", "对账一致", "Reconciled", "flag")],
        recs,
        note_zh="可签发 = 已签发 + 缓冲 + 未签发（逐小班逐年核对）；超发且未由损失冲销抵补的单位"
        "使质量门阻止发布。登记簿为构建前的只读快照。",
        note_en="Creditable = issued + buffer + not yet issued, checked per parcel and vintage; "
        "units issued beyond the sink and not reversed for a loss stop the run at the gate. "
        "The ledger is a read-only snapshot taken before the build."), recs


def claims_table(claims: pd.DataFrame) -> Table:
    recs = []
    for r in _records(claims):
        kind = _text(r.get("claim_kind"))
        recs.append({**r, "kind_zh": CLAIM_ZH.get(kind, kind),
                     "at_day": _text(r.get("recorded_at"))[:10],
                     "code": _text(r.get("verification_code"))[:16] or "—",
                     "purpose": " ".join(x for x in (_text(r.get("purpose_name")),
                                                     _text(r.get("purpose_year"))) if x)})
    recs.sort(key=lambda r: (r["at_day"], r["kind_zh"], r.get("claim_id") or 0))
    return Table(
        "offset_claims", "认购与注销", "Subscriptions and retirements", ["fct_offset_claims"],
        [Col("kind_zh", "类型", "Kind", "bi", key_en="claim_kind"),
         Col("claim_id", "编号", "No.", "int"),
         Col("account_name", "账户", "Account"),
         Col("quantity", "数量（t CO₂e）", "Units (t CO₂e)", "int"),
         Col("scheme_code", "机制", "Scheme"),
         Col("vintages", "年份", "Vintages"),
         Col("purpose", "用途", "Purpose"),
         Col("beneficiary", "受益方", "Beneficiary"),
         Col("projects", "项目", "Projects"),
         Col("at_day", "日期", "Date"),
         Col("code", "证书校验码", "Certificate code")],
        recs, note_zh="注销证书：sinkwatch ledger certificate <编号>；校验码为注销事件的哈希。",
        note_en="Certificates: sinkwatch ledger certificate <no.>; the code is the hash of the "
        "retirement's event.")


def project_map(parcels: pd.DataFrame) -> Figure:
    title_zh, title_en = "项目小班分布", "Project parcels"
    if parcels.empty or "geometry_wkt" not in parcels:
        return Figure("project-map", title_zh, title_en, ["dim_project_parcels"], None, None)
    shapes = geo.parcel_shapes(parcels[["parcel_id", "geometry_wkt"]].drop_duplicates("parcel_id"))
    projects = sorted(parcels["project_id"].astype(str).unique())
    colour = {p: PROJECT_COLOURS[i % len(PROJECT_COLOURS)] for i, p in enumerate(projects)}
    counties = list(counties_geo().values())

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        regions = []
        for r in _records(parcels):
            s = shapes.get(str(r["parcel_id"]))
            if s is None:
                continue
            ok = bool(r.get("is_eligible"))
            detail = (f"{html.escape(_text(r.get('project_name')))}<br>"
                      f"{'面积' if zh else 'Area'} {fmt_num(num_or_none(r.get('area_mu')))} "
                      f"{'亩' if zh else 'mu'} · "
                      + (("符合条件" if ok else "不符合条件") if zh
                         else ("eligible" if ok else "not eligible")))
            regions.append(geo.Region(s, None, html.escape(f"{r['project_id']} · {r['parcel_id']}"),
                                      detail, colour=colour[str(r["project_id"])]))
        legend = [go.Scatter(x=[None], y=[None], mode="markers", name=html.escape(p),
                             marker={"size": 10, "color": colour[p], "symbol": "square"},
                             showlegend=True) for p in projects]
        return geo.map_figure(outlines=counties, regions=regions, points=legend, height=600,
                              focus=[r.shape for r in regions] or None)

    return Figure("project-map", title_zh, title_en, ["dim_project_parcels"], build("zh"),
                  build("en"), note_zh="颜色区分项目；县界：DataV.GeoAtlas（随站点发布）。",
                  note_en="One colour per project; county outlines: DataV.GeoAtlas (shipped).")


def page(marts: Marts) -> Page:
    projects = marts.get("dim_projects")
    parcels = marts.get("dim_project_parcels")
    credits = marts.get("fct_project_credits")
    balances = marts.get("fct_ledger_balances")
    claims = marts.get("fct_offset_claims")
    missing = [m for m in SOURCES if not marts.has(m)]
    n_ok = int(projects["is_eligible"].fillna(False).sum()) if not projects.empty else 0
    creditable = float(credits["creditable_t"].fillna(0).sum()) if not credits.empty else 0.0
    btable, brecs = balances_table(balances)
    issued = sum(r["issued_units"] + r["buffer_units"] for r in brecs)
    retired = sum(r["retired_units"] for r in brecs)
    over = int((balances["shortfall_units"] > 0).sum()) if "shortfall_units" in balances else 0
    kpis = [
        Kpi("储备项目", "Projects in the reserve", str(len(projects)) if marts.has(
            "dim_projects") else "—", "个", "dim_projects",
            f"符合条件 {n_ok} 个", f"{n_ok} eligible"),
        Kpi("可签发碳汇量（事后）", "Creditable removals (ex-post)", fmt_num(creditable),
            "t CO₂e", "fct_project_credits"),
        Kpi("已签发（含缓冲）", "Issued (incl. buffer)", fmt_num(issued), "t CO₂e",
            "fct_ledger_balances"),
        Kpi("已注销", "Retired", fmt_num(retired), "t CO₂e", "fct_ledger_balances"),
        Kpi("超发未冲销（小班·年）", "Over-issued parcel-years (not reversed)", str(over), "",
            "fct_ledger_balances", "与碳汇核算逐小班逐年对账", "reconciled per parcel and vintage",
            tone="ok" if not over else "bad"),
    ]
    return Page(
        "trading", "trading", "碳汇交易", "Carbon trading",
        lead_zh="CCER 项目储备、按方法学核算的可签发碳汇量、"
        "登记簿（签发、认购、注销、损失冲销）与碳汇核算的对账。",
        lead_en="The CCER project reserve, creditable removals per methodology, and the "
        "ledger (issuance, subscriptions, retirements, loss reversals) reconciled with the "
        "sink account.",
        kpis=kpis,
        sections=[
            Section("reserve", "项目储备", "Project reserve", figures=[project_map(parcels)],
                    tables=[reserve_table(projects)], unavailable=missing),
            Section("credits", "碳汇量（按年份）", "Credits by vintage",
                    figures=[credits_figure(credits)], tables=[credits_table(credits)]),
            Section("ledger", "登记簿与对账", "Ledger and reconciliation", tables=[btable]),
            Section("claims", "认购与注销", "Subscriptions and retirements",
                    tables=[claims_table(claims)]),
        ],
    )
