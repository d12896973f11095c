"""The carbon-offset ledger in the nightly run (issue #15 item 5), and the demo's sample trades.

Order of a nightly run, and why:

1. ``export_snapshot`` (in ``pipeline.build``, before dbt): the ledger as it is now, read on one
   snapshot, written to ``warehouse/ledger/*.parquet`` (the dbt source ``ledger``): units per
   parcel, vintage and scheme (the issuer's share and the buffer share of every issuance line,
   what became of them, and the units reversed by losses), the ledger's creditable tonnes, the
   subscriptions and retirements, and the head of the hash chain. Deterministic: the same
   ledger gives the same bytes, so an unchanged ledger does not make dbt rebuild its models.
2. dbt builds ``fct_parcel_creditable`` (tonight's creditable tonnes) and reconciles them with
   that snapshot in ``fct_ledger_balances``; the gate (``marts__fct_ledger_balances``) fails the
   run when units were issued beyond tonight's sink.
3. publish.
4. ``load_creditable`` (after publish): tonight's creditable tonnes are loaded into the ledger
   from the *published* marts, so the ledger never holds numbers a gate rejected; officers issue
   against them; tomorrow's snapshot shows the result.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

from sinkwatch.config import Paths, paths

log = logging.getLogger(__name__)

SNAPSHOT_DIR = "ledger"
SOURCE = "fct_parcel_creditable"
ACTOR = "sinkwatch-nightly"


def snapshot_dir(p: Paths) -> Path:
    return p.warehouse / SNAPSHOT_DIR


def _schemas() -> dict[str, Any]:
    import pyarrow as pa

    return {
        "ledger_parcel_units": pa.schema([
            ("parcel_id", pa.string()), ("vintage", pa.int64()), ("scheme_code", pa.string()),
            ("issued_units", pa.int64()), ("buffer_units", pa.int64()),
            ("reversed_units", pa.int64()), ("held_issuer_units", pa.int64()),
            ("held_holder_units", pa.int64()), ("held_buffer_units", pa.int64()),
            ("retired_units", pa.int64()), ("cancelled_units", pa.int64()),
            ("issuance_projects", pa.string())]),
        "ledger_creditable": pa.schema([
            ("parcel_id", pa.string()), ("vintage", pa.int64()), ("scheme_code", pa.string()),
            ("net_removals_t", pa.float64()), ("deductions_t", pa.float64()),
            ("source", pa.string()), ("event_id", pa.int64())]),
        "ledger_claims": pa.schema([
            ("claim_kind", pa.string()), ("claim_id", pa.int64()), ("account_id", pa.string()),
            ("account_name", pa.string()), ("scheme_code", pa.string()),
            ("quantity", pa.int64()), ("purpose_kind", pa.string()),
            ("purpose_name", pa.string()), ("purpose_year", pa.int64()),
            ("beneficiary", pa.string()), ("subscription_id", pa.int64()),
            ("vintages", pa.string()), ("projects", pa.string()), ("parcels", pa.string()),
            ("serials", pa.string()), ("recorded_at", pa.string()),
            ("verification_code", pa.string())]),
        "ledger_meta": pa.schema([("events", pa.int64()), ("head_hash", pa.string())]),
    }


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0) + 1)


def snapshot_tables(led: Any) -> dict[str, list[dict]]:
    """The ledger's state as rows of the four snapshot tables (one read snapshot)."""
    from sqlalchemy import func, select

    from ledger.schema import (
        account,
        block,
        creditable,
        event,
        issuance,
        issuance_line,
        loss,
        retirement,
        subscription,
    )
    from ledger.units import format_range

    with led.read() as conn:
        kinds = dict(conn.execute(select(account.c.account_id, account.c.kind)).all())
        names = dict(conn.execute(select(account.c.account_id, account.c.name)).all())
        iss = {r.issuance_id: r for r in conn.execute(select(issuance))}
        lines = conn.execute(select(issuance_line).order_by(
            issuance_line.c.issuance_id, issuance_line.c.serial_start)).all()
        current = conn.execute(select(block).where(block.c.closed_event_id.is_(None))
                               .order_by(block.c.serial_start)).all()
        losses = conn.execute(select(loss).order_by(loss.c.loss_id)).all()
        cred = conn.execute(select(creditable).order_by(
            creditable.c.parcel_id, creditable.c.vintage, creditable.c.scheme_code)).all()
        subs = conn.execute(select(subscription).order_by(subscription.c.subscription_id)).all()
        rets = conn.execute(select(retirement).order_by(retirement.c.retirement_id)).all()
        events = {r.event_id: r for r in conn.execute(
            select(event.c.event_id, event.c.at, event.c.hash))}
        n_events = conn.execute(select(func.count()).select_from(event)).scalar_one()
        head = conn.execute(select(event.c.hash).order_by(event.c.event_id.desc()).limit(1)
                            ).scalar()
        terminal = conn.execute(select(block).where(block.c.state != "held")).all()

    units: dict[tuple, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    projects: dict[tuple, set[str]] = defaultdict(set)
    for ln in lines:
        i = iss[ln.issuance_id]
        key = (ln.parcel_id, ln.vintage, ln.scheme_code)
        buf0 = i.serial_end - i.buffer_quantity + 1
        n_buf = _overlap(ln.serial_start, ln.serial_end, buf0, i.serial_end)
        units[key]["buffer_units"] += n_buf
        units[key]["issued_units"] += ln.quantity - n_buf
        projects[key].add(i.project)
        for b in current:
            if b.serial_start > ln.serial_end:
                break
            n = _overlap(ln.serial_start, ln.serial_end, b.serial_start, b.serial_end)
            if not n:
                continue
            if b.state == "retired":
                units[key]["retired_units"] += n
            elif b.state == "cancelled":
                units[key]["cancelled_units"] += n
            else:
                kind = kinds.get(b.account_id, "holder")
                units[key][f"held_{kind}_units"] += n
    # Loss reversals per parcel and vintage, as ledger.losses plans them: latest vintage first,
    # up to the units issued for the parcel in vintages <= the loss year.
    by_parcel: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for (parcel, vintage, scheme), u in units.items():
        by_parcel[(parcel, scheme)].append((vintage, u["issued_units"] + u["buffer_units"]))
    reversed_: dict[tuple, int] = defaultdict(int)
    for lo in losses:
        if not lo.scheme_code or not lo.reversal_units:
            continue
        left = int(lo.reversal_units)
        for vintage, n in sorted(by_parcel[(lo.parcel_id, lo.scheme_code)], reverse=True):
            if vintage > lo.year or left <= 0:
                continue
            key = (lo.parcel_id, vintage, lo.scheme_code)
            take = min(left, n - reversed_[key])
            reversed_[key] += take
            left -= take
    parcel_units = []
    for key in sorted(units):
        u = units[key]
        parcel_units.append({
            "parcel_id": key[0], "vintage": key[1], "scheme_code": key[2],
            "issued_units": u["issued_units"], "buffer_units": u["buffer_units"],
            "reversed_units": reversed_[key], "held_issuer_units": u["held_issuer_units"],
            "held_holder_units": u["held_holder_units"],
            "held_buffer_units": u["held_buffer_units"], "retired_units": u["retired_units"],
            "cancelled_units": u["cancelled_units"],
            "issuance_projects": "; ".join(sorted(projects[key]))})

    def provenance(block_rows: list) -> tuple[str, str, str, str]:
        vintages = sorted({b.vintage for b in block_rows})
        projs = sorted({iss[b.issuance_id].project for b in block_rows})
        parcels: set[str] = set()
        for b in block_rows:
            for ln in lines:
                if ln.issuance_id == b.issuance_id and _overlap(
                        ln.serial_start, ln.serial_end, b.serial_start, b.serial_end):
                    parcels.add(ln.parcel_id)
        return (",".join(map(str, vintages)), "; ".join(projs), ";".join(sorted(parcels)),
                "; ".join(format_range(b) for b in block_rows))

    claims = []
    all_blocks = current  # open blocks: held ones and the (never closed) retired/cancelled ones
    for s in subs:
        # the units this subscription bought: every block that carries its id (held or retired)
        mine = sorted({b.block_id: b for b in all_blocks if b.subscription_id == s.subscription_id}
                      .values(), key=lambda b: b.serial_start)
        v, pr, pa, se = provenance(mine)
        claims.append({"claim_kind": "subscription", "claim_id": s.subscription_id,
                       "account_id": s.account_id, "account_name": names.get(s.account_id),
                       "scheme_code": s.scheme_code, "quantity": s.quantity,
                       "purpose_kind": s.purpose_kind, "purpose_name": s.purpose_name,
                       "purpose_year": s.purpose_year, "beneficiary": None,
                       "subscription_id": s.subscription_id, "vintages": v, "projects": pr,
                       "parcels": pa, "serials": se, "recorded_at": events[s.event_id].at,
                       "verification_code": None})
    for r in rets:
        mine = sorted((b for b in terminal if b.retirement_id == r.retirement_id),
                      key=lambda b: b.serial_start)
        v, pr, pa, se = provenance(mine)
        claims.append({"claim_kind": "retirement", "claim_id": r.retirement_id,
                       "account_id": r.account_id, "account_name": names.get(r.account_id),
                       "scheme_code": ",".join(sorted({b.scheme_code for b in mine})),
                       "quantity": r.quantity, "purpose_kind": r.purpose_kind,
                       "purpose_name": r.purpose_name, "purpose_year": r.purpose_year,
                       "beneficiary": r.beneficiary, "subscription_id": r.subscription_id,
                       "vintages": v, "projects": pr, "parcels": pa, "serials": se,
                       "recorded_at": events[r.event_id].at,
                       "verification_code": events[r.event_id].hash})
    return {
        "ledger_parcel_units": parcel_units,
        "ledger_creditable": [{"parcel_id": c.parcel_id, "vintage": c.vintage,
                               "scheme_code": c.scheme_code,
                               "net_removals_t": c.net_removals_kg / 1000,
                               "deductions_t": c.deductions_kg / 1000, "source": c.source,
                               "event_id": c.event_id} for c in cred],
        "ledger_claims": claims,
        "ledger_meta": [{"events": int(n_events), "head_hash": head}],
    }


def export_snapshot(p: Paths | None = None, url: str | None = None) -> list[Path]:
    """Write the ledger snapshot for the build (replaced atomically, file by file)."""
    import os

    import pyarrow as pa
    import pyarrow.parquet as pq

    from ledger import Ledger

    p = p or paths()
    out = snapshot_dir(p)
    out.mkdir(parents=True, exist_ok=True)
    led = Ledger.open(url)
    try:
        tables = snapshot_tables(led)
    finally:
        led.dispose()
    written = []
    for name, schema in _schemas().items():
        dest = out / f"{name}.parquet"
        tmp = dest.with_name(f".{dest.name}.tmp")
        pq.write_table(pa.Table.from_pylist(tables[name], schema=schema), tmp)
        os.replace(tmp, dest)
        written.append(dest)
    return written


def creditable_rows(db: Path) -> list[dict[str, Any]]:
    """Tonight's creditable tonnes of the ledger's schemes from a (published) warehouse."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            f"select parcel_id, vintage, scheme_code, net_removals_t, deductions_t "
            f"from {SOURCE} where is_ledger_scheme order by all").fetchall()
    except duckdb.CatalogException:
        return []  # a warehouse from before the trading marts
    finally:
        con.close()
    return [{"parcel_id": r[0], "vintage": int(r[1]), "scheme_code": r[2],
             "net_removals_t": f"{r[3]:.3f}", "deductions_t": f"{r[4]:.3f}"} for r in rows]


def load_creditable(run_id: str, p: Paths | None = None, url: str | None = None
                    ) -> dict[str, Any]:
    """After publish: load the published creditable tonnes into the ledger (one event for the
    changed rows). Rows the ledger holds from this source that tonight's marts no longer have
    are set to 0. The ledger never lowers a parcel-year below the units issued for it (loss
    reversals included): such rows keep the ledger's value and are reported as ``held_back``
    (the gate has already checked that loss reversals cover the gap)."""
    from sqlalchemy import func, select

    from ledger import Ledger
    from ledger.amounts import kg
    from ledger.schema import creditable, issuance_line
    from sinkwatch import runlog

    p = p or paths()
    with runlog.stage(run_id, "ledger_creditable", p) as rec:
        rows = creditable_rows(p.published)
        led = Ledger.open(url)
        try:
            keys = {(r["parcel_id"], r["vintage"], r["scheme_code"]) for r in rows}
            with led.read() as conn:
                stale = [c for c in conn.execute(select(creditable).where(
                    creditable.c.source == SOURCE))
                    if (c.parcel_id, c.vintage, c.scheme_code) not in keys
                    and (c.net_removals_kg or c.deductions_kg)]
                issued = {(r.parcel_id, r.vintage, r.scheme_code): int(r.n) for r in conn.execute(
                    select(issuance_line.c.parcel_id, issuance_line.c.vintage,
                           issuance_line.c.scheme_code,
                           func.sum(issuance_line.c.quantity).label("n"))
                    .group_by(issuance_line.c.parcel_id, issuance_line.c.vintage,
                              issuance_line.c.scheme_code))}
            rows += [{"parcel_id": c.parcel_id, "vintage": c.vintage,
                      "scheme_code": c.scheme_code, "net_removals_t": "0",
                      "deductions_t": "0"} for c in stale]
            held_back = [r for r in rows if 1000 * issued.get(
                (r["parcel_id"], r["vintage"], r["scheme_code"]), 0)
                > kg(r["net_removals_t"], "floor") - kg(r["deductions_t"], "ceiling")]
            if held_back:
                log.warning("%d parcel-year(s) below the units issued for them keep the ledger's "
                            "creditable tonnes: %s", len(held_back), ", ".join(
                                f"{r['parcel_id']} {r['vintage']}" for r in held_back[:10]))
            rows = [r for r in rows if r not in held_back]
            result = led.load_creditable(rows, source=SOURCE, actor=ACTOR,
                                         reason=f"nightly run {run_id}: published marts")
            result["held_back"] = len(held_back)
        finally:
            led.dispose()
        rec.rows_in = len(rows)
        rec.rows_out = result["inserted"] + result["updated"]
        rec.detail = json.dumps(result)
    return result


# --- the demo's sample transactions -----------------------------------------------------------

DEMO_ACTOR = "demo-officer"
DEMO_TAG = "【示例交易 sample transaction】"


def demo_trades(p: Paths | None = None, url: str | None = None) -> dict[str, Any]:
    """A scripted sequence of officer operations on the sample data, run by ``make demo`` after
    the first nightly run, every reason labelled as a sample transaction: issue the eligible
    projects' creditable units (CCER and LOCAL), open two buyer accounts, three subscriptions,
    two retirements with certificates, and the fire losses on issued project parcels
    (``fct_project_losses``), which cancel buffer units. Refuses to run twice."""
    import duckdb

    from ledger import Ledger

    p = p or paths()
    con = duckdb.connect(str(p.published), read_only=True)
    try:
        issuable = con.execute(
            "select c.project_id, d.project_name, c.scheme_code, c.vintage, "
            "list(c.parcel_id order by c.parcel_id) from fct_parcel_creditable c "
            "join dim_projects d using (project_id) "
            "where c.is_ledger_scheme and c.creditable_units > 0 "
            "group by all order by c.scheme_code, c.project_id, c.vintage").fetchall()
        losses = con.execute(
            "select report_id, parcel_id, year, cause, loss_co2e_t from fct_project_losses "
            "where scheme_code in ('CCER', 'LOCAL') and cause = 'fire' order by year, report_id"
        ).fetchall()
    finally:
        con.close()
    led = Ledger.open(url)
    done: dict[str, Any] = {"issued": [], "subscriptions": [], "retirements": [], "losses": []}
    try:
        with led.read() as conn:
            from sqlalchemy import select

            from ledger.schema import account
            if conn.execute(select(account).where(account.c.account_id == "BAOGANG")).first():
                raise RuntimeError("the demo trades ran already on this ledger")
        for project_id, name, scheme, vintage, parcels in issuable:
            r = led.issue(scheme, vintage, parcels, project=f"{project_id} {name}",
                          actor=DEMO_ACTOR, reason=f"{DEMO_TAG} 签发 {project_id} {vintage}")
            done["issued"].append({k: r[k] for k in ("issuance_id", "scheme_code", "vintage",
                                                     "quantity", "buffer_quantity")})
        for acct, acct_name in (("BAOGANG", "包头钢铁（示例）"),
                                ("MARATHON", "包头马拉松组委会（示例）")):
            led.register_account(acct, acct_name, actor=DEMO_ACTOR, reason=f"{DEMO_TAG} 开户")
        local = sum(r["quantity"] - r["buffer_quantity"] for r in done["issued"]
                    if r["scheme_code"] == "LOCAL")
        if local >= 10:
            plan = [("BAOGANG", max(1, local // 4), "year", "2025年度碳中和", 2025),
                    ("MARATHON", max(1, local // 20), "event", "2025包头马拉松", 2025),
                    ("BAOGANG", max(1, local // 10), "product", "低碳钢材（示例）", 2026)]
            for acct, qty, kind, purpose, year in plan:
                s = led.subscribe(acct, qty, purpose_kind=kind, purpose_name=purpose,
                                  purpose_year=year, actor=DEMO_ACTOR,
                                  reason=f"{DEMO_TAG} 认购合同")
                done["subscriptions"].append({"subscription_id": s["subscription_id"],
                                              "account": acct, "quantity": qty})
            for sub, beneficiary in ((done["subscriptions"][0], "包头钢铁集团（示例）"),
                                     (done["subscriptions"][1], "2025包头马拉松（示例）")):
                r = led.retire(sub["account"], subscription_id=sub["subscription_id"],
                               beneficiary=beneficiary, actor=DEMO_ACTOR,
                               reason=f"{DEMO_TAG} 注销抵消")
                done["retirements"].append({"retirement_id": r["retirement_id"],
                                            "quantity": r["quantity"],
                                            "verification_code": r["verification_code"][:16]})
        issued_parcels = {pc for _, _, _, _, parcels in issuable for pc in parcels}
        for report_id, parcel, year, cause, tonnes in losses:
            if parcel not in issued_parcels:
                continue
            r = led.record_loss(parcel, year, f"{tonnes:.3f}", cause=cause, actor=DEMO_ACTOR,
                                reason=f"{DEMO_TAG} 火灾报告 {report_id}")
            done["losses"].append({"report_id": report_id, "parcel_id": parcel,
                                   "losses": r["losses"]})
    finally:
        led.dispose()
    return done


def add_parser(sub: argparse._SubParsersAction) -> None:
    sp = sub.add_parser("trading", help="the ledger in the nightly run: snapshot, load, demo")
    tsub = sp.add_subparsers(dest="trading_command", required=True)
    a = tsub.add_parser("export-snapshot", help="write the ledger snapshot the build reads")
    a.set_defaults(func=lambda args: _print([str(x) for x in export_snapshot()]))
    a = tsub.add_parser("load-creditable",
                        help="load the published creditable tonnes into the ledger")
    a.add_argument("--run-id", default="manual")
    a.set_defaults(func=lambda args: _print(load_creditable(args.run_id)))
    a = tsub.add_parser("demo-trades", help="SAMPLE transactions for the demo (make demo): "
                        "issue, subscribe, retire, record the fire loss")
    a.set_defaults(func=lambda args: _print(demo_trades()))


def _print(obj: Any) -> int:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))
    return 0
