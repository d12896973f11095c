"""Issue 5: the gate knows ecology, stops bad runs without touching what was published, lets
warnings through (visible in ops_run_history), survives a killed build, and never blocks (or is
blocked by) an analyst reading the published warehouse."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from expectations import gates
from orchestration import pipeline
from sample_data import generate
from sinkwatch.config import Paths
from sinkwatch.contracts import FAMILIES

pytestmark = pytest.mark.slow


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _site_digest(p: Paths) -> str:
    h = hashlib.sha256()
    root = p.site.resolve()
    for f in sorted(root.rglob("*")):
        if f.is_file():
            h.update(str(f.relative_to(root)).encode() + f.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("gate") / "home"
    mp.setenv("SINKWATCH_HOME", str(home))
    mp.setenv("SINKWATCH_ALERT_FILE", str(home / "alerts.jsonl"))
    p = Paths(home).ensure()
    generate(p.landing, scale="small")
    pipeline.ingest(list(FAMILIES), run_id="base", gate=False, p=p)
    pipeline.build("base", p=p)
    pipeline.gate("base", p=p)
    pipeline.publish("base", p=p)
    pipeline.refresh_dashboard("base", p=p)
    yield p
    mp.undo()


def test_warnings_publish_and_are_visible_in_run_history(published):
    p = published
    con = duckdb.connect(str(p.published), read_only=True)
    try:
        rows = con.execute(
            "select suite, status, n_failed_warning from ops_run_history "
            "where run_id = 'base' and stage = 'gate' and suite is not null").fetchall()
        stages = {r[0] for r in con.execute(
            "select stage from ops_run_history where run_id = 'base'").fetchall()}
    finally:
        con.close()
    by_suite = {s: (st, w) for s, st, w in rows}
    # the sample's newest data are from 2025: the freshness rule warns, the run still publishes
    assert by_suite["marts__meta_run"] == ("passed_with_warnings", 1)
    assert all(st in ("passed", "passed_with_warnings") for st, _ in by_suite.values())
    assert {"dbt_build", "gate", "publish", "ingest:parcels"} <= stages
    alerts = [json.loads(line) for line in (p.home / "alerts.jsonl").read_text().splitlines()]
    assert any(a["level"] == "warning" and "base" in a["title"] for a in alerts)


def test_reader_in_another_process_neither_blocks_nor_is_blocked(published):
    """A full run (build, gate, publish, dashboard) while an analyst holds marts.duckdb open."""
    p = published
    code = (
        "import duckdb, sys, time\n"
        f"con = duckdb.connect({str(p.published)!r}, read_only=True)\n"
        "first = con.execute('select run_id from meta_run').fetchone()[0]\n"
        "print('ready', first, flush=True)\n"
        "time.sleep(float(sys.argv[1]))\n"
        "print('still', con.execute('select count(*) from fct_annual_sink').fetchone()[0], "
        "flush=True)\n"
    )
    reader = subprocess.Popen([sys.executable, "-c", code, "5"], stdout=subprocess.PIPE,
                              text=True)
    assert reader.stdout.readline().startswith("ready")
    pipeline.build("while_read", p=p)  # dbt writes its own file: not blocked by the reader
    pipeline.gate("while_read", p=p)
    pipeline.publish("while_read", p=p)  # atomic rename: the reader keeps the old file
    before_site = (p.site / "index.html").read_text(encoding="utf-8")
    pipeline.refresh_dashboard("while_read", p=p)
    after_site = (p.site / "index.html").read_text(encoding="utf-8")
    assert "while_read" in after_site and "while_read" not in before_site
    out, _ = reader.communicate(timeout=120)
    assert reader.returncode == 0 and out.startswith("still"), out
    con = duckdb.connect(str(p.published), read_only=True)
    try:
        assert con.execute("select run_id from meta_run").fetchone()[0] == "while_read"
    finally:
        con.close()


def test_killed_build_leaves_the_published_file_intact(published, tmp_path):
    p = published
    before = _sha(p.published)
    env = dict(os.environ, SINKWATCH_HOME=str(p.home))
    sw = str(Path(sys.executable).with_name("sinkwatch"))
    proc = subprocess.Popen([sw, "build", "--run-id", "killed"], env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    build_file = pipeline.build_path("killed", p)
    deadline = time.time() + 120
    while time.time() < deadline and not build_file.exists():
        time.sleep(0.2)
    assert build_file.exists(), "dbt never started writing the build"
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert _sha(p.published) == before
    con = duckdb.connect(str(p.published), read_only=True)
    con.execute("select count(*) from fct_annual_sink").fetchone()
    con.close()
    # the next run succeeds (the half-written build file is replaced, not reused)
    pipeline.build("killed", p=p)
    pipeline.gate("killed", p=p)
    pipeline.publish("killed", p=p)
    con = duckdb.connect(str(p.published), read_only=True)
    try:
        assert con.execute("select run_id from meta_run").fetchone()[0] == "killed"
    finally:
        con.close()


def _append_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _bad_uploads(p: Paths) -> None:
    """Uploads that pass every row-level contract but are wrong in ways only the gate sees."""
    con = duckdb.connect()
    trees = con.execute(
        f"select * from read_parquet('{p.raw}/forest_plots/*.parquet', union_by_name=true) "
        "where status = 'alive' order by plot_id, tree_id, inventory_year").df()
    con.close()
    header = FAMILIES["forest_plots"].column_names
    both = trees.groupby(["plot_id", "tree_id"]).filter(lambda g: len(g) == 2)
    (t1, t2, t3, t4) = [g for _, g in list(both.groupby(["plot_id", "tree_id"]))[:4]]

    def row(r, **over):
        d = {c: r[c] for c in header} | over
        # an optional field the raw layer holds as null is a blank cell in an upload
        return ["" if d[c] is None or (isinstance(d[c], float) and d[c] != d[c]) else str(d[c])
                for c in header]

    a21, a25 = t1.iloc[0], t1.iloc[1]
    b21 = t2.iloc[0]
    c25 = t3.iloc[1]
    d25 = t4.iloc[1]
    _append_csv(p.landing_for("forest_plots") / "corrections.csv", header, [
        # DBH shrank by 4 cm in four years: a tape error, not biology
        row(a25, dbh_cm=round(a21["dbh_cm"] - 4.0, 1)),
        # dead in 2021, alive again in 2025
        row(b21, status="dead"),
        # a 120 cm DBH is beyond every Baotou species' plausible size (and a 20 cm/yr growth)
        row(c25, dbh_cm=120.0),
        # GPS point 0.3 degrees (~25 km) away from the parcel the tree's plot names
        row(d25, plot_lon=round(float(d25["plot_lon"]) - 0.3, 6)),
    ])
    vi_header = ["parcel_id", "date", "ndvi", "evi", "quality"]
    _append_csv(p.landing_for("vegetation_indices") / "future.csv", vi_header,
                [[a21["parcel_id"], "2031-01-01", "0.3", "0.2", "0"]])


def test_bad_data_fails_the_right_suites_and_nothing_is_published(published):
    p = published
    db_before, site_before = _sha(p.published), _site_digest(p)
    _bad_uploads(p)
    rows = pipeline.ingest(["forest_plots", "vegetation_indices"], run_id="bad", gate=False, p=p)
    # a composite dated in the future is already stopped at ingestion, row by row
    [vi] = [r for r in rows if r.family == "vegetation_indices"]
    assert (vi.rows_accepted, vi.rows_quarantined) == (0, 1)
    assert "future_date" in vi.reason_counts
    pipeline.build("bad", p=p)
    with pytest.raises(gates.GateFailed) as err:
        pipeline.gate("bad", p=p)
    failed = {(r.suite, f["expectation_type"], tuple(f.get("columns") or []), f["severity"])
              for r in err.value.results for f in r.failures}
    expected = {
        ("marts__qa_tree_remeasurement", "expect_column_values_to_be_between",
         ("dbh_growth_cm_per_yr",), "critical"),
        ("marts__qa_tree_remeasurement", "expect_column_values_to_be_in_set",
         ("is_resurrected",), "critical"),
        ("marts__qa_tree_remeasurement", "expect_column_pair_values_a_to_be_greater_than_b",
         ("dbh_max_cm", "dbh_cm"), "critical"),
        ("marts__qa_plot_locations", "expect_column_values_to_be_in_set",
         ("is_in_parcel",), "critical"),
    }
    assert expected <= failed, failed
    message = str(err.value)
    assert "marts__qa_tree_remeasurement" in message and "unexpected" in message
    # nothing moved: the published warehouse and the site are byte-identical
    assert _sha(p.published) == db_before
    assert _site_digest(p) == site_before
    alerts = (p.home / "alerts.jsonl").read_text()
    assert "gate failed for run bad" in alerts
    # the failed gate is in the run history, and shows in the next published run
    hist = duckdb.connect()
    try:
        status = hist.execute(
            f"select status from read_parquet('{p.warehouse}/ops/run_history/bad__gate.parquet') "
            "where suite is null").fetchone()[0]
    finally:
        hist.close()
    assert status == "failed"
