"""The event log and its hash chain.

Every write appends one ``ledger_event`` row: ``event_id`` (last + 1), ``kind``, ``actor`` (who),
``at`` (when, ISO-8601 UTC), ``reason`` (why), ``data`` (canonical JSON of every row the event
wrote), ``prev_hash`` (the previous event's hash; 64 zeros for the first) and
``hash = sha256(prev_hash + canonical JSON of {event_id, kind, actor, reason, at, data})``.

The database refuses an event that does not extend the chain (trigger) and any change to an
event (append-only trigger). A row changed by someone who can bypass triggers (a DBA) is found
by ``verify``: its own hash no longer matches, or, if they recomputed it, the next event's
``prev_hash`` does not. Publishing the head hash elsewhere (every certificate carries the hash of
its event) makes rewriting the whole tail detectable too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from ledger.schema import GENESIS_HASH, event


def canonical(obj: Any) -> str:
    """The one JSON text of ``obj``: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, event_id: int, kind: str, actor: str, reason: str, at: str,
               data: str) -> str:
    body = canonical({"event_id": event_id, "kind": kind, "actor": actor, "reason": reason,
                      "at": at, "data": data})
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def append(conn: Connection, kind: str, actor: str, reason: str, data: dict) -> tuple[int, str]:
    """Append one event (the caller holds the write lock); returns (event_id, hash)."""
    last = conn.execute(select(event.c.event_id, event.c.hash)
                        .order_by(event.c.event_id.desc()).limit(1)).first()
    event_id, prev = (last.event_id + 1, last.hash) if last else (1, GENESIS_HASH)
    at = now()
    text = canonical(data)
    digest = event_hash(prev, event_id, kind, actor, reason, at, text)
    conn.execute(insert(event).values(event_id=event_id, kind=kind, actor=actor, reason=reason,
                                      at=at, data=text, prev_hash=prev, hash=digest))
    return event_id, digest


def head(conn: Connection) -> tuple[int, str]:
    last = conn.execute(select(event.c.event_id, event.c.hash)
                        .order_by(event.c.event_id.desc()).limit(1)).first()
    return (last.event_id, last.hash) if last else (0, GENESIS_HASH)


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(event)).scalar_one()


def events(conn: Connection, batch: int = 2000) -> Iterator[Any]:
    """All events in order, fetched in batches (keyset pagination)."""
    after = 0
    while True:
        rows = conn.execute(select(event).where(event.c.event_id > after)
                            .order_by(event.c.event_id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].event_id


def check_chain(conn: Connection) -> tuple[list[tuple[int, str]], list[Any]]:
    """Recompute the chain. Returns (problems as (event_id, message), the events)."""
    problems: list[tuple[int, str]] = []
    rows = list(events(conn))
    prev, expected_id = GENESIS_HASH, 1
    for row in rows:
        if row.event_id != expected_id:
            problems.append((row.event_id, f"event {expected_id} is missing before event "
                                           f"{row.event_id}"))
        if row.prev_hash != prev:
            problems.append((row.event_id, f"event {row.event_id}: prev_hash does not match the "
                                           f"hash of event {row.event_id - 1}"))
        digest = event_hash(row.prev_hash, row.event_id, row.kind, row.actor, row.reason,
                            row.at, row.data)
        if digest != row.hash:
            problems.append((row.event_id, f"event {row.event_id}: its content does not match "
                                           f"its hash (the row was changed after it was written)"))
        prev, expected_id = row.hash, row.event_id + 1
    return problems, rows
