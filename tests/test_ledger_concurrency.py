"""Concurrency and crashes, on SQLite and PostgreSQL: 20 subscriptions racing for 10 units sell
exactly 10; a process killed between two writes of one operation leaves nothing behind."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from ledger_db import DIALECTS, ledger_url

from ledger import Ledger
from ledger.errors import InsufficientUnits
from ledger.reports import statement
from ledger.verify import verify

A = {"actor": "officer-li", "reason": "test"}
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(params=DIALECTS)
def url(request, tmp_path) -> str:
    return ledger_url(request.param, tmp_path)


def ledger_with_ten_units_for_sale(url: str, buyers: int) -> Ledger:
    led = Ledger.open(url)
    led.set_creditable("P-1", 2024, "LOCAL", "12.9", "0.5", source="fct_test", **A)
    led.issue("LOCAL", 2024, ["P-1"], project="p", **A)  # 12 units: 2 to the buffer, 10 for sale
    for i in range(buyers):
        led.register_account(f"ORG-{i:02d}", f"企业 {i}", **A)
    return led


def holdings(led: Ledger) -> dict[str, int]:
    with led.read() as conn:
        ids = [r[0] for r in conn.exec_driver_sql("SELECT account_id FROM ledger_account")]
        return {a: statement(conn, a)["held_units"] for a in ids}


def test_twenty_concurrent_subscriptions_for_ten_units_sell_exactly_ten(url):
    led = ledger_with_ten_units_for_sale(url, 20)
    # one engine (and connection) per thread, all starting at once
    ledgers = [Ledger(url) for _ in range(20)]
    start = threading.Barrier(20)
    results: list[object] = [None] * 20

    def buy(i: int) -> None:
        start.wait()
        try:
            results[i] = ledgers[i].subscribe(f"ORG-{i:02d}", 1, purpose_kind="event",
                                              purpose_name="马拉松", purpose_year=2025, **A)
        except Exception as exc:  # noqa: BLE001 - collected and checked below
            results[i] = exc

    threads = [threading.Thread(target=buy, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for other in ledgers:
        other.dispose()
    sold = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, InsufficientUnits)]
    assert len(sold) == 10 and len(refused) == 10, results
    assert all("holds 0 LOCAL unit(s) available; 1 requested" in str(r) for r in refused)
    serials = sorted(s for r in sold for s in r["serials"])
    assert len(set(serials)) == 10  # ten different units
    h = holdings(led)
    assert h["BUREAU"] == 0 and h["BUFFER-LOCAL"] == 2
    assert sum(n for a, n in h.items() if a.startswith("ORG-")) == 10
    with led.read() as conn:
        report = verify(conn)
    assert report["ok"], report["problems"]
    led.dispose()


CRASHING_CHILD = textwrap.dedent("""
    import os, signal, sys
    from ledger import Ledger, chain, units

    url, point = sys.argv[1], sys.argv[2]
    real_append, real_apply = chain.append, units.apply

    def die() -> None:
        sys.stdout.write("dying\\n"); sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no rollback from Python

    def append_then_die(*args, **kwargs):
        real_append(*args, **kwargs)  # first write of the operation: its event
        die()

    def close_then_die(conn, event_id, blocks):
        # the event, the subscription row and the closing of the seller's blocks are written;
        # the new blocks (the units moved to the buyer) are not
        real_apply(conn, event_id, {"closed": blocks["closed"], "created": []})
        die()

    if point == "after_event":
        chain.append = append_then_die
    else:
        units.apply = close_then_die
    led = Ledger(url)
    led.subscribe("ORG-00", 4, purpose_kind="event", purpose_name="x", actor="a", reason="r")
    print("not reached")
""")


@pytest.mark.parametrize("point", ["after_event", "after_closing_blocks"])
def test_a_crash_between_two_writes_leaves_the_ledger_consistent(url, point, tmp_path):
    led = ledger_with_ten_units_for_sale(url, 1)
    with led.read() as conn:
        before = verify(conn)
    held_before = holdings(led)
    script = tmp_path / "child.py"
    script.write_text(CRASHING_CHILD)
    proc = subprocess.run([sys.executable, str(script), url, point], capture_output=True,
                          text=True, timeout=120, cwd=REPO)
    assert proc.returncode == -9 and "dying" in proc.stdout, proc.stderr
    with led.read() as conn:
        after = verify(conn)
    assert after["ok"], after["problems"]
    assert (after["events"], after["head_hash"]) == (before["events"], before["head_hash"])
    assert holdings(led) == held_before
    # the lock the dead process held is gone: the same operation now succeeds
    r = led.subscribe("ORG-00", 4, purpose_kind="event", purpose_name="x", **A)
    assert r["event_id"] == before["events"] + 1
    assert holdings(led)["ORG-00"] == 4 and holdings(led)["BUREAU"] == 6
    led.dispose()
