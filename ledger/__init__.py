"""The city carbon-offset ledger (issue #15, items 3 and 4): a transactional, append-only ledger
of units (1 unit = 1 t CO2e) in serial ranges, on PostgreSQL or SQLite, with its rules enforced
by the database, a hash chain over its events, a CLI (``sinkwatch ledger``) and an HTTP API.

It depends on ``sinkwatch.config`` only (for the default SQLite path)."""

from ledger.errors import LedgerError
from ledger.service import Ledger

__all__ = ["Ledger", "LedgerError"]
