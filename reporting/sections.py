"""The annual report's tables (reporting/annual.py renders them): one builder per section, each
reading one warehouse version's marts and nothing else, rows sorted, labels in Chinese."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from reporting import warehouse

LAND_CLASS_ZH = {"forest": "森林", "grassland": "草原", "wetland": "湿地", "all": "合计"}
CAUSE_ZH = {"fire": "火灾（CO2）", "pest": "有害生物（CO2）", "fire_non_co2": "火灾（CH4、N2O）",
            "mortality": "自然枯损（CO2）", "harvest": "采伐（CO2）"}
MANAGED_LAND_REF = ("IPCC 2006 国家温室气体清单指南第4卷第3章3.1节（管理土地代理）；"
                    "2013 湿地增补指南（WS13）第1章")
METHOD_ZH = {
    "stock_difference": "储量差法（IPCC 2006 第4卷式2.5/2.8）：两期复测之间的碳储量变化，"
                        "样地记录到的火灾、有害生物损失已含在储量变化中，不再重复扣除；"
                        "样地未记录的损失作为排放扣除",
    "gain_loss": "增减法（式2.7、2.9–2.14）：样地自身的总生长量，扣除复测样地实测的自然枯损、"
                 "采伐（式2.11–2.13）及火灾、有害生物损失",
    "tier1_no_change": "方法1（Tier 1）：草原生物量视为平衡",
    "ipcc_tier1_soc": "草原土壤碳（IPCC 2006 式2.25，2019 表6.2 管理因子），20年过渡期",
    "ws13_ch5": "已管理湿地（恢复、新建、排干）矿质土壤：WS13 第5章，CH4（表5.4）与土壤碳"
                "（表5.2/5.3，式2.25）计入净碳汇",
    "ws13_ch3": "再湿润有机土：WS13 第3章，CO2（表3.1）与CH4（表3.3）计入净碳汇",
    "memo_excluded": "自然湿地、保护湿地：按IPCC管理土地规则不纳入清单（" + MANAGED_LAND_REF
                     + "），其CH4仅作备忘项列示，不计入净碳汇",
    "non_co2_only": "仅有火灾CH4、N2O排放",
}
WETLAND_SCOPE_ZH = {
    "managed": "managed：仅已管理湿地计入净碳汇（IPCC 管理土地规则，默认）",
    "all": "all：全部湿地CH4计入净碳汇（敏感性口径，备忘项为0）",
}
PROGRESS_BASIS_ZH = {
    "own_baseline_year_value": "自本样本基准年值起算",
    "official_baseline": "自官方基准值起算",
    "target_only": "本年值/目标值（无基准值）",
}
INDICATOR_METHOD_ZH = {
    "volume_table": "材积表蓄积",
    "proxy_stem_mass_over_wood_density": "全部为生物量/木材密度代理值（非材积表蓄积）",
    "forest_parcel_area_over_official_land_area": "森林小班面积/官方土地面积",
    "forest_parcel_area_over_measured_land_area": "森林小班面积/实测行政区面积",
    "plot_cover_area_weighted_by_grassland_type": "样方盖度按草原类型面积加权",
    "protected_over_surveyed_wetland_area": "受保护湿地面积/同年调查湿地总面积",
    "enrolled_parcel_area": "纳入碳汇项目的小班面积",
    "planted_area_per_county_year": "旗县区当年新造示范林面积",
}


UNIT_ZH = {"percent": "%", "m3": "立方米", "mu": "亩", "ha": "公顷", "t": "吨"}


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


def local_time(ts) -> str:
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


def _select(con, table: str, wanted: list[str]) -> str:
    """The select list of ``wanted``: a column the warehouse version lacks (one built before the
    column existed) is read as null."""
    have = set(_columns(con, table))
    return ", ".join(c if c in have else f"null as {c}" for c in wanted)


def _indicator_method(method: str | None, proxy_share_pct: float | None) -> str:
    """How the value is obtained; forest stock labelled a proxy where it partly is one."""
    if method == "mixed_volume_table_and_proxy":
        share = "" if proxy_share_pct is None else f" {proxy_share_pct:.2f} %"
        return f"其中{share} 为生物量/木材密度代理值，其余为材积表蓄积"
    return INDICATOR_METHOD_ZH.get(method, method or "")


TARGETS_NOTE = (
    "进度起点：本样本在规划基准年（2021）有自身数值时，从该值起算，"
    "进度 = (本年值 − 本样本基准年值) / (目标值 − 官方基准值)，即本样本实际变化占规划计划变化"
    "的比例；本样本基准年值与官方基准值之差单列（“与官方基准之差” = 本样本基准年值 − "
    "官方基准值），不计入进度；本样本在基准年无数值时从官方基准值起算；无基准值的指标，"
    "进度 = 本年值 / 目标值。是否达标：本年变化不低于从基准年到目标年的线性计划进度；"
    "基准年本身及旗县区对全市目标的行不评估。森林蓄积量按定义为材积表计算的立木蓄积，"
    "无材积表的林木以干生物量/基本木材密度估算，为代理值，其占比见“代理值占比”列。"
    "指标口径见 fct_target_progress。")


def targets(con, year: int) -> Table:
    have = set(_columns(con, "fct_target_progress"))
    select = _select(con, "fct_target_progress", [
        "scope_name_zh", "indicator_name_zh", "value", "unit", "sample_baseline_value",
        "baseline_value", "baseline_difference", "target_value", "target_year",
        "progress_basis", "progress_pct", "is_on_track", "method", "proxy_share_pct",
        "target_source"])
    rows = []
    for (scope, name, value, unit, own, official, diff, target, target_year, basis, progress,
         on_track, method, share, source) in _rows(con, f"""
            select {select} from fct_target_progress where year = ?
            order by case scope when 'city' then 0 else 1 end, scope_id, indicator""", [year]):
        rows.append((
            scope, name, value, UNIT_ZH.get(unit, unit), own, official, diff, target, target_year,
            PROGRESS_BASIS_ZH.get(basis, basis or ""), progress,
            "不评估" if on_track is None else ("是" if on_track else "否"),
            _indicator_method(method, share), share, source))
    return Table("targets", "规划指标完成情况", [
        Column("scope", "范围"), Column("indicator", "指标"), Column("value", "本年值", "num"),
        Column("unit", "单位"), Column("sample_baseline", "本样本基准年值（2021）", "num"),
        Column("baseline", "官方基准值（2021）", "num"),
        Column("baseline_difference", "与官方基准之差", "num"),
        Column("target", "目标值", "num"), Column("target_year", "目标年", "int"),
        Column("progress_basis", "进度起点"), Column("progress", "进度（%）", "pct"),
        Column("on_track", "是否达标"), Column("method", "取值方法"),
        Column("proxy_share", "代理值占比（%）", "pct"), Column("source", "目标来源")], rows,
        note=TARGETS_NOTE if "progress_basis" in have else
        "进度 = (本年值 − 基准值) / (目标值 − 基准值)（本数据仓库版本早于本样本基准年值口径）；"
        "指标口径见 fct_target_progress。")


def wetland_scope(con, year: int) -> str:
    """var wetland_scope of the build that wrote the year's city rows ('' if not recorded)."""
    if "wetland_scope" not in _columns(con, "fct_city_annual_sink"):
        return ""
    row = con.execute("select string_agg(distinct wetland_scope, ',' order by wetland_scope) "
                      "from fct_city_annual_sink where year = ?", [year]).fetchone()
    return row[0] or ""


def by_land_class(con, year: int) -> Table:
    have = set(_columns(con, "fct_city_annual_sink"))
    memo = "memo_unmanaged_ch4_co2e_t" in have
    sensitivity = "net_sink_all_wetlands_co2e_t" in have
    rows = _rows(con, f"""
        select land_class, methods, area_mu, removals_co2e_t, emissions_co2e_t, net_sink_co2e_t,
            {"net_sink_all_wetlands_co2e_t, " if sensitivity else ""}
            net_sink_u95_co2e_t, net_sink_ci95_low_co2e_t, net_sink_ci95_high_co2e_t
            {", memo_unmanaged_ch4_co2e_t" if memo else ""}
        from fct_city_annual_sink where year = ? order by land_class""", [year])
    rows = [(LAND_CLASS_ZH.get(r[0], r[0]), r[1] if isinstance(r[1], str) else
             ", ".join(r[1] or []), *r[2:]) for r in rows]
    cols = _sink_columns(Column("land_class", "地类"))
    note = "95% 区间：IPCC 方法1（抽样误差与因子范围按式3.1/3.2合成），指净碳汇（默认口径）。"
    if sensitivity:
        cols[5] = Column("net", "净碳汇（默认口径，t CO2e）", "t")
        cols.insert(6, Column("net_all_wetlands", "敏感性：全部湿地计入的净碳汇（t CO2e）", "t"))
    if memo:
        cols.append(Column("memo_unmanaged_ch4", "备忘项：自然及保护湿地CH4"
                           "（不计入净碳汇，t CO2e）", "t"))
        note += ("备忘项：自然湿地和保护湿地（水文与土壤未经人为改变）的CH4，按IPCC管理土地规则"
                 f"（{MANAGED_LAND_REF}）不纳入清单，不计入排放量和净碳汇，仅作备忘列示"
                 "（按面积 × 湿地类型排放因子 × GWP 计算）。")
    if sensitivity:
        note += ("敏感性：把全部湿地（含自然、保护湿地）的CH4计入净碳汇时的净碳汇 = 净碳汇 − 备忘项"
                 "（dbt 变量 wetland_scope = all），与默认口径并列，仅供参考，不是报告的净碳汇。")
    if wetland_scope(con, year) == "all":
        note += "本数据仓库按 wetland_scope = all 构建：全部湿地CH4已计入净碳汇，备忘项为0。"
    return Table("land_class", "全市净碳汇（按地类）", cols, rows, note=note)


def uncertainty(con, year: int) -> Table | None:
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


def by_area(con, year: int, kind: str) -> Table:
    """Zone or county rows of fct_area_annual_sink; the memo item and the all-wetlands
    sensitivity only where that mart carries them (it does not compute them today)."""
    first = Column("area", "片区" if kind == "zone" else "旗县区")
    cols = [Column("area_id", "编号"), first]
    if kind == "county":
        cols.append(Column("land_class", "地类"))
    have = set(_columns(con, "fct_area_annual_sink"))
    memo = "memo_unmanaged_ch4_co2e_t" in have
    sensitivity = "net_sink_all_wetlands_co2e_t" in have
    rows = _rows(con, f"""
        select area_id, area_name_zh, land_class, methods, area_mu, removals_co2e_t,
            emissions_co2e_t, net_sink_co2e_t,
            {"net_sink_all_wetlands_co2e_t, " if sensitivity else ""}
            net_sink_u95_co2e_t, net_sink_ci95_low_co2e_t, net_sink_ci95_high_co2e_t
            {", memo_unmanaged_ch4_co2e_t" if memo else ""}
        from fct_area_annual_sink where area_kind = ? and year = ?
        order by area_id, case land_class when 'all' then 1 else 0 end, land_class""",
                 [kind, year])
    if kind == "zone":
        rows = [(r[0], r[1], *r[3:]) for r in rows]
    else:
        rows = [(r[0], r[1], LAND_CLASS_ZH.get(r[2], r[2]), *r[3:]) for r in rows]
    sink = _sink_columns(first)[1:]
    if sensitivity:
        sink.insert(5, Column("net_all_wetlands", "敏感性：全部湿地计入的净碳汇（t CO2e）", "t"))
    if memo:
        sink.append(Column("memo_unmanaged_ch4", "备忘项：自然及保护湿地CH4"
                           "（不计入净碳汇，t CO2e）", "t"))
    note = ("区域的95%区间按同一组不确定性项合成（共用分层或因子的项先相加），"
            "不是各行区间的简单相加。")
    if memo:
        note += "备忘项不计入净碳汇，口径见“全市净碳汇（按地类）”。"
    return Table(kind, "净碳汇（按碳汇发展片区）" if kind == "zone" else "净碳汇（按旗县区）",
                 cols + sink, rows, note=note)


def losses(con, year: int) -> Table:
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


def methods(con, year: int) -> Table:
    rows = _rows(con, """
        select method, list(distinct land_class order by land_class), count(*)
        from fct_annual_sink where year = ? group by method order by method""", [year])
    rows = [(m, "、".join(LAND_CLASS_ZH.get(c, c) for c in classes), n, METHOD_ZH.get(m, ""))
            for m, classes, n in rows]
    return Table("methods", "核算方法", [
        Column("method", "方法代码"), Column("land_class", "地类"), Column("n", "区域行数", "int"),
        Column("description", "说明")], rows)


def factors(con) -> Table:
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


def quality(con, run_id: str) -> list[Table]:
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


def appendix(con, year: int) -> Table:
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
    rows = [(r[0], r[1], r[2], local_time(r[3]), *r[4:]) for r in rows]
    return Table("appendix", "附录：输入文件（数据溯源）", [
        Column("family", "数据类别"), Column("file_name", "文件名"), Column("sha256", "SHA-256"),
        Column("received_at", "接收时间"), Column("status", "状态"),
        Column("accepted", "入库行数", "int"), Column("superseded_by", "被替代为"),
        Column("used", f"{year}年净碳汇使用")], rows,
        note="本数据仓库版本的全部输入文件；“使用”列来自 lineage 表（行级溯源）。"
             "任一行可用 sinkwatch lineage 查询其来源文件。")
