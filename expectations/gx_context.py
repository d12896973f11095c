"""Great Expectations plumbing of the gate: where results and Data Docs go, the ephemeral GX
context, checkpoint runs, the DuckDB work-arounds for GX 1.24 and the Data Docs builds.

Great Expectations is imported inside functions only (the import takes ~10-15 s), after its
logger has been set to WARNING.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expectations.definitions import CRITICAL, SUITES_DIR, import_gx
from expectations.results import GateResult, failure_record
from sinkwatch.config import paths

if TYPE_CHECKING:
    pass

DATA_DOCS_SITE = "local_site"
#: Every page rendered by the offline views (expectations/docs_views.py) carries this tag.
OFFLINE_DOCS_MARKER = '<meta name="generator" content="sinkwatch-offline-data-docs">'
_PAGE_VIEW = {"module_name": "expectations.docs_views", "class_name": "OfflinePageView"}
#: GX's fluent API keeps a process-wide "current context"; validate one thing at a time.
LOCK = threading.RLock()


# --------------------------------------------------------------------------------------------
# Paths


def gx_home() -> Path:
    """Root of everything the gate writes: ``$SINKWATCH_HOME/gx``."""
    return paths().gx


def validations_dir() -> Path:
    return gx_home() / "validations"


def data_docs_dir() -> Path:
    return gx_home() / "data_docs"


def data_docs_index() -> Path:
    """The Data Docs entry page (exists once something was validated or docs were built)."""
    return data_docs_dir() / "index.html"


# --------------------------------------------------------------------------------------------
# GX plumbing


class _DuckDBDialect(str):
    """Stands in for a GXSqlDialect member: GX matches ``.value`` against the URL and compares
    the engine's dialect name (a str) with ``in``."""

    @property
    def value(self) -> str:
        return str(self)


def persist_duckdb_connections() -> None:
    """Make GX keep one connection per execution engine for DuckDB, as it does for SQLite.

    Without it every SQL expectation on duckdb-engine fails with ``IndexError: list index out of
    range`` (GX issue #11579: the connection is closed before the rows are fetched). Relies on a
    private tuple of GX 1.24 (pinned in pyproject.toml).
    """
    from great_expectations.execution_engine import sqlalchemy_execution_engine as see

    dialects = see._PERSISTED_CONNECTION_DIALECTS
    if "duckdb" not in dialects:
        see._PERSISTED_CONNECTION_DIALECTS = (*dialects, _DuckDBDialect("duckdb"))


def ephemeral_context(root: Path) -> Any:
    """An ephemeral GX context: suites from the committed store, results and Data Docs under
    ``root``, everything else in memory."""
    gx = import_gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    if not SUITES_DIR.is_dir():
        raise FileNotFoundError(f"no GX suites at {SUITES_DIR}: run python -m expectations.suites")
    defaults = InMemoryStoreBackendDefaults()
    stores = dict(defaults.stores)
    stores[defaults.expectations_store_name] = {
        "class_name": "ExpectationsStore",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(SUITES_DIR),
            "suppress_store_backend_id": True,  # read-only use: never write into the repo
        },
    }
    stores[defaults.validation_results_store_name] = {
        "class_name": "ValidationResultsStore",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(root / "validations"),
        },
    }
    config = DataContextConfig(
        store_backend_defaults=defaults,
        stores=stores,
        data_docs_sites={
            DATA_DOCS_SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(root / "data_docs"),
                },
                # offline pages: no CDN stylesheet or script, no outbound link (docs_views.py)
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "view": {"module_name": "expectations.docs_views",
                             "class_name": "OfflineIndexPageView"},
                },
                "site_section_builders": {
                    "expectations": {"view": _PAGE_VIEW},
                    "validations": {"view": _PAGE_VIEW},
                    "profiling": {"view": _PAGE_VIEW},
                },
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def run_checkpoint(
    context: Any,
    stage: str,
    validation_definitions: list[Any],
    run_name: str,
    batch_parameters: dict[str, Any] | None = None,
    expectation_parameters: dict[str, Any] | None = None,
    update_docs: bool = True,
) -> Any:
    gx = import_gx()
    from great_expectations.core.run_identifier import RunIdentifier

    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=stage,
            validation_definitions=validation_definitions,
            actions=[],
            result_format="SUMMARY",
        )
    )
    # The run name becomes a directory of the results store: no path separators in it.
    safe_name = re.sub(r"[^\w.=+-]+", "_", run_name).strip("_") or "run"
    run_id = RunIdentifier(run_name=safe_name, run_time=dt.datetime.now(dt.UTC))
    result = checkpoint.run(
        batch_parameters=batch_parameters,
        expectation_parameters=expectation_parameters,
        run_id=run_id,
    )
    if update_docs:
        # the Data Docs pages of these results and the index, once: UpdateDataDocsAction
        # rebuilds the site once per validation (10 times for the mart checkpoint, 11 of its
        # 17 s at city scale)
        ids = with_suite_pages(result.run_results) if docs_are_offline() else None
        context.build_data_docs(site_names=[DATA_DOCS_SITE], resource_identifiers=ids)
    return result


def gate_results(
    context: Any, checkpoint_result: Any, batch_labels: Mapping[str, str]
) -> list[GateResult]:
    """Turn a CheckpointResult into GateResults: pass/fail is decided per severity."""
    backend = context.validation_results_store.store_backend
    out: list[GateResult] = []
    for identifier, suite_result in checkpoint_result.run_results.items():
        failures = [failure_record(r) for r in suite_result.results if not r.success]
        n_crit = sum(f["severity"] == CRITICAL for f in failures)
        try:  # TupleFilesystemStoreBackend's own key -> file mapping
            results_path = Path(backend.full_base_directory) / backend._convert_key_to_filepath(
                identifier.to_tuple()
            )
        except Exception:  # a results path is nice to have, never worth failing the gate
            results_path = None
        n = len(suite_result.results)
        out.append(
            GateResult(
                suite=suite_result.suite_name,
                passed=n_crit == 0,
                n_expectations=n,
                n_passed=n - len(failures),
                n_failed_critical=n_crit,
                n_failed_warning=len(failures) - n_crit,
                failures=failures,
                results_path=results_path,
                batch=batch_labels.get(suite_result.suite_name, ""),
            )
        )
    return out


def add_table_asset(datasource: Any, table: str, schema: str) -> Any:
    """A table asset for a table in DuckDB's default schema, a query asset otherwise.

    GX 1.24 reads column names through SQLAlchemy reflection, which duckdb-engine cannot do on
    DuckDB 2.0 (its pg_catalog has no pg_collation); GX's fallback then runs
    ``select * from <table> limit 1`` without the schema. (GX also deprecates ``schema_name``.)
    A query asset over the qualified name works in any schema and still runs in the database.
    """
    if schema == "main":
        return datasource.add_table_asset(name=table, table_name=table)
    qualified = ".".join('"' + part.replace('"', '""') + '"' for part in (schema, table))
    return datasource.add_query_asset(name=table, query=f"select * from {qualified}")


def release_sql(datasource: Any) -> None:
    """Close every connection GX opened on the DuckDB file, so it is not left locked."""
    engines = []
    ee = getattr(datasource, "_execution_engine", None)
    if ee is not None:
        conn = getattr(ee, "_connection", None)
        if conn is not None:
            conn.close()
            ee._connection = None
        engines += [getattr(ee, "_engine_backup", None), getattr(ee, "engine", None)]
    engines.append(getattr(datasource, "_engine", None))
    for engine in engines:
        dispose = getattr(engine, "dispose", None)
        if dispose is not None:
            dispose()
    gc.collect()


# --------------------------------------------------------------------------------------------
# Data Docs


def batch_id(family: str, sha256: str) -> str:
    """The raw gate's batch id of a received file (also its checkpoint run name)."""
    return f"{family}:{sha256[:12]}"


def docs_run_names(rows: Iterable[Any]) -> list[str]:
    """The raw checkpoint run names (batch ids) of the gated files among manifest rows."""
    return [batch_id(r.family, r.sha256) for r in rows if getattr(r, "gate_suite", None)]


def with_suite_pages(result_ids: Iterable[Any]) -> list[Any]:
    """Validation result identifiers plus those of their suites whose page is missing or older
    than the suite's JSON: a result page links to its suite's page ("Expectation Suite: ...")."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    ids = list(result_ids)
    stale = []
    for name in sorted({k.expectation_suite_identifier.name for k in ids}):
        page = data_docs_dir() / "expectations" / f"{name}.html"
        suite = SUITES_DIR / f"{name}.json"
        if not page.is_file() or (suite.is_file()
                                  and page.stat().st_mtime < suite.stat().st_mtime):
            stale.append(ExpectationSuiteIdentifier(name=name))
    return ids + stale


def docs_are_offline() -> bool:
    """False while the Data Docs on disk were rendered before the offline views (their pages load
    CDN assets): the next build then renders every stored result again, once."""
    index = data_docs_index()
    if not index.is_file():
        return True
    return OFFLINE_DOCS_MARKER in index.read_text(encoding="utf-8", errors="replace")


def build_data_docs(run_names: Iterable[str] | None = None) -> Path:
    """(Re)build the Data Docs site; returns its index.html. With ``run_names`` (the checkpoint
    run names: a mart run id, or raw batch ids ``family:sha12`` from :func:`docs_run_names`):
    the pages of those runs' validation results and the index only, so that a night's cost does
    not grow with the history of stored results; without (or once after an upgrade from online
    Data Docs, see :func:`docs_are_offline`): every stored result."""
    if run_names is not None and not docs_are_offline():
        run_names = None
    if run_names is not None:
        run_names = list(run_names)
        if not run_names:  # nothing gated: no GX context (and no GX import) at all
            return data_docs_index()
    with LOCK:
        context = ephemeral_context(gx_home())
        ids = None
        if run_names is not None:
            wanted = {re.sub(r"[^\w.=+-]+", "_", n).strip("_") or "run" for n in run_names}
            ids = [k for k in context.validation_results_store.list_keys()
                   if getattr(k.run_id, "run_name", None) in wanted]
            if not ids:
                return data_docs_index()
            ids = with_suite_pages(ids)
        context.build_data_docs(site_names=[DATA_DOCS_SITE], resource_identifiers=ids)
    return data_docs_index()
