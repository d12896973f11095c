"""The ledger's refusals. Every rule is checked twice: by the Python layer first (which names
the parcel, account or serials) and by the database (constraints and triggers, whose messages
start with a ``[rule]`` tag). ``from_db`` turns a database refusal into the same classes."""

from __future__ import annotations

import re


class LedgerError(Exception):
    """A refused ledger operation. ``code`` is stable (API and CLI); the message says why."""

    code = "ledger_error"
    http_status = 409


class Invalid(LedgerError):
    code = "invalid"
    http_status = 422


class NotFound(LedgerError):
    code = "not_found"
    http_status = 404


class Forbidden(LedgerError):
    code = "forbidden"
    http_status = 403


class InsufficientUnits(LedgerError):
    code = "insufficient_units"


class OverIssuance(LedgerError):
    code = "over_issuance"


class SchemeConflict(LedgerError):
    code = "scheme_conflict"


class SerialConflict(LedgerError):
    code = "serial_conflict"


class AlreadyRetired(LedgerError):
    code = "already_retired"


class BufferFirst(LedgerError):
    """A loss that does not cancel buffer units first, or is short without its alert row."""

    code = "buffer_first"


class AppendOnly(LedgerError):
    code = "append_only"


class ChainBroken(LedgerError):
    code = "chain"


class Busy(LedgerError):
    """Another writer changed the same rows (should not happen under the chain lock)."""

    code = "busy"
    http_status = 503


_BY_TAG = {cls.code: cls for cls in (OverIssuance, SchemeConflict, SerialConflict,
                                      AlreadyRetired, BufferFirst, AppendOnly, ChainBroken)}

# Declarative constraints (no trigger message): constraint name, or SQLite's column list.
_BY_CONSTRAINT: list[tuple[str, type[LedgerError], str]] = [
    ("pk_ledger_parcel_claim", SchemeConflict,
     "the parcel-year is already claimed by a scheme (CCER and local sale are exclusive)"),
    ("ledger_parcel_claim.parcel_id", SchemeConflict,
     "the parcel-year is already claimed by a scheme (CCER and local sale are exclusive)"),
    ("fk_ledger_line_claim", SchemeConflict,
     "an issuance line must match the scheme that claimed its parcel-year"),
    ("fk_ledger_subscription_scheme", SchemeConflict,
     "only units of a scheme that allows local sale can be subscribed"),
    ("ck_ledger_subscription_local", SchemeConflict,
     "only units of a scheme that allows local sale can be subscribed"),
    ("ex_ledger_issuance_serials", SerialConflict,
     "the serial range overlaps an earlier issuance (a serial exists once)"),
    ("ex_ledger_issuance_line_serials", SerialConflict,
     "issuance lines never overlap (a serial exists once)"),
    ("ex_ledger_block_terminal", AlreadyRetired,
     "these serials are already retired or cancelled (a unit is retired at most once)"),
    ("ck_ledger_block_terminal", AlreadyRetired,
     "retired and cancelled units are never moved (a unit is retired at most once)"),
    ("ex_ledger_block_open", SerialConflict,
     "these serials are already held in an open block (a serial exists once)"),
    ("pk_ledger_event", ChainBroken, "another writer appended this event_id first"),
    ("ledger_event_pkey", ChainBroken, "another writer appended this event_id first"),
    ("ledger_event.event_id", ChainBroken, "another writer appended this event_id first"),
]

_TAG = re.compile(r"\[(\w+)\] (ledger: [^\n]*)")


def from_db(exc: BaseException) -> LedgerError | None:
    """The ledger error a database refusal stands for, or None if it is not one of ours."""
    text = str(getattr(exc, "orig", None) or exc)
    m = _TAG.search(text)
    if m and m.group(1) in _BY_TAG:
        return _BY_TAG[m.group(1)](f"refused by the database: {m.group(2)}")
    for key, cls, message in _BY_CONSTRAINT:
        if key in text:
            first = text.strip().splitlines()[0]
            return cls(f"refused by the database: ledger: {message} ({first})")
    return None
