"""One pipeline stage in its own process, so that the benchmark can read its wall time and peak
resident memory (``os.wait4``: the process and every child it waited for, dbt included).

    python -m bench.stage <stage> <run_id> <result.json> [--full-refresh]

Stages call the same functions as the Airflow tasks (:mod:`orchestration.pipeline`). The result file
gets the stage's own figures (rows, and for ``ingest`` the time spent in the raw gate).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    """Run the stage; with ``SINKWATCH_BENCH_PROFILE=<dir>`` under cProfile (imports included),
    writing ``<dir>/<run_id>.<stage>.prof`` and a summary into the result file."""
    profile_dir = os.environ.get("SINKWATCH_BENCH_PROFILE")
    if not profile_dir:
        _stage(argv)
        return
    import cProfile

    prof = cProfile.Profile()
    prof.enable()
    try:
        _stage(argv)
    finally:
        prof.disable()
        dest = Path(profile_dir) / f"{argv[1]}.{argv[0]}.prof"
        dest.parent.mkdir(parents=True, exist_ok=True)
        prof.dump_stats(dest)
    out = Path(argv[2])
    out.write_text(json.dumps(json.loads(out.read_text()) | {"profile": summarise(dest)}))


def summarise(prof: Path, top: int = 15) -> dict:
    """The profile in figures: total, time in imports (``_find_and_load``, outermost calls),
    and the functions with the largest cumulative time that are ours or a library's entry
    points (file:line function)."""
    import pstats

    st = pstats.Stats(str(prof))
    total = st.total_tt
    imports = sum(v[3] for k, v in st.stats.items() if k[2] == "_find_and_load")
    rows = sorted(((v[3], v[2], f"{Path(k[0]).name}:{k[1]} {k[2]}") for k, v in st.stats.items()
                   if "importlib" not in k[0] and k[0] != "~"), reverse=True)
    return {"total_s": round(total, 2), "imports_s": round(imports, 2),
            "top_cumulative": [{"function": name, "cum_s": round(cum, 2), "self_s": round(own, 2)}
                               for cum, own, name in rows[:top]]}


def _stage(argv: list[str]) -> None:
    stage, run_id, out = argv[0], argv[1], Path(argv[2])
    full_refresh = "--full-refresh" in argv
    from orchestration import pipeline
    from sinkwatch.config import paths

    p = paths()
    t0 = time.perf_counter()
    info: dict = {"stage": stage, "run_id": run_id}
    if stage == "ingest":
        from ingestion import loader
        from sinkwatch.contracts import INGEST_ORDER

        rows = pipeline.ingest(INGEST_ORDER, run_id=run_id, p=p)  # as pipeline.run_all
        info.update(
            files=len(rows),
            rows_received=sum(r.rows_received for r in rows),
            rows_accepted=sum(r.rows_accepted for r in rows),
            rows_quarantined=sum(r.rows_quarantined for r in rows),
            statuses=sorted({f"{r.family}:{r.status}" for r in rows}),
            raw_gate_s=round(sum(g["seconds"] for g in loader.GATE_TIMINGS), 3),
            raw_gate_rows=sum(g["rows"] for g in loader.GATE_TIMINGS),
            raw_gate=loader.GATE_TIMINGS,
            by_family={},
        )
        for r in rows:
            fam = info["by_family"].setdefault(r.family, {"files": 0, "rows": 0})
            fam["files"] += 1
            fam["rows"] += r.rows_received
        info["family_s"] = _family_seconds(run_id, p)
    elif stage == "build":
        db = pipeline.build(run_id, full_refresh=full_refresh, p=p)
        info.update(pipeline.build_stats(db, p))
        info["index_nodes_s"] = _node_seconds(p, INDEX_MODELS)
    elif stage == "gate":
        results = pipeline.gate(run_id, p=p)
        info.update(suites=len(results), passed=sum(r.passed for r in results),
                    rows=pipeline.gated_rows(pipeline.build_path(run_id, p)))
    elif stage == "publish":
        db = pipeline.publish(run_id, p=p)
        info.update(rows=pipeline.gated_rows(db))
    elif stage == "dashboard":
        site = pipeline.refresh_dashboard(run_id, p=p)
        info.update(site=str(site), rows=pipeline.gated_rows(p.published),
                    files=sum(1 for f in Path(site).resolve().rglob("*") if f.is_file()))
    elif stage == "alerts":
        info.update(alert_latency(run_id, p))
    else:
        raise SystemExit(f"unknown stage {stage!r}")
    info["inner_s"] = round(time.perf_counter() - t0, 3)
    out.write_text(json.dumps(info, default=str))


#: The dbt models of the vegetation-index path that the same-work floor (bench/floor.py) does
#: too: the staging table and the per-parcel statistics the marts use.
INDEX_MODELS = ("stg_rs__vegetation_indices", "qa_vegetation_index_seasons",
                "int_parcel_peak_ndvi")


def _node_seconds(p, models: tuple[str, ...]) -> dict[str, float]:
    """dbt's execution time of each named model and of the tests attached to them
    (``tests``), from the build's run_results.json."""
    rr = json.loads((p.dbt / "target" / "run_results.json").read_text())
    out: dict[str, float] = {"tests": 0.0}
    for r in rr.get("results", []):
        uid, sec = r["unique_id"], r.get("execution_time", 0.0)
        name = uid.split(".")[-1]
        if uid.startswith("model.") and name in models:
            out[name] = round(sec, 3)
        elif uid.startswith("test.") and any(f"_{m}_" in uid or uid.endswith(f"_{m}")
                                              for m in models):
            out["tests"] = round(out["tests"] + sec, 3)
    return out


def _family_seconds(run_id: str, p) -> dict[str, float]:
    """Wall seconds of each family's ingest (its raw gate included), from the run log."""
    import duckdb

    from sinkwatch import runlog

    con = duckdb.connect()
    try:
        rows = con.execute(
            "select stage, duration_s from read_parquet(?) where run_id = ? and stage like "
            "'ingest:%' and status = 'succeeded'", [runlog.glob_pattern(p), run_id]).fetchall()
    finally:
        con.close()
    return {stage.split(":", 1)[1]: round(s, 3) for stage, s in rows}


#: The families of ingest_disturbances: its ingest tasks, then evaluate_alerts.
DISTURBANCES = ["fire_hotspots", "fire_reports", "pest_reports"]


def alert_latency(run_id: str, p) -> dict:
    """Issue #14: a FIRMS NRT file with one detection inside a forest development zone lands
    (dated 3 days after the newest detection); the ``ingest_disturbances`` run that finds it
    ingests its families and evaluates the alerts
    (the same functions as its tasks, one after the other, in this process). Latency: from the
    file landing to its alert's ``first_seen_at`` in the store (wall clock; the wait for the
    next 30-minute run and Airflow's task start-up come on top). Then the cost of the alerting
    step in a run with nothing new (every 30 minutes, most runs)."""
    from datetime import UTC, datetime, timedelta

    import duckdb
    import sqlalchemy as sa

    from monitoring import fire_events, store
    from orchestration import alerting, pipeline

    parcels = sorted(str(f) for f in (p.raw / "parcels").glob("*.parquet"))
    con = duckdb.connect()
    try:
        lon, lat, zone = con.execute(
            "select centroid_lon, centroid_lat, zone_id from read_parquet(?, union_by_name = "
            "true) where land_class = 'forest' and zone_id is not null order by parcel_id "
            "limit 1", [parcels]).fetchone()
        last = con.execute(
            "select max(acq_date) from read_parquet(?, union_by_name = true)",
            [sorted(str(f) for f in (p.raw / "fire_hotspots").glob("*.parquet"))]).fetchone()[0]
    finally:
        con.close()
    # the pipeline stages ran no evaluator: the run before this one catches up (its alerts are
    # not this file's), as every 30-minute run does in operation
    alerting.run(DISTURBANCES, run_id=f"{run_id}_before", p=p)
    day = (last + timedelta(days=3)).isoformat()  # a new fire: no earlier detection links to it
    src = p.landing_for("fire_hotspots") / f"fire_nrt_SV-C2_bench_{day}.csv"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text("latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,"
                   "instrument,confidence,version,bright_ti5,frp,daynight\n"
                   f"{lat:.5f},{lon:.5f},345.2,0.41,0.39,{day},0531,N,VIIRS,n,2.0NRT,292.1,"
                   "23.5,D\n")
    landed = datetime.now(UTC)
    t0 = time.perf_counter()
    pipeline.ingest(DISTURBANCES, run_id=run_id, p=p)
    t1 = time.perf_counter()
    figures = alerting.run(DISTURBANCES, run_id=run_id, p=p)
    t2 = time.perf_counter()
    with store.engine().connect() as con:
        first_seen = con.execute(
            sa.select(store.alerts.c.first_seen_at).join(
                store.alert_changes, store.alerts.c.alert_id == store.alert_changes.c.alert_id)
            .where(store.alert_changes.c.changed_by == run_id,
                   store.alert_changes.c.change == "opened")).scalars().all()
    t3 = time.perf_counter()
    steady = alerting.run(DISTURBANCES, run_id=f"{run_id}_next", p=p)
    t4 = time.perf_counter()
    seen = [t if t.tzinfo else t.replace(tzinfo=UTC) for t in first_seen]  # SQLite: naive UTC
    latency = (min(seen) - landed).total_seconds() if seen else None
    evaluated = fire_events.read_snapshot(p, "fire_detections")
    return {
        "zone_id": zone, "alerts_opened": len(first_seen),
        "latency_s": round(latency, 2) if latency is not None else None,
        "ingest_s": round(t1 - t0, 3), "alerting_s": round(t2 - t1, 3),
        "alerting_steady_s": round(t4 - t3, 3), "evaluators": figures["evaluators"],
        "evaluators_steady": steady["evaluators"],
        "detections": len(evaluated), "masked": int(evaluated["is_masked"].sum()),
        "events": len(fire_events.read_snapshot(p, "fire_events")),
    }


if __name__ == "__main__":
    main(sys.argv[1:])
