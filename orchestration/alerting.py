"""Alerting inside the ingest DAGs: after a family's files are ingested, the monitoring
evaluators that watch that family look at the raw layer, the found alerts are recorded in the
alert store (:mod:`monitoring.store`, one transaction per evaluator) and the state changes are
delivered: under Airflow by the task itself through the Airflow notifier
(:class:`orchestration.notifier.AlertNotifier`, given the task's context), from the CLI straight
from the store. An alert never waits for the nightly run.

Each evaluator is ``evaluate(p: Paths, run_id: str) -> list[Alert]``: deterministic in the data
(the same raw layer gives the same alerts with the same ids), so reruns change nothing.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from monitoring import store
from sinkwatch.config import Paths, paths

log = logging.getLogger(__name__)

#: family -> the evaluators ("module:function") to run after it was ingested.
EVALUATORS: dict[str, tuple[str, ...]] = {
    "fire_hotspots": ("monitoring.fire_events:evaluate",),
    "pest_reports": ("monitoring.pests:evaluate",),
    "vegetation_indices": ("monitoring.vegetation:evaluate",),
    "weather_daily": ("monitoring.fire_alerts:evaluate",),
}


def evaluators_for(family: str) -> list[tuple[str, Callable]]:
    out = []
    for spec in EVALUATORS.get(family, ()):
        module, _, name = spec.partition(":")
        out.append((spec, getattr(importlib.import_module(module), name)))
    return out


def deliver(context: Mapping[str, Any] | None = None) -> int:
    """Send the alert store's pending state changes, each once; returns how many were sent.
    With an Airflow ``context`` (a task's) through the Airflow notifier, which names the DAG run
    in each delivery; without one (CLI) straight from the store."""
    if context is None:
        return store.deliver()
    from orchestration.notifier import AlertNotifier

    return AlertNotifier().send(context)


def run(families: list[str], run_id: str = "manual", p: Paths | None = None,
        context: Mapping[str, Any] | None = None) -> dict:
    """Evaluate, record and deliver the alerts of ``families``; returns per-evaluator figures
    (alerts found, state changes, seconds) and the number of deliveries. ``context``: the
    Airflow task's, when run by ``evaluate_alerts`` (see :func:`deliver`)."""
    p = p or paths()
    figures: dict[str, dict] = {}
    for family in families:
        for spec, evaluate in evaluators_for(family):
            t0 = time.perf_counter()
            found = evaluate(p, run_id)
            changes = store.record(found, by=run_id)
            figures[spec] = {"alerts": len(found), "changes": len(changes),
                             "seconds": round(time.perf_counter() - t0, 3)}
            log.info("%s: %d alert(s), %d state change(s)", spec, len(found), len(changes))
    delivered = deliver(context)
    page = refresh_page(p, run_id)
    return {"evaluators": figures, "delivered": delivered, "page": str(page) if page else None}


def refresh_page(p: Paths, run_id: str):
    """The alerts page (警情) of the published site, rendered again from the alert store and the
    newest fire-danger ratings; the other pages wait for the nightly run."""
    import pandas as pd
    import sqlalchemy as sa

    from dashboards.build import refresh_alerts_page
    from monitoring import fire_danger

    with store.engine().connect() as con:
        frames = {"fct_alerts": pd.read_sql(sa.select(store.alerts), con)}
    ratings = fire_danger.output_path(p, fire_danger.AREA_TABLE)
    if ratings.exists():
        frames["fct_fire_danger_daily"] = pd.read_parquet(ratings)
    return refresh_alerts_page(p.site, frames, run_id)


def set_state(alert_id: str, state: str, by: str, note: str = "",
              context: Mapping[str, Any] | None = None) -> dict:
    """A duty officer acknowledges or closes an alert (CLI, or the ``alert_state`` DAG with its
    task's ``context``): the change is recorded and delivered at once, and the alerts page
    shows it."""
    change = store.set_state(alert_id, state, by=by, note=note)
    deliver(context)
    refresh_page(paths(), f"alert_state {alert_id}")
    return change
