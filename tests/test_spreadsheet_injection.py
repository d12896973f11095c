"""Formula injection (OWASP CSV injection): uploaded text that a spreadsheet would run is
neutralised in every CSV and xlsx we write; numbers stay numbers."""

from __future__ import annotations

import csv
import datetime as dt

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from dashboards.build import build_site
from dashboards.core import Col, Table
from sinkwatch.spreadsheet import neutralise, neutralise_frame
from tests.test_dashboard import make_marts

HOSTILE_NAME = "=HYPERLINK(1)fire_reports.csv"
HOSTILE = ['=HYPERLINK("http://evil.example/x","click")', "@SUM(1+1)", "+1+1", "-2+3",
           "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_text_is_prefixed(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["清明祭祀用火", "a=b", "", None, -3.5, 0, 12, "'=already"])
def test_other_values_are_untouched(value):
    assert neutralise(value) == value


def test_frame_text_cells_and_headers_neutralised_numbers_kept():
    df = pd.DataFrame({"=cause": ["=1+1", "雷击", None], "net_co2e_t": [-3.5, 2.0, None]})
    out = neutralise_frame(df)
    assert list(out.columns) == ["'=cause", "net_co2e_t"]
    assert out["'=cause"].tolist()[:2] == ["'=1+1", "雷击"]
    assert out["net_co2e_t"].tolist()[:2] == [-3.5, 2.0]
    assert df["=cause"][0] == "=1+1"  # the input frame is not changed


def test_table_csv_download(tmp_path):
    t = Table("t", "表", "table", [], [Col("cause", "原因", "cause"),
                                       Col("v", "数值", "value", kind="num", decimals=1)],
              [{"cause": HOSTILE[0], "v": -3.5}, {"cause": "雷击", "v": 1.25}])
    rows = list(csv.reader(t.write_csv(tmp_path).read_text(encoding="utf-8-sig").splitlines()))
    assert rows[1] == ["'" + HOSTILE[0], "-3.5"]  # still a number for Excel
    assert rows[2] == ["雷击", "1.25"]


def test_site_csvs_carry_no_formula_from_an_upload(tmp_path):
    """The issue's case: a fire report's cause and a hostile upload's text reach the site's
    CSV downloads only neutralised (the page reads the raw layer as its fallback)."""
    home = tmp_path / "home"
    (home / "warehouse").mkdir(parents=True)
    db = make_marts(home / "warehouse" / "marts.duckdb")
    # the second case: an upload *named* like a formula, listed per file on the health
    # page and in quarantine_by_file.csv
    with duckdb.connect(str(db)) as con:
        con.execute("""
            create table ops_ingestion_manifest (
                family varchar, file_name varchar, sha256 varchar, size_bytes bigint,
                received_at timestamptz, loaded_at timestamptz, rows_read bigint,
                rows_accepted bigint, rows_quarantined bigint, status varchar, detail varchar,
                archive_path varchar, raw_path varchar, quarantine_path varchar,
                gate_suite varchar, gate_passed boolean, gate_failed_expectations bigint,
                run_id varchar)""")
        con.execute("insert into ops_ingestion_manifest values ('fire_reports', ?, 'd4', 10, "
                    "'2025-03-31 01:00:00+00', '2025-03-31 01:01:00+00', 2, 0, 2, "
                    "'schema_error', ?, null, null, null, null, null, null, 'r')",
                    [HOSTILE_NAME, "@SUM(1+1) no column matches"])
    raw = home / "warehouse" / "raw" / "fire_reports"
    raw.mkdir(parents=True)
    pq.write_table(pa.table({
        "report_id": ["=HYPERLINK(1)", "R2"], "county_code": ["150222", "150222"],
        "parcel_id": [None, None], "start_date": [dt.date(2024, 4, 2)] * 2,
        "end_date": [dt.date(2024, 4, 3)] * 2, "lon": [110.1, 110.2], "lat": [41.0, 41.1],
        "burned_area_ha": [12.5, 3.0], "vegetation_type": ["forest", "grassland"],
        "cause": [HOSTILE[0], "@SUM(1+1)"]}), raw / "x.parquet")
    site = build_site(db, tmp_path / "site", "run-injection")
    texts = {f.name: f.read_text(encoding="utf-8-sig") for f in (site / "data").glob("*.csv")}
    cells = [c for text in texts.values() for row in csv.reader(text.splitlines()) for c in row]
    assert any(c == "'" + HOSTILE[0] for c in cells), "the hostile cause is not in any CSV"
    per_file = list(csv.reader(texts["quarantine_by_file.csv"].splitlines()))
    assert any("'" + HOSTILE_NAME in row for row in per_file), per_file
    assert any("'@SUM(1+1) no column matches" in row for row in per_file), per_file
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [c for c in cells if c.startswith("-") and not _number(c)]


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def test_templates_neutralise_text(tmp_path, monkeypatch):
    from ingestion import templates

    monkeypatch.setattr(templates, "_allowed", lambda col: "=cmd|' /C calc'!A0")
    ws = load_workbook(templates.write_template("fire_reports", tmp_path)).worksheets[1]
    values = [c.value for row in ws.iter_rows(min_row=2, max_row=2) for c in row]
    assert "'=cmd|' /C calc'!A0" in values
