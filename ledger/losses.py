"""Fire and pest losses on parcels with issued units (``Ledger.record_loss``).

The reversal is the loss in whole units (rounded up), capped by the units issued for the parcel
in vintages up to the loss year less earlier reversals, split by scheme (latest vintage first).
Per scheme: cancel buffer units first (the scheme's pooled buffer account, lowest serials
first); if the buffer is short, cancel the parcel's own units that the issuer still holds
(unsold), and raise an alert naming the shortfall and what stays uncovered (units already sold
or retired are never taken back).

The database enforces the same (migration 0002, ``ledger/migrations/sql/0002_*.sql``): a loss's
buffer and parcel units equal its ``loss_buffer`` and ``loss_parcel`` cancellations; a loss
takes parcel units or leaves units uncovered only when the scheme's buffer holds no units, and
then has a ``buffer_short`` alert row for the shortfall. PostgreSQL checks at commit; SQLite
checks when the loss row is inserted, so ``write_loss`` writes it last there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, insert, select

from ledger import units
from ledger.errors import Invalid
from ledger.schema import LOSS_CAUSES, account, alert, block, cancellation, issuance_line, loss


@dataclass
class LossPlan:
    losses: list[dict[str, Any]] = field(default_factory=list)
    cancellations: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    blocks: dict[str, list] = field(default_factory=lambda: {"closed": [], "created": []})

    @property
    def data(self) -> dict[str, Any]:
        return {"rows": {"ledger_loss": self.losses, "ledger_cancellation": self.cancellations,
                         "ledger_alert": self.alerts}, "blocks": self.blocks}


def _unsold_parcel_units(conn: Connection, lines: list[Any], wanted: int
                         ) -> dict[str, list[units.Piece]]:
    """Up to ``wanted`` units of these issuance lines still held by issuer accounts."""
    by_account: dict[str, list[units.Piece]] = defaultdict(list)
    found = 0
    for line in lines:
        q = (select(block).join(account, block.c.account_id == account.c.account_id)
             .where(account.c.kind == "issuer", block.c.closed_event_id.is_(None),
                    block.c.state == "held", block.c.serial_start <= line.serial_end,
                    block.c.serial_end >= line.serial_start)
             .order_by(block.c.serial_start))
        for b in conn.execute(q):
            if found >= wanted:
                return by_account
            s = max(b.serial_start, line.serial_start)
            e = min(b.serial_end, line.serial_end, s + wanted - found - 1)
            by_account[b.account_id].append(units.Piece(dict(b._mapping), s, e))
            found += e - s + 1
    return by_account


def plan_loss(conn: Connection, parcel_id: str, year: int, loss_kg: int, loss_units: int,
              cause: str) -> LossPlan:
    if cause not in LOSS_CAUSES:
        raise Invalid(f"cause {cause!r}: one of {', '.join(LOSS_CAUSES)}")
    lines = conn.execute(select(issuance_line).where(issuance_line.c.parcel_id == parcel_id,
                                                     issuance_line.c.vintage <= year)
                         .order_by(issuance_line.c.vintage.desc(),
                                   issuance_line.c.serial_start)).all()
    issued: dict[str, int] = defaultdict(int)
    latest: dict[str, int] = {}
    for line in lines:
        issued[line.scheme_code] += line.quantity
        latest[line.scheme_code] = max(latest.get(line.scheme_code, 0), line.vintage)
    prior = {s: int(n or 0) for s, n in conn.execute(
        select(loss.c.scheme_code, func.sum(loss.c.reversal_units))
        .where(loss.c.parcel_id == parcel_id, loss.c.scheme_code.is_not(None))
        .group_by(loss.c.scheme_code))}
    loss_id = units.next_id(conn, loss.c.loss_id)
    cancel_id = units.next_id(conn, cancellation.c.cancellation_id)
    alert_id = units.next_id(conn, alert.c.alert_id)
    p = LossPlan()
    groups: list[tuple[list[units.Piece], dict[str, Any]]] = []
    remaining = loss_units
    base = {"parcel_id": parcel_id, "year": year, "cause": cause, "loss_kg": loss_kg}
    for code in sorted(issued, key=lambda s: (-latest[s], s)):
        reversal = min(remaining, max(0, issued[code] - prior.get(code, 0)))
        if reversal <= 0:
            continue
        remaining -= reversal
        buf = conn.execute(select(account).where(account.c.kind == "buffer",
                                                 account.c.scheme_code == code)
                           .order_by(account.c.account_id)).first()
        from_buffer = 0
        if buf is not None:
            pieces, from_buffer = units.take_quantity(
                units.open_blocks(conn, buf.account_id, scheme=code), reversal)
            if from_buffer:
                p.cancellations.append({"cancellation_id": cancel_id, "kind": "loss_buffer",
                                        "account_id": buf.account_id, "quantity": from_buffer,
                                        "loss_id": loss_id})
                groups.append((pieces, {"state": "cancelled", "cancellation_id": cancel_id}))
                cancel_id += 1
        short = reversal - from_buffer
        from_parcel = 0
        if short:
            own = [line for line in lines if line.scheme_code == code]
            for acct, pieces in sorted(_unsold_parcel_units(conn, own, short).items()):
                n = sum(x.units for x in pieces)
                p.cancellations.append({"cancellation_id": cancel_id, "kind": "loss_parcel",
                                        "account_id": acct, "quantity": n, "loss_id": loss_id})
                groups.append((pieces, {"state": "cancelled", "cancellation_id": cancel_id}))
                cancel_id += 1
                from_parcel += n
            uncovered = short - from_parcel
            buffer_name = buf.account_id if buf is not None else f"{code} (no buffer account)"
            p.alerts.append({
                "alert_id": alert_id, "kind": "buffer_short", "scheme_code": code,
                "loss_id": loss_id, "shortfall_units": short,
                "message": (f"{cause} loss on parcel {parcel_id} in {year}: {reversal} {code} "
                            f"unit(s) to reverse, buffer {buffer_name} held {from_buffer}; "
                            f"short by {short}: {from_parcel} cancelled from the parcel's "
                            f"unsold units, {uncovered} not covered (already sold or retired)")})
            alert_id += 1
        p.losses.append({**base, "loss_id": loss_id, "scheme_code": code,
                         "reversal_units": reversal, "from_buffer_units": from_buffer,
                         "from_parcel_units": from_parcel,
                         "uncovered_units": reversal - from_buffer - from_parcel})
        loss_id += 1
    if not p.losses:  # nothing issued (or all reversed already): the loss is still recorded
        p.losses.append({**base, "loss_id": loss_id, "scheme_code": None, "reversal_units": 0,
                         "from_buffer_units": 0, "from_parcel_units": 0, "uncovered_units": 0})
    p.blocks = units.plan(conn, groups)
    return p


def write_loss(conn: Connection, event_id: int, p: LossPlan) -> None:
    """Write a planned loss for event ``event_id``. PostgreSQL checks each loss row when the
    transaction commits (deferred constraint triggers), so the loss rows come first, as the
    foreign keys of its cancellations and alerts want. SQLite has no deferred triggers: it checks
    a loss row when it is inserted, so there the loss rows come last, after the cancellations,
    alerts and blocks they must see, with this transaction's foreign keys checked at commit."""
    def rows(table: Any, written: list[dict[str, Any]]) -> None:
        if written:
            conn.execute(insert(table), [{**r, "event_id": event_id} for r in written])

    loss_last = conn.dialect.name == "sqlite"
    if loss_last:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # until this transaction ends
    else:
        rows(loss, p.losses)
    rows(cancellation, p.cancellations)
    rows(alert, p.alerts)
    units.apply(conn, event_id, p.blocks)
    if loss_last:
        rows(loss, p.losses)
