"""The ledger's tables (SQLAlchemy Core). The Alembic migrations in ``ledger/migrations`` create
them, with the triggers and (on PostgreSQL) exclusion constraints that this metadata cannot
express; ``tests/test_ledger_rules.py`` checks that the two agree.

Quantities of units are integers (1 unit = 1 t CO2e). Tonnes that come from measurement are
stored as integer kilograms (``*_kg``) so that both databases compare them exactly.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

GENESIS_HASH = "0" * 64
ACCOUNT_KINDS = ("issuer", "buffer", "holder")
ROLES = ("officer", "buyer")
STATES = ("held", "retired", "cancelled")
PURPOSE_KINDS = ("event", "product", "year", "other")
LOSS_CAUSES = ("fire", "pest", "other")
CANCELLATION_KINDS = ("reversal", "loss_buffer", "loss_parcel")
# The scheme rules migration 0001 seeds (``verify`` expects these until an event changes them).
BUFFER_SOURCE = (
    "Assumed default, not from the governing text: the CCER buffer rule was not retrieved "
    "(shared/domain/carbon-accounting-reference.md 1.9 'needs source'); 10 % is the floor of the "
    "overall risk rating in the VCS AFOLU Non-Permanence Risk Tool (v4.0, 2019), used here until "
    "the bureau sets the governing value."
)
SEED_SCHEMES = (
    {"scheme_code": "CCER", "name_zh": "国家核证自愿减排量（CCER）", "local_sale": False,
     "buffer_bp": 1000, "buffer_source": BUFFER_SOURCE},
    {"scheme_code": "LOCAL", "name_zh": "包头市林业碳汇地方认购", "local_sale": True,
     "buffer_bp": 1000, "buffer_source": BUFFER_SOURCE},
)
# The accounts migration 0001 seeds (no event wrote them; ``verify`` expects exactly these).
SEED_ACCOUNTS = (
    {"account_id": "BUREAU", "kind": "issuer", "name": "包头市林业和草原局", "scheme_code": None},
    {"account_id": "BUFFER-CCER", "kind": "buffer", "name": "CCER 缓冲账户", "scheme_code": "CCER"},
    {"account_id": "BUFFER-LOCAL", "kind": "buffer", "name": "地方认购缓冲账户",
     "scheme_code": "LOCAL"},
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _event_fk(name: str = "event_id", nullable: bool = False) -> Column:
    return Column(name, BigInteger, ForeignKey("ledger_event.event_id"), nullable=nullable)


# Every ledger write appends one event: who, when, why, what (canonical JSON) and the hash chain.
event = Table(
    "ledger_event", metadata,
    Column("event_id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(32), nullable=False),
    Column("actor", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", String(40), nullable=False),  # ISO-8601 UTC, hashed as stored
    Column("data", Text, nullable=False),  # canonical JSON of the rows this event wrote
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("hash", name="uq_ledger_event_hash"),
    CheckConstraint("length(actor) > 0", name="ck_ledger_event_actor"),
    CheckConstraint("length(reason) > 0", name="ck_ledger_event_reason"),
)

# One row per named lock; writers take 'chain' FOR UPDATE (PostgreSQL) so events append in order.
lock = Table("ledger_lock", metadata, Column("name", String(32), primary_key=True))

# Scheme rules: local sale allowed or not, and the buffer share in basis points with its source.
scheme = Table(
    "ledger_scheme", metadata,
    Column("scheme_code", String(16), primary_key=True),
    Column("name_zh", Text, nullable=False),
    Column("local_sale", Boolean, nullable=False),
    Column("buffer_bp", Integer, nullable=False),
    Column("buffer_source", Text, nullable=False),
    _event_fk(nullable=True),  # NULL for the rows the migration seeds
    UniqueConstraint("scheme_code", "local_sale", name="uq_ledger_scheme_local_sale"),
    CheckConstraint("buffer_bp >= 0 AND buffer_bp < 10000", name="ck_ledger_scheme_buffer_bp"),
)

account = Table(
    "ledger_account", metadata,
    Column("account_id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", Text, nullable=False),
    Column("scheme_code", String(16), ForeignKey("ledger_scheme.scheme_code")),
    _event_fk(nullable=True),  # NULL for the seeded system accounts
    CheckConstraint(_in("kind", ACCOUNT_KINDS), name="ck_ledger_account_kind"),
    CheckConstraint("kind <> 'buffer' OR scheme_code IS NOT NULL",
                    name="ck_ledger_account_buffer_scheme"),
)
# One buffer account per scheme (migration 0002): a loss cancels "the scheme's buffer" first.
Index("uq_ledger_account_buffer_scheme", account.c.scheme_code, unique=True,
      sqlite_where=account.c.kind == "buffer", postgresql_where=account.c.kind == "buffer")

api_user = Table(
    "ledger_user", metadata,
    Column("user_name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("account_id", String(64), ForeignKey("ledger_account.account_id")),
    Column("token_sha256", String(64), nullable=False),
    _event_fk(),
    UniqueConstraint("token_sha256", name="uq_ledger_user_token"),
    CheckConstraint(_in("role", ROLES), name="ck_ledger_user_role"),
    CheckConstraint("role <> 'buyer' OR account_id IS NOT NULL", name="ck_ledger_user_buyer"),
)

# Input from the accounting side: verified net removals and deductions per parcel-year-scheme.
creditable = Table(
    "ledger_creditable", metadata,
    Column("parcel_id", String(64), nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("scheme_code", String(16), ForeignKey("ledger_scheme.scheme_code"), nullable=False),
    Column("net_removals_kg", BigInteger, nullable=False),
    Column("deductions_kg", BigInteger, nullable=False),
    Column("source", Text, nullable=False),
    _event_fk(),
    PrimaryKeyConstraint("parcel_id", "vintage", "scheme_code", name="pk_ledger_creditable"),
    CheckConstraint("net_removals_kg >= 0", name="ck_ledger_creditable_net"),
    CheckConstraint("deductions_kg >= 0", name="ck_ledger_creditable_deductions"),
)

# The first issuance for a parcel-year claims it for one scheme; the primary key makes it the only.
claim = Table(
    "ledger_parcel_claim", metadata,
    Column("parcel_id", String(64), nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("scheme_code", String(16), ForeignKey("ledger_scheme.scheme_code"), nullable=False),
    _event_fk(),
    PrimaryKeyConstraint("parcel_id", "vintage", name="pk_ledger_parcel_claim"),
    UniqueConstraint("parcel_id", "vintage", "scheme_code", name="uq_ledger_parcel_claim_scheme"),
)

issuance = Table(
    "ledger_issuance", metadata,
    Column("issuance_id", BigInteger, primary_key=True, autoincrement=False),
    _event_fk(),
    Column("scheme_code", String(16), ForeignKey("ledger_scheme.scheme_code"), nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("project", Text, nullable=False),
    Column("account_id", String(64), ForeignKey("ledger_account.account_id"), nullable=False),
    Column("serial_start", BigInteger, nullable=False),
    Column("serial_end", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("buffer_quantity", BigInteger, nullable=False),
    UniqueConstraint("issuance_id", "scheme_code", "vintage", name="uq_ledger_issuance_key"),
    CheckConstraint("serial_start >= 1 AND serial_end >= serial_start",
                    name="ck_ledger_issuance_range"),
    CheckConstraint("quantity = serial_end - serial_start + 1", name="ck_ledger_issuance_qty"),
    CheckConstraint("buffer_quantity >= 0 AND buffer_quantity <= quantity",
                    name="ck_ledger_issuance_buffer"),
)
Index("ix_ledger_issuance_start", issuance.c.serial_start)

# Which parcel-year each sub-range of an issuance comes from.
issuance_line = Table(
    "ledger_issuance_line", metadata,
    Column("issuance_id", BigInteger, nullable=False),
    Column("parcel_id", String(64), nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("scheme_code", String(16), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("serial_start", BigInteger, nullable=False),
    Column("serial_end", BigInteger, nullable=False),
    _event_fk(),
    PrimaryKeyConstraint("issuance_id", "parcel_id", name="pk_ledger_issuance_line"),
    ForeignKeyConstraint(["issuance_id", "scheme_code", "vintage"],
                         ["ledger_issuance.issuance_id", "ledger_issuance.scheme_code",
                          "ledger_issuance.vintage"], name="fk_ledger_line_issuance"),
    ForeignKeyConstraint(["parcel_id", "vintage", "scheme_code"],
                         ["ledger_parcel_claim.parcel_id", "ledger_parcel_claim.vintage",
                          "ledger_parcel_claim.scheme_code"], name="fk_ledger_line_claim"),
    CheckConstraint("quantity >= 1 AND quantity = serial_end - serial_start + 1",
                    name="ck_ledger_issuance_line_qty"),
)
Index("ix_ledger_issuance_line_parcel", issuance_line.c.parcel_id, issuance_line.c.vintage)
Index("ix_ledger_issuance_line_start", issuance_line.c.serial_start)

subscription = Table(
    "ledger_subscription", metadata,
    Column("subscription_id", BigInteger, primary_key=True, autoincrement=False),
    _event_fk(),
    Column("account_id", String(64), ForeignKey("ledger_account.account_id"), nullable=False),
    Column("seller_account_id", String(64), ForeignKey("ledger_account.account_id"),
           nullable=False),
    Column("scheme_code", String(16), nullable=False),
    Column("local_sale", Boolean, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("purpose_kind", String(16), nullable=False),
    Column("purpose_name", Text, nullable=False),
    Column("purpose_year", Integer),
    # only schemes whose units may be sold locally: (scheme, true) must exist in ledger_scheme
    ForeignKeyConstraint(["scheme_code", "local_sale"],
                         ["ledger_scheme.scheme_code", "ledger_scheme.local_sale"],
                         name="fk_ledger_subscription_scheme"),
    UniqueConstraint("subscription_id", "scheme_code", name="uq_ledger_subscription_scheme"),
    CheckConstraint("local_sale", name="ck_ledger_subscription_local"),
    CheckConstraint("quantity >= 1", name="ck_ledger_subscription_qty"),
    CheckConstraint(_in("purpose_kind", PURPOSE_KINDS), name="ck_ledger_subscription_purpose"),
)

retirement = Table(
    "ledger_retirement", metadata,
    Column("retirement_id", BigInteger, primary_key=True, autoincrement=False),
    _event_fk(),
    Column("account_id", String(64), ForeignKey("ledger_account.account_id"), nullable=False),
    Column("beneficiary", Text, nullable=False),
    Column("purpose_kind", String(16), nullable=False),
    Column("purpose_name", Text, nullable=False),
    Column("purpose_year", Integer),
    Column("quantity", BigInteger, nullable=False),
    Column("subscription_id", BigInteger, ForeignKey("ledger_subscription.subscription_id")),
    CheckConstraint("quantity >= 1", name="ck_ledger_retirement_qty"),
    CheckConstraint(_in("purpose_kind", PURPOSE_KINDS), name="ck_ledger_retirement_purpose"),
)

# A loss row per scheme. Migration 0002's triggers: its buffer and parcel units equal its
# loss_buffer and loss_parcel cancellations; parcel or uncovered units only once the scheme's
# buffer holds nothing, and then a buffer_short alert row for them (checked at commit).
loss = Table(
    "ledger_loss", metadata,
    Column("loss_id", BigInteger, primary_key=True, autoincrement=False),
    _event_fk(),
    Column("parcel_id", String(64), nullable=False),
    Column("year", Integer, nullable=False),
    Column("scheme_code", String(16), ForeignKey("ledger_scheme.scheme_code")),
    Column("cause", String(16), nullable=False),
    Column("loss_kg", BigInteger, nullable=False),
    Column("reversal_units", BigInteger, nullable=False),
    Column("from_buffer_units", BigInteger, nullable=False),
    Column("from_parcel_units", BigInteger, nullable=False),
    Column("uncovered_units", BigInteger, nullable=False),
    CheckConstraint(_in("cause", LOSS_CAUSES), name="ck_ledger_loss_cause"),
    CheckConstraint("loss_kg > 0", name="ck_ledger_loss_kg"),
    CheckConstraint("reversal_units = from_buffer_units + from_parcel_units + uncovered_units",
                    name="ck_ledger_loss_balance"),
)

cancellation = Table(
    "ledger_cancellation", metadata,
    Column("cancellation_id", BigInteger, primary_key=True, autoincrement=False),
    _event_fk(),
    Column("kind", String(16), nullable=False),
    Column("account_id", String(64), ForeignKey("ledger_account.account_id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("loss_id", BigInteger, ForeignKey("ledger_loss.loss_id")),
    CheckConstraint(_in("kind", CANCELLATION_KINDS), name="ck_ledger_cancellation_kind"),
    CheckConstraint("quantity >= 1", name="ck_ledger_cancellation_qty"),
    CheckConstraint("(kind = 'reversal' AND loss_id IS NULL) OR "
                    "(kind <> 'reversal' AND loss_id IS NOT NULL)",
                    name="ck_ledger_cancellation_loss"),
)

alert = Table(
    "ledger_alert", metadata,
    Column("alert_id", BigInteger, primary_key=True, autoincrement=False),
    _event_fk(),
    Column("kind", String(32), nullable=False),
    Column("scheme_code", String(16), ForeignKey("ledger_scheme.scheme_code"), nullable=False),
    Column("loss_id", BigInteger, ForeignKey("ledger_loss.loss_id")),
    Column("shortfall_units", BigInteger, nullable=False),
    Column("message", Text, nullable=False),
)

# Units as serial ranges. A block is created by one event and closed (split, moved, retired
# or cancelled into new blocks) by at most one later event; retired and cancelled blocks are
# never closed. Open blocks never overlap, and retired/cancelled blocks never overlap.
block = Table(
    "ledger_block", metadata,
    Column("block_id", BigInteger, primary_key=True, autoincrement=False),
    Column("issuance_id", BigInteger, nullable=False),
    Column("scheme_code", String(16), nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("serial_start", BigInteger, nullable=False),
    Column("serial_end", BigInteger, nullable=False),
    Column("account_id", String(64), ForeignKey("ledger_account.account_id"), nullable=False),
    Column("state", String(16), nullable=False),
    _event_fk("created_event_id"),
    _event_fk("closed_event_id", nullable=True),
    Column("subscription_id", BigInteger),
    Column("retirement_id", BigInteger, ForeignKey("ledger_retirement.retirement_id")),
    Column("cancellation_id", BigInteger, ForeignKey("ledger_cancellation.cancellation_id")),
    ForeignKeyConstraint(["issuance_id", "scheme_code", "vintage"],
                         ["ledger_issuance.issuance_id", "ledger_issuance.scheme_code",
                          "ledger_issuance.vintage"], name="fk_ledger_block_issuance"),
    ForeignKeyConstraint(["subscription_id", "scheme_code"],
                         ["ledger_subscription.subscription_id",
                          "ledger_subscription.scheme_code"], name="fk_ledger_block_subscription"),
    CheckConstraint("serial_end >= serial_start", name="ck_ledger_block_range"),
    CheckConstraint(_in("state", STATES), name="ck_ledger_block_state"),
    CheckConstraint("state = 'held' OR closed_event_id IS NULL", name="ck_ledger_block_terminal"),
    CheckConstraint("(state = 'retired') = (retirement_id IS NOT NULL)",
                    name="ck_ledger_block_retired"),
    CheckConstraint("(state = 'cancelled') = (cancellation_id IS NOT NULL)",
                    name="ck_ledger_block_cancelled"),
)
Index("ix_ledger_block_open_start", block.c.serial_start,
      sqlite_where=block.c.closed_event_id.is_(None),
      postgresql_where=block.c.closed_event_id.is_(None))
Index("ix_ledger_block_terminal_start", block.c.serial_start,
      sqlite_where=block.c.state != "held", postgresql_where=block.c.state != "held")
Index("ix_ledger_block_open_account", block.c.account_id, block.c.scheme_code, block.c.vintage,
      sqlite_where=block.c.closed_event_id.is_(None),
      postgresql_where=block.c.closed_event_id.is_(None))
Index("ix_ledger_block_retirement", block.c.retirement_id)
Index("ix_ledger_block_issuance", block.c.issuance_id)

# Tables whose rows are never updated or deleted (a trigger refuses it on both databases).
APPEND_ONLY = ("ledger_event", "ledger_account", "ledger_parcel_claim", "ledger_issuance",
               "ledger_issuance_line", "ledger_subscription", "ledger_retirement", "ledger_loss",
               "ledger_cancellation", "ledger_alert")
