"""``sinkwatch ledger ...``: every ledger operation from the command line.

Wired into the ``sinkwatch`` CLI with ``add_parser(subparsers, notify=...)``. The database is
``--url``, else ``$SINKWATCH_LEDGER_URL``, else the SQLite file under ``$SINKWATCH_HOME``; it is
migrated on first use. Who: ``--actor`` (default ``$SINKWATCH_LEDGER_ACTOR`` or the login
name); why: ``--reason`` (required for every write). Writes print the result as JSON; a
refused operation prints ``refused [code]: why`` and exits 1.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Handler = Callable[[Any, argparse.Namespace], int]


def parse_serials(text: str) -> tuple[int, int]:
    """``A..B`` or ``A``; A and B are serial numbers or printed serials
    (``LOCAL-2024-00001-000000123``: the number is the last part)."""
    def one(s: str) -> int:
        return int(s.strip().rsplit("-", 1)[-1])

    try:
        a, _, b = text.partition("..")
        return one(a), one(b) if b else one(a)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"serials {text!r}: A..B or A") from exc


def _out(obj: Any) -> int:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))
    return 0


def _units_args(sp: argparse.ArgumentParser, subscription: bool = False) -> None:
    g = sp.add_mutually_exclusive_group(required=not subscription)
    g.add_argument("--quantity", type=int, help="units (lowest vintage and serials first)")
    g.add_argument("--serials", type=parse_serials, help="serial range A..B")
    if subscription:
        g.add_argument("--subscription", type=int, help="all units of this subscription")
    sp.add_argument("--scheme")
    sp.add_argument("--vintage", type=int)


def _reason(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--reason", required=True, help="why (kept in the event)")


# --- handlers -------------------------------------------------------------------------------

def _migrate(led: Any, args: argparse.Namespace) -> int:
    from ledger.db import current_revision

    print(f"ledger schema at revision {current_revision(led.engine)} "
          f"({led.engine.url.render_as_string(hide_password=True)})")
    return 0


def _account_add(led: Any, a: argparse.Namespace) -> int:
    return _out(led.register_account(a.account_id, a.name, kind=a.kind, actor=a.actor,
                                     reason=a.reason))


def _user_add(led: Any, a: argparse.Namespace) -> int:
    token = led.add_user(a.user_name, a.role, account_id=a.account, actor=a.actor,
                         reason=a.reason)
    print(f"user {a.user_name} ({a.role}) created; bearer token (shown once):\n{token}")
    return 0


def _scheme_set(led: Any, a: argparse.Namespace) -> int:
    return _out(led.set_scheme_rule(a.scheme, a.buffer_bp, a.source, actor=a.actor,
                                    reason=a.reason))


def _creditable_set(led: Any, a: argparse.Namespace) -> int:
    return _out(led.set_creditable(a.parcel, a.vintage, a.scheme, a.net_removals_t,
                                   a.deductions_t, source=a.source, actor=a.actor,
                                   reason=a.reason))


def _creditable_load(led: Any, a: argparse.Namespace) -> int:
    with Path(a.csv).open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return _out(led.load_creditable(rows, source=a.source or Path(a.csv).name, actor=a.actor,
                                    reason=a.reason))


def _issue(led: Any, a: argparse.Namespace) -> int:
    parcels: dict[str, int | None] = {}
    for item in a.parcels:
        pid, _, n = item.partition("=")
        parcels[pid] = int(n) if n else None
    return _out(led.issue(a.scheme, a.vintage, parcels, project=a.project, account_id=a.account,
                          actor=a.actor, reason=a.reason))


def _transfer(led: Any, a: argparse.Namespace) -> int:
    return _out(led.transfer(a.from_account, a.to_account, quantity=a.quantity,
                             serials=a.serials, scheme_code=a.scheme, vintage=a.vintage,
                             actor=a.actor, reason=a.reason))


def _subscribe(led: Any, a: argparse.Namespace) -> int:
    return _out(led.subscribe(a.buyer, a.quantity, purpose_kind=a.purpose_kind,
                              purpose_name=a.purpose, purpose_year=a.purpose_year,
                              scheme_code=a.scheme, seller=a.seller, actor=a.actor,
                              reason=a.reason))


def _retire(led: Any, a: argparse.Namespace) -> int:
    return _out(led.retire(a.account_id, beneficiary=a.beneficiary, quantity=a.quantity,
                           serials=a.serials, purpose_kind=a.purpose_kind,
                           purpose_name=a.purpose, purpose_year=a.purpose_year,
                           scheme_code=a.scheme, vintage=a.vintage,
                           subscription_id=a.subscription, actor=a.actor, reason=a.reason))


def _cancel(led: Any, a: argparse.Namespace) -> int:
    return _out(led.cancel(a.account_id, quantity=a.quantity, serials=a.serials,
                           scheme_code=a.scheme, vintage=a.vintage, actor=a.actor,
                           reason=a.reason))


def _loss(led: Any, a: argparse.Namespace) -> int:
    return _out(led.record_loss(a.parcel, a.year, a.tonnes, cause=a.cause, actor=a.actor,
                                reason=a.reason))


def _statement(led: Any, a: argparse.Namespace) -> int:
    from ledger import reports

    with led.read() as conn:
        st = reports.statement(conn, a.account_id)
    if a.json:
        return _out(st)
    acct = st["account"]
    print(f"{acct['account_id']}  {acct['name']}  ({acct['kind']})  held: {st['held_units']} t")
    for b in st["blocks"]:
        print(f"  {b['state']:9s} {b['units']:>9d}  {b['serials']}")
    for r in st["retirements"]:
        print(f"  retirement {r['retirement_id']}: {r['quantity']} t for {r['beneficiary']} "
              f"({r['purpose_name']}), code {r['verification_code'][:16]}")
    return 0


def _certificate(led: Any, a: argparse.Namespace) -> int:
    from ledger import reports

    with led.read() as conn:
        rid = a.retirement_id if a.retirement_id is not None else \
            reports.find_by_code(conn, a.code)
        data = reports.certificate_data(conn, rid)
    html = reports.certificate_html(data)
    if a.output:
        Path(a.output).write_text(html, encoding="utf-8")
        print(f"certificate of retirement {rid}: {a.output}")
    elif a.code:
        print(f"verification code {a.code}: retirement {rid}, {data['quantity']} t for "
              f"{data['beneficiary']} ({data['purpose_name']}), retired {data['retired_at']}; "
              f"run `sinkwatch ledger verify` to check the chain")
    else:
        sys.stdout.write(html)
    return 0


def _verify(led: Any, a: argparse.Namespace) -> int:
    from ledger.verify import verify

    with led.read() as conn:
        report = verify(conn)
    if a.json:
        _out(report)
    else:
        for p in report["problems"]:
            print(f"event {p['event_id']}: {p['message']}")
        state = "OK" if report["ok"] else f"FAILED ({len(report['problems'])} problem(s))"
        print(f"ledger verify: {state}; {report['events']} events, head "
              f"{report['head_event_id']} {report['head_hash']}")
    return 0 if report["ok"] else 1


def _serve(led: Any, a: argparse.Namespace) -> int:
    import uvicorn

    from ledger.api import create_app

    uvicorn.run(create_app(led), host=a.host, port=a.port, log_level="info")
    return 0


# --- parser ---------------------------------------------------------------------------------

def add_parser(subparsers: Any, notify: Callable[..., Any] | None = None) -> None:
    """Add ``ledger`` and its subcommands to an argparse subparsers object; ``notify`` (e.g.
    ``sinkwatch.alerts.notify``) receives the ledger's alerts (buffer short after a loss)."""
    p = subparsers.add_parser(
        "ledger", help="carbon-offset ledger: issue, transfer, subscribe, retire, cancel, "
        "statement, certificate, verify, serve", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="database URL (default $SINKWATCH_LEDGER_URL, else the "
                   "SQLite file $SINKWATCH_HOME/ledger/ledger.sqlite)")
    p.add_argument("--actor", default=os.environ.get("SINKWATCH_LEDGER_ACTOR")
                   or getpass.getuser(), help="who (kept in the event)")
    p.add_argument("--json", action="store_true", help="JSON output (statement, verify)")
    sub = p.add_subparsers(dest="ledger_command", required=True, metavar="COMMAND")

    def cmd(name: str, handler: Handler, text: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=text, description=text)
        sp.set_defaults(ledger_handler=handler)
        return sp

    sp = cmd("migrate", _migrate, "create or upgrade the ledger's tables")
    sp.add_argument("--create-database", action="store_true",
                    help="PostgreSQL: create the database first if it does not exist")
    sp = cmd("account", _account_add, "add an account (an organisation that buys units)")
    sp.add_argument("action", choices=["add"])
    sp.add_argument("account_id")
    sp.add_argument("name")
    sp.add_argument("--kind", choices=["holder", "issuer"], default="holder")
    _reason(sp)
    sp = cmd("user", _user_add, "add an API user and print its token")
    sp.add_argument("action", choices=["add"])
    sp.add_argument("user_name")
    sp.add_argument("--role", choices=["officer", "buyer"], required=True)
    sp.add_argument("--account", help="the account a buyer may read")
    _reason(sp)
    sp = cmd("scheme", _scheme_set, "set a scheme's buffer share and its source")
    sp.add_argument("action", choices=["set"])
    sp.add_argument("scheme")
    sp.add_argument("--buffer-bp", type=int, required=True, help="basis points: 1000 = 10 %%")
    sp.add_argument("--source", required=True, help="the document the share comes from")
    _reason(sp)
    sp = cmd("creditable", _creditable_set,
             "set verified net removals and deductions (t CO2e) of a parcel-year under a scheme")
    sp.add_argument("action", choices=["set"])
    sp.add_argument("parcel")
    sp.add_argument("vintage", type=int)
    sp.add_argument("scheme")
    sp.add_argument("net_removals_t")
    sp.add_argument("deductions_t")
    sp.add_argument("--source", required=True)
    _reason(sp)
    sp = cmd("creditable-load", _creditable_load, "load creditable tonnes from a CSV (parcel_id,"
             "vintage,scheme_code,net_removals_t,deductions_t)")
    sp.add_argument("csv")
    sp.add_argument("--source")
    _reason(sp)
    sp = cmd("issue", _issue, "issue units for parcel-years (PARCEL or PARCEL=UNITS)")
    sp.add_argument("scheme")
    sp.add_argument("vintage", type=int)
    sp.add_argument("parcels", nargs="+", metavar="PARCEL[=UNITS]")
    sp.add_argument("--project", required=True, help="project or parcel-set name")
    sp.add_argument("--account", default="BUREAU", help="issuer account")
    _reason(sp)
    sp = cmd("transfer", _transfer, "move units between accounts")
    sp.add_argument("from_account")
    sp.add_argument("to_account")
    _units_args(sp)
    _reason(sp)
    sp = cmd("subscribe", _subscribe, "认购: an organisation buys units for a named purpose")
    sp.add_argument("buyer")
    sp.add_argument("quantity", type=int)
    sp.add_argument("--purpose-kind", choices=["event", "product", "year", "other"],
                    required=True)
    sp.add_argument("--purpose", required=True, help="the event, product or year named")
    sp.add_argument("--purpose-year", type=int)
    sp.add_argument("--scheme", default="LOCAL")
    sp.add_argument("--seller", default="BUREAU")
    _reason(sp)
    sp = cmd("retire", _retire, "retire units (with a certificate)")
    sp.add_argument("account_id")
    _units_args(sp, subscription=True)
    sp.add_argument("--beneficiary", required=True)
    sp.add_argument("--purpose-kind", choices=["event", "product", "year", "other"])
    sp.add_argument("--purpose")
    sp.add_argument("--purpose-year", type=int)
    _reason(sp)
    sp = cmd("cancel", _cancel, "cancel (reverse) held units")
    sp.add_argument("account_id")
    _units_args(sp)
    _reason(sp)
    sp = cmd("loss", _loss, "record a fire or pest loss (cancels buffer units first)")
    sp.add_argument("parcel")
    sp.add_argument("year", type=int)
    sp.add_argument("tonnes")
    sp.add_argument("--cause", choices=["fire", "pest", "other"], required=True)
    _reason(sp)
    sp = cmd("statement", _statement, "an account's units, subscriptions and retirements")
    sp.add_argument("account_id")
    sp = cmd("certificate", _certificate, "a retirement's certificate (Chinese HTML)")
    sp.add_argument("retirement_id", type=int, nargs="?")
    sp.add_argument("--code", help="find the retirement by its verification code")
    sp.add_argument("-o", "--output", help="write the HTML here (default: stdout)")
    cmd("verify", _verify, "check the hash chain and replay the events against the tables")
    sp = cmd("serve", _serve, "serve the HTTP API (uvicorn)")
    sp.add_argument("--create-database", action="store_true",
                    help="PostgreSQL: create the database first if it does not exist")
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=8090)
    p.set_defaults(func=lambda args: run(args, notify))


def run(args: argparse.Namespace, notify: Callable[..., Any] | None = None) -> int:
    from ledger.db import create_database, default_url
    from ledger.errors import LedgerError
    from ledger.service import Ledger

    if args.ledger_command == "certificate" and (args.retirement_id is None) == (not args.code):
        print("give a RETIREMENT_ID or --code", file=sys.stderr)
        return 2
    url = args.url or default_url()
    if getattr(args, "create_database", False):
        create_database(url)
    led = Ledger.open(url, notify=notify)
    try:
        return args.ledger_handler(led, args)
    except LedgerError as exc:
        print(f"refused [{exc.code}]: {exc}", file=sys.stderr)
        return 1
    finally:
        led.dispose()
