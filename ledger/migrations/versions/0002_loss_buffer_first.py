"""Losses: a fire or pest loss cancels buffer units first and leaves an alert row when the buffer
is short, enforced by the database (sql/0002_*.sql): PostgreSQL checks each loss when its
transaction commits (deferred constraint triggers); SQLite, which has no deferred triggers,
checks it when the loss row is inserted, which the ledger writes last. One buffer account per
scheme (a partial unique index), so "the scheme's buffer" is one account.

Losses recorded before this migration are not re-checked.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-20
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
SQLITE_TRIGGERS = ("ledger_loss_units", "ledger_loss_cancellations", "ledger_loss_buffer_first",
                   "ledger_loss_alert", "ledger_cancellation_before_loss")


def _statements(name: str) -> list[str]:
    text = (SQL_DIR / name).read_text(encoding="utf-8")
    return [s.strip() for s in text.split("\n-- ;;\n") if s.strip()]


def upgrade() -> None:
    buffer = sa.text("kind = 'buffer'")
    op.create_index("uq_ledger_account_buffer_scheme", "ledger_account", ["scheme_code"],
                    unique=True, sqlite_where=buffer, postgresql_where=buffer)
    dialect = op.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise RuntimeError(f"the ledger supports PostgreSQL and SQLite, not {dialect}")
    # no parameter processing: the plpgsql bodies contain '%' placeholders of RAISE
    conn = op.get_bind().execution_options(no_parameters=True)
    for statement in _statements(f"0002_{dialect}.sql"):
        conn.exec_driver_sql(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_loss_cancellation_check ON ledger_cancellation")
        op.execute("DROP TRIGGER IF EXISTS ledger_loss_check ON ledger_loss")
        op.execute("DROP FUNCTION IF EXISTS ledger_loss_check()")
        op.execute("DROP FUNCTION IF EXISTS ledger_loss_verify(bigint)")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("uq_ledger_account_buffer_scheme", table_name="ledger_account")
