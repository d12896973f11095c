"""The ledger's double-counting rules, on SQLite and PostgreSQL: each refused by the Python
layer with a message naming what breaks it, and refused again by the database itself when raw
SQL goes around the Python layer."""

from __future__ import annotations

import importlib.util

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from ledger_db import DIALECTS, ledger_url
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ledger import Ledger
from ledger import errors as E
from ledger.db import MIGRATIONS
from ledger.errors import from_db
from ledger.schema import SEED_ACCOUNTS, SEED_SCHEMES, metadata
from ledger.verify import verify

A = {"actor": "officer-li", "reason": "test"}


@pytest.fixture(params=DIALECTS)
def led(request, tmp_path):
    ledger = Ledger.open(ledger_url(request.param, tmp_path))
    yield ledger
    ledger.dispose()


def db_refuses(led: Ledger, *statements: str) -> E.LedgerError:
    """Run raw SQL around the Python layer; return the ledger error the database raised."""
    with pytest.raises(DBAPIError) as info:
        with led.engine.begin() as conn:
            for sql in statements:
                conn.execute(text(sql))
    err = from_db(info.value)
    assert err is not None, info.value
    return err


def last_event(led: Ledger) -> int:
    with led.read() as conn:
        return conn.execute(text("SELECT max(event_id) FROM ledger_event")).scalar_one()


def stock(led: Ledger, parcel: str = "P-1", scheme: str = "LOCAL", net: str = "120.4",
          deductions: str = "8.0", vintage: int = 2024) -> None:
    led.set_creditable(parcel, vintage, scheme, net, deductions, source="fct_test", **A)


def held(led: Ledger, account_id: str) -> int:
    from ledger.reports import statement

    with led.read() as conn:
        return statement(conn, account_id)["held_units"]


def assert_verified(led: Ledger) -> None:
    with led.read() as conn:
        report = verify(conn)
    assert report["ok"], report["problems"]


def test_migration_creates_what_the_schema_declares(led):
    with led.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "include_object": lambda obj, name, kind, *_: not (
                kind == "table" and name == "ledger_alembic_version")})
        diff = compare_metadata(ctx, metadata)
    assert diff == []
    spec = importlib.util.spec_from_file_location(
        "m0001", MIGRATIONS / "versions" / "0001_ledger_core.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert tuple(module.ACCOUNTS) == SEED_ACCOUNTS and tuple(module.SCHEMES) == SEED_SCHEMES
    assert set(module.APPEND_ONLY) == set(__import__("ledger.schema").schema.APPEND_ONLY)


def test_issuance_sets_the_buffer_share_aside_in_one_serial_range(led):
    stock(led)  # 120.4 - 8.0 = 112.4 t -> 112 units
    stock(led, "P-2", net="20.999", deductions="0")  # 20 units
    r = led.issue("LOCAL", 2024, ["P-1", "P-2"], project="大青山 2024", **A)
    assert (r["serial_start"], r["serial_end"], r["quantity"]) == (1, 132, 132)
    assert r["buffer_quantity"] == 14  # ceil(10 % of 132)
    assert r["parcels"] == {"P-1": 112, "P-2": 20}
    assert r["serials"] == "LOCAL-2024-00001-000000001 – 000000132"
    assert held(led, "BUREAU") == 118 and held(led, "BUFFER-LOCAL") == 14
    led.set_scheme_rule("LOCAL", 500, "bureau decision 2025-3 (test)", **A)
    stock(led, "P-3", net="10", deductions="0")
    r2 = led.issue("LOCAL", 2024, {"P-3": 10}, project="second", **A)
    assert (r2["serial_start"], r2["buffer_quantity"]) == (133, 1)
    assert_verified(led)


def test_a_serial_exists_once(led):
    stock(led)
    led.issue("LOCAL", 2024, ["P-1"], project="p", **A)
    led.register_account("ORG-1", "包头钢铁", **A)
    with pytest.raises(E.InsufficientUnits, match="holds 0 of the 11 units 200..210"):
        led.transfer("BUREAU", "ORG-1", serials=(200, 210), **A)
    ev = last_event(led)
    err = db_refuses(led, "INSERT INTO ledger_issuance (issuance_id, event_id, scheme_code, "
                     "vintage, project, account_id, serial_start, serial_end, quantity, "
                     f"buffer_quantity) VALUES (9, {ev}, 'LOCAL', 2024, 'x', 'BUREAU', 50, 60, "
                     "11, 0)")
    assert isinstance(err, E.SerialConflict) and "a serial exists once" in str(err)
    err = db_refuses(led, "INSERT INTO ledger_block (block_id, issuance_id, scheme_code, vintage, "
                     "serial_start, serial_end, account_id, state, created_event_id) VALUES "
                     f"(99, 1, 'LOCAL', 2024, 5, 5, 'ORG-1', 'held', {ev})")
    assert isinstance(err, E.SerialConflict) and "already held in an open block" in str(err)
    err = db_refuses(led, "INSERT INTO ledger_block (block_id, issuance_id, scheme_code, vintage, "
                     "serial_start, serial_end, account_id, state, created_event_id) VALUES "
                     f"(99, 1, 'LOCAL', 2024, 500, 500, 'ORG-1', 'held', {ev})")
    assert isinstance(err, E.SerialConflict) and "inside the serial range" in str(err)
    assert_verified(led)


def test_a_unit_is_retired_at_most_once(led):
    stock(led)
    led.issue("LOCAL", 2024, ["P-1"], project="p", **A)
    led.register_account("ORG-1", "包头钢铁", **A)
    led.transfer("BUREAU", "ORG-1", quantity=20, **A)
    r = led.retire("ORG-1", serials=(1, 3), beneficiary="组委会", purpose_kind="event",
                   purpose_name="马拉松", **A)
    assert r["quantity"] == 3 and len(r["verification_code"]) == 64
    with pytest.raises(E.AlreadyRetired, match="already retired"):
        led.retire("ORG-1", serials=(3, 4), beneficiary="x", purpose_kind="event",
                   purpose_name="y", **A)
    with pytest.raises(E.AlreadyRetired):
        led.transfer("ORG-1", "BUREAU", serials=(2, 2), **A)
    with pytest.raises(E.AlreadyRetired):
        led.cancel("ORG-1", serials=(1, 1), **A)
    ev = last_event(led)
    err = db_refuses(led, f"UPDATE ledger_block SET closed_event_id = {ev} "
                     "WHERE state = 'retired'")
    assert isinstance(err, E.AlreadyRetired), err
    err = db_refuses(led, "INSERT INTO ledger_block (block_id, issuance_id, scheme_code, vintage, "
                     "serial_start, serial_end, account_id, state, created_event_id, "
                     f"retirement_id) VALUES (99, 1, 'LOCAL', 2024, 2, 2, 'ORG-1', 'retired', "
                     f"{ev}, 1)")
    assert isinstance(err, E.AlreadyRetired) and "retired at most once" in str(err)
    assert_verified(led)


def test_issuance_never_exceeds_verified_net_removals_minus_deductions(led):
    stock(led)  # 112 units
    with pytest.raises(E.OverIssuance, match=r"113 unit\(s\) requested, 112 left .*112.400 t"):
        led.issue("LOCAL", 2024, {"P-1": 113}, project="p", **A)
    led.issue("LOCAL", 2024, {"P-1": 100}, project="p", **A)
    with pytest.raises(E.OverIssuance, match="13 unit"):
        led.issue("LOCAL", 2024, {"P-1": 13}, project="p", **A)
    led.issue("LOCAL", 2024, ["P-1"], project="rest", **A)  # the 12 left
    with pytest.raises(E.OverIssuance, match="nothing left"):
        led.issue("LOCAL", 2024, ["P-1"], project="p", **A)
    with pytest.raises(E.OverIssuance, match="P-9 year 2024 has no verified net removals"):
        led.issue("LOCAL", 2024, ["P-9"], project="p", **A)
    with pytest.raises(E.OverIssuance, match="cannot drop below"):
        stock(led, net="100")  # would leave 92 t for 112 issued units
    stock(led, net="121")  # going up is fine
    ev = last_event(led)
    err = db_refuses(led, "UPDATE ledger_creditable SET net_removals_kg = 1000 "
                     "WHERE parcel_id = 'P-1'")
    assert isinstance(err, E.OverIssuance), err
    err = db_refuses(
        led, "INSERT INTO ledger_issuance (issuance_id, event_id, scheme_code, vintage, project, "
        f"account_id, serial_start, serial_end, quantity, buffer_quantity) VALUES (9, {ev}, "
        "'LOCAL', 2024, 'x', 'BUREAU', 1000, 1009, 10, 0)",
        "INSERT INTO ledger_issuance_line (issuance_id, parcel_id, vintage, scheme_code, quantity, "
        f"serial_start, serial_end, event_id) VALUES (9, 'P-1', 2024, 'LOCAL', 10, 1000, 1009, "
        f"{ev})")
    assert isinstance(err, E.OverIssuance) and "exceed" in str(err)
    err = db_refuses(
        led, "INSERT INTO ledger_issuance (issuance_id, event_id, scheme_code, vintage, project, "
        f"account_id, serial_start, serial_end, quantity, buffer_quantity) VALUES (9, {ev}, "
        "'LOCAL', 2024, 'x', 'BUREAU', 1000, 1000, 1, 0)",
        f"INSERT INTO ledger_parcel_claim VALUES ('P-9', 2024, 'LOCAL', {ev})",
        "INSERT INTO ledger_issuance_line (issuance_id, parcel_id, vintage, scheme_code, quantity, "
        f"serial_start, serial_end, event_id) VALUES (9, 'P-9', 2024, 'LOCAL', 1, 1000, 1000, "
        f"{ev})")
    assert isinstance(err, E.OverIssuance) and "no verified net removals" in str(err)
    assert_verified(led)


def test_ccer_and_local_sale_are_exclusive_per_parcel_year(led):
    for parcel in ("P-1", "P-2"):
        stock(led, parcel, "LOCAL")
        stock(led, parcel, "CCER")
    led.issue("LOCAL", 2024, ["P-1"], project="local", **A)
    led.issue("CCER", 2024, {"P-2": 50}, project="ccer", **A)
    with pytest.raises(E.SchemeConflict, match="P-1 year 2024 is issued under LOCAL"):
        led.issue("CCER", 2024, ["P-1"], project="x", **A)
    with pytest.raises(E.SchemeConflict, match="P-2 year 2024 is issued under CCER"):
        led.issue("LOCAL", 2024, ["P-2"], project="x", **A)
    led.register_account("ORG-1", "包头钢铁", **A)
    with pytest.raises(E.SchemeConflict, match="not sold locally"):
        led.subscribe("ORG-1", 1, purpose_kind="event", purpose_name="x", scheme_code="CCER",
                      **A)
    stock(led, "P-1", "CCER", vintage=2025)  # another year of the same parcel is free
    led.issue("CCER", 2025, {"P-1": 1}, project="ccer 2025", **A)
    ev = last_event(led)
    err = db_refuses(led, f"INSERT INTO ledger_parcel_claim VALUES ('P-1', 2024, 'CCER', {ev})")
    assert isinstance(err, E.SchemeConflict), err
    err = db_refuses(
        led, "INSERT INTO ledger_issuance (issuance_id, event_id, scheme_code, vintage, project, "
        f"account_id, serial_start, serial_end, quantity, buffer_quantity) VALUES (9, {ev}, "
        "'CCER', 2024, 'x', 'BUREAU', 1000, 1000, 1, 0)",
        "INSERT INTO ledger_issuance_line (issuance_id, parcel_id, vintage, scheme_code, quantity, "
        f"serial_start, serial_end, event_id) VALUES (9, 'P-1', 2024, 'CCER', 1, 1000, 1000, "
        f"{ev})")
    assert isinstance(err, E.SchemeConflict), err
    err = db_refuses(led, "INSERT INTO ledger_subscription (subscription_id, event_id, account_id, "
                     "seller_account_id, scheme_code, local_sale, quantity, purpose_kind, "
                     f"purpose_name) VALUES (9, {ev}, 'ORG-1', 'BUREAU', 'CCER', TRUE, 1, "
                     "'event', 'x')")
    assert isinstance(err, E.SchemeConflict) and "sold locally" in str(err)
    err = db_refuses(led, "UPDATE ledger_scheme SET local_sale = TRUE WHERE scheme_code = 'CCER'")
    assert isinstance(err, E.SchemeConflict), err
    assert_verified(led)


def test_rows_are_append_only_in_the_database(led):
    stock(led)
    led.issue("LOCAL", 2024, ["P-1"], project="p", **A)
    for sql in ("UPDATE ledger_event SET reason = 'x' WHERE event_id = 1",
                "DELETE FROM ledger_event WHERE event_id = 2",
                "DELETE FROM ledger_issuance",
                "UPDATE ledger_issuance_line SET quantity = 1",
                "DELETE FROM ledger_block",
                "UPDATE ledger_block SET account_id = 'BUFFER-LOCAL' WHERE state = 'held'",
                "DELETE FROM ledger_creditable"):
        err = db_refuses(led, sql)
        assert isinstance(err, E.AppendOnly), (sql, err)
    if led.engine.dialect.name == "postgresql":
        assert isinstance(db_refuses(led, "TRUNCATE ledger_event CASCADE"), E.AppendOnly)
    err = db_refuses(led, "INSERT INTO ledger_event VALUES (9, 'x', 'a', 'b', 'c', '{}', "
                     f"'{'0' * 64}', '{'1' * 64}')")
    assert isinstance(err, E.ChainBroken), err
    assert_verified(led)


def test_a_loss_cancels_buffer_units_first_and_alerts_when_the_buffer_is_short(led):
    sent = []
    led.notify = lambda title, message, **kw: sent.append((title, message, kw))
    stock(led)  # 112 units, 12 in the buffer
    led.issue("LOCAL", 2024, ["P-1"], project="p", **A)
    r = led.record_loss("P-1", 2025, "5.3", cause="fire", **A)  # 6 units
    assert r["losses"][0]["from_buffer_units"] == 6 and not r["alerts"] and not sent
    assert held(led, "BUFFER-LOCAL") == 6 and held(led, "BUREAU") == 100
    assert loss_rows(led, 1) == ([("loss_buffer", "BUFFER-LOCAL", 6)], [])  # buffer only
    r = led.record_loss("P-1", 2025, "10", cause="pest", **A)
    loss = r["losses"][0]
    assert (loss["reversal_units"], loss["from_buffer_units"], loss["from_parcel_units"],
            loss["uncovered_units"]) == (10, 6, 4, 0)
    assert r["alerts"][0]["shortfall_units"] == 4 and len(sent) == 1
    assert sent[0][0] == "ledger: buffer_short" and "P-1" in sent[0][1]
    assert held(led, "BUFFER-LOCAL") == 0 and held(led, "BUREAU") == 96
    # the buffer's last 6, then 4 of the parcel's unsold units; the alert row is in the ledger
    assert loss_rows(led, 2) == ([("loss_buffer", "BUFFER-LOCAL", 6),
                                  ("loss_parcel", "BUREAU", 4)], [("buffer_short", "LOCAL", 4)])
    led.register_account("ORG-1", "包头钢铁", **A)
    led.subscribe("ORG-1", 90, purpose_kind="year", purpose_name="2025 碳中和", **A)
    r = led.record_loss("P-1", 2025, "500", cause="fire", **A)  # capped: 112 - 16 reversed
    loss = r["losses"][0]
    assert (loss["reversal_units"], loss["from_buffer_units"], loss["from_parcel_units"],
            loss["uncovered_units"]) == (96, 0, 6, 90)
    assert "90 not covered" in r["alerts"][0]["message"]
    assert held(led, "ORG-1") == 90  # units sold are never taken back
    r = led.record_loss("P-7", 2025, "3", cause="fire", **A)  # nothing issued for P-7
    assert r["losses"][0]["reversal_units"] == 0 and not r["alerts"]
    assert_verified(led)


def loss_rows(led: Ledger, loss_id: int) -> tuple[list, list]:
    """A loss's cancellations (kind, account, units) and alerts (kind, scheme, shortfall)."""
    with led.read() as conn:
        cancelled = conn.execute(text(
            "SELECT kind, account_id, quantity FROM ledger_cancellation "
            f"WHERE loss_id = {loss_id} ORDER BY cancellation_id")).all()
        alerts = conn.execute(text("SELECT kind, scheme_code, shortfall_units FROM ledger_alert "
                                   f"WHERE loss_id = {loss_id} ORDER BY alert_id")).all()
    return [tuple(r) for r in cancelled], [tuple(r) for r in alerts]


def raw_loss(led: Ledger, ev: int, *, buffer: int = 0, parcel: int = 0, uncovered: int = 0,
             cancel: tuple[tuple[str, str, int], ...] = (), alert: int | None = None
             ) -> list[str]:
    """Raw SQL for a LOCAL loss on P-1 (loss 9) with its cancellations and alert, in the order
    each database checks it: PostgreSQL at commit (the loss row first, as its foreign keys
    want); SQLite when the loss row is inserted (so it comes last, foreign keys deferred)."""
    loss = ("INSERT INTO ledger_loss (loss_id, event_id, parcel_id, year, scheme_code, cause, "
            "loss_kg, reversal_units, from_buffer_units, from_parcel_units, uncovered_units) "
            f"VALUES (9, {ev}, 'P-1', 2025, 'LOCAL', 'fire', 1000, "
            f"{buffer + parcel + uncovered}, {buffer}, {parcel}, {uncovered})")
    rest = [f"INSERT INTO ledger_cancellation (cancellation_id, event_id, kind, account_id, "
            f"quantity, loss_id) VALUES ({90 + i}, {ev}, '{kind}', '{acct}', {n}, 9)"
            for i, (kind, acct, n) in enumerate(cancel)]
    if alert is not None:
        rest.append("INSERT INTO ledger_alert (alert_id, event_id, kind, scheme_code, loss_id, "
                    f"shortfall_units, message) VALUES (99, {ev}, 'buffer_short', 'LOCAL', 9, "
                    f"{alert}, 'raw')")
    if led.engine.dialect.name == "sqlite":
        return ["PRAGMA defer_foreign_keys = ON", *rest, loss]
    return [loss, *rest]


def test_the_database_refuses_a_loss_that_skips_the_buffer_or_its_alert(led):
    stock(led)  # 112 units, 12 in the buffer
    led.issue("LOCAL", 2024, ["P-1"], project="p", **A)
    ev = last_event(led)
    # parcel units taken while the buffer holds 12 (with a matching alert: only the order fails)
    err = db_refuses(led, *raw_loss(led, ev, parcel=3, cancel=(("loss_parcel", "BUREAU", 3),),
                                    alert=3))
    assert isinstance(err, E.BufferFirst) and "cancels buffer units first" in str(err), err
    # units left uncovered while the buffer holds 12
    err = db_refuses(led, *raw_loss(led, ev, uncovered=5, alert=5))
    assert isinstance(err, E.BufferFirst) and "cancels buffer units first" in str(err), err
    # a loss row that claims buffer units no cancellation took
    err = db_refuses(led, *raw_loss(led, ev, buffer=4))
    assert isinstance(err, E.BufferFirst), err
    assert "loss_buffer and loss_parcel cancellations" in str(err), err
    # "buffer" units cancelled from the issuer's account
    err = db_refuses(led, *raw_loss(led, ev, buffer=2, cancel=(("loss_buffer", "BUREAU", 2),)))
    assert isinstance(err, E.BufferFirst), err
    led.record_loss("P-1", 2025, "12", cause="fire", **A)  # empties the buffer: loss 1
    assert held(led, "BUFFER-LOCAL") == 0 and loss_rows(led, 1)[1] == []
    ev = last_event(led)
    # the buffer is empty now, but a short loss needs its alert row
    err = db_refuses(led, *raw_loss(led, ev, uncovered=2))
    assert isinstance(err, E.BufferFirst) and "buffer_short alert row" in str(err), err
    err = db_refuses(led, *raw_loss(led, ev, parcel=2, cancel=(("loss_parcel", "BUREAU", 2),),
                                    alert=1))  # an alert for less than the shortfall
    assert isinstance(err, E.BufferFirst) and "buffer_short alert row" in str(err), err
    # parcel units cancelled later for a loss already recorded
    err = db_refuses(led, "INSERT INTO ledger_cancellation (cancellation_id, event_id, kind, "
                     f"account_id, quantity, loss_id) VALUES (90, {ev}, 'loss_parcel', 'BUREAU', "
                     "3, 1)")
    assert isinstance(err, E.BufferFirst), err
    # one buffer account per scheme
    with pytest.raises(DBAPIError, match="(?i)unique"):
        with led.engine.begin() as conn:
            conn.execute(text("INSERT INTO ledger_account (account_id, kind, name, scheme_code) "
                              "VALUES ('BUFFER-2', 'buffer', 'x', 'LOCAL')"))
    assert_verified(led)


def test_transfer_by_serials_splits_blocks_and_certificate_names_parcels(led):
    from ledger.reports import certificate_data, certificate_html, statement

    stock(led)
    stock(led, "P-2", net="20", deductions="0")
    led.issue("LOCAL", 2024, ["P-1", "P-2"], project="大青山", **A)  # P-1 1..112, P-2 113..132
    led.register_account("ORG-1", "包头钢铁", **A)
    t = led.transfer("BUREAU", "ORG-1", serials=(110, 115), **A)
    assert t["quantity"] == 6
    r = led.retire("ORG-1", quantity=6, beneficiary="<script>x</script>", purpose_kind="product",
                   purpose_name="低碳钢 2025", purpose_year=2025, **A)
    with led.read() as conn:
        bureau = statement(conn, "BUREAU")
        cert = certificate_data(conn, r["retirement_id"])
    assert [(b["serial_start"], b["serial_end"]) for b in bureau["blocks"]] == \
        [(1, 109), (116, 118)]
    assert cert["parcels"] == [{"parcel_id": "P-1", "units": 3}, {"parcel_id": "P-2", "units": 3}]
    assert cert["verification_code"] == r["verification_code"]
    html = certificate_html(cert)
    assert "林业碳汇注销证明" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert "LOCAL-2024-00001-000000110 – 000000115" in html
    assert_verified(led)


def test_creditable_loads_are_idempotent(led):
    rows = [{"parcel_id": f"P-{i}", "vintage": 2024, "scheme_code": "LOCAL",
             "net_removals_t": 10 + i, "deductions_t": "0.5"} for i in range(5)]
    first = led.load_creditable(rows, source="fct_parcel_creditable", **A)
    again = led.load_creditable(rows, source="fct_parcel_creditable", **A)
    rows[0]["net_removals_t"] = 99
    third = led.load_creditable(rows, source="fct_parcel_creditable", **A)
    assert (first["inserted"], again["event_id"], again["unchanged"]) == (5, None, 5)
    assert (third["updated"], third["unchanged"]) == (1, 4)
    assert_verified(led)
