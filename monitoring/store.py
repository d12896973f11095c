"""The alert store: every operational alert (fire event, fire danger, pest outbreak, vegetation
anomaly) with its state, and an outbox of state changes to deliver.

A real transactional database, because alerts are written by the ingest DAGs (every 30 minutes,
possibly on several Celery workers at once) and acknowledged by duty officers at any time:
``SINKWATCH_ALERTS_URL`` (PostgreSQL in production), default an SQLite file
``$SINKWATCH_HOME/monitoring/alerts.sqlite`` for the embedded deployment. Never DuckDB: the
warehouse has one writer, the nightly build.

Guarantees:

* An alert's id is chosen by the evaluator from what the alert is about (the fire event, the
  county and day, the epidemic point, the parcel episode), never from the run: re-evaluating the
  same data, rerunning a DAG or receiving the same file twice finds the same ids.
* :func:`record` writes one evaluation's alerts and their state changes in one transaction
  (SQLite ``BEGIN IMMEDIATE``; PostgreSQL row locks): a run killed half-way leaves no trace, and
  its rerun writes each alert exactly once.
* Each state change (opened, escalated, reopened, acknowledged, closed) is one row of
  ``alert_changes``, committed with the alert. :func:`deliver` sends the undelivered changes
  through :mod:`sinkwatch.alerts` (log, JSONL file, webhook) and marks them delivered; a crash
  between sending and marking sends that change again on the next run (at least once), with the
  change id in the message so a receiver can drop the repeat.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sinkwatch.config import paths

STATES = ("open", "acknowledged", "closed")
SEVERITIES = ("info", "warning", "high", "critical")

metadata = sa.MetaData()

alerts = sa.Table(
    "alerts", metadata,
    sa.Column("alert_id", sa.String(200), primary_key=True),
    sa.Column("alert_type", sa.String(40), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("zone_ids", sa.Text, nullable=False),  # JSON arrays
    sa.Column("county_codes", sa.Text, nullable=False),
    sa.Column("parcel_ids", sa.Text, nullable=False),
    sa.Column("lon", sa.Float),
    sa.Column("lat", sa.Float),
    sa.Column("evidence", sa.Text, nullable=False),  # JSON object
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state_changed_by", sa.String(100), nullable=False),
    sa.CheckConstraint(f"state in {STATES}", name="ck_alerts_state"),
    sa.CheckConstraint(f"severity in {SEVERITIES}", name="ck_alerts_severity"),
)

alert_changes = sa.Table(
    "alert_changes", metadata,
    sa.Column("change_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.String(200), sa.ForeignKey("alerts.alert_id"), nullable=False),
    sa.Column("change", sa.String(20), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("changed_by", sa.String(100), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint(
        "change in ('opened', 'escalated', 'reopened', 'acknowledged', 'closed')",
        name="ck_alert_changes_change"),
)
sa.Index("ix_alert_changes_undelivered", alert_changes.c.delivered_at)


@dataclass(frozen=True)
class Alert:
    """What an evaluator says is happening. ``alert_id`` names the thing, not the run."""

    alert_id: str
    alert_type: str
    severity: str
    title: str
    message: str
    zone_ids: tuple[str, ...] = ()
    county_codes: tuple[str, ...] = ()
    parcel_ids: tuple[str, ...] = ()
    lon: float | None = None
    lat: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def content_sha256(self) -> str:
        body = json.dumps([self.alert_type, self.severity, self.title, self.message,
                           sorted(self.zone_ids), sorted(self.county_codes),
                           sorted(self.parcel_ids), self.lon, self.lat, self.evidence],
                          sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


def default_url() -> str:
    url = os.environ.get("SINKWATCH_ALERTS_URL")
    if url:
        return url
    db = paths().home / "monitoring" / "alerts.sqlite"
    db.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{db}"


_ENGINES: dict[str, sa.Engine] = {}


def engine(url: str | None = None) -> sa.Engine:
    """One engine per URL and process; the tables are created on first use."""
    url = url or default_url()
    if url not in _ENGINES:
        if url.startswith("sqlite"):
            eng = sa.create_engine(url, connect_args={"timeout": 60})

            @sa.event.listens_for(eng, "connect")
            def _sqlite_pragmas(dbapi_con, _record):  # noqa: ANN001
                dbapi_con.isolation_level = None  # we issue BEGIN ourselves
                dbapi_con.execute("pragma journal_mode=wal")
                dbapi_con.execute("pragma foreign_keys=on")

            @sa.event.listens_for(eng, "begin")
            def _sqlite_begin(conn):  # noqa: ANN001
                conn.exec_driver_sql("begin immediate")  # take the write lock at once
        else:
            eng = sa.create_engine(url, pool_pre_ping=True)
        metadata.create_all(eng)
        _ENGINES[url] = eng
    return _ENGINES[url]


@contextmanager
def transaction(url: str | None = None) -> Iterator[sa.Connection]:
    with engine(url).begin() as con:
        yield con


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(v: Any) -> Any:
    """SQLite hands timestamps back naive; they were written in UTC."""
    if isinstance(v, dt.datetime) and v.tzinfo is None:
        return v.replace(tzinfo=dt.UTC)
    return v


SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def record(found: Iterable[Alert], by: str, url: str | None = None,
           now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Write one evaluation's alerts in one transaction; returns the state changes it made.

    New alert: ``opened``. Known and still open or acknowledged: its content is updated (no
    change row) unless the severity rose (``escalated``, which re-opens an acknowledged alert).
    Known and closed, with new content: ``reopened``. Same content as stored: nothing at all, so
    a rerun over the same data changes nothing.
    """
    found = list(found)
    now = now or _now()
    for attempt in range(3):
        try:
            return _record(found, by, url, now)
        except sa.exc.IntegrityError:  # another writer inserted the same new alert first
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _record(found: list[Alert], by: str, url: str | None, now: dt.datetime
            ) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    with transaction(url) as con:
        for a in found:
            if a.severity not in SEVERITIES:
                raise ValueError(f"alert {a.alert_id}: severity {a.severity!r} not in {SEVERITIES}")
            digest = a.content_sha256()
            row = con.execute(
                sa.select(alerts.c.state, alerts.c.severity, alerts.c.content_sha256)
                .where(alerts.c.alert_id == a.alert_id).with_for_update()
            ).first()
            values = {
                "alert_type": a.alert_type, "severity": a.severity, "title": a.title,
                "message": a.message, "zone_ids": json.dumps(sorted(a.zone_ids)),
                "county_codes": json.dumps(sorted(a.county_codes)),
                "parcel_ids": json.dumps(sorted(a.parcel_ids)), "lon": a.lon, "lat": a.lat,
                "evidence": json.dumps(a.evidence, sort_keys=True, ensure_ascii=False,
                                       default=str),
                "content_sha256": digest, "last_updated_at": now,
            }
            if row is None:
                con.execute(alerts.insert().values(
                    alert_id=a.alert_id, state="open", first_seen_at=now, state_changed_at=now,
                    state_changed_by=by, **values))
                change = "opened"
            elif row.content_sha256 == digest:
                continue
            else:
                change = None
                if row.state == "closed":
                    change = "reopened"
                elif SEVERITY_RANK[a.severity] > SEVERITY_RANK[row.severity]:
                    change = "escalated"
                if change:
                    values.update(state="open", state_changed_at=now, state_changed_by=by)
                con.execute(alerts.update().where(alerts.c.alert_id == a.alert_id)
                            .values(**values))
                if change is None:
                    continue
            changes.append(_change(con, a.alert_id, change, "open", a.severity, now, by, ""))
    return changes


def _change(con: sa.Connection, alert_id: str, change: str, state: str, severity: str,
            at: dt.datetime, by: str, note: str) -> dict[str, Any]:
    res = con.execute(alert_changes.insert().values(
        alert_id=alert_id, change=change, state=state, severity=severity, changed_at=at,
        changed_by=by, note=note))
    return {"change_id": res.inserted_primary_key[0], "alert_id": alert_id, "change": change,
            "state": state, "severity": severity, "changed_at": at, "changed_by": by,
            "note": note}


def set_state(alert_id: str, state: str, by: str, note: str = "",
              url: str | None = None) -> dict[str, Any]:
    """A duty officer acknowledges (``acknowledged``) or closes (``closed``) an alert."""
    if state not in ("acknowledged", "closed"):
        raise ValueError("an officer can acknowledge or close an alert")
    now = _now()
    with transaction(url) as con:
        row = con.execute(sa.select(alerts.c.state, alerts.c.severity)
                          .where(alerts.c.alert_id == alert_id).with_for_update()).first()
        if row is None:
            raise KeyError(f"no alert {alert_id!r}")
        if row.state == state:
            raise ValueError(f"alert {alert_id} is already {state}")
        con.execute(alerts.update().where(alerts.c.alert_id == alert_id).values(
            state=state, state_changed_at=now, state_changed_by=by))
        return _change(con, alert_id, state, state, row.severity, now, by, note)


def deliver(url: str | None = None, limit: int = 500, via: str = "") -> int:
    """Send the undelivered state changes (oldest first) through :mod:`sinkwatch.alerts`;
    ``via`` (who sends: the Airflow notifier names its DAG run) goes with each message."""
    from sinkwatch.alerts import notify

    sent = 0
    eng = engine(url)
    with eng.connect() as con:
        pending = con.execute(
            sa.select(alert_changes, alerts.c.title, alerts.c.message, alerts.c.alert_type)
            .join(alerts, alerts.c.alert_id == alert_changes.c.alert_id)
            .where(alert_changes.c.delivered_at.is_(None))
            .order_by(alert_changes.c.change_id).limit(limit)).all()
    for p in pending:
        level = "error" if p.severity in ("high", "critical") else "warning"
        notify(f"[{p.change}] {p.title}", p.message, level=level, alert_id=p.alert_id,
               alert_type=p.alert_type, change=p.change, change_id=p.change_id,
               severity=p.severity, state=p.state, by=p.changed_by,
               **({"via": via} if via else {}))
        with transaction(url) as con:
            con.execute(alert_changes.update().where(alert_changes.c.change_id == p.change_id)
                        .values(delivered_at=_now()))
        sent += 1
    return sent


def export_parquet(dest: Path, url: str | None = None) -> list[Path]:
    """Snapshot both tables as Parquet for the nightly marts (``fct_alerts``): written to temp
    names and renamed, so the build never reads half a file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def arrow_type(col: sa.Column) -> pa.DataType:
        if isinstance(col.type, sa.DateTime):
            return pa.timestamp("us", tz="UTC")
        if isinstance(col.type, sa.Float):
            return pa.float64()
        if isinstance(col.type, sa.Integer):
            return pa.int64()
        return pa.string()

    dest.mkdir(parents=True, exist_ok=True)
    out = []
    with engine(url).connect() as con:
        for table in (alerts, alert_changes):
            rows = [r._mapping for r in con.execute(sa.select(table)).all()]
            schema = pa.schema([(c.name, arrow_type(c)) for c in table.columns])
            data = pa.table({c.name: pa.array([_utc(r[c.name]) for r in rows], arrow_type(c))
                             for c in table.columns}, schema=schema)
            target = dest / f"{table.name}.parquet"
            tmp = target.with_suffix(".parquet.tmp")
            pq.write_table(data, tmp)
            tmp.replace(target)
            out.append(target)
    return out
