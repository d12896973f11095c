"""``sinkwatch alerts``: what a duty officer types, against a real alert store (SQLite)."""

from __future__ import annotations

import json

import pytest

from monitoring import store
from orchestration.cli import main


@pytest.fixture
def alerts_home(home, monkeypatch, tmp_path):
    monkeypatch.setenv("SINKWATCH_ALERT_FILE", str(tmp_path / "alerts.jsonl"))
    store.record([store.Alert("fire_event:e1", "fire_event", "high", "山火 F07", "3 detections",
                              zone_ids=("F07",)),
                  store.Alert("pest_outbreak:p1", "pest_outbreak", "critical", "松材线虫病疫点",
                              "1 tree")], by="run1")
    yield home
    for url in list(store._ENGINES):
        store._ENGINES.pop(url).dispose()


def test_list_ack_close_show(alerts_home, capsys, tmp_path):
    assert main(["alerts", "list"]) == 0
    out = capsys.readouterr().out
    assert "fire_event:e1" in out and "pest_outbreak:p1" in out and "山火 F07" in out

    assert main(["alerts", "ack", "fire_event:e1", "--by", "值班员 李", "--note", "已派队"]) == 0
    assert "acknowledged by 值班员 李" in capsys.readouterr().out
    assert main(["alerts", "list", "--state", "open", "--json"]) == 0
    assert [r["alert_id"] for r in json.loads(capsys.readouterr().out)] == ["pest_outbreak:p1"]

    assert main(["alerts", "close", "fire_event:e1", "--by", "值班员 李"]) == 0
    capsys.readouterr()
    assert main(["alerts", "show", "fire_event:e1"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "closed"
    assert [c["change"] for c in shown["changes"]] == ["opened", "acknowledged", "closed"]
    assert shown["changes"][1]["note"] == "已派队"
    # each change was delivered once through the alert file, the officer's at once
    delivered = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [d["change"] for d in delivered] == ["opened", "opened", "acknowledged", "closed"]


def test_clear_errors(alerts_home, capsys):
    assert main(["alerts", "ack", "nope", "--by", "x"]) == 2
    assert "no alert 'nope'" in capsys.readouterr().err
    main(["alerts", "ack", "fire_event:e1", "--by", "x"])
    capsys.readouterr()
    assert main(["alerts", "ack", "fire_event:e1", "--by", "x"]) == 2
    assert "already acknowledged" in capsys.readouterr().err
    assert main(["alerts", "show", "nope"]) == 2
