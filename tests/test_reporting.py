"""Lineage and the annual report (#16 items 3-4) on the small sample: `sinkwatch lineage` against
a hand check on the raw Parquet, a safe --where, the report regenerated --as-of after a later
publish byte for byte, one sheet per table, hostile text escaped, every input file in the
appendix, and the OpenLineage events of a dbt build."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from datetime import UTC, date, datetime

import duckdb
import pytest

from orchestration import cli, pipeline
from reporting import annual, lineage, warehouse
from sample_data import generate
from sinkwatch.config import Paths
from sinkwatch.contracts import FAMILIES

DAY_1 = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)  # 2026-03-02 02:30 in Beijing
DAY_2 = datetime(2026, 3, 5, 18, 30, tzinfo=UTC)


class _Clock(datetime):
    at = DAY_1

    @classmethod
    def now(cls, tz=None):
        return cls.at if tz is None else cls.at.astimezone(tz)


def _publish(run_id: str, at: datetime, p: Paths, mp: pytest.MonkeyPatch) -> None:
    pipeline.build(run_id, p=p)
    _Clock.at = at
    mp.setattr(pipeline, "datetime", _Clock)
    pipeline.publish(run_id, p=p)
    mp.setattr(pipeline, "datetime", datetime)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    h = tmp_path_factory.mktemp("reporting") / "home"
    mp.setenv("SINKWATCH_HOME", str(h))
    p = Paths(h).ensure()
    generate(p.landing, scale="small")
    pipeline.ingest(list(FAMILIES), run_id="r1", gate=False, p=p)
    _publish("r1", DAY_1, p, mp)
    yield p, mp
    mp.undo()


def _cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(list(args)) == 0
    return out.getvalue()


def _raw(p: Paths, family: str) -> str:
    """The raw layer of a family without the files a corrected re-upload superseded."""
    return (f"(select * from read_parquet('{p.raw}/{family}/*.parquet', union_by_name = true) "
            f"where _source_sha256 not in (select sha256 from read_parquet("
            f"'{p.manifest}/*/*.parquet', union_by_name = true) where superseded_by is not null))")


def _hand_check(p: Paths, zone: str, year: int) -> set[str]:
    """The files behind a forest zone's net sink by stock difference, from the raw Parquet: the
    zone's parcels, every tallied plot (and its parcel) of the strata their stocks use at both
    cycles, and the zone's fire and pest reports of the year."""
    con = duckdb.connect()
    pub = duckdb.connect(str(p.published), read_only=True)
    try:
        parcels = (f"(select * from {_raw(p, 'parcels')} qualify row_number() over (partition by "
                   "parcel_id order by survey_year desc, _ingested_at desc, _source_row desc) = 1)")
        stock = pub.execute(
            "select parcel_id, inventory_year, stratum_id from fct_carbon_stock "
            "where zone_id = ? and land_class = 'forest'", [zone]).fetchall()
        cycles = pub.execute("select year_t1, year_t2 from int_forest_sink_stock_difference "
                             "where zone_id = ? and year = ? limit 1", [zone, year]).fetchone()
        ids = sorted({r[0] for r in stock})
        strata = sorted({(r[2], r[1]) for r in stock if r[1] in cycles})
        files = {r[0] for r in con.execute(
            f"select _source_sha256 from {parcels} where parcel_id in (select unnest(?))",
            [ids]).fetchall()}
        for stratum, cycle in strata:
            rows = con.execute(f"""
                select t._source_sha256, pa._source_sha256
                from {_raw(p, 'forest_plots')} t join {parcels} pa on t.parcel_id = pa.parcel_id
                where t.inventory_year = ? and ? in (
                    concat_ws('|', pa.county_code, pa.forest_type, pa.origin),
                    concat_ws('|', pa.forest_type, pa.origin))""", [cycle, stratum]).fetchall()
            files |= {f for r in rows for f in r}
        for family, col in (("fire_reports", "start_date"), ("pest_reports", "report_date")):
            files |= {r[0] for r in con.execute(
                f"select _source_sha256 from {_raw(p, family)} where parcel_id in "
                f"(select unnest(?)) and year({col}) = ?", [ids, year]).fetchall()}
        return files
    finally:
        con.close()
        pub.close()


def test_dbt_build_openlineage_events_have_inputs_and_outputs(home):
    from orchestration import openlineage

    p, _ = home
    # the artifacts of the first (whole) build; runs before the later, incremental one
    events = openlineage.dbt_events(p, pipeline.build_path("r1", p), "r1")
    runs = [e for e in events if e.job.name.endswith(".build.run")]
    assert {e.eventType.value for e in runs} == {"START", "COMPLETE"}
    annual_sink = [e for e in runs if e.job.name.endswith("fct_annual_sink.build.run")]
    assert annual_sink and all(e.inputs and e.outputs for e in annual_sink)
    assert annual_sink[0].outputs[0].name == "warehouse/fct_annual_sink"
    staging = [e for e in runs if ".stg_survey__parcels." in e.job.name]
    assert staging and {d.name for d in staging[0].inputs} >= {"raw/parcels"}


def test_lineage_of_a_zones_net_sink_equals_a_hand_check(home):
    p, _ = home
    con = duckdb.connect(str(p.published), read_only=True)
    try:  # a zone whose net sink of the last year is forest by stock difference only
        zone, year = con.execute("""
            select zone_id, year from fct_annual_sink
            where year = (select max(year) from fct_annual_sink) and zone_id is not null
            group by zone_id, year
            having bool_and(land_class = 'forest' and method = 'stock_difference')
            order by zone_id limit 1""").fetchone()
    finally:
        con.close()
    out = json.loads(_cli("lineage", "fct_annual_sink", "--where",
                          f"zone_id='{zone}' and year={year}", "--json"))
    assert out["granularity"] == "row" and out["mart_rows"] >= 1
    got = {f["sha256"] for f in out["files"]}
    assert got == _hand_check(p, zone, year)
    assert {"parcels", "forest_plots"} <= {f["family"] for f in out["files"]}
    text = _cli("lineage", "fct_annual_sink", "--where", f"zone_id = '{zone}' and year = {year}")
    assert all(sha in text for sha in got)
    # a mart without row lineage: every file of its upstream families, flagged
    table = json.loads(_cli("lineage", "fct_target_progress", "--json"))
    assert table["granularity"] == "table" and table["files"]


def test_where_is_parsed_never_pasted(home):
    p, _ = home
    con = duckdb.connect(str(p.published), read_only=True)
    try:
        for bad in ("zone_id='F01'; drop table lineage", "zone_id = 'F01' or 1=1", "nope = 1",
                    "year = 2025 and", "zone_id = F01", "\"zone_id\" = 'F01'"):
            with pytest.raises(lineage.WhereError):
                lineage.query(con, "fct_annual_sink", bad)
        with pytest.raises(lineage.WhereError):
            lineage.query(con, "no_such_mart", None)
        # a hostile value is a value: no row, no error
        hostile = lineage.query(con, "fct_annual_sink", "zone_id = 'F01'' or ''1''=''1'")
        assert hostile.n_rows == 0 and hostile.files == []
        assert lineage.parse_where("year in (2024, 2025) and zone_id is not null") == [
            lineage.Condition("year", "in", (2024, 2025)),
            lineage.Condition("zone_id", "is not null")]
    finally:
        con.close()


def test_report_regenerated_as_of_after_a_later_run_is_byte_identical(home):
    p, mp = home
    year = annual.latest_year(p=p)
    issued = annual.generate(year, final=True, p=p)
    first = [f.read_bytes() for f in issued]
    assert [f.suffix for f in issued] == [".html", ".xlsx"]
    assert b"r1" in first[0] and "正式".encode() in first[0]

    _publish("r2", DAY_2, p, mp)  # a later nightly run
    assert warehouse.select(p).run_id == "r2"
    again = annual.generate(year, as_of=date(2026, 3, 2), final=True, p=p)
    assert again == issued and [f.read_bytes() for f in again] == first
    # the draft now reads the later run; before DAY_1 nothing was published
    draft = annual.generate(year, p=p)
    assert b"r2" in draft[0].read_bytes()
    with pytest.raises(warehouse.NoWarehouse):
        annual.generate(year, as_of=date(2026, 3, 1), p=p)
    # the issued version is pinned: history pruning cannot take it away
    assert any((p.history / "pinned").glob("marts_*_r1.duckdb"))


def test_xlsx_has_one_sheet_per_table_and_the_appendix_lists_every_input_file(home):
    p, _ = home
    year = annual.latest_year(p=p)
    v = warehouse.select(p)
    meta, tables = annual.collect(v, year, final=False)
    data = annual.render_xlsx(meta, tables)
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    assert len(wb.sheetnames) == len(tables) == len({t.key for t in tables})
    assert {"规划指标完成情况", "全市净碳汇（按地类）", "净碳汇（按碳汇发展片区）",
            "净碳汇（按旗县区）", "碳损失（按原因）", "因子表（含来源）",
            "附录：输入文件（数据溯源）"} <= set(wb.sheetnames)
    assert {i.date_time for i in zipfile.ZipFile(io.BytesIO(data)).infolist()} == {
        datetime.fromisoformat(meta["published_at"]).timetuple()[:6]}
    appendix = next(t for t in tables if t.key == "appendix")
    con = duckdb.connect()
    try:
        received = {r[0] for r in con.execute(
            f"select sha256 from read_parquet('{p.manifest}/*/*.parquet', union_by_name = true)"
        ).fetchall()}
    finally:
        con.close()
    assert {r[2] for r in appendix.rows} == received
    assert any(r[-1] == "是" for r in appendix.rows)


def test_hostile_text_is_escaped_in_html_and_neutralised_in_xlsx():
    meta = {"year": 2025, "status": "草稿", "run_id": "<b>run</b>", "published_at":
            "2026-03-02 02:30:00", "tz": "Asia/Shanghai", "code_fingerprint": "x",
            "generator": "g", "built_at": "", "data_as_of": "", "gwp_vintage": "AR5"}
    hostile = '<script>alert("x")</script>'
    cols = [annual.Column("a", "<th>"), annual.Column("b", "b", "t")]
    t = annual.Table("info", "<i>表</i>", cols,
                     [(hostile, 1.5), ("=HYPERLINK(\"http://x\")", -2.0)], note="<img src=x>")
    html = annual.render_html(meta, [t]).decode()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "<b>run" not in html and "<i>表" not in html
    assert "http://" not in html.split("<body>")[0]  # no external resources in the head
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(annual.render_xlsx(meta, [t]))).worksheets[0]
    assert ws["A3"].value == "'=HYPERLINK(\"http://x\")" and ws["B3"].value == -2.0


def _html_table(html: str, key: str) -> tuple[list[str], list[list[str]], str]:
    """Headers, cell texts and note of one section of the rendered report."""
    import html as html_lib
    import re

    def text(cell: str) -> str:
        return html_lib.unescape(re.sub(r"<[^>]+>", "", cell))

    section = html.split(f'<section id="{key}"', 1)[1].split("</section>", 1)[0]
    headers = [text(h) for h in re.findall(r"<th>(.*?)</th>", section)]
    rows = [[text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
            for tr in re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>", 1)[1])]
    note = re.findall(r'<p class="note">(.*?)</p>', section)
    return headers, rows, text(note[0]) if note else ""


def _sheet(wb, title: str) -> tuple[list[str], list[tuple], list[str]]:
    """Headers, data rows (up to the blank line before the note) and the note of a sheet."""
    rows = list(wb[title].iter_rows(values_only=True))
    end = next((i for i, r in enumerate(rows) if all(v is None for v in r)), len(rows))
    return list(rows[0]), rows[1:end], [r[0] for r in rows[end + 1:] if r and r[0]]


def _col(headers: list[str], word: str) -> int:
    found = [i for i, h in enumerate(headers) if word in h]
    assert len(found) == 1, (word, headers)
    return found[0]


def test_report_shows_the_wetland_memo_and_sensitivity_as_the_warehouse_has_them(home):
    p, _ = home
    year = annual.latest_year(p=p)
    v = warehouse.select(p)
    con = v.connect()
    try:
        city = {r[0]: r[1:] for r in con.execute("""
            select land_class, net_sink_co2e_t, memo_unmanaged_ch4_co2e_t,
                net_sink_all_wetlands_co2e_t
            from fct_city_annual_sink where year = ?""", [year]).fetchall()}
    finally:
        con.close()
    zh = {"forest": "森林", "grassland": "草原", "wetland": "湿地", "all": "合计"}
    # the sample has natural and protected wetlands: the memo is not empty, the sensitivity moves
    assert city["all"][1] > 0 and city["all"][2] < city["all"][0]
    meta, tables = annual.collect(v, year, final=False)

    headers, rows, note = _html_table(annual.render_html(meta, tables).decode(), "land_class")
    net, memo, sens = (_col(headers, w) for w in ("净碳汇（默认口径", "备忘项", "敏感性"))
    assert "不计入净碳汇" in headers[memo] and sens == net + 1  # the sensitivity beside the net
    assert "IPCC 2006 国家温室气体清单指南第4卷第3章3.1节" in note and "备忘项" in note
    by_class = {r[0]: r for r in rows}
    assert set(by_class) == {zh[c] for c in city}
    for cls, (net_t, memo_t, all_wetlands_t) in city.items():
        row = by_class[zh[cls]]
        assert (row[net], row[memo], row[sens]) == (
            f"{net_t:,.1f}", f"{memo_t:,.1f}", f"{all_wetlands_t:,.1f}")

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(annual.render_xlsx(meta, tables)))
    headers, rows, notes = _sheet(wb, "全市净碳汇（按地类）")
    net, memo, sens = (_col(headers, w) for w in ("净碳汇（默认口径", "备忘项", "敏感性"))
    assert {r[0]: (r[net], r[memo], r[sens]) for r in rows} == {
        zh[c]: vals for c, vals in city.items()}
    assert any("管理土地" in n for n in notes)
    info = dict(_sheet(wb, "报告信息")[1])
    assert info["湿地核算口径（dbt 变量 wetland_scope）"].startswith("managed")


def test_targets_table_shows_own_baseline_difference_basis_and_proxy_share(home):
    p, _ = home
    year = annual.latest_year(p=p)
    v = warehouse.select(p)
    con = v.connect()
    try:
        want = {(r[0], r[1]): r[2:] for r in con.execute("""
            select scope_name_zh, indicator_name_zh, value, sample_baseline_value,
                baseline_value, baseline_difference, progress_basis, progress_pct, method,
                proxy_share_pct
            from fct_target_progress where year = ?""", [year]).fetchall()}
    finally:
        con.close()
    basis_zh = {"own_baseline_year_value": "自本样本基准年值起算",
                "official_baseline": "自官方基准值起算", "target_only": "本年值/目标值（无基准值）"}
    stock = want[("包头市", "森林蓄积量")]
    # the sample's forest stock is partly the proxy and its 2021 level is not the official one
    assert stock[4] == "own_baseline_year_value" and stock[3] != 0 and 0 < stock[7] <= 100
    meta, tables = annual.collect(v, year, final=False)
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(annual.render_xlsx(meta, tables)))
    headers, rows, notes = _sheet(wb, "规划指标完成情况")
    cols = [_col(headers, w) for w in ("本年值", "本样本基准年值", "官方基准值", "与官方基准之差",
                                       "进度起点", "进度（%）", "取值方法", "代理值占比")]
    got = {(r[0], r[1]): tuple(r[c] for c in cols) for r in rows}
    assert set(got) == set(want)
    for key, (value, own, official, diff, basis, progress, method, share) in want.items():
        assert got[key][:4] == (value, own, official, diff), key
        assert got[key][4] == basis_zh[basis] and got[key][5] == progress, key
        assert got[key][7] == share, key
        if method == "mixed_volume_table_and_proxy":
            assert got[key][6] == f"其中 {share:.2f} % 为生物量/木材密度代理值，其余为材积表蓄积"
    old_note = "进度 = (本年值 − 基准值) / (目标值 − 基准值)"
    assert notes and all(old_note not in n for n in notes)
    assert "本样本基准年值" in notes[0] and "代理值" in notes[0]

    html = annual.render_html(meta, tables).decode()
    assert old_note not in html
    headers, rows, note = _html_table(html, "targets")
    row = next(r for r in rows if r[:2] == ["包头市", "森林蓄积量"])
    assert row[_col(headers, "与官方基准之差")] == f"{stock[3]:,.3f}".rstrip("0").rstrip(".")
    assert f"其中 {stock[7]:.2f} % 为生物量/木材密度代理值" in row[_col(headers, "取值方法")]
    assert row[_col(headers, "进度起点")] == "自本样本基准年值起算"
