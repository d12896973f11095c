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
from datetime import date, datetime
from pathlib import Path

from reporting import sections, warehouse
from reporting.sections import Column, Table, local_time
from sinkwatch.config import Paths, paths

TEMPLATES = Path(__file__).resolve().parent / "templates"

__all__ = ["Column", "NoData", "Table", "collect", "generate", "latest_year", "refresh_draft",
           "render_html", "render_xlsx"]


class NoData(LookupError):
    pass


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
        scope = sections.wetland_scope(con, year)
        meta = {
            "year": year,
            "status": "正式" if final else "草稿",
            "run_id": v.run_id,
            "published_at": local_time(v.published_at),
            "built_at": local_time(v.built_at),
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
                ("湿地核算口径（dbt 变量 wetland_scope）",
                 sections.WETLAND_SCOPE_ZH.get(scope, scope or "未记录")),
                ("符号约定", "清除量、排放量均为正值，净碳汇 = 清除量 − 排放量，正值为碳汇"),
            ]),
            sections.targets(con, year),
            sections.by_land_class(con, year),
            sections.uncertainty(con, year),
            sections.by_area(con, year, "zone"),
            sections.by_area(con, year, "county"),
            sections.losses(con, year),
            sections.methods(con, year),
            sections.factors(con),
            *sections.quality(con, v.run_id),
            sections.appendix(con, year),
        ]
    finally:
        con.close()
    return meta, [t for t in tables if t is not None]


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
                       (local_time(v) if isinstance(v, datetime | date) else v) for v in row])
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
