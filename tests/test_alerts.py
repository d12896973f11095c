"""Alerts: a failed task produces a readable message in the alert file and on a webhook."""

from __future__ import annotations

import http.server
import json
import threading
from types import SimpleNamespace

from sinkwatch import alerts


def test_failed_task_writes_a_readable_alert(home, monkeypatch, tmp_path):
    target = tmp_path / "alerts.jsonl"
    monkeypatch.setenv("SINKWATCH_ALERT_FILE", str(target))
    ti = SimpleNamespace(dag_id="sinkwatch_nightly", task_id="build_marts", try_number=3)
    alerts.on_failure_callback({"task_instance": ti, "run_id": "scheduled__2026-11-24",
                                "exception": RuntimeError("dbt build failed (exit 1)")})
    [record] = [json.loads(x) for x in target.read_text(encoding="utf-8").splitlines()]
    assert record["level"] == "error"
    assert record["title"] == "sinkwatch_nightly.build_marts failed"
    assert "run scheduled__2026-11-24 (try 3)" in record["message"]
    assert "dbt build failed (exit 1)" in record["message"]


def test_gate_failures_are_not_alerted_twice(home, monkeypatch, tmp_path):
    target = tmp_path / "alerts.jsonl"
    monkeypatch.setenv("SINKWATCH_ALERT_FILE", str(target))
    GateFailed = type("GateFailed", (Exception,), {})
    ti = SimpleNamespace(dag_id="sinkwatch_nightly", task_id="gate_marts", try_number=1)
    alerts.on_failure_callback({"task_instance": ti, "run_id": "r", "exception": GateFailed("x")})
    assert not target.exists()


def test_webhook_receives_the_alert(home, monkeypatch, tmp_path):
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    monkeypatch.setenv("SINKWATCH_ALERT_FILE", str(tmp_path / "a.jsonl"))
    monkeypatch.setenv("SINKWATCH_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/hook")
    alerts.notify("gate failed for run r", "marts__fct_annual_sink: 3 critical failures")
    thread.join(timeout=10)
    server.server_close()
    assert received and "gate failed for run r" in received[0]["text"]["content"]
    assert received[0]["sinkwatch"]["level"] == "error"
