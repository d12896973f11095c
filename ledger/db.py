"""Engines and migrations. The ledger runs on PostgreSQL (production, the compose file's server)
or on an embedded SQLite file (``make demo``, a laptop); both through SQLAlchemy, both migrated
by Alembic (``ledger/migrations``).

``SINKWATCH_LEDGER_URL`` selects the database; the default is the SQLite file
``$SINKWATCH_HOME/ledger/ledger.sqlite``.

Writers are serialised: on SQLite every write transaction starts with ``BEGIN IMMEDIATE`` (one
writer at a time, others wait up to 30 s); on PostgreSQL every write transaction first locks
the row ``ledger_lock('chain')`` ``FOR UPDATE`` (see ``ledger.service``). Reads never block.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from sinkwatch.config import paths

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
URL_ENV = "SINKWATCH_LEDGER_URL"
WRITE = "ledger_write"  # execution option: this transaction writes (SQLite: BEGIN IMMEDIATE)


def default_url() -> str:
    url = os.environ.get(URL_ENV)
    if url:
        return url
    return f"sqlite:///{paths().home / 'ledger' / 'ledger.sqlite'}"


def make_engine(url: str | None = None) -> Engine:
    url = url or default_url()
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if not database or database == ":memory:":
            raise ValueError("the ledger needs an SQLite file, not an in-memory database")
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        _sqlite_setup(engine)
        return engine
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise ValueError(f"the ledger runs on PostgreSQL or SQLite, not {backend!r} ({URL_ENV})")


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI objects
        dbapi_connection.isolation_level = None  # the "begin" hook below issues BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # noqa: ANN001
        write = conn.get_execution_options().get(WRITE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create_database(url: str) -> bool:
    """PostgreSQL: create the URL's database if it does not exist (connecting to the server's
    ``postgres`` database with the same credentials). True if it was created."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        return False
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"),
                                  {"d": parsed.database}).first()
            if exists:
                return False
            name = parsed.database.replace('"', '""')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            return True
    finally:
        admin.dispose()


def _alembic_config():  # noqa: ANN202 - alembic.config.Config
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the ledger's schema to ``revision`` (idempotent)."""
    from alembic import command

    cfg = _alembic_config()
    with engine.execution_options(**{WRITE: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            # two processes migrating the same database at once: the second waits here
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(727466)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": "ledger_alembic_version"})
        return ctx.get_current_revision()
