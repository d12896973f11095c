"""Read side: account statements and retirement certificates (data and printable Chinese HTML).

The certificate's verification code is the hash of the retirement's event in the hash chain:
anyone holding the ledger (or its published head) can check it with ``sinkwatch ledger
certificate --code CODE`` and ``sinkwatch ledger verify``. All text that users typed (names,
purposes, reasons) is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from ledger.errors import Invalid, NotFound
from ledger.schema import (
    account,
    block,
    event,
    issuance,
    issuance_line,
    retirement,
    scheme,
    subscription,
)
from ledger.units import format_range

TEMPLATES = Path(__file__).resolve().parent / "templates"
PURPOSE_ZH = {"event": "活动", "product": "产品", "year": "年度", "other": "其他"}
STATE_ZH = {"held": "持有", "retired": "已注销", "cancelled": "已撤销"}


def _account(conn: Connection, account_id: str) -> Any:
    row = conn.execute(select(account).where(account.c.account_id == account_id)).first()
    if row is None:
        raise NotFound(f"account {account_id!r} does not exist")
    return row


def statement(conn: Connection, account_id: str, history: int = 200) -> dict[str, Any]:
    """What an account holds now (by scheme, vintage and state, with serial ranges), its
    subscriptions and retirements, and the latest events that touched it."""
    acct = _account(conn, account_id)
    blocks = conn.execute(select(block).where(block.c.account_id == account_id,
                                              block.c.closed_event_id.is_(None))
                          .order_by(block.c.scheme_code, block.c.vintage,
                                    block.c.serial_start)).all()
    balances: dict[tuple, int] = defaultdict(int)
    for b in blocks:
        balances[(b.scheme_code, b.vintage, b.state)] += b.serial_end - b.serial_start + 1
    hashes = dict(conn.execute(select(event.c.event_id, event.c.hash)).all())
    subs = conn.execute(select(subscription).where(subscription.c.account_id == account_id)
                        .order_by(subscription.c.subscription_id)).all()
    rets = conn.execute(select(retirement).where(retirement.c.account_id == account_id)
                        .order_by(retirement.c.retirement_id)).all()
    touched = {e for b in conn.execute(select(block.c.created_event_id, block.c.closed_event_id)
                                       .where(block.c.account_id == account_id))
               for e in b if e is not None}
    touched |= {s.event_id for s in subs} | {r.event_id for r in rets}
    if acct.event_id:
        touched.add(acct.event_id)
    recent = sorted(touched)[-history:]
    events = conn.execute(select(event.c.event_id, event.c.kind, event.c.at, event.c.actor,
                                 event.c.reason).where(event.c.event_id.in_(recent))
                          .order_by(event.c.event_id)).all() if recent else []
    return {
        "account": {"account_id": acct.account_id, "kind": acct.kind, "name": acct.name},
        "balances": [{"scheme_code": s, "vintage": v, "state": st, "units": n}
                     for (s, v, st), n in sorted(balances.items())],
        "held_units": sum(n for (_, _, st), n in balances.items() if st == "held"),
        "blocks": [{"serials": format_range(b), "serial_start": b.serial_start,
                    "serial_end": b.serial_end, "units": b.serial_end - b.serial_start + 1,
                    "scheme_code": b.scheme_code, "vintage": b.vintage, "state": b.state,
                    "issuance_id": b.issuance_id, "subscription_id": b.subscription_id,
                    "retirement_id": b.retirement_id} for b in blocks],
        "subscriptions": [dict(s._mapping) for s in subs],
        "retirements": [{**dict(r._mapping), "verification_code": hashes[r.event_id]}
                        for r in rets],
        "events": [dict(e._mapping) for e in events],
    }


def retirement_owner(conn: Connection, retirement_id: int) -> str:
    row = conn.execute(select(retirement.c.account_id)
                       .where(retirement.c.retirement_id == retirement_id)).first()
    if row is None:
        raise NotFound(f"retirement {retirement_id} does not exist")
    return row.account_id


def find_by_code(conn: Connection, code: str) -> int:
    """The retirement whose verification code starts with ``code`` (at least 12 hex digits)."""
    code = code.strip().lower().replace("-", "").replace(" ", "")
    if len(code) < 12 or any(c not in "0123456789abcdef" for c in code):
        raise Invalid("a verification code is at least 12 hexadecimal digits")
    rows = conn.execute(select(retirement.c.retirement_id)
                        .join(event, event.c.event_id == retirement.c.event_id)
                        .where(event.c.hash.like(f"{code}%"))).all()
    if len(rows) != 1:
        raise NotFound(f"no retirement with verification code {code}")
    return rows[0].retirement_id


def certificate_data(conn: Connection, retirement_id: int) -> dict[str, Any]:
    r = conn.execute(select(retirement).where(retirement.c.retirement_id == retirement_id)
                     ).first()
    if r is None:
        raise NotFound(f"retirement {retirement_id} does not exist")
    ev = conn.execute(select(event).where(event.c.event_id == r.event_id)).one()
    acct = _account(conn, r.account_id)
    blocks = conn.execute(select(block).where(block.c.retirement_id == retirement_id)
                          .order_by(block.c.serial_start)).all()
    names = dict(conn.execute(select(scheme.c.scheme_code, scheme.c.name_zh)).all())
    projects = dict(conn.execute(select(issuance.c.issuance_id, issuance.c.project).where(
        issuance.c.issuance_id.in_({b.issuance_id for b in blocks}))).all())
    parcels: dict[str, int] = defaultdict(int)
    for b in blocks:
        for line in conn.execute(select(issuance_line).where(
                issuance_line.c.issuance_id == b.issuance_id,
                issuance_line.c.serial_start <= b.serial_end,
                issuance_line.c.serial_end >= b.serial_start)):
            parcels[line.parcel_id] += (min(b.serial_end, line.serial_end)
                                        - max(b.serial_start, line.serial_start) + 1)
    code = ev.hash
    return {
        "retirement_id": r.retirement_id, "account_id": acct.account_id,
        "account_name": acct.name, "beneficiary": r.beneficiary,
        "purpose_kind": r.purpose_kind,
        "purpose_kind_zh": PURPOSE_ZH.get(r.purpose_kind, r.purpose_kind),
        "purpose_name": r.purpose_name, "purpose_year": r.purpose_year, "quantity": r.quantity,
        "subscription_id": r.subscription_id, "retired_at": ev.at,
        "retired_at_local": datetime.fromisoformat(ev.at).astimezone(ZoneInfo("Asia/Shanghai"))
        .strftime("%Y-%m-%d %H:%M:%S"), "actor": ev.actor,
        "reason": ev.reason, "event_id": ev.event_id,
        "ranges": [{"serials": format_range(b), "units": b.serial_end - b.serial_start + 1,
                    "scheme_code": b.scheme_code, "scheme_name": names.get(b.scheme_code, ""),
                    "vintage": b.vintage, "project": projects.get(b.issuance_id, "")}
                   for b in blocks],
        "vintages": sorted({b.vintage for b in blocks}),
        "schemes": sorted({b.scheme_code for b in blocks}),
        "parcels": [{"parcel_id": p, "units": n} for p, n in sorted(parcels.items())],
        "verification_code": code,
        "short_code": "-".join(code[i:i + 4] for i in range(0, 16, 4)),
    }


def certificate_html(data: dict[str, Any]) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    return env.get_template("certificate.html.j2").render(c=data)

