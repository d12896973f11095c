"""Data health: last runs, gate results by suite, freshness per source, quarantine per file."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboards.core import Col, Kpi, Marts, Page, Section, Table, isnull, pick
from dashboards.figures import Fig, Figure, base_layout
from dashboards.pages.common import generic_table

#: Inputs read (see dashboards.pages.overview); the page also shows the GX results, the Data
#: Docs and ages against the clock, so it is rendered on every build (``ALWAYS``).
READS = ("ops_run_history", "ops_ingestion_manifest", "meta_run")
ALWAYS = True
#: How old (days) the newest file of a source may be before it is flagged as stale.
EXPECTED_DAYS = {
    "fire_hotspots": 2, "vegetation_indices": 32, "fire_reports": 31, "pest_reports": 31,
    "parcels": 400, "forest_plots": 400, "grassland_quadrats": 400, "wetland_surveys": 400,
    "demo_forests": 400, "weather_daily": 2,
}
FAMILY_NAMES = {
    "fire_hotspots": ("卫星火点（FIRMS）", "Fire hotspots (FIRMS)"),
    "vegetation_indices": ("植被指数（MODIS）", "Vegetation indices (MODIS)"),
    "fire_reports": ("火灾报告", "Fire reports"),
    "pest_reports": ("有害生物报告", "Pest reports"),
    "parcels": ("地块（小班）", "Parcels"),
    "forest_plots": ("森林样地", "Forest plots"),
    "grassland_quadrats": ("草原样方", "Grassland quadrats"),
    "wetland_surveys": ("湿地调查", "Wetland surveys"),
    "demo_forests": ("示范碳汇林", "Demonstration forests"),
    "weather_daily": ("气象日值", "Daily weather"),
}


def _ts(v: Any) -> str | None:
    if isnull(v):
        return None
    t = pd.Timestamp(v)
    if t.tzinfo is not None:
        t = t.tz_convert("Asia/Shanghai")
    return t.strftime("%Y-%m-%d %H:%M")


def _fam(f: Any) -> tuple[str, str]:
    k = "" if isnull(f) else str(f)
    return FAMILY_NAMES.get(k, (k, k))


def runs_table(marts: Marts) -> Table:
    name, df = marts.first("ops_run_history")
    if name:
        t = generic_table("run_history", "最近运行", "Last runs", name,
                          df.sort_values(pick(df, "started_at", "finished_at", "run_id") or
                                         df.columns[0], ascending=False).head(50))
        return t
    man = marts.get("ops_ingestion_manifest")
    recs = []
    if not man.empty and "run_id" in man.columns:
        g = man.groupby("run_id").agg(
            files=("file_name", "size"), families=("family", lambda s: ", ".join(sorted(set(s)))),
            first=("loaded_at", "min"), last=("loaded_at", "max"),
            read=("rows_read", "sum"), quarantined=("rows_quarantined", "sum"),
        ).reset_index().sort_values("last", ascending=False)
        for r in g.to_dict("records"):
            recs.append({"run_id": r["run_id"], "kind_zh": "接收入库", "kind_en": "ingest",
                         "first": _ts(r["first"]), "last": _ts(r["last"]), "files": r["files"],
                         "read": r["read"], "quarantined": r["quarantined"],
                         "families": r["families"]})
    meta = marts.get("meta_run")
    for r in meta.to_dict("records"):
        recs.insert(0, {"run_id": r.get("run_id"), "kind_zh": "集市构建与发布",
                        "kind_en": "marts build & publish", "first": _ts(r.get("built_at")),
                        "last": _ts(r.get("built_at")), "files": None, "read": None,
                        "quarantined": None, "families": None})
    return Table(
        "runs", "最近运行", "Last runs", ["meta_run", "ops_ingestion_manifest"],
        [Col("run_id", "运行编号", "Run id"),
         Col("kind_zh", "类型", "Kind", "bi", key_en="kind_en"),
         Col("first", "开始", "First load"), Col("last", "结束", "Last load"),
         Col("files", "文件数", "Files", "int"), Col("read", "读取行数", "Rows read", "int"),
         Col("quarantined", "隔离行数", "Rows quarantined", "int"),
         Col("families", "数据源", "Sources")],
        recs, note_zh="运行历史数据集市 ops_run_history 发布后，这里显示完整的运行记录。",
        note_en="Shows the full run log once the ops_run_history mart is published.",
    )


def _explain(failures: list[dict[str, Any]]) -> str:
    parts = []
    for f in failures[:4]:
        cols = ", ".join(str(c) for c in f.get("columns") or []) or "table"
        d = f"{f['type']} [{cols}] ({f.get('severity')})"
        if f.get("unexpected_count") is not None:
            d += f": {f['unexpected_count']} / {f.get('element_count')} rows"
        elif f.get("observed") is not None:
            d += f": observed {f['observed']}"
        if f.get("sample"):
            d += f", e.g. {f['sample']}"
        parts.append(d)
    if len(failures) > 4:
        parts.append(f"… +{len(failures) - 4}")
    return "; ".join(parts)


def gate_records(marts: Marts) -> tuple[list[str], list[dict[str, Any]]]:
    """Latest result per suite: ops_run_history if it has suites, else GX results + manifest."""
    name, df = marts.first("ops_run_history")
    suite = pick(df, "suite", "gate_suite", "suite_name") if name else None
    recs: list[dict[str, Any]] = []
    if name and suite:
        when = pick(df, "validated_at", "finished_at", "started_at", "run_id")
        passed = pick(df, "passed", "gate_passed", "success")
        crit = pick(df, "n_failed_critical", "failed_critical", "gate_failed_expectations")
        warn = pick(df, "n_failed_warning", "failed_warning")
        total = pick(df, "n_expectations", "evaluated")
        expl = pick(df, "failures", "detail", "explanation")
        latest = df.sort_values(when).groupby(suite).tail(1) if when else df
        for r in latest.to_dict("records"):
            recs.append({"suite": r[suite], "stage": str(r[suite]).split("__")[0],
                         "when": _ts(r.get(when)) if when and "run" not in when
                         else r.get(when), "batch": r.get("run_id"),
                         "evaluated": r.get(total) if total else None,
                         "failed_critical": r.get(crit) if crit else None,
                         "failed_warning": r.get(warn) if warn else None,
                         "passed": None if not passed or isnull(r.get(passed))
                         else bool(r[passed]),
                         "explain": "" if not expl or isnull(r.get(expl)) else str(r[expl])})
        return [name], sorted(recs, key=lambda r: str(r["suite"]))
    sources = []
    for g in marts.gate_results:
        crit = [f for f in g["failures"] if f.get("severity") == "critical"]
        recs.append({"suite": g["suite"], "stage": g["stage"], "when": _ts(g["validated_at"]),
                     "batch": g["run_name"], "evaluated": g["evaluated"],
                     "failed_critical": len(crit),
                     "failed_warning": len(g["failures"]) - len(crit),
                     "passed": not crit, "explain": _explain(g["failures"])})
    if recs:
        sources.append("gx/validations")
    seen = {r["suite"] for r in recs}
    man = marts.get("ops_ingestion_manifest")
    if not man.empty and "gate_suite" in man.columns:
        sources.append("ops_ingestion_manifest")
        m = man[man["gate_suite"].notna()].sort_values("loaded_at").groupby("gate_suite").tail(1)
        for r in m.to_dict("records"):
            if r["gate_suite"] in seen:
                continue
            recs.append({"suite": r["gate_suite"], "stage": "raw", "when": _ts(r["loaded_at"]),
                         "batch": r["file_name"], "evaluated": None,
                         "failed_critical": r.get("gate_failed_expectations"),
                         "failed_warning": None, "passed": None if isnull(r.get("gate_passed"))
                         else bool(r["gate_passed"]), "explain": ""})
    return sources, sorted(recs, key=lambda r: (r["stage"] != "marts", str(r["suite"])))


def gate_table(sources: list[str], recs: list[dict[str, Any]]) -> Table:
    return Table(
        "gate_results_by_suite", "质量闸门结果（按检查套件，最新一次）",
        "Gate results by suite (latest validation)", sources or ["ops_run_history"],
        [Col("suite", "检查套件", "Suite"), Col("stage", "阶段", "Stage"),
         Col("when", "校验时间", "Validated"), Col("batch", "运行 / 批次", "Run / batch"),
         Col("evaluated", "期望数", "Expectations", "int"),
         Col("failed_critical", "严重失败", "Critical failures", "int"),
         Col("failed_warning", "警告", "Warnings", "int"),
         Col("passed", "通过", "Passed", "flag"), Col("explain", "失败说明", "Failures explained")],
        recs,
        note_zh="严重（critical）失败会阻止发布；警告不阻止。"
        "失败说明列出期望类型、字段、不符合行数和示例值。",
        note_en="A critical failure blocks publication; warnings do not. The explanation lists "
        "the expectation, columns, failing rows and sample values.",
    )


def freshness(marts: Marts, now: dt.datetime) -> tuple[Table, list[dict[str, Any]]]:
    man = marts.get("ops_ingestion_manifest")
    recs = []
    if not man.empty:
        g = man.groupby("family").agg(files=("file_name", "size"), last_recv=("received_at", "max"),
                                      last_load=("loaded_at", "max")).reset_index()
        for r in g.to_dict("records"):
            zh, en = _fam(r["family"])
            last = pd.Timestamp(r["last_load"]) if not isnull(r["last_load"]) else None
            if last is not None and last.tzinfo is None:
                last = last.tz_localize("UTC")
            age = None if last is None else (now - last.to_pydatetime()).total_seconds() / 86400
            limit = EXPECTED_DAYS.get(str(r["family"]))
            recs.append({"family": r["family"], "zh": zh, "en": en, "files": r["files"],
                         "recv": _ts(r["last_recv"]), "load": _ts(r["last_load"]),
                         "age": None if age is None else round(age, 1), "limit": limit,
                         "fresh": None if age is None or limit is None else age <= limit})
    recs.sort(key=lambda r: str(r["family"]))
    t = Table(
        "freshness_by_source", "各数据源新鲜度", "Freshness per source",
        ["ops_ingestion_manifest"],
        [Col("family", "数据源代码", "Source"), Col("zh", "数据源", "Source name", "bi",
                                                  key_en="en"),
         Col("files", "已接收文件", "Files received", "int"),
         Col("recv", "最近接收（北京时间）", "Last received (UTC+8)"),
         Col("load", "最近入库", "Last loaded"), Col("age", "距今（天）", "Age (days)", "num", 1),
         Col("limit", "应更新周期（天）", "Expected every (days)", "int"),
         Col("fresh", "是否及时", "Fresh", "flag")],
        recs, unavailable=[] if marts.has("ops_ingestion_manifest") else
        ["ops_ingestion_manifest"],
    )
    return t, recs


def quarantine_table(marts: Marts) -> Table:
    man = marts.get("ops_ingestion_manifest")
    recs = []
    if not man.empty:
        for r in man.sort_values(["family", "file_name"]).to_dict("records"):
            zh, en = _fam(r["family"])
            recs.append({"zh": zh, "en": en, "file": r.get("file_name"),
                         "recv": _ts(r.get("received_at")), "read": r.get("rows_read"),
                         "ok": r.get("rows_accepted"), "q": r.get("rows_quarantined"),
                         "status": r.get("status"), "suite": r.get("gate_suite"),
                         "gate": None if isnull(r.get("gate_passed")) else bool(r["gate_passed"]),
                         "detail": None if isnull(r.get("detail")) else str(r["detail"])})
    return Table(
        "quarantine_by_file", "接收文件与隔离行数（每个文件）",
        "Received files and quarantined rows (per file)", ["ops_ingestion_manifest"],
        [Col("zh", "数据源", "Source", "bi", key_en="en"), Col("file", "文件", "File"),
         Col("recv", "接收时间", "Received"), Col("read", "读取行", "Rows read", "int"),
         Col("ok", "接受行", "Accepted", "int"), Col("q", "隔离行", "Quarantined", "int"),
         Col("status", "状态", "Status"), Col("suite", "闸门套件", "Gate suite"),
         Col("gate", "闸门通过", "Gate passed", "flag"), Col("detail", "说明", "Detail")],
        recs, unavailable=[] if marts.has("ops_ingestion_manifest") else
        ["ops_ingestion_manifest"],
    )


def rows_figure(marts: Marts) -> Figure:
    man = marts.get("ops_ingestion_manifest")
    title_zh, title_en = "各数据源接受与隔离行数", "Rows accepted and quarantined per source"
    if man.empty:
        return Figure("rows", title_zh, title_en, ["ops_ingestion_manifest"], None, None)
    g = man.groupby("family")[["rows_accepted", "rows_quarantined"]].sum().reset_index()

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        names = [_fam(f)[0 if zh else 1] for f in g["family"]]
        fig = Fig([
            go.Bar(y=names, x=g["rows_accepted"], orientation="h", name="接受" if zh else
                   "Accepted", marker={"color": "#2e7d32"},
                   hovertemplate="%{y}: %{x:,} <extra></extra>"),
            go.Bar(y=names, x=g["rows_quarantined"], orientation="h", name="隔离" if zh else
                   "Quarantined", marker={"color": "#c2570c"}, text=[
                       f"{q:,}" if q else "" for q in g["rows_quarantined"]],
                   textposition="outside", hovertemplate="%{y}: %{x:,}<extra></extra>"),
        ])
        fig.update_layout(**base_layout(
            110 + 30 * len(names), barmode="stack",
            xaxis={"type": "log", "title": {"text": "行数（对数）" if zh else "Rows (log)"}},
            yaxis={"automargin": True, "autorange": "reversed"}))
        return fig

    return Figure("rows", title_zh, title_en, ["ops_ingestion_manifest"], build("zh"),
                  build("en"))


def gate_figure(sources: list[str], recs: list[dict[str, Any]]) -> Figure:
    title_zh, title_en = "各检查套件期望满足情况", "Expectations met per suite"
    rows = [r for r in recs if r.get("evaluated")]
    if not rows:
        return Figure("gates", title_zh, title_en, sources or ["ops_run_history"], None, None)

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        y = [r["suite"] for r in rows]
        ok = [(r["evaluated"] or 0) - (r["failed_critical"] or 0) - (r["failed_warning"] or 0)
              for r in rows]
        fig = Fig([
            go.Bar(y=y, x=ok, orientation="h", name="满足" if zh else "Met",
                   marker={"color": "#2e7d32"}),
            go.Bar(y=y, x=[r["failed_warning"] or 0 for r in rows], orientation="h",
                   name="警告" if zh else "Warning", marker={"color": "#e0a03a"}),
            go.Bar(y=y, x=[r["failed_critical"] or 0 for r in rows], orientation="h",
                   name="严重失败" if zh else "Critical", marker={"color": "#b2182b"}),
        ])
        fig.update_layout(**base_layout(110 + 24 * len(rows), barmode="stack",
                                        xaxis={"title": {"text": "期望数" if zh else
                                                         "Expectations"}},
                                        yaxis={"automargin": True, "autorange": "reversed"}))
        return fig

    return Figure("gates", title_zh, title_en, sources, build("zh"), build("en"))


def page(marts: Marts, now: dt.datetime) -> Page:
    gsrc, grecs = gate_records(marts)
    fresh_t, fresh = freshness(marts, now)
    man = marts.get("ops_ingestion_manifest")
    failed = [r for r in grecs if r["passed"] is False]
    stale = [r for r in fresh if r["fresh"] is False]
    meta = marts.get("meta_run")
    kpis = [
        Kpi("最近发布的数据集市", "Last published marts",
            (_ts(meta.iloc[0]["built_at"]) or "—") if not meta.empty else "—", "", "meta_run",
            f"运行 {meta.iloc[0]['run_id']}" if not meta.empty else "",
            f"run {meta.iloc[0]['run_id']}" if not meta.empty else ""),
        Kpi("质量闸门", "Quality gate",
            f"{len(grecs) - len(failed)} / {len(grecs)}" if grecs else "—", "",
            " · ".join(gsrc), "个套件通过" if grecs else "", "suites passing" if grecs else "",
            tone="" if not grecs else ("bad" if failed else "ok")),
        Kpi("隔离行数", "Quarantined rows",
            f"{int(man['rows_quarantined'].sum()):,}" if not man.empty else "—", "",
            "ops_ingestion_manifest",
            f"共 {len(man)} 个文件" if not man.empty else "",
            f"in {len(man)} files" if not man.empty else ""),
        Kpi("过期数据源", "Stale sources", f"{len(stale)} / {len(fresh)}" if fresh else "—", "",
            "ops_ingestion_manifest", tone="" if not fresh else ("warn" if stale else "ok")),
    ]
    docs = marts.data_docs is not None
    docs_section = Section(
        "docs", "Great Expectations 数据文档", "Great Expectations Data Docs",
        links=[{"id": "GX", "href": "gx/index.html", "colour": "#1f6fb2",
                "name_zh": "打开 GX 数据文档（全部套件与校验结果）",
                "name_en": "Open the GX Data Docs (all suites and validation results)",
                "value": "gx/index.html"}] if docs else [],
        note_zh="数据文档随站点一同发布（gx/ 目录），可完全离线浏览：不加载任何外部样式或脚本。"
        if docs else "暂未提供：尚未生成 GX 数据文档。",
        note_en="The Data Docs are copied into the site (gx/) and work fully offline: they load "
        "no external stylesheet or script." if docs else
        "Not yet available: no GX Data Docs have been built yet.",
    )
    tbl_gate = gate_table(gsrc, grecs)
    return Page(
        "health", "health", "数据质量", "Data health",
        lead_zh="今天的数字可信吗？运行记录、质量闸门、各数据源新鲜度与隔离情况。",
        lead_en="Can I trust today's numbers? Runs, quality gates, freshness and quarantine.",
        kpis=kpis,
        sections=[
            Section("runs", "最近运行", "Last runs", tables=[runs_table(marts)]),
            Section("gates", "质量闸门（按套件）", "Gate results by suite",
                    figures=[gate_figure(gsrc, grecs)], tables=[tbl_gate]),
            Section("freshness", "数据新鲜度", "Freshness", tables=[fresh_t]),
            Section("quarantine", "隔离情况（每个文件）", "Quarantine per file",
                    figures=[rows_figure(marts)], tables=[quarantine_table(marts)]),
            docs_section,
        ],
    )
