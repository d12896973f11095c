"""Projects, credits and the ledger in the nightly run (#15 items 2 and 5), on the small sample:
the reserve with eligible and ineligible projects (and their reasons), the ledger loaded after
publish, the 碳汇交易 page, and the reconciliation gate that fails a run when units were issued
beyond the sink. The first build is a full refresh, so the dbt unit tests of the hand-computed
afforestation project (models/marts/trading/_trading__models.yml) run in it too."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from expectations import gates
from orchestration import pipeline, trading
from sample_data import generate
from sinkwatch.config import Paths
from sinkwatch.contracts import FAMILIES


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("trading") / "home"
    mp.setenv("SINKWATCH_HOME", str(home))
    mp.setenv("SINKWATCH_ALERT_FILE", str(home / "alerts.jsonl"))
    mp.delenv("SINKWATCH_LEDGER_URL", raising=False)
    p = Paths(home).ensure()
    generate(p.landing, scale="small")
    pipeline.ingest(list(FAMILIES), run_id="base", gate=False, p=p)
    pipeline.build("base", p=p)  # full refresh: dbt unit tests included
    pipeline.gate("base", p=p)
    pipeline.publish("base", p=p)
    trading.load_creditable("base", p=p)
    yield p
    mp.undo()


def _q(db, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_reserve_lists_eligible_and_ineligible_projects_with_reasons(published):
    p = published
    rows = {r[0]: r[1:] for r in _q(p.published, "select project_id, is_eligible, "
                                    "failed_conditions, ineligibility_reasons from dim_projects")}
    assert rows["BT-CCER-001"][0] and rows["BT-LOCAL-002"][0]
    ok, failed, reasons = rows["BT-CCER-004"]
    assert not ok
    assert {"forest_use", "tenure", "land_history", "crediting_period"} <= set(failed.split(","))
    assert "forest use economic" in reasons and "[§2 适用条件" in reasons and "; S]" in reasons
    # every deduction is written out; an ineligible project keeps its rows with 0 creditable
    cols = _q(p.published, "select sum(creditable_t) filter (where not is_eligible), "
                           "count(*) filter (where basis = 'measured') from fct_project_credits")
    assert cols[0][0] == 0
    # the ledger holds tonight's creditable tonnes (loaded after publish); nothing issued yet
    n_marts = _q(p.published, "select count(*) from fct_parcel_creditable where is_ledger_scheme")
    from ledger import Ledger

    led = Ledger.open()
    try:
        with led.read() as conn:
            from sqlalchemy import func, select

            from ledger.schema import creditable
            n_ledger = conn.execute(select(func.count()).select_from(creditable)).scalar_one()
    finally:
        led.dispose()
    assert n_ledger == n_marts[0][0]
    assert _q(p.published, "select coalesce(max(shortfall_units), 0) from fct_ledger_balances"
              ) == [(0,)]


def test_trading_page_renders(published, tmp_path):
    from dashboards.build import build_site

    site = build_site(published.published, tmp_path / "site", "t1")
    html = (site / "trading.html").read_text(encoding="utf-8")
    assert "碳汇交易" in html and "BT-CCER-004" in html and "forest use economic" in html
    assert 'href="trading.html"' in (site / "index.html").read_text(encoding="utf-8")
    for csv in ("project_reserve.csv", "project_credits.csv", "ledger_balances.csv"):
        assert (site / "data" / csv).read_bytes().startswith(b"\xef\xbb\xbf")


def test_units_issued_beyond_the_sink_fail_the_gate(published):
    """An officer loads 50 t more than tonight's marts for a parcel-year (by hand, another
    source) and issues all of it: the next nightly run's reconciliation fails the gate and
    nothing is published."""
    from ledger import Ledger

    p = published
    before = hashlib.sha256(p.published.read_bytes()).hexdigest()
    row = _q(p.published, "select parcel_id, vintage, scheme_code, net_removals_t, deductions_t "
                          "from fct_parcel_creditable where is_ledger_scheme "
                          "order by parcel_id, vintage limit 1")
    parcel, vintage, scheme, net, ded = row[0] if row else ("X-OVER", 2024, "LOCAL", 0.0, 0.0)
    led = Ledger.open()
    try:
        led.set_creditable(parcel, vintage, scheme, f"{net + 50:.3f}", f"{ded:.3f}",
                           source="manual-override", actor="test", reason="超发测试")
        issued = led.issue(scheme, vintage, [parcel], project="over", actor="test",
                           reason="超发测试")
    finally:
        led.dispose()
    assert issued["quantity"] >= 50
    pipeline.build("over", p=p)  # exports the ledger snapshot first
    with pytest.raises(gates.GateFailed) as err:
        pipeline.gate("over", p=p)
    failed = {(r.suite, tuple(f.get("columns") or [f.get("column")]))
              for r in err.value.results for f in r.failures}
    assert ("marts__fct_ledger_balances", ("shortfall_units",)) in failed, failed
    short = _q(pipeline.build_path("over", p),
               f"select shortfall_units, available_units from fct_ledger_balances "
               f"where parcel_id = '{parcel}' and vintage = {vintage}")
    assert short[0][0] >= 49 and short[0][1] <= -49
    assert hashlib.sha256(p.published.read_bytes()).hexdigest() == before
