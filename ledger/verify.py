"""``sinkwatch ledger verify``: is the ledger what its events say it is?

1. The hash chain (``ledger.chain.check_chain``): names every event whose content or link no
   longer matches its hash.
2. Replay: every row of the ledger's tables must be exactly what the events' data wrote (rows
   changed, added or removed outside the ledger are named with their table and key); blocks
   are replayed (created, closed) and compared; creditable tonnes and scheme rules (from the
   migration's seeds) are replayed to their latest values.
3. Conservation: the open blocks of every issuance tile its serial range exactly (no unit lost,
   none duplicated).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, func, select

from ledger.chain import canonical, check_chain
from ledger.schema import (
    SEED_ACCOUNTS,
    SEED_SCHEMES,
    account,
    alert,
    api_user,
    block,
    cancellation,
    claim,
    creditable,
    issuance,
    issuance_line,
    loss,
    retirement,
    scheme,
    subscription,
)

ROW_TABLES = (account, api_user, claim, issuance, issuance_line, subscription, retirement, loss,
              cancellation, alert)


def _key(table: Any, row: dict[str, Any]) -> tuple:
    return tuple(row[c.name] for c in table.primary_key.columns)


def _compare(problems: list, what: str, expected: dict[tuple, dict], actual: dict[tuple, dict],
             event_of: Any) -> None:
    for key in sorted(set(expected) | set(actual), key=repr):
        exp, act = expected.get(key), actual.get(key)
        if exp is not None and act is not None and canonical(exp) == canonical(act):
            continue
        if act is None:
            msg = f"{what} {key} was written by the event but is missing from the table"
        elif exp is None:
            msg = f"{what} {key} is in the table but no event wrote it"
        else:
            cols = sorted(k for k in set(exp) | set(act) if exp.get(k) != act.get(k))
            msg = f"{what} {key} differs from what the event wrote (columns: {', '.join(cols)})"
        problems.append((event_of(exp or act), msg))


def verify(conn: Connection) -> dict[str, Any]:
    problems, events = check_chain(conn)
    rows: dict[str, dict[tuple, dict]] = defaultdict(dict)
    blocks: dict[tuple, dict] = {}
    credit: dict[tuple, dict] = {}
    schemes: dict[tuple, dict] = {(s["scheme_code"],): {**s, "event_id": None}
                                  for s in SEED_SCHEMES}
    tables = {t.name: t for t in ROW_TABLES}
    for seed in SEED_ACCOUNTS:
        rows["ledger_account"][(seed["account_id"],)] = {**seed, "event_id": None}
    for ev in events:
        try:
            data = json.loads(ev.data)
        except ValueError:
            problems.append((ev.event_id, f"event {ev.event_id}: data is not JSON"))
            continue
        for name, written in (data.get("rows") or {}).items():
            for r in written:
                r = {**r, "event_id": ev.event_id}
                rows[name][_key(tables[name], r)] = r
        b = data.get("blocks") or {}
        for block_id in b.get("closed", []):
            old = blocks.get((block_id,))
            if old is None or old["closed_event_id"] is not None:
                problems.append((ev.event_id, f"event {ev.event_id} closes block {block_id}, "
                                              f"which was not open"))
            else:
                old["closed_event_id"] = ev.event_id
        for r in b.get("created", []):
            blocks[(r["block_id"],)] = {**r, "created_event_id": ev.event_id,
                                        "closed_event_id": None}
        for parcel_id, vintage, code, net, ded in data.get("upserts", []):
            credit[(parcel_id, vintage, code)] = {
                "parcel_id": parcel_id, "vintage": vintage, "scheme_code": code,
                "net_removals_kg": net, "deductions_kg": ded, "source": data["source"],
                "event_id": ev.event_id}
        if "scheme" in data:
            s = data["scheme"]
            schemes.setdefault((s["scheme_code"],), {}).update(s, event_id=ev.event_id)

    def event_of(r: dict | None) -> int:
        r = r or {}
        return r.get("event_id") or r.get("created_event_id") or 0

    for table in ROW_TABLES:
        actual = {}
        for r in conn.execute(select(table)):
            d = dict(r._mapping)
            actual[_key(table, d)] = d
        _compare(problems, table.name, rows.get(table.name, {}), actual, event_of)
    _compare(problems, "ledger_block", blocks,
             {(r.block_id,): dict(r._mapping) for r in conn.execute(select(block))}, event_of)
    _compare(problems, "ledger_creditable", credit,
             {(r.parcel_id, r.vintage, r.scheme_code): dict(r._mapping)
              for r in conn.execute(select(creditable))}, event_of)
    _compare(problems, "ledger_scheme", schemes,
             {(r.scheme_code,): dict(r._mapping) for r in conn.execute(select(scheme))}, event_of)

    held = dict(conn.execute(
        select(block.c.issuance_id,
               func.sum(block.c.serial_end - block.c.serial_start + 1))
        .where(block.c.closed_event_id.is_(None)).group_by(block.c.issuance_id)).all())
    for iss in conn.execute(select(issuance)):
        n = int(held.get(iss.issuance_id) or 0)
        if n != iss.quantity:
            problems.append((iss.event_id, f"issuance {iss.issuance_id}: its open blocks hold "
                                            f"{n} units, it issued {iss.quantity}"))
    head = (events[-1].event_id, events[-1].hash) if events else (0, "0" * 64)
    problems.sort(key=lambda p: (p[0], p[1]))
    return {"ok": not problems, "events": len(events), "head_event_id": head[0],
            "head_hash": head[1],
            "problems": [{"event_id": e, "message": m} for e, m in problems]}
