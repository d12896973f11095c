"""Tampering, on SQLite and PostgreSQL: rows changed with raw SQL by someone who can switch the
append-only triggers off are found and named by ``sinkwatch ledger verify``."""

from __future__ import annotations

import json

import pytest
from ledger_db import DIALECTS, ledger_url
from sqlalchemy import text

from ledger import Ledger
from ledger.chain import event_hash
from ledger.verify import verify
from orchestration.cli import main

A = {"actor": "officer-li", "reason": "test"}


@pytest.fixture(params=DIALECTS)
def url(request, tmp_path) -> str:
    return ledger_url(request.param, tmp_path)


@pytest.fixture
def led(url):
    ledger = Ledger.open(url)
    ledger.set_creditable("P-1", 2024, "LOCAL", "50", "0", source="fct_test", **A)  # event 1
    ledger.issue("LOCAL", 2024, ["P-1"], project="p", **A)  # 2
    ledger.register_account("ORG-1", "包头钢铁", **A)  # 3
    ledger.subscribe("ORG-1", 10, purpose_kind="event", purpose_name="马拉松", **A)  # 4
    ledger.retire("ORG-1", subscription_id=1, beneficiary="组委会", **A)  # 5
    yield ledger
    ledger.dispose()


def tamper(led: Ledger, table: str, sql: str, params: dict | None = None) -> None:
    """What a DBA could do: switch the table's triggers off, change a row, switch them on."""
    with led.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            conn.execute(text(sql), params or {})
            conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        else:
            triggers = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                (table,)).all()
            for name, _ in triggers:
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
            conn.execute(text(sql), params or {})
            for _, create in triggers:
                conn.exec_driver_sql(create)


def problems(led: Ledger) -> list[dict]:
    with led.read() as conn:
        report = verify(conn)
    assert report["ok"] == (not report["problems"])
    return report["problems"]


def test_an_untouched_ledger_verifies(led):
    assert problems(led) == []


def test_a_changed_event_row_is_named(led, url, capsys):
    tamper(led, "ledger_event", "UPDATE ledger_event SET reason = 'nothing to see' "
           "WHERE event_id = 3")
    found = problems(led)
    assert [p["event_id"] for p in found] == [3]
    assert "does not match its hash" in found[0]["message"]
    assert main(["ledger", "--url", url, "verify"]) == 1
    out = capsys.readouterr().out
    assert "event 3: " in out and "FAILED (1 problem(s))" in out


def test_a_rewritten_event_with_a_recomputed_hash_breaks_the_next_link(led):
    with led.read() as conn:
        ev = conn.execute(text("SELECT * FROM ledger_event WHERE event_id = 4")).one()
    data = json.loads(ev.data)
    data["rows"]["ledger_subscription"][0]["purpose_name"] = "别的用途"
    new_data = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    new_hash = event_hash(ev.prev_hash, 4, ev.kind, ev.actor, ev.reason, ev.at, new_data)
    tamper(led, "ledger_event", "UPDATE ledger_event SET data = :d, hash = :h WHERE event_id = 4",
           {"d": new_data, "h": new_hash})
    found = problems(led)
    messages = " | ".join(p["message"] for p in found)
    assert {p["event_id"] for p in found} >= {4, 5}
    assert "event 5: prev_hash does not match the hash of event 4" in messages
    # and the subscription row no longer matches what the (rewritten) event says
    assert "ledger_subscription (1,) differs" in messages


@pytest.mark.parametrize("table, sql, named", [
    ("ledger_block", "UPDATE ledger_block SET account_id = 'ORG-1' "
     "WHERE account_id = 'BUREAU' AND closed_event_id IS NULL", "ledger_block"),
    ("ledger_retirement", "UPDATE ledger_retirement SET beneficiary = '某公司'",
     "ledger_retirement (1,) differs from what the event wrote (columns: beneficiary)"),
    ("ledger_creditable", "UPDATE ledger_creditable SET net_removals_kg = 90000",
     "ledger_creditable ('P-1', 2024, 'LOCAL') differs"),
    ("ledger_scheme", "UPDATE ledger_scheme SET buffer_bp = 0 WHERE scheme_code = 'CCER'",
     "ledger_scheme ('CCER',) differs from what the event wrote (columns: buffer_bp)"),
    ("ledger_block", "DELETE FROM ledger_block WHERE state = 'retired'", "is missing"),
])
def test_a_changed_state_row_is_named_with_its_event(led, table, sql, named):
    tamper(led, table, sql)
    found = problems(led)
    assert found and any(named in p["message"] for p in found), found
