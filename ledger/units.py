"""Units as serial ranges: pick units from an account's open blocks and split blocks.

An operation never updates a block's content: it closes the blocks it touches (sets
``closed_event_id``) and creates new blocks for the moved part and for the parts that stay.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from ledger.errors import Busy
from ledger.schema import block

# The block columns an event's data carries (created_event_id is the event itself).
BLOCK_FIELDS = ("block_id", "issuance_id", "scheme_code", "vintage", "serial_start", "serial_end",
                "account_id", "state", "subscription_id", "retirement_id", "cancellation_id")


@dataclass(frozen=True)
class Piece:
    """Serials ``start..end`` taken out of the open block ``block``."""

    block: dict[str, Any]
    start: int
    end: int

    @property
    def units(self) -> int:
        return self.end - self.start + 1


def format_serial(scheme: str, vintage: int, issuance_id: int, serial: int) -> str:
    """Printed serial: scheme, vintage, issuance (the project or parcel set), global number."""
    return f"{scheme}-{vintage}-{issuance_id:05d}-{serial:09d}"


def format_range(b: dict[str, Any] | Any, start: int | None = None,
                 end: int | None = None) -> str:
    get = b.get if isinstance(b, dict) else lambda k: getattr(b, k)
    start = get("serial_start") if start is None else start
    end = get("serial_end") if end is None else end
    first = format_serial(get("scheme_code"), get("vintage"), get("issuance_id"), start)
    if start == end:
        return first
    return f"{first} – {end:09d}"


def open_blocks(conn: Connection, account_id: str, *, scheme: str | None = None,
                vintage: int | None = None, subscription_id: int | None = None,
                serials: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    """The account's held open blocks, oldest vintage and lowest serial first."""
    q = select(block).where(block.c.account_id == account_id,
                            block.c.closed_event_id.is_(None), block.c.state == "held")
    if scheme:
        q = q.where(block.c.scheme_code == scheme)
    if vintage is not None:
        q = q.where(block.c.vintage == vintage)
    if subscription_id is not None:
        q = q.where(block.c.subscription_id == subscription_id)
    if serials is not None:
        q = q.where(block.c.serial_start <= serials[1], block.c.serial_end >= serials[0])
    q = q.order_by(block.c.vintage, block.c.serial_start)
    return [dict(r._mapping) for r in conn.execute(q)]


def take_quantity(blocks: Iterable[dict[str, Any]], quantity: int) -> tuple[list[Piece], int]:
    """The first ``quantity`` units of ``blocks`` in order; returns (pieces, units found)."""
    pieces: list[Piece] = []
    found = 0
    for b in blocks:
        if found >= quantity:
            break
        n = min(quantity - found, b["serial_end"] - b["serial_start"] + 1)
        pieces.append(Piece(b, b["serial_start"], b["serial_start"] + n - 1))
        found += n
    return pieces, found


def take_range(blocks: Iterable[dict[str, Any]], start: int, end: int) -> tuple[list[Piece], int]:
    """The serials ``start..end`` found in ``blocks``; returns (pieces, units found)."""
    pieces = []
    for b in blocks:
        s, e = max(start, b["serial_start"]), min(end, b["serial_end"])
        if s <= e:
            pieces.append(Piece(b, s, e))
    return pieces, sum(p.units for p in pieces)


def next_id(conn: Connection, column: Any) -> int:
    return conn.execute(select(func.coalesce(func.max(column), 0) + 1)).scalar_one()


def plan(conn: Connection, groups: list[tuple[list[Piece], dict[str, Any]]]) -> dict[str, list]:
    """Blocks to close and to create so that each group's pieces get the group's changes
    (account_id, state, subscription_id, retirement_id, cancellation_id) and the rest of each
    touched block stays as it was. Returns ``{"closed": [block_id...], "created": [row...]}``,
    which is also the event's data."""
    by_block: dict[int, list[tuple[Piece, dict[str, Any]]]] = defaultdict(list)
    for pieces, changes in groups:
        for p in pieces:
            by_block[p.block["block_id"]].append((p, changes))
    new_id = next_id(conn, block.c.block_id)
    closed, created = [], []
    for block_id in sorted(by_block):
        parts = sorted(by_block[block_id], key=lambda pc: pc[0].start)
        b = parts[0][0].block
        closed.append(block_id)
        cursor = b["serial_start"]
        segments: list[tuple[int, int, dict[str, Any]]] = []
        for p, changes in parts:
            if p.start < cursor:
                raise ValueError(f"overlapping pieces of block {block_id}")
            if p.start > cursor:
                segments.append((cursor, p.start - 1, {}))
            segments.append((p.start, p.end, changes))
            cursor = p.end + 1
        if cursor <= b["serial_end"]:
            segments.append((cursor, b["serial_end"], {}))
        for s, e, changes in segments:
            row = {k: b[k] for k in BLOCK_FIELDS}
            row.update(changes, block_id=new_id, serial_start=s, serial_end=e)
            created.append(row)
            new_id += 1
    return {"closed": closed, "created": created}


def apply(conn: Connection, event_id: int, blocks: dict[str, list]) -> None:
    """Close and create the planned blocks. A block closed by another writer meanwhile fails the
    whole operation (cannot happen under the write lock; the database would refuse it too)."""
    closed = blocks.get("closed") or []
    for i in range(0, len(closed), 500):
        chunk = closed[i:i + 500]
        res = conn.execute(update(block).where(block.c.block_id.in_(chunk),
                                               block.c.closed_event_id.is_(None))
                           .values(closed_event_id=event_id))
        if res.rowcount != len(chunk):
            raise Busy("units changed while this operation ran; nothing was written, try again")
    created = blocks.get("created") or []
    if created:
        conn.execute(insert(block), [{**row, "created_event_id": event_id} for row in created])
