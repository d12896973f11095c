"""Alerts: a failed gate or task produces a readable message in the log, in an alert file
(``SINKWATCH_ALERT_FILE``, default ``$SINKWATCH_HOME/alerts/alerts.jsonl``) and, when
``SINKWATCH_ALERT_WEBHOOK`` is set, as a JSON POST to that URL (e.g. a WeCom/DingTalk bot or an
internal relay). Nothing here needs the network unless the webhook is configured."""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from sinkwatch.config import paths

log = logging.getLogger("sinkwatch.alerts")


def alert_file() -> Path:
    return Path(os.environ.get("SINKWATCH_ALERT_FILE", paths().home / "alerts" / "alerts.jsonl"))


def notify(title: str, message: str, level: str = "error", **fields: object) -> dict:
    record = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "level": level,
              "title": title, "message": message, **{k: str(v) for k, v in fields.items()}}
    log.log(logging.ERROR if level == "error" else logging.WARNING, "ALERT %s: %s\n%s",
            level.upper(), title, message)
    target = alert_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    url = os.environ.get("SINKWATCH_ALERT_WEBHOOK")
    if url:
        text = {"content": f"[sinkwatch] {title}\n{message}"}
        body = json.dumps({"msgtype": "text", "text": text, "sinkwatch": record},
                          ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (configured URL)
                resp.read()
        except OSError as exc:  # an unreachable webhook must not hide the original failure
            log.warning("alert webhook %s failed: %s", url, exc)
    return record


def on_failure_callback(context: dict) -> None:
    """Airflow ``on_failure_callback``: one alert per failed task instance."""
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    run_id = context.get("run_id", "?")
    exc = context.get("exception")
    if type(exc).__name__ == "GateFailed":
        return  # pipeline.gate already alerted with the suite, expectation and failing rows
    try_number = getattr(ti, "try_number", "?")
    message = (f"DAG {dag_id}, task {task_id}, run {run_id} (try {try_number}) failed:\n"
               f"{exc if exc is not None else 'no exception recorded'}")
    notify(f"{dag_id}.{task_id} failed", message, level="error", dag_id=dag_id,
           task_id=task_id, run_id=run_id)
