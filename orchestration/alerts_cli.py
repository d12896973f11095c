"""``sinkwatch alerts ...``: what a duty officer does with an alert, from a terminal.

    sinkwatch alerts list [--state open] [--type fire_event] [--json]
    sinkwatch alerts show ALERT_ID
    sinkwatch alerts ack ALERT_ID --by NAME [--note TEXT]
    sinkwatch alerts close ALERT_ID --by NAME [--note TEXT]
    sinkwatch alerts evaluate FAMILY...      # what the ingest DAGs' evaluate_alerts task does

Acknowledging and closing go through the same code as the ``alert_state`` DAG (Airflow UI or
REST API): the change is recorded, delivered through the alert channels and the alerts page of
the dashboard is refreshed.
"""

from __future__ import annotations

import argparse
import json
import sys


def _rows(state: str | None, alert_type: str | None) -> list[dict]:
    import sqlalchemy as sa

    from monitoring import store

    q = sa.select(store.alerts).order_by(store.alerts.c.first_seen_at.desc())
    if state and state != "all":
        q = q.where(store.alerts.c.state == state)
    if alert_type:
        q = q.where(store.alerts.c.alert_type == alert_type)
    with store.engine().connect() as con:
        return [dict(r._mapping) for r in con.execute(q)]


def _cmd_list(args: argparse.Namespace) -> int:
    rows = _rows(args.state, args.type)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, default=str, indent=2))
        return 0
    if not rows:
        print(f"no {args.state if args.state != 'all' else ''} alerts".replace("  ", " "))
    for r in rows:
        print(f"{r['state']:<12} {r['severity']:<8} {r['alert_type']:<13} {r['alert_id']}\n"
              f"{'':<35}{r['title']} (first seen {r['first_seen_at']:%Y-%m-%d %H:%M} UTC)")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    from monitoring import store

    with store.engine().connect() as con:
        alert = con.execute(sa.select(store.alerts)
                            .where(store.alerts.c.alert_id == args.alert_id)).first()
        if alert is None:
            print(f"no alert {args.alert_id!r}", file=sys.stderr)
            return 2
        changes = con.execute(sa.select(store.alert_changes)
                              .where(store.alert_changes.c.alert_id == args.alert_id)
                              .order_by(store.alert_changes.c.change_id)).all()
    out = dict(alert._mapping)
    out["changes"] = [dict(c._mapping) for c in changes]
    print(json.dumps(out, ensure_ascii=False, default=str, indent=2))
    return 0


def _cmd_state(args: argparse.Namespace) -> int:
    from orchestration import alerting

    state = {"ack": "acknowledged", "close": "closed"}[args.alerts_command]
    try:
        change = alerting.set_state(args.alert_id, state, by=args.by, note=args.note)
    except (KeyError, ValueError) as exc:
        print(exc.args[0] if exc.args else exc, file=sys.stderr)
        return 2
    print(f"{change['alert_id']}: {change['state']} by {change['changed_by']}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from orchestration import alerting

    print(json.dumps(alerting.run(args.families, run_id=args.run_id), indent=2))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    ap = sub.add_parser("alerts", help="list, acknowledge and close alerts (fires, danger, "
                        "pests, vegetation anomalies)")
    asub = ap.add_subparsers(dest="alerts_command", required=True)
    sp = asub.add_parser("list", help="alerts, newest first")
    sp.add_argument("--state", default="open", choices=("open", "acknowledged", "closed", "all"))
    sp.add_argument("--type", help="fire_event, fire_danger, pest_outbreak, ndvi_anomaly")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=_cmd_list)
    sp = asub.add_parser("show", help="one alert with its state changes")
    sp.add_argument("alert_id")
    sp.set_defaults(func=_cmd_show)
    for name, text in (("ack", "acknowledge an alert"), ("close", "close an alert")):
        sp = asub.add_parser(name, help=text)
        sp.add_argument("alert_id")
        sp.add_argument("--by", required=True, help="who (recorded with the change)")
        sp.add_argument("--note", default="", help="why, what was done")
        sp.set_defaults(func=_cmd_state)
    sp = asub.add_parser("evaluate", help="evaluate the alerts on what a family's raw layer "
                         "holds (as the ingest DAGs do after ingesting)")
    sp.add_argument("families", nargs="+")
    sp.add_argument("--run-id", default="manual")
    sp.set_defaults(func=_cmd_evaluate)
