"""OpenLineage for the pipeline (issue #16 item 3).

Airflow tasks: the provider ``apache-airflow-providers-openlineage`` emits START and COMPLETE (or
FAIL) for every task; our ``@task`` functions have no extractor, so the provider takes their
inputs and outputs from the tasks' ``inlets``/``outlets``, where the DAG files list the OpenLineage
datasets of :func:`dataset` next to the Airflow Assets (orchestration/dagkit.py).

dbt: after each ``dbt build`` the pipeline turns dbt's ``manifest.json`` and ``run_results.json``
into one START/COMPLETE pair per model, seed and test with openlineage-integration-common's
``DbtLocalArtifactProcessor`` (the code behind the ``dbt-ol`` wrapper, which needs no network),
parented to the Airflow task run when there is one, and emits them through the provider's
configured client (inside Airflow) or an openlineage-python client configured the same way.

Transport: ``$SINKWATCH_HOME/lineage/openlineage.jsonl`` (file transport, one event a line) unless
the environment configures one (``AIRFLOW__OPENLINEAGE__TRANSPORT``, ``__CONFIG_PATH``,
``__CONFIG_CONN_ID``, ``OPENLINEAGE_URL``, ``OPENLINEAGE_CONFIG``...); sinkwatch/airflow_env.py
sets the default. Point it at Marquez with e.g.
``AIRFLOW__OPENLINEAGE__TRANSPORT='{"type": "http", "url": "http://marquez:5000"}'``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path

from sinkwatch.config import DBT_PROJECT_DIR, Paths

log = logging.getLogger(__name__)

#: The namespace of the datasets sinkwatch reads and writes (the Assets' URI scheme).
NAMESPACE = "sinkwatch"
PRODUCER = "https://github.com/baotou-forestry/sinkwatch"


def dataset(name: str):
    """An OpenLineage dataset of the platform: ``raw/<family>``, ``landing/<family>``,
    ``warehouse/build``, ``warehouse/marts``, ``site``, ``reports``, ``warehouse/<table>``."""
    from openlineage.client.event_v2 import Dataset

    return Dataset(namespace=NAMESPACE, name=name)


def _client():
    """The client events go to: the Airflow provider's when it is active in this process, else
    openlineage-python configured from the same settings (``AIRFLOW__OPENLINEAGE__TRANSPORT`` or
    the ``OPENLINEAGE_*`` variables), else the default file transport. None when disabled."""
    if os.environ.get("AIRFLOW__OPENLINEAGE__DISABLED", "").lower() in ("true", "1") or \
            os.environ.get("OPENLINEAGE_DISABLED", "").lower() in ("true", "1"):
        return None
    with contextlib.suppress(Exception):
        from airflow.providers.openlineage.api.core import is_openlineage_active
        from airflow.providers.openlineage.plugins.listener import get_openlineage_listener

        if is_openlineage_active():
            return get_openlineage_listener().adapter.get_or_create_openlineage_client()
    from openlineage.client import OpenLineageClient

    transport = os.environ.get("AIRFLOW__OPENLINEAGE__TRANSPORT")
    if transport:
        return OpenLineageClient(config={"transport": json.loads(transport)})
    if any(k in os.environ for k in ("OPENLINEAGE_URL", "OPENLINEAGE_CONFIG")) or any(
            k.startswith("OPENLINEAGE__TRANSPORT") for k in os.environ):
        return OpenLineageClient()
    from sinkwatch.airflow_env import default_openlineage_transport

    return OpenLineageClient(config={"transport": default_openlineage_transport()})


def _parent(run_id: str):
    """The Airflow task run the dbt events belong to (the current task), if any."""
    try:
        from airflow.providers.openlineage.plugins.macros import (
            lineage_job_name,
            lineage_job_namespace,
            lineage_run_id,
        )
        from airflow.sdk import get_current_context
        from openlineage.common.provider.dbt.processor import ParentRunMetadata

        ti = get_current_context()["ti"]
        return ParentRunMetadata(run_id=lineage_run_id(ti), job_name=lineage_job_name(ti),
                                 job_namespace=lineage_job_namespace())
    except Exception as exc:  # not inside an Airflow task (CLI run)
        log.debug("no Airflow task run to parent the dbt events: %s", exc)
        return None


def _rename(ds, family_sources: dict[str, str]) -> None:
    """dbt's dataset names (``duckdb://<build file>``, ``db.schema.table``) -> the platform's:
    raw sources as ``raw/<family>`` (what the ingest tasks write), others ``warehouse/<table>``."""
    table = ds.name.split(".")[-1]
    schema = ds.name.split(".")[-2] if ds.name.count(".") >= 1 else ""
    ds.namespace = NAMESPACE
    ds.name = f"raw/{table}" if family_sources.get(table, "").startswith(
        f"source:{schema}.") and schema.startswith("raw_") else f"warehouse/{table}"


@contextlib.contextmanager
def _env(values: dict[str, str]):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def dbt_events(p: Paths, build_db: Path, run_id: str) -> list:
    """The OpenLineage events of the last dbt invocation (its target/ artifacts)."""
    from openlineage.common.provider.dbt.local import DbtLocalArtifactProcessor

    from orchestration.pipeline import _family_sources, dbt_env

    env = {k: v for k, v in dbt_env(p, build_db, run_id).items() if k.startswith(
        ("SINKWATCH", "DBT_"))}
    with _env(env):
        processor = DbtLocalArtifactProcessor(
            producer=PRODUCER, job_namespace=NAMESPACE, project_dir=str(DBT_PROJECT_DIR),
            target_path=str(p.dbt / "target"), skip_errors=True, logger=log,
            openlineage_job_name=f"dbt_build.{NAMESPACE}")
        parent = _parent(run_id)
        if parent is not None:
            processor.dbt_run_metadata = parent
        events = processor.parse().events()
    sources = _family_sources()
    renamed: set[int] = set()  # the processor shares dataset objects between events
    for ev in events:
        for ds in [*(ev.inputs or []), *(ev.outputs or [])]:
            if id(ds) not in renamed:
                renamed.add(id(ds))
                _rename(ds, sources)
    return events


def emit_dbt(p: Paths, build_db: Path, run_id: str) -> int:
    """Emit the events of the last dbt build; never fails the build (a lineage backend that is
    down must not stop the nightly run). Returns the number of events emitted."""
    try:
        client = _client()
        if client is None:
            return 0
        events = dbt_events(p, build_db, run_id)
        for ev in events:
            client.emit(ev)
        return len(events)
    except Exception:
        log.warning("OpenLineage events of the dbt build were not emitted", exc_info=True)
        return 0
