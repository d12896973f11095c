"""The Airflow notifier of the alert store (issue #14 item 6): :class:`AlertNotifier` sends the
store's undelivered state changes (the outbox, :func:`monitoring.store.deliver`) through the
alert channels of :mod:`sinkwatch.alerts` (log, JSONL file, webhook), each delivery naming the
DAG run that sent it (``via``).

Where it runs:

* **In the task.** ``evaluate_alerts`` (ingest DAGs) and ``set_state`` (``alert_state``) record
  their changes, then call the notifier with their own context
  (:func:`orchestration.alerting.deliver`): delivery happens in the run that found the alert.
* **As a callback.** The same notifier is attached to ``evaluate_alerts`` as
  ``on_retry_callback`` and ``on_failure_callback`` (an evaluator that failed after another one
  recorded its alerts: those changes are delivered now, not at the next run) and to the
  ``alert_state`` DAG as ``on_success_callback`` / ``on_failure_callback``. Attach it to any
  task or DAG the same way, or call it: ``AlertNotifier()(context)``.

Each change is sent once: :func:`monitoring.store.deliver` marks it delivered
(``alert_changes.delivered_at``), so a callback after the task's own delivery finds nothing
(``delivered == 0``). Light on purpose: the DAG files import this module when they are parsed;
the store (SQLAlchemy) is imported when a notification is sent.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from airflow.sdk import BaseNotifier

#: Who sent a delivery: the DAG and run (rendered from the Airflow context; present in task and
#: DAG callback contexts alike).
DEFAULT_VIA = "airflow:{{ dag.dag_id }}/{{ run_id }}"


class AlertNotifier(BaseNotifier):
    """Deliver the alert store's pending state changes (each once) through the alert channels.

    :param via: recorded with each delivery (JSONL field ``via``); templated.
    :param alerts_url: the alert store's SQLAlchemy URL; templated (e.g.
        ``"{{ var.value.sinkwatch_alerts_url }}"``); empty: ``SINKWATCH_ALERTS_URL`` or the
        embedded SQLite file (:func:`monitoring.store.default_url`).
    :param limit: at most this many changes per call (oldest first).

    After a call, ``delivered`` is the number of changes sent.
    """

    template_fields = ("via", "alerts_url")
    #: plain strings, whatever the DAG says (and no need to ask the DAG, see below)
    render_template_as_native_obj = False

    def __init__(self, via: str = DEFAULT_VIA, alerts_url: str = "", limit: int = 500) -> None:
        self.via = via
        self.alerts_url = alerts_url
        self.limit = limit
        self.delivered: int | None = None
        super().__init__()

    def notify(self, context: Mapping[str, Any]) -> None:
        from monitoring import store

        self.delivered = store.deliver(url=self.alerts_url or None, limit=self.limit,
                                       via=self.via)
        self.log.info("AlertNotifier (%s): %d alert state change(s) delivered", self.via,
                      self.delivered)

    def render_template_fields(self, context: Mapping[str, Any],
                               jinja_env: Any = None) -> None:
        # A DAG callback under `airflow dags test` gets the *serialized* DAG in its context, which
        # has no template environment: BaseNotifier fails with "'SerializedDAG' object has no
        # attribute 'get_template_env'" (apache/airflow#64649, open in 3.3.2). Render with the
        # default sandboxed environment then (the DAG's user macros and filters are not needed).
        dag = context.get("dag")
        if jinja_env is None and dag is not None and not hasattr(dag, "get_template_env"):
            jinja_env = self.get_template_env(dag=None)
        super().render_template_fields(context, jinja_env)

    def __call__(self, *args: Any) -> None:
        # BaseNotifier renders the template fields in place, irreversibly: render a copy, so one
        # instance (a DAG's callback) renders each call's own run, not the first one's forever
        clone = copy.copy(self)
        BaseNotifier.__call__(clone, *args)
        self.delivered = clone.delivered

    def send(self, context: Mapping[str, Any]) -> int:
        """Render and notify as a callback does (on a copy of ``context``: the base class adds
        the template fields to it); returns the number of changes delivered."""
        self(dict(context))
        return self.delivered or 0
