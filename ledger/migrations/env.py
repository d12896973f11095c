"""Alembic environment of the ledger. Run through ``ledger.db.migrate`` (or ``sinkwatch ledger
migrate``), which passes an open connection; there is no alembic.ini."""

from __future__ import annotations

from alembic import context

VERSION_TABLE = "ledger_alembic_version"

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - offline SQL generation is not supported
    raise RuntimeError("run the ledger migrations through ledger.db.migrate()")

context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE,
                  transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
