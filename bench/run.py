"""The benchmark: generate a deterministic dataset, run the whole pipeline on it through the same
functions as the Airflow DAGs, then a nightly incremental run, and measure the DuckDB floor.

    python -m bench.run [--scale city|medium|small] [--work DIR] [--out bench/results/latest.json]

Every stage runs in its own process (``bench/stage.py``) and is measured from outside: wall
seconds, and peak resident memory from ``os.wait4`` (the largest of the stage process and the
processes it waited for: the dbt subprocess of the build stage counts). Rows per stage come from
the manifests and the built tables. The raw gate runs inside the ingest process (it is part of
ingesting a file), so its time is measured there and reported as its own stage; its peak memory
is the ingest process's.

The floor is DuckDB alone, in its own process: ``read_csv`` of the same index CSVs into a table,
then the per-parcel seasonal NDVI statistics the marts compute (``qa_vegetation_index_seasons``
plus the seasonal mean and peak NDVI). The ratio compared with the targets is
(ingest + raw gate + dbt build of the full run) / floor.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STAGES = ("ingest", "raw_gate", "dbt_build", "mart_gate", "publish", "dashboard")

#: Targets of issue #7 (2 cores, 24 GiB).
TARGETS = {
    "ingest_dbt_vs_floor_max_ratio": 3.0,
    "full_run_max_s": 15 * 60,
    "nightly_vs_full_max_ratio": 0.15,
    "nightly_max_s": 120,
    "peak_rss_max_mb": 4096,
    # issue #14: a hotspot file landing -> its alert written (ingest + evaluate, DAG time)
    "alert_latency_max_s": 60,
}


def _rss_mb(ru) -> float:
    return round(ru.ru_maxrss / 1024.0, 1)  # Linux: kilobytes


def run_child(args: list[str], env: dict[str, str], log: Path) -> tuple[float, float, int]:
    """Run ``python <args>`` and return (wall seconds, peak RSS MB, exit code)."""
    t0 = time.perf_counter()
    with log.open("ab") as fh:
        proc = subprocess.Popen([sys.executable, *args], cwd=REPO, env=env, stdout=fh,
                                stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t0, _rss_mb(ru), proc.returncode


def _figure(wall: float, rows: int | None, rss: float | None) -> dict:
    return {
        "wall_s": round(wall, 2),
        "rows": rows,
        "rows_per_s": round(rows / wall) if rows and wall > 0 else None,
        "peak_rss_mb": rss,
    }


def run_pipeline(run_id: str, env: dict[str, str], work: Path, full_refresh: bool) -> dict:
    """ingest -> dbt build -> mart gate -> publish -> dashboard, one process per stage."""
    log = work / "logs" / f"{run_id}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    out: dict = {"run_id": run_id, "full_refresh": full_refresh, "stages": {}}
    info: dict[str, dict] = {}
    for stage in ("ingest", "build", "gate", "publish", "dashboard"):
        res = work / "logs" / f"{run_id}.{stage}.json"
        args = ["-m", "bench.stage", stage, run_id, str(res)]
        if stage == "build" and full_refresh:
            args.append("--full-refresh")
        wall, rss, code = run_child(args, env, log)
        if code != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
            raise RuntimeError(f"stage {stage} of {run_id} failed (exit {code}); {log}:\n{tail}")
        info[stage] = json.loads(res.read_text()) | {"wall_s": wall, "rss": rss}
        print(f"  {run_id} {stage:9s} {wall:8.1f} s  {rss:8.0f} MB", flush=True)
    ing = info["ingest"]
    gate_s = ing["raw_gate_s"]
    st = out["stages"]
    st["ingest"] = _figure(ing["wall_s"] - gate_s, ing["rows_received"], ing["rss"]) | {
        "files": ing["files"], "rows_accepted": ing["rows_accepted"],
        "rows_quarantined": ing["rows_quarantined"], "by_family": ing["by_family"],
        "note": "wall excludes the raw gate, which runs in the same process",
    }
    st["raw_gate"] = _figure(gate_s, ing["raw_gate_rows"], ing["rss"]) | {
        "files": len(ing["raw_gate"]),
        "sql_files": sum(g["engine"] == "sql" for g in ing["raw_gate"]),
        "note": "inside the ingest process: peak RSS is the ingest process's",
    }
    b = info["build"]
    st["dbt_build"] = _figure(b["wall_s"], ing["rows_accepted"], b["rss"]) | {
        "rows_note": "raw rows new in this run (what the build had to take in)",
        "rows_out": b["rows_out"], "dbt_elapsed_s": b.get("dbt_elapsed_s"),
        "dbt_nodes": b.get("dbt_nodes"), "dbt_slowest": b.get("dbt_slowest"),
        "vegetation_index_rows": b["table_rows"].get("stg_rs__vegetation_indices"),
    }
    g = info["gate"]
    st["mart_gate"] = _figure(g["wall_s"], g["rows"], g["rss"]) | {
        "suites": g["suites"], "passed": g["passed"]}
    st["publish"] = _figure(info["publish"]["wall_s"], info["publish"]["rows"],
                            info["publish"]["rss"])
    d = info["dashboard"]
    st["dashboard"] = _figure(d["wall_s"], d["rows"], d["rss"]) | {"files": d["files"]}
    total = sum(st[s]["wall_s"] for s in STAGES)
    out["total"] = _figure(total, ing["rows_received"], max(st[s]["peak_rss_mb"] for s in STAGES))
    out["ingest_plus_dbt_s"] = round(st["ingest"]["wall_s"] + st["raw_gate"]["wall_s"]
                                     + st["dbt_build"]["wall_s"], 2)
    return out


FLOOR_SQL = """
create or replace table vi as
select * from read_csv({files}, header = true,
    columns = {{'parcel_id': 'varchar', 'date': 'date', 'ndvi': 'double', 'evi': 'double',
               'quality': 'integer'}});
create or replace table vi_seasons as
select
    parcel_id,
    year(date) as composite_year,
    case when month(date) in (3, 4, 5) then 'spring' when month(date) in (6, 7, 8) then 'summer'
         when month(date) in (9, 10, 11) then 'autumn' else 'winter' end as season,
    count(*) as n_composites,
    round(avg(case when quality in (2, 3) then 1.0 else 0.0 end), 4) as snow_cloud_share,
    avg(ndvi) filter (where quality = 0) as mean_ndvi,
    max(ndvi) filter (where quality = 0) as peak_ndvi,
    max(date) as newest_composite_date
from vi
group by all;
"""

FLOOR_SCRIPT = """
import json, sys, time, duckdb
files, db, out = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
load, stats = [q for q in {sql!r}.split(';') if q.strip()]
con = duckdb.connect(db)
t0 = time.perf_counter(); con.execute(load.format(files=files)); t1 = time.perf_counter()
con.execute(stats); t2 = time.perf_counter()
rows = con.execute('select count(*) from vi').fetchone()[0]
groups = con.execute('select count(*) from vi_seasons').fetchone()[0]
con.close()
json.dump({{'load_s': t1 - t0, 'stats_s': t2 - t1, 'rows': rows, 'groups': groups}},
          open(out, 'w'))
"""


def run_floor(csvs: list[Path], work: Path, env: dict[str, str]) -> dict:
    db = work / "floor.duckdb"
    db.unlink(missing_ok=True)
    res = work / "logs" / "floor.json"
    script = FLOOR_SCRIPT.format(sql=FLOOR_SQL)
    files = json.dumps([str(p) for p in csvs])
    wall, rss, code = run_child(["-c", script, files, str(db), str(res)], env,
                                work / "logs" / "floor.log")
    if code != 0:
        raise RuntimeError(f"floor failed: see {work / 'logs' / 'floor.log'}")
    r = json.loads(res.read_text())
    db.unlink(missing_ok=True)
    print(f"  floor     {wall:8.1f} s  {rss:8.0f} MB", flush=True)
    return _figure(wall, r["rows"], rss) | {
        "load_s": round(r["load_s"], 2), "stats_s": round(r["stats_s"], 2),
        "season_groups": r["groups"],
        "what": "DuckDB alone: read_csv of the same index CSVs into a table, then per-parcel "
                "seasonal NDVI statistics (count, snow/cloud share, mean and peak NDVI)",
    }


def run_alerting(env: dict[str, str], work: Path) -> dict:
    """Issue #14: alert latency (a hotspot file landing -> its alert written) and the cost of
    the alerting step per ingest_disturbances run, after the nightly run (bench/stage.py)."""
    res = work / "logs" / "bench_alerts.alerts.json"
    wall, rss, code = run_child(["-m", "bench.stage", "alerts", "bench_alerts", str(res)], env,
                                work / "logs" / "bench_alerts.log")
    if code != 0:
        raise RuntimeError(f"alerting stage failed: see {work / 'logs' / 'bench_alerts.log'}")
    r = json.loads(res.read_text())
    print(f"  alerts    {wall:8.1f} s  {rss:8.0f} MB  (latency {r['latency_s']} s, alerting "
          f"step {r['alerting_s']} s, with nothing new {r['alerting_steady_s']} s)", flush=True)
    return {k: v for k, v in r.items() if k not in ("stage", "run_id")} | {
        "stage_wall_s": round(wall, 2), "peak_rss_mb": rss,
        "what": "one FIRMS NRT file with a detection in a forest zone lands; the functions of "
                "ingest_disturbances (ingest of its 3 families, then evaluate_alerts) run in "
                "one process; latency = alert first_seen_at - file landing (the wait for the "
                "next 30-minute run and Airflow task start-up come on top); alerting_steady_s = "
                "the alerting step of a run with nothing new",
    }


def _land(src: Path, landing: Path) -> int:
    """Put the files of ``src/<family>/`` into the landing folders (hard links: ingestion removes
    what it has read from landing, the dataset stays)."""
    n = 0
    for f in sorted(src.rglob("*")):
        if f.is_file():
            dest = landing / f.parent.name / f.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(f, dest)
            except OSError:
                shutil.copy2(f, dest)
            n += 1
    return n


def _machine() -> dict:
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpus": os.cpu_count(), "mem_gib": mem, "python": platform.python_version(),
            "load_avg_at_start": [round(x, 2) for x in load] if load else None}


def targets(result: dict) -> dict:
    full, nightly = result["runs"]["full"], result["runs"]["nightly"]
    floor = result["floor"]["wall_s"]
    ratio = full["ingest_plus_dbt_s"] / floor if floor else None
    nightly_ratio = nightly["total"]["wall_s"] / full["total"]["wall_s"]
    # the pipeline's processes (the floor is a yardstick, reported on its own)
    peak = max(full["total"]["peak_rss_mb"], nightly["total"]["peak_rss_mb"])
    checks = {
        "ingest_dbt_vs_floor": (ratio, TARGETS["ingest_dbt_vs_floor_max_ratio"]),
        "full_run_s": (full["total"]["wall_s"], TARGETS["full_run_max_s"]),
        "nightly_vs_full": (nightly_ratio, TARGETS["nightly_vs_full_max_ratio"]),
        "nightly_s": (nightly["total"]["wall_s"], TARGETS["nightly_max_s"]),
        "peak_rss_mb": (peak, TARGETS["peak_rss_max_mb"]),
        "alert_latency_s": (result["alerting"]["latency_s"], TARGETS["alert_latency_max_s"]),
    }
    return {k: {"value": round(v, 3) if v is not None else None, "limit": lim,
                "met": v is not None and v <= lim} for k, (v, lim) in checks.items()}


def main(argv: list[str] | None = None) -> dict:
    from bench import generate

    ap = argparse.ArgumentParser(description="sinkwatch benchmark (issue #7)")
    ap.add_argument("--scale", choices=sorted(generate.SCALES), default="city")
    ap.add_argument("--work", type=Path, default=None,
                    help="work folder (default: $SINKWATCH_HOME/bench/<scale>)")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "latest.json")
    ap.add_argument("--regenerate", action="store_true", help="rewrite the dataset")
    args = ap.parse_args(argv)

    home = Path(os.environ.get("SINKWATCH_HOME", REPO / "var")).resolve()
    work = (args.work or home / "bench" / args.scale).resolve()
    data = work / "data"
    t_start = time.perf_counter()
    started = datetime.now(UTC)
    machine = _machine()
    marker = data / "dataset.json"
    stale = not marker.exists() or json.loads(marker.read_text())["scale"] != args.scale
    if args.regenerate or stale:
        shutil.rmtree(data, ignore_errors=True)
        print(f"generating the {args.scale} dataset in {data}", flush=True)
        generate.generate(data, args.scale)
    dataset = json.loads(marker.read_text())
    print(f"dataset: {dataset['parcels']} parcels, {dataset['vegetation_index_rows']} index rows "
          f"(+{dataset['nightly_vegetation_index_rows']} tonight)", flush=True)

    sw_home = work / "home"
    shutil.rmtree(sw_home, ignore_errors=True)
    shutil.rmtree(work / "logs", ignore_errors=True)
    (work / "logs").mkdir(parents=True)
    env = dict(os.environ, SINKWATCH_HOME=str(sw_home), PYTHONPATH=str(REPO))
    env.setdefault("SINKWATCH_FRESHNESS_DAYS", "45")
    # the generated files are complete when landed: no settle wait (ingestion/landing.py)
    env.setdefault("SINKWATCH_SETTLE_SECONDS", "0")

    floor = run_floor(sorted((data / "full" / "vegetation_indices").glob("*.csv")), work, env)
    _land(data / "full", sw_home / "landing")
    full = run_pipeline("bench_full", env, work, full_refresh=True)
    _land(data / "nightly", sw_home / "landing")
    nightly = run_pipeline("bench_nightly", env, work, full_refresh=False)
    alerting = run_alerting(env, work)

    result = {
        "issue": 7,
        "scale": args.scale,
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine,
        "dataset": dataset,
        "floor": floor,
        "runs": {"full": full, "nightly": nightly},
        "alerting": alerting,
    }
    result["ratio_ingest_dbt_to_floor"] = round(full["ingest_plus_dbt_s"] / floor["wall_s"], 2)
    result["nightly_vs_full"] = round(nightly["total"]["wall_s"] / full["total"]["wall_s"], 3)
    result["targets"] = targets(result)
    result["bench_wall_s"] = round(time.perf_counter() - t_start, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    _print_summary(result, args.out)
    return result


def _print_summary(r: dict, out: Path) -> None:
    print(f"\nsinkwatch bench, scale {r['scale']}: {r['dataset']['parcels']} parcels, "
          f"{r['dataset']['vegetation_index_rows']:,} index rows")
    print(f"{'stage':12s} {'full s':>9s} {'rows/s':>11s} {'MB':>7s}   {'nightly s':>9s} "
          f"{'rows/s':>9s} {'MB':>7s}")
    f, n = r["runs"]["full"], r["runs"]["nightly"]
    for s in (*STAGES, "total"):
        a = f["total"] if s == "total" else f["stages"][s]
        b = n["total"] if s == "total" else n["stages"][s]
        print(f"{s:12s} {a['wall_s']:9.1f} {a['rows_per_s'] or 0:11,} {a['peak_rss_mb']:7.0f}   "
              f"{b['wall_s']:9.1f} {b['rows_per_s'] or 0:9,} {b['peak_rss_mb']:7.0f}")
    fl = r["floor"]
    print(f"{'floor':12s} {fl['wall_s']:9.1f} {fl['rows_per_s'] or 0:11,} {fl['peak_rss_mb']:7.0f}"
          f"   (ingest+dbt / floor = {r['ratio_ingest_dbt_to_floor']})")
    for k, t in r["targets"].items():
        print(f"  target {k:22s} {t['value']!s:>10s} <= {t['limit']!s:<6s} "
              f"{'met' if t['met'] else 'NOT MET'}")
    a = r["alerting"]
    print(f"alerting: hotspot file -> alert {a['latency_s']} s (ingest {a['ingest_s']} s, "
          f"alerting step {a['alerting_s']} s; with nothing new {a['alerting_steady_s']} s) "
          f"over {a['detections']:,} detections, {a['events']:,} events")
    print(f"written to {out} ({r['bench_wall_s']} s in all)")


if __name__ == "__main__":
    main()
