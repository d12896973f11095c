"""The ledger's HTTP API (FastAPI TestClient) and ``sinkwatch ledger`` CLI, on SQLite and
PostgreSQL: roles (officer writes, buyer reads its own account), refusals as JSON, certificates."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from ledger_db import DIALECTS, ledger_url

from ledger import Ledger
from ledger.api import create_app
from orchestration.cli import main

A = {"actor": "setup", "reason": "test"}


@pytest.fixture(params=DIALECTS)
def url(request, tmp_path) -> str:
    return ledger_url(request.param, tmp_path)


@pytest.fixture
def api(url):
    led = Ledger.open(url)
    officer = led.add_user("li", "officer", **A)
    led.register_account("ORG-1", "包头钢铁", **A)
    led.register_account("ORG-2", "另一家", **A)
    buyer = led.add_user("baogang", "buyer", account_id="ORG-1", **A)
    with TestClient(create_app(led)) as client:
        yield (client, {"Authorization": f"Bearer {officer}"},
               {"Authorization": f"Bearer {buyer}"})
    led.dispose()


def test_officer_runs_the_whole_cycle_and_buyer_reads_its_own(api):
    client, officer, buyer = api
    assert client.get("/healthz").json()["ok"] is True
    r = client.post("/creditable", headers=officer, json={
        "parcel_id": "P-1", "vintage": 2024, "scheme_code": "LOCAL", "net_removals_t": "60.2",
        "deductions_t": 5, "source": "fct_parcel_creditable", "reason": "nightly 2025-01-31"})
    assert r.status_code == 200, r.text
    r = client.post("/issuances", headers=officer, json={
        "scheme_code": "LOCAL", "vintage": 2024, "parcels": {"P-1": None},
        "project": "大青山 2024", "reason": "批复 12 号"})
    assert r.status_code == 201 and r.json()["quantity"] == 55, r.text
    r = client.post("/subscriptions", headers=officer, json={
        "account_id": "ORG-1", "quantity": 20, "purpose_kind": "event",
        "purpose_name": "<b>包头马拉松</b>", "purpose_year": 2025, "reason": "合同 7"})
    assert r.status_code == 201, r.text
    sub = r.json()
    r = client.post("/retirements", headers=officer, json={
        "account_id": "ORG-1", "subscription_id": sub["subscription_id"],
        "beneficiary": "包头马拉松组委会", "reason": "赛事碳中和"})
    assert r.status_code == 201, r.text
    ret = r.json()
    assert ret["quantity"] == 20 and ret["purpose_name"] == "<b>包头马拉松</b>"

    st = client.get("/accounts/ORG-1/statement", headers=buyer)
    assert st.status_code == 200 and st.json()["retirements"][0]["verification_code"] == \
        ret["verification_code"]
    cert = client.get(f"/retirements/{ret['retirement_id']}/certificate", headers=buyer)
    assert cert.status_code == 200 and cert.headers["content-type"].startswith("text/html")
    assert "林业碳汇注销证明" in cert.text and ret["verification_code"] in cert.text
    assert "&lt;b&gt;包头马拉松&lt;/b&gt;" in cert.text and "<b>包头" not in cert.text
    assert client.get("/verify", headers=officer).json()["ok"] is True


def test_refusals_and_roles(api):
    client, officer, buyer = api
    assert client.get("/accounts/ORG-1/statement").status_code == 401
    assert client.get("/accounts/ORG-1/statement",
                      headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/me", headers=buyer).json() == {
        "user_name": "baogang", "role": "buyer", "account_id": "ORG-1"}
    r = client.get("/accounts/ORG-2/statement", headers=buyer)
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    for path in ("/transfers", "/subscriptions", "/issuances", "/losses"):
        assert client.post(path, headers=buyer, json={}).status_code in (403, 422)
    r = client.post("/transfers", headers=buyer, json={
        "from_account": "ORG-1", "to_account": "ORG-2", "quantity": 1, "reason": "x"})
    assert r.status_code == 403
    assert client.get("/verify", headers=buyer).status_code == 403
    r = client.post("/subscriptions", headers=officer, json={
        "account_id": "ORG-1", "quantity": 5, "purpose_kind": "event", "purpose_name": "x",
        "reason": "x"})
    assert r.status_code == 409 and r.json() == {
        "error": "insufficient_units",
        "detail": "account BUREAU holds 0 LOCAL unit(s) available; 5 requested"}
    r = client.post("/subscriptions", headers=officer, json={
        "account_id": "ORG-1", "quantity": 5, "purpose_kind": "event", "purpose_name": "x",
        "scheme_code": "CCER", "reason": "x"})
    assert r.status_code == 409 and r.json()["error"] == "scheme_conflict"
    r = client.post("/issuances", headers=officer, json={
        "scheme_code": "LOCAL", "vintage": 2024, "parcels": {"P-9": 3}, "project": "p",
        "reason": "x"})
    assert r.status_code == 409 and r.json()["error"] == "over_issuance"
    assert client.get("/retirements/99/certificate", headers=officer).status_code == 404


def test_the_cli_runs_every_operation(url, tmp_path, capsys):
    def sw(*args: str) -> int:
        return main(["ledger", "--url", url, "--actor", "li", *args])

    csv = tmp_path / "creditable.csv"
    csv.write_text("parcel_id,vintage,scheme_code,net_removals_t,deductions_t\n"
                   "P-1,2024,LOCAL,40.7,0.2\nP-2,2024,LOCAL,10,0\nP-3,2024,CCER,30,1\n",
                   encoding="utf-8")
    assert sw("creditable-load", str(csv), "--reason", "nightly") == 0
    assert sw("creditable", "set", "P-4", "2024", "LOCAL", "5", "0", "--source", "manual",
              "--reason", "补录") == 0
    assert sw("issue", "LOCAL", "2024", "P-1", "P-2=10", "--project", "大青山",
              "--reason", "批复") == 0
    assert sw("issue", "CCER", "2024", "P-3", "--project", "CCER-1", "--reason", "备案") == 0
    assert sw("account", "add", "ORG-1", "包头钢铁", "--reason", "开户") == 0
    assert sw("subscribe", "ORG-1", "8", "--purpose-kind", "product", "--purpose", "低碳钢",
              "--purpose-year", "2025", "--reason", "合同") == 0
    assert sw("transfer", "BUREAU", "ORG-1", "--serials",
              "LOCAL-2024-00001-000000020..LOCAL-2024-00001-000000021", "--reason", "赠送") == 0
    assert sw("retire", "ORG-1", "--subscription", "1", "--beneficiary", "包钢",
              "--reason", "产品碳中和") == 0
    assert sw("cancel", "BUREAU", "--quantity", "1", "--scheme", "CCER", "--reason", "错发") == 0
    assert sw("loss", "P-1", "2025", "3.5", "--cause", "pest", "--reason", "松材线虫") == 0
    capsys.readouterr()
    assert sw("subscribe", "ORG-1", "999", "--purpose-kind", "event", "--purpose", "x",
              "--reason", "x") == 1
    assert "refused [insufficient_units]" in capsys.readouterr().err
    assert sw("--json", "statement", "ORG-1") == 0
    st = json.loads(capsys.readouterr().out)
    assert st["held_units"] == 2 and st["retirements"][0]["quantity"] == 8
    code = st["retirements"][0]["verification_code"]
    out = tmp_path / "cert.html"
    assert sw("certificate", "1", "-o", str(out)) == 0
    assert "低碳钢" in out.read_text(encoding="utf-8")
    assert sw("certificate", "--code", code[:16]) == 0
    assert "retirement 1, 8 t for 包钢" in capsys.readouterr().out
    assert sw("user", "add", "li", "--role", "officer", "--reason", "x") == 0
    assert sw("verify") == 0
    assert "ledger verify: OK; 11 events" in capsys.readouterr().out


def test_serve_answers_and_the_compose_service_runs_it(tmp_path):
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    import yaml

    repo = Path(__file__).resolve().parent.parent
    svc = yaml.safe_load((repo / "docker-compose.yml").read_text())["services"]["ledger-api"]
    assert svc["command"][:3] == ["sinkwatch", "ledger", "serve"]
    port = svc["command"][svc["command"].index("--port") + 1]
    assert any(p.endswith(f":{port}") for p in svc["ports"])
    assert f"localhost:{port}/healthz" in " ".join(svc["healthcheck"]["test"])
    assert svc["environment"]["SINKWATCH_LEDGER_URL"].startswith("postgresql+psycopg2://")
    assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "ledger", "--url",
         f"sqlite:///{tmp_path / 'l.sqlite'}", "serve", "--port", str(free)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=repo)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{free}/healthz", timeout=2) as r:
                    assert json.loads(r.read())["ok"] is True
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the API did not answer")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
