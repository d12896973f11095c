"""The alert store on the real databases it runs on: SQLite (embedded) and PostgreSQL
(production). Reruns change nothing, state changes are recorded and delivered once, a run killed
inside its transaction leaves no trace, and concurrent writers of the same alert create it once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from monitoring import store
from monitoring.store import Alert

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path, monkeypatch):
    monkeypatch.setenv("SINKWATCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SINKWATCH_ALERT_FILE", str(tmp_path / "alerts.jsonl"))
    if request.param == "sqlite":
        u = f"sqlite:///{tmp_path / 'alerts.sqlite'}"
    else:
        base = request.getfixturevalue("postgres_url")
        u = base  # one database per session: empty the tables for this test
        eng = store.engine(u)
        with eng.begin() as con:
            con.execute(store.alert_changes.delete())
            con.execute(store.alerts.delete())
    yield u
    store._ENGINES.pop(u).dispose()


def fire(n_detections: int = 3, severity: str = "high") -> Alert:
    return Alert(
        alert_id="fire_event:150222:20250402T0512:109.812:40.931", alert_type="fire_event",
        severity=severity, title="山火 F07 (固阳县)", message=f"{n_detections} detections",
        zone_ids=("F07",), county_codes=("150222",), parcel_ids=("P1", "P2"), lon=109.812,
        lat=40.931, evidence={"detections": n_detections, "files": ["ab" * 32]})


def _changes(url: str) -> list[tuple]:
    with store.engine(url).connect() as con:
        return [tuple(r) for r in con.execute(
            sa.select(store.alert_changes.c.alert_id, store.alert_changes.c.change,
                      store.alert_changes.c.state).order_by(store.alert_changes.c.change_id))]


def test_rerun_changes_nothing_and_updates_are_silent(url):
    assert [c["change"] for c in store.record([fire()], by="run1", url=url)] == ["opened"]
    assert store.record([fire()], by="run1-again", url=url) == []
    # more detections of the same fire: content updated, no new state change
    assert store.record([fire(5)], by="run2", url=url) == []
    with store.engine(url).connect() as con:
        row = con.execute(sa.select(store.alerts)).one()
    assert row.message == "5 detections" and row.state == "open"
    assert json.loads(row.parcel_ids) == ["P1", "P2"]
    assert len(_changes(url)) == 1


def test_state_changes_escalate_acknowledge_close_reopen(url):
    a = fire(severity="warning")
    store.record([a], by="run1", url=url)
    store.set_state(a.alert_id, "acknowledged", by="duty officer 王", note="crew sent", url=url)
    with pytest.raises(ValueError, match="already acknowledged"):
        store.set_state(a.alert_id, "acknowledged", by="x", url=url)
    # the fire grew: severity rises, the acknowledged alert is open again
    assert [c["change"] for c in store.record([fire(9, "critical")], by="run2",
                                             url=url)] == ["escalated"]
    store.set_state(a.alert_id, "closed", by="duty officer 王", url=url)
    # new detections after closing: reopened
    assert [c["change"] for c in store.record([fire(12, "critical")], by="run3",
                                             url=url)] == ["reopened"]
    assert [c[1] for c in _changes(url)] == ["opened", "acknowledged", "escalated", "closed",
                                            "reopened"]
    with pytest.raises(KeyError):
        store.set_state("nope", "closed", by="x", url=url)


def test_each_change_is_delivered_once(url, tmp_path):
    store.record([fire()], by="run1", url=url)
    assert store.deliver(url=url) == 1
    assert store.deliver(url=url) == 0
    store.record([fire()], by="rerun", url=url)  # nothing new
    assert store.deliver(url=url) == 0
    lines = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert len(lines) == 1 and lines[0]["change"] == "opened"
    assert lines[0]["alert_id"] == fire().alert_id and lines[0]["change_id"]


def test_export_parquet_for_the_marts(url, tmp_path):
    store.record([fire()], by="run1", url=url)
    files = store.export_parquet(tmp_path / "export", url=url)
    t = pq.read_table(files[0])
    assert t.num_rows == 1 and str(t.schema.field("first_seen_at").type) == "timestamp[us, tz=UTC]"
    empty = store.export_parquet(tmp_path / "export2", url=f"sqlite:///{tmp_path / 'e.sqlite'}")
    assert pq.read_table(empty[1]).num_rows == 0


_KILLED = """
    import os, signal, sys
    from monitoring import store
    from monitoring.store import Alert
    url = sys.argv[1]
    real = store._change
    def change_then_die(*a, **k):
        out = real(*a, **k)
        if out["alert_id"].endswith("b"):  # the second alert's change row is written: die
            os.kill(os.getpid(), signal.SIGKILL)
        return out
    store._change = change_then_die
    store.record([Alert(f"t:{s}", "test", "high", s, s) for s in "abc"], by="killed", url=url)
"""


def test_a_run_killed_mid_transaction_leaves_nothing_and_its_rerun_writes_once(url, tmp_path):
    store.engine(url)  # tables exist
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(_KILLED), url], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert _changes(url) == []
    found = [Alert(f"t:{s}", "test", "high", s, s) for s in "abc"]
    assert len(store.record(found, by="rerun", url=url)) == 3
    assert store.record(found, by="rerun2", url=url) == []
    assert sorted(c[0] for c in _changes(url)) == ["t:a", "t:b", "t:c"]


_WRITER = """
    import sys
    from monitoring import store
    from monitoring.store import Alert
    n = store.record([Alert("same:fire", "fire_event", "high", "t", "m")], by=sys.argv[2],
                     url=sys.argv[1])
    print(len(n))
"""


def test_concurrent_writers_open_an_alert_once(url):
    store.engine(url)
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(_WRITER), url, f"w{i}"],
                              cwd=REPO, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)}) for i in range(6)]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert sorted(outs) == ["0"] * 5 + ["1"]
    assert _changes(url) == [("same:fire", "opened", "open")]
