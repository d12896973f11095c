"""The annual sink report (issue #16 item 4, plan section 四(四)): ``sinkwatch report --year Y``.

Writes, from one published warehouse version and nothing else, the year's report in Chinese as
HTML for print and as an xlsx workbook with one sheet per table, under
``$SINKWATCH_HOME/reports/<year>/``. Every value comes from the warehouse (no clock, no host, no
path): a report regenerated later with ``--as-of`` the day it was issued reads the same version
and is byte-identical. The report records the warehouse's run id, its publication time, the dbt
code fingerprint that built it and the report generator's version (package version + sha256 of
this package's code and templates).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from reporting import warehouse
from sinkwatch.config import Paths, paths

TEMPLATES = Path(__file__).resolve().parent / "templates"

LAND_CLASS_ZH = {"forest": "森林", "grassland": "草原", "wetland": "湿地", "all": "合计"}
CAUSE_ZH = {"fire": "火灾（CO2）", "pest": "有害生物（CO2）", "fire_non_co2": "火灾（CH4、N2O）"}
METHOD_ZH = {
    "stock_difference": "储量差法（IPCC 2006 第4卷式2.5/2.8）：两期复测之间的碳储量变化，"
                        "期间的火灾、有害生物损失已含在储量变化中，不再重复扣除",
    "gain_loss": "增减法（式2.7、2.9–2.14）：样地自身的总生长量，扣除火灾、有害生物损失",
    "tier1_no_change": "方法1（Tier 1）：草原、湿地生物量视为平衡；湿地CH4按排放计",
    "ipcc_tier1_soc": "草原土壤碳（IPCC 2006 式2.25，2019 表6.2 管理因子），20年过渡期",
    "non_co2_only": "仅有火灾CH4、N2O排放",
}


UNIT_ZH = {"percent": "%", "m3": "立方米", "mu": "亩", "ha": "公顷", "t": "吨"}


class NoData(LookupError):
    pass


@dataclass
class Column:
    name: str
    header: str
    kind: str = "text"  # text | int | t (tonnes, 1 decimal) | num (3 decimals) | pct | bool


@dataclass
class Table:
    key: str  # sheet / section id
    title: str
    columns: list[Column]
    rows: list[tuple]
    note: str = ""
    extra: dict = field(default_factory=dict)


def generator_version() -> str:
    """The package version and a sha256 over this package's code and templates."""
    from importlib import metadata

    try:
        version = metadata.version("sinkwatch")
    except metadata.PackageNotFoundError:
        version = "0"
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for f in sorted(list(root.glob("*.py")) + list(TEMPLATES.rglob("*"))):
        if f.is_file():
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return f"sinkwatch {version} (reporting {h.hexdigest()[:12]})"


def _local(ts) -> str:
    if ts is None:
        return ""
    if isinstance(ts, datetime):
        if ts.tzinfo is not None:
            ts = ts.astimezone(warehouse.bureau_tz())
        return ts.strftime("%Y-%m-%d %H:%M:%S")
    return str(ts)


def _columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from duckdb_columns() where schema_name = 'main' and table_name = ? "
        "order by column_index", [table]).fetchall()]


def _has(con, table: str) -> bool:
    return bool(_columns(con, table))


def _rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return [tuple(r) for r in con.execute(sql, params or []).fetchall()]


def _sink_columns(first: Column) -> list[Column]:
    return [first, Column("methods", "核算方法"), Column("area_mu", "面积（亩）", "t"),
            Column("removals", "清除量（t CO2e）", "t"),
            Column("emissions", "排放量（t CO2e）", "t"),
            Column("net", "净碳汇（t CO2e）", "t"), Column("u95", "95%半宽（t CO2e）", "t"),
            Column("low", "95%区间下限", "t"), Column("high", "95%区间上限", "t")]


def collect(v: warehouse.Version, year: int, final: bool) -> tuple[dict, list[Table]]:
    """Everything the report shows, read from warehouse version ``v`` only."""
    con = v.connect()
    try:
        years = [r[0] for r in con.execute(
            "select distinct year from fct_annual_sink order by year").fetchall()]
        if year not in years:
            raise NoData(f"no accounting year {year} in warehouse run {v.run_id} "
                         f"(years: {', '.join(map(str, years)) or 'none'})")
        gwp = con.execute("select gwp_vintage from meta_run").fetchone()[0]
        meta = {
            "year": year,
            "status": "正式" if final else "草稿",
            "run_id": v.run_id,
            "published_at": _local(v.published_at),
            "built_at": _local(v.built_at),
            "data_as_of": str(v.data_as_of or ""),
            "code_fingerprint": v.code_fingerprint or "",
            "generator": generator_version(),
            "gwp_vintage": gwp,
            "tz": str(warehouse.bureau_tz()),
        }
        tables = [
            Table("info", "报告信息", [Column("item", "项目"), Column("value", "内容")], [
                ("核算年度", str(year)), ("报告状态", meta["status"]),
                ("数据仓库运行编号（run id）", v.run_id),
                (f"数据仓库发布时间（{meta['tz']}）", meta["published_at"]),
                ("数据仓库构建时间", meta["built_at"]), ("最新数据日期", meta["data_as_of"]),
                ("核算代码版本（dbt 项目 sha256）", meta["code_fingerprint"]),
                ("报告生成程序版本", meta["generator"]),
                ("全球增温潜势（GWP100）版本", gwp),
                ("符号约定", "清除量、排放量均为正值，净碳汇 = 清除量 − 排放量，正值为碳汇"),
            ]),
            _targets(con, year),
            _by_land_class(con, year),
            _uncertainty(con, year),
            _by_area(con, year, "zone"),
            _by_area(con, year, "county"),
            _losses(con, year),
            _methods(con, year),
            _factors(con),
            *_quality(con, v.run_id),
            _appendix(con, year),
        ]
    finally:
        con.close()
    return meta, [t for t in tables if t is not None]


def _targets(con, year: int) -> Table:
    rows = _rows(con, """
        select scope_name_zh, indicator_name_zh, value, unit, baseline_value, target_value,
            target_year, progress_pct, case when is_on_track then '是' else '否' end,
            target_source
        from fct_target_progress where year = ?
        order by case scope when 'city' then 0 else 1 end, scope_id, indicator""", [year])
    rows = [(*r[:3], UNIT_ZH.get(r[3], r[3]), *r[4:]) for r in rows]
    return Table("targets", "规划指标完成情况", [
        Column("scope", "范围"), Column("indicator", "指标"), Column("value", "本年值", "num"),
        Column("unit", "单位"), Column("baseline", "基准值（2021）", "num"),
        Column("target", "目标值", "num"), Column("target_year", "目标年", "int"),
        Column("progress", "进度（%）", "pct"), Column("on_track", "是否达标"),
        Column("source", "目标来源")], rows,
        note="进度 = (本年值 − 基准值) / (目标值 − 基准值)；指标口径见 fct_target_progress。")


def _by_land_class(con, year: int) -> Table:
    rows = _rows(con, """
        select land_class, methods, area_mu, removals_co2e_t, emissions_co2e_t, net_sink_co2e_t,
            net_sink_u95_co2e_t, net_sink_ci95_low_co2e_t, net_sink_ci95_high_co2e_t
        from fct_city_annual_sink where year = ? order by land_class""", [year])
    rows = [(LAND_CLASS_ZH.get(r[0], r[0]), r[1] if isinstance(r[1], str) else
             ", ".join(r[1] or []), *r[2:]) for r in rows]
    return Table("land_class", "全市净碳汇（按地类）", _sink_columns(Column("land_class", "地类")),
                 rows, note="95% 区间：IPCC 方法1（抽样误差与因子范围按式3.1/3.2合成）。")


def _uncertainty(con, year: int) -> Table | None:
    if not _has(con, "fct_city_sink_uncertainty"):
        return None
    rows = _rows(con, """
        select land_class, net_sink_co2e_t, a1_ci95_low_co2e_t, a1_ci95_high_co2e_t,
            mc_p2_5_co2e_t, mc_p50_co2e_t, mc_p97_5_co2e_t, mc_draws, mc_seed
        from fct_city_sink_uncertainty where year = ?
        order by case land_class when 'all' then 1 else 0 end, land_class""", [year])
    rows = [(LAND_CLASS_ZH.get(r[0], r[0]), *r[1:]) for r in rows]
    return Table("uncertainty", "不确定性：方法1与蒙特卡洛（方法2）", [
        Column("land_class", "地类"), Column("net", "净碳汇（t CO2e）", "t"),
        Column("a1_low", "方法1 下限", "t"), Column("a1_high", "方法1 上限", "t"),
        Column("mc_low", "蒙特卡洛 P2.5", "t"), Column("mc_mid", "蒙特卡洛 P50", "t"),
        Column("mc_high", "蒙特卡洛 P97.5", "t"), Column("draws", "抽样次数", "int"),
        Column("seed", "随机种子", "int")], rows)


def _by_area(con, year: int, kind: str) -> Table:
    first = Column("area", "片区" if kind == "zone" else "旗县区")
    cols = [Column("area_id", "编号"), first]
    if kind == "county":
        cols.append(Column("land_class", "地类"))
    rows = _rows(con, """
        select area_id, area_name_zh, land_class, methods, area_mu, removals_co2e_t,
            emissions_co2e_t, net_sink_co2e_t, net_sink_u95_co2e_t, net_sink_ci95_low_co2e_t,
            net_sink_ci95_high_co2e_t
        from fct_area_annual_sink where area_kind = ? and year = ?
        order by area_id, case land_class when 'all' then 1 else 0 end, land_class""",
                 [kind, year])
    if kind == "zone":
        rows = [(r[0], r[1], *r[3:]) for r in rows]
    else:
        rows = [(r[0], r[1], LAND_CLASS_ZH.get(r[2], r[2]), *r[3:]) for r in rows]
    return Table(kind, "净碳汇（按碳汇发展片区）" if kind == "zone" else "净碳汇（按旗县区）",
                 cols + _sink_columns(first)[1:], rows,
                 note="区域的95%区间按同一组不确定性项合成（共用分层或因子的项先相加），"
                      "不是各行区间的简单相加。")


def _losses(con, year: int) -> Table:
    rows = _rows(con, """
        select cause, land_class, case when is_deducted then '是' else '否（含在储量变化中）' end,
            count(distinct coalesce(zone_id, '') || '|' || coalesce(county_code, '')),
            sum(loss_co2e_t order by zone_id, county_code, land_class, cause, loss_basis)
        from fct_losses_by_cause where year = ?
        group by cause, land_class, is_deducted order by cause, land_class, is_deducted""",
                 [year])
    rows = [(CAUSE_ZH.get(r[0], r[0]), LAND_CLASS_ZH.get(r[1], r[1]), r[2], r[3], r[4])
            for r in rows]
    return Table("losses", "碳损失（按原因）", [
        Column("cause", "原因"), Column("land_class", "地类"),
        Column("deducted", "是否从净碳汇中扣除"),
        Column("n", "区域行数", "int"), Column("loss", "损失量（t CO2e）", "t")], rows)


def _methods(con, year: int) -> Table:
    rows = _rows(con, """
        select method, list(distinct land_class order by land_class), count(*)
        from fct_annual_sink where year = ? group by method order by method""", [year])
    rows = [(m, "、".join(LAND_CLASS_ZH.get(c, c) for c in classes), n, METHOD_ZH.get(m, ""))
            for m, classes, n in rows]
    return Table("methods", "核算方法", [
        Column("method", "方法代码"), Column("land_class", "地类"), Column("n", "区域行数", "int"),
        Column("description", "说明")], rows)


def _factors(con) -> Table:
    source = "int_factors_uncertainty" if _has(con, "int_factors_uncertainty") \
        else "seed_carbon_factors"
    wanted = [("parameter", "参数", "text"), ("stratum", "分层", "text"),
              ("value", "取值", "num"), ("unit", "单位", "text"), ("low", "下限", "num"),
              ("high", "上限", "num"), ("u95_pct", "95%不确定性（%）", "pct"),
              ("vintage", "版本", "text"), ("source", "来源", "text"),
              ("source_status", "来源类别（P原始/S二手/A假定）", "text")]
    have = set(_columns(con, source))
    cols = [Column(n, h, k) for n, h, k in wanted if n in have]
    names = ", ".join(f'"{c.name}"' for c in cols)
    rows = _rows(con, f"select {names} from {source} order by {names}")
    return Table("factors", "因子表（含来源）", cols, rows,
                 note="全部因子取自 dbt_project/seeds/（来源与P/S/A类别逐行记录）。")


def _quality(con, run_id: str) -> list[Table]:
    files = _rows(con, """
        select family, count(*), sum(rows_received), sum(rows_accepted), sum(rows_quarantined),
            string_agg(distinct status, ', ' order by status),
            count(*) filter (where superseded_by is not null)
        from ingest_manifest group by family order by family""")
    received = Table("quality_files", "数据质量：接收文件", [
        Column("family", "数据类别"), Column("files", "文件数", "int"),
        Column("received", "接收行数", "int"), Column("accepted", "入库行数", "int"),
        Column("quarantined", "隔离行数", "int"), Column("status", "状态"),
        Column("superseded", "已被更正文件替代", "int")], files)
    quarantined = Table("quality_quarantine", "数据质量：隔离行（按原因）", [
        Column("family", "数据类别"), Column("reason_code", "原因代码"),
        Column("rows", "行数", "int"), Column("files", "文件数", "int")], _rows(con, """
        select family, reason_code, count(*), count(distinct sha256)
        from quarantine group by family, reason_code order by family, reason_code"""))
    gates = []
    if _has(con, "ops_run_history"):
        gates = _rows(con, """
            select suite, case when status = 'succeeded' then '通过' else status end,
                n_expectations, n_failed_warning, n_failed_critical
            from ops_run_history
            where run_id = ? and stage in ('gate', 'gate:suite') and suite is not null
            order by suite""", [run_id])
        if not gates:  # the gate rows of the run, whatever their stage name
            gates = _rows(con, """
                select suite, status, n_expectations, n_failed_warning, n_failed_critical
                from ops_run_history where run_id = ? and suite is not null
                order by suite""", [run_id])
    warnings = Table("quality_gate", "数据质量：质量门（本数据仓库运行）", [
        Column("suite", "检查集"), Column("status", "结果"), Column("n", "期望数", "int"),
        Column("warn", "警告数", "int"), Column("critical", "严重失败数", "int")], gates,
        note="警告不阻止发布；严重失败的运行不会发布。")
    return [received, quarantined, warnings]


def _appendix(con, year: int) -> Table:
    rows = _rows(con, """
        with used as (
            select distinct source_sha256 from lineage
            where mart = 'fct_annual_sink' and granularity = 'row'
                and json_extract_string(row_key, '$.year') = cast(? as varchar)
        )
        select m.family, m.file_name, m.sha256, m.received_at, m.status, m.rows_accepted,
            coalesce(m.superseded_by, ''),
            case when used.source_sha256 is not null then '是' else '' end
        from ingest_manifest m left join used on m.sha256 = used.source_sha256
        order by m.family, m.received_at, m.file_name, m.sha256""", [year])
    rows = [(r[0], r[1], r[2], _local(r[3]), *r[4:]) for r in rows]
    return Table("appendix", "附录：输入文件（数据溯源）", [
        Column("family", "数据类别"), Column("file_name", "文件名"), Column("sha256", "SHA-256"),
        Column("received_at", "接收时间"), Column("status", "状态"),
        Column("accepted", "入库行数", "int"), Column("superseded_by", "被替代为"),
        Column("used", f"{year}年净碳汇使用")], rows,
        note="本数据仓库版本的全部输入文件；“使用”列来自 lineage 表（行级溯源）。"
             "任一行可用 sinkwatch lineage 查询其来源文件。")


# ---- rendering ---------------------------------------------------------------------------


def _fmt(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == "t" and isinstance(value, int | float):
        return f"{value:,.1f}"
    if kind == "num" and isinstance(value, int | float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    if kind == "pct" and isinstance(value, int | float):
        return f"{value:.2f}"
    if kind == "int" and isinstance(value, int | float):
        return f"{int(value):d}"
    return str(value)


def render_html(meta: dict, tables: list[Table]) -> bytes:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(
        default=True, default_for_string=True), keep_trailing_newline=True)
    env.filters["fmt"] = _fmt
    html = env.get_template("annual_report.html.j2").render(meta=meta, tables=tables)
    return html.encode("utf-8")


def _sheet_title(t: Table) -> str:
    bad = '[]:*?/\\'
    return "".join("_" if c in bad else c for c in t.title)[:31]


def render_xlsx(meta: dict, tables: list[Table]) -> bytes:
    """One sheet per table; fixed document properties (from the warehouse's publication time)
    and fixed zip timestamps, so the same data give the same bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.writer.excel import ExcelWriter

    from sinkwatch.spreadsheet import neutralise

    stamp = datetime.fromisoformat(meta["published_at"] or "2000-01-01 00:00:00")
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    formats = {"t": "#,##0.0", "num": "#,##0.000", "pct": "0.00", "int": "0"}
    for t in tables:
        ws = wb.create_sheet(neutralise(_sheet_title(t)))
        ws.append([neutralise(c.header) for c in t.columns])
        for cell in ws[1]:
            cell.font = bold
        for row in t.rows:
            ws.append([neutralise(v) if isinstance(v, str) else
                       (_local(v) if isinstance(v, datetime | date) else v) for v in row])
        for col_idx, c in enumerate(t.columns, start=1):
            if c.kind in formats:
                for (cell,) in ws.iter_rows(min_row=2, min_col=col_idx, max_col=col_idx):
                    cell.number_format = formats[c.kind]
            ws.column_dimensions[ws.cell(1, col_idx).column_letter].width = \
                max(10, min(60, 2 * len(c.header) + 2))
        ws.freeze_panes = "A2"
        if t.note:
            ws.append([])
            ws.append([neutralise("注：" + t.note)])
    props = wb.properties
    props.creator = "sinkwatch"
    props.lastModifiedBy = "sinkwatch"
    props.title = neutralise(f"包头市林草碳汇{meta['year']}年度报告（{meta['status']}）")
    props.identifier = neutralise(meta["run_id"])
    props.version = neutralise(meta["generator"])
    props.created = stamp
    props.modified = stamp
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    # re-pack with a fixed timestamp on every entry (zipfile stamps entries with the clock)
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            out.writestr(entry, src.read(info.filename))
    return fixed.getvalue()


def output_dir(year: int, final: bool, p: Paths) -> Path:
    return p.home / "reports" / str(year) / ("final" if final else "draft")


def generate(year: int, as_of: date | None = None, final: bool = False,
             p: Paths | None = None) -> list[Path]:
    """Write the report's HTML and xlsx; returns their paths. A final report pins its warehouse
    version (``published/pinned/``) so that ``--as-of`` finds it after the history is pruned."""
    p = p or paths()
    v = warehouse.select(p, as_of)
    meta, tables = collect(v, year, final)
    if final:
        warehouse.pin(v, p)
    out = output_dir(year, final, p)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"sink_report_{year}" if not final else \
        f"sink_report_{year}_{re.sub(r'[^A-Za-z0-9_.-]+', '_', v.run_id)}"
    written = []
    outputs = ((".html", render_html(meta, tables)), (".xlsx", render_xlsx(meta, tables)))
    for suffix, data in outputs:
        target = out / f"{stem}{suffix}"
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        written.append(target)
    return written


def latest_year(as_of: date | None = None, p: Paths | None = None) -> int:
    """The latest accounting year of the published warehouse (or of the one at ``as_of``)."""
    con = warehouse.select(p or paths(), as_of).connect()
    try:
        year = con.execute("select max(year) from fct_annual_sink").fetchone()[0]
    finally:
        con.close()
    if year is None:
        raise NoData("no accounting year in the published warehouse")
    return int(year)


def refresh_draft(p: Paths | None = None) -> list[Path]:
    """The nightly draft: the latest accounting year of the published warehouse."""
    p = p or paths()
    return generate(latest_year(None, p), p=p)
