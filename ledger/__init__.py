"""The city carbon-offset ledger (issue #15, items 3 and 4): a transactional, append-only ledger
of units (1 unit = 1 t CO2e) in serial ranges, on PostgreSQL or SQLite, with its rules enforced
by the database, a hash chain over its events, a CLI (``sinkwatch ledger``) and an HTTP API.

It depends on ``sinkwatch.config`` only (for the default SQLite path). ``Ledger`` and
``LedgerError`` are imported lazily, so that ``ledger.cli`` (loaded by every ``sinkwatch``
command) does not import SQLAlchemy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger.errors import LedgerError
    from ledger.service import Ledger

__all__ = ["Ledger", "LedgerError"]


def __getattr__(name: str) -> Any:
    if name == "Ledger":
        from ledger.service import Ledger

        return Ledger
    if name == "LedgerError":
        from ledger.errors import LedgerError

        return LedgerError
    raise AttributeError(name)
