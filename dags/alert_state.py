"""
### alert_state

A duty officer acknowledges or closes an alert from the Airflow UI ("Trigger DAG" with the
parameters below) or the REST API (`POST /api/v2/dags/alert_state/dagRuns` with
`{"conf": {"alert_id": "...", "state": "acknowledged", "by": "...", "note": "..."}}`). The same
code as `sinkwatch alerts ack|close`: the change is recorded in the alert store, delivered
through the alert channels by the Airflow notifier (`orchestration.notifier.AlertNotifier`,
called by the task and attached as this DAG's success and failure callback: a change recorded
before a failure is still delivered, each change once), and shows on the alerts page (警情) and
in `fct_alerts`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from orchestration.dagkit import DEFAULT_ARGS
from orchestration.notifier import AlertNotifier


@dag(
    dag_id="alert_state",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["sinkwatch", "monitoring", "alerts"],
    doc_md=__doc__,
    on_success_callback=AlertNotifier(),
    on_failure_callback=AlertNotifier(),
    params={
        "alert_id": Param("", type="string", minLength=1, description="the alert's id"),
        "state": Param("acknowledged", enum=["acknowledged", "closed"]),
        "by": Param("", type="string", minLength=1, description="who acknowledges or closes"),
        "note": Param("", type="string", description="what was done, why"),
    },
)
def alert_state():
    @task
    def set_state(params: dict | None = None) -> dict:
        from airflow.sdk import get_current_context

        from orchestration import alerting

        context = get_current_context()
        try:
            change = alerting.set_state(params["alert_id"], params["state"], by=params["by"],
                                        note=params.get("note") or "", context=context)
        except ValueError as exc:  # already in that state (e.g. a retry after it was recorded)
            # a try that recorded the change but failed before delivering it: deliver it now
            return {"alert_id": params["alert_id"], "unchanged": str(exc),
                    "delivered": alerting.deliver(context)}
        return {k: str(v) for k, v in change.items()}

    set_state()


alert_state()
