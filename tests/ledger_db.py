"""Databases for the ledger tests (imported by tests/test_ledger*.py).

SQLite: a file in the test's tmp_path. PostgreSQL: one throw-away database per test session on
``SINKWATCH_TEST_PG`` (default 127.0.0.1:5432, user postgres, trust auth), dropped when the
session ends; each test gets its own schema in it (``search_path`` in the URL, so subprocesses
get the same one). PostgreSQL tests are skipped only when the server is unreachable (CI starts
it)."""

from __future__ import annotations

import atexit
import itertools
import os
import secrets
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

PG_SERVER = os.environ.get("SINKWATCH_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432")
DIALECTS = ("sqlite", "postgresql")

_state: dict = {}
_schemas = itertools.count(1)


def _admin():
    return create_engine(make_url(PG_SERVER).set(database="postgres"),
                         isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def _session_database() -> str | None:
    if "db" in _state:
        return _state["db"]
    name = f"sinkwatch_ledger_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        admin = _admin()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # unreachable server: skip the PostgreSQL half
        _state["db"], _state["why"] = None, f"PostgreSQL unreachable at {PG_SERVER}: {exc}"
        return None
    admin.dispose()
    _state["db"] = name
    atexit.register(_drop, name)
    return name


def _drop(name: str) -> None:
    admin = _admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def ledger_url(dialect: str, tmp_path: Path) -> str:
    """The URL of a fresh, empty database for one test."""
    if dialect == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    db = _session_database()
    if db is None:
        from tests.conftest import service_missing

        service_missing(_state["why"])
    schema = f"t{next(_schemas)}"
    url = make_url(PG_SERVER).set(database=db)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)
