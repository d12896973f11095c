"""The Airflow notifier of the alert store (orchestration/notifier.py): it delivers the pending
state changes once, renders its templated fields from an Airflow context, and the ingest DAGs'
evaluate_alerts task and the alert_state DAG use it."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pendulum
import pytest
from airflow.sdk import DAG, BaseNotifier

from monitoring import store
from monitoring.store import Alert
from orchestration import alerting
from orchestration.notifier import AlertNotifier


def fire(severity: str = "high") -> Alert:
    return Alert("fire_event:fe_1", "fire_event", severity, "山火 F07", "3 detections",
                 zone_ids=("F07",), county_codes=("150222",))


@pytest.fixture
def url(home, tmp_path, monkeypatch):
    monkeypatch.setenv("SINKWATCH_ALERT_FILE", str(tmp_path / "alerts.jsonl"))
    u = f"sqlite:///{tmp_path / 'alerts.sqlite'}"
    monkeypatch.setenv("SINKWATCH_ALERTS_URL", u)
    yield u
    eng = store._ENGINES.pop(u, None)
    if eng is not None:
        eng.dispose()


def _delivered(tmp_path) -> list[dict]:
    f = tmp_path / "alerts.jsonl"
    return [json.loads(x) for x in f.read_text().splitlines()] if f.exists() else []


def _context(run_id: str, **extra) -> dict:
    dag = DAG("ingest_disturbances", schedule=None, start_date=pendulum.datetime(2026, 1, 1))
    return {"dag": dag, "run_id": run_id, **extra}


def test_the_notifier_delivers_each_pending_change_once(url, tmp_path):
    store.record([fire()], by="run1")
    notifier = AlertNotifier()
    assert isinstance(notifier, BaseNotifier)
    notifier(_context("manual__1"))  # as Airflow calls a callback
    assert notifier.delivered == 1
    [sent] = _delivered(tmp_path)
    assert sent["alert_id"] == "fire_event:fe_1" and sent["change"] == "opened"
    assert sent["via"] == "airflow:ingest_disturbances/manual__1"

    notifier(_context("manual__1"))  # a second call (the callback after the task): nothing
    assert notifier.delivered == 0
    assert len(_delivered(tmp_path)) == 1

    store.record([fire("critical")], by="run2")  # the next state change: sent once
    assert notifier.send(_context("manual__2")) == 1
    assert notifier.send(_context("manual__2")) == 0
    assert [(d["change"], d["via"]) for d in _delivered(tmp_path)] == [
        ("opened", "airflow:ingest_disturbances/manual__1"),
        ("escalated", "airflow:ingest_disturbances/manual__2")]


def test_the_notifier_renders_its_templated_fields(url, tmp_path):
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    store.record([fire()], by="run1", url=other)
    assert AlertNotifier.template_fields == ("via", "alerts_url")
    notifier = AlertNotifier(via="{{ dag.dag_id }} {{ run_id }} {{ params.officer }}",
                             alerts_url="{{ params.store }}")
    ctx = _context("scheduled__2026-04-05", params={"store": other, "officer": "值班员"})
    assert notifier.send(ctx) == 1  # from the store the template named, not the default one
    assert _delivered(tmp_path)[0]["via"] == "ingest_disturbances scheduled__2026-04-05 值班员"
    assert "via" not in ctx  # the caller's context is left alone
    # the instance keeps its templates: a later run renders its own values
    assert notifier.via.startswith("{{ dag.dag_id }}")
    store.record([fire("critical")], by="run2", url=other)
    notifier.send(_context("scheduled__2026-04-06", params={"store": other, "officer": "李"}))
    assert _delivered(tmp_path)[1]["via"] == "ingest_disturbances scheduled__2026-04-06 李"
    store._ENGINES.pop(other).dispose()


def test_tasks_deliver_through_the_notifier_and_the_cli_without_it(url, tmp_path):
    store.record([fire()], by="run1")
    assert alerting.deliver() == 1  # CLI: straight from the store, no `via`
    change = store.set_state("fire_event:fe_1", "acknowledged", by="李")
    assert change["change"] == "acknowledged"
    assert alerting.deliver(_context("manual__ack")) == 1  # a task: through the notifier
    assert alerting.deliver(_context("manual__ack")) == 0
    first, second = _delivered(tmp_path)
    assert "via" not in first
    assert second["change"] == "acknowledged"
    assert second["via"] == "airflow:ingest_disturbances/manual__ack"


def test_a_dag_callback_with_the_serialized_dag_renders(url, tmp_path):
    """`airflow dags test` passes DAG callbacks the serialized DAG, which has no template
    environment (apache/airflow#64649): the notifier still renders and delivers."""
    store.record([fire()], by="run1")
    serialized = SimpleNamespace(dag_id="alert_state")  # no get_template_env, no native flag
    assert AlertNotifier().send({"dag": serialized, "run_id": "manual__x",
                                 "reason": "success"}) == 1
    assert _delivered(tmp_path)[0]["via"] == "airflow:alert_state/manual__x"
