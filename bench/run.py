"""The benchmark: generate a deterministic dataset, run the whole pipeline on it through the same
functions as the Airflow DAGs, then a nightly incremental run, and measure the same-work floor.

    python -m bench.run [--scale city|medium|small] [--compare small] [--work DIR]
                        [--out bench/results/latest.json]

Every stage runs in its own process (``bench/stage.py``) and is measured from outside: wall
seconds, and peak resident memory from ``os.wait4`` (the largest of the stage process and the
processes it waited for: the dbt subprocess of the build stage counts). Rows per stage come from
the manifests and the built tables. The raw gate runs inside the ingest process (it is part of
ingesting a file), so its time is measured there and reported as its own stage; its peak memory
is the ingest process's.

The floor (issue #17) does the same work as the vegetation-index path, as directly as DuckDB
allows, in one process (``bench/floor.py``: sha256, typed read, the contract's checks with a
reject table, Parquet, staging and the per-parcel statistics). The ratio compared with the target
is the index path of the full run (the family's ingest with its raw gate, from the run log, plus
dbt's time for the same models) / floor.

Then the same full + nightly runs at a second, smaller scale (``--compare``, default ``small``):
the nightly's cost should follow the new data, not the size of the history, so the target is on
nightly(scale) / nightly(compare). The two scales also give each stage a fixed cost and a rate
(a straight line through two points), from which the README projects the province.
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

#: Targets of issue #17 (2 cores, 24 GiB), and #14's alert latency.
TARGETS = {
    "index_path_vs_floor_max_ratio": 2.5,
    "full_run_max_s": 180,
    "nightly_max_s": 30,
    "nightly_vs_compare_max_ratio": 1.5,
    "peak_rss_max_mb": 2048,
    # issue #14: a hotspot file landing -> its alert written (ingest + evaluate, DAG time)
    "alert_latency_max_s": 60,
}
#: The index path's family and the Inner Mongolia / Baotou area ratio of the projection.
INDEX_FAMILY = "vegetation_indices"
PROVINCE_FACTOR = 43


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
    if any("profile" in v for v in info.values()):
        out["profiles"] = {k: v["profile"] for k, v in info.items() if "profile" in v}
    ing = info["ingest"]
    gate_s = ing["raw_gate_s"]
    st = out["stages"]
    st["ingest"] = _figure(ing["wall_s"] - gate_s, ing["rows_received"], ing["rss"]) | {
        "files": ing["files"], "rows_accepted": ing["rows_accepted"], "family_s": ing["family_s"],
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
        "index_nodes_s": b.get("index_nodes_s", {}),
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


def run_floor(csvs: list[Path], work: Path, env: dict[str, str]) -> dict:
    """The same-work floor (bench/floor.py) in its own process, on the index files of the full
    run, checking parcel ids against the parcels the full run accepted."""
    res = work / "logs" / "floor.json"
    parcels = str(work / "home" / "warehouse" / "raw" / "parcels" / "*.parquet")
    wall, rss, code = run_child(["-m", "bench.floor", str(res), parcels, str(work / "floor"),
                                 *map(str, csvs)], env, work / "logs" / "floor.log")
    if code != 0:
        raise RuntimeError(f"floor failed: see {work / 'logs' / 'floor.log'}")
    r = json.loads(res.read_text())
    shutil.rmtree(work / "floor", ignore_errors=True)
    print(f"  floor     {wall:8.1f} s  {rss:8.0f} MB", flush=True)
    return _figure(wall, r["rows_received"], rss) | r | {
        "what": "the vegetation-index path as directly as DuckDB allows, one process "
                "(bench/floor.py): streamed sha256 of every file, typed read_csv with a parse "
                "reject table, the contract's checks as SQL with a reject table and reasons, "
                "accepted rows COPY-ed to Parquet, then from the Parquet the staging table, "
                "the seasonal statistics and the peak NDVI per parcel and year",
    }


def index_path(full: dict) -> dict:
    """The index path of a run: its family's ingest (raw gate included, from the run log)
    plus dbt's execution time of the models the floor builds too (and, apart, their tests)."""
    fam = full["stages"]["ingest"]["family_s"].get(INDEX_FAMILY, 0.0)
    nodes = full["stages"]["dbt_build"]["index_nodes_s"]
    models = sum(v for k, v in nodes.items() if k != "tests")
    return {"ingest_with_raw_gate_s": round(fam, 2), "dbt_models_s": round(models, 2),
            "dbt_tests_s": round(nodes.get("tests", 0.0), 2),
            "wall_s": round(fam + models, 2), "dbt_nodes_s": nodes}


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
    idx = result["index_path"]["wall_s"]
    compare = result.get("compare")
    nightly_ratio = (nightly["total"]["wall_s"] / compare["runs"]["nightly"]["total"]["wall_s"]
                     if compare else None)
    # the pipeline's processes (the floor is a yardstick, reported on its own)
    peak = max(full["total"]["peak_rss_mb"], nightly["total"]["peak_rss_mb"])
    checks = {
        "index_path_vs_floor": (idx / floor if floor else None,
                                TARGETS["index_path_vs_floor_max_ratio"]),
        "full_run_s": (full["total"]["wall_s"], TARGETS["full_run_max_s"]),
        "nightly_s": (nightly["total"]["wall_s"], TARGETS["nightly_max_s"]),
        "nightly_vs_compare": (nightly_ratio, TARGETS["nightly_vs_compare_max_ratio"]),
        "peak_rss_mb": (peak, TARGETS["peak_rss_max_mb"]),
        "alert_latency_s": (result["alerting"]["latency_s"], TARGETS["alert_latency_max_s"]),
    }
    return {k: {"value": round(v, 3) if v is not None else None, "limit": lim,
                "met": v is not None and v <= lim} for k, (v, lim) in checks.items()}


def projection(result: dict, factor: float = PROVINCE_FACTOR) -> dict | None:
    """Each stage's time as a fixed cost plus a rate per index row, a straight line through
    the two measured scales, projected to ``factor`` times the larger scale's data (the
    province: about 43 times Baotou's area, the same density of parcels and plots assumed).
    The stage that breaks first is the one with the largest projected share."""
    compare = result.get("compare")
    if not compare:
        return None
    big, small = result["dataset"], compare["dataset"]
    out: dict = {"factor": factor, "runs": {}}
    for run in ("full", "nightly"):
        key = "vegetation_index_rows" if run == "full" else "nightly_vegetation_index_rows"
        x1, x2 = small[key], big[key]
        stages = {}
        for st in STAGES:
            y1 = compare["runs"][run]["stages"][st]["wall_s"]
            y2 = result["runs"][run]["stages"][st]["wall_s"]
            m1 = compare["runs"][run]["stages"][st]["peak_rss_mb"]
            m2 = result["runs"][run]["stages"][st]["peak_rss_mb"]
            rate = max((y2 - y1) / (x2 - x1), 0.0) if x2 != x1 else 0.0
            mrate = max((m2 - m1) / (x2 - x1), 0.0) if x2 != x1 else 0.0
            fixed = max(y2 - rate * x2, 0.0)
            stages[st] = {"fixed_s": round(fixed, 2), "s_per_million_rows": round(rate * 1e6, 3),
                          "projected_s": round(fixed + rate * x2 * factor, 1),
                          "projected_peak_rss_mb": round(m2 + mrate * x2 * (factor - 1))}
        total = sum(v["projected_s"] for v in stages.values())
        first = max(stages, key=lambda k: stages[k]["projected_s"])
        out["runs"][run] = {"rows": x2 * factor, "stages": stages,
                            "projected_total_s": round(total, 1), "largest_stage": first,
                            "largest_peak_rss_mb": max(v["projected_peak_rss_mb"]
                                                       for v in stages.values())}
    return out


def bench_scale(scale: str, work: Path, regenerate: bool, alerts: bool = True) -> dict:
    """Generate (or reuse) the dataset of ``scale`` in ``work``; full run, floor, nightly run
    and (``alerts``) the alert latency."""
    data = work / "data"
    marker = data / "dataset.json"
    stale = not marker.exists() or json.loads(marker.read_text())["scale"] != scale
    if regenerate or stale:
        shutil.rmtree(data, ignore_errors=True)
        print(f"generating the {scale} dataset in {data}", flush=True)
        # in a child process: on Linux a child's ru_maxrss starts from its parent's peak at
        # fork, so generating the city dataset here (2.7 GB) would show as every stage's peak
        work.mkdir(parents=True, exist_ok=True)
        _, _, code = run_child(["-m", "bench.generate", str(data), "--scale", scale],
                               dict(os.environ, PYTHONPATH=str(REPO)), work / "generate.log")
        if code:
            raise RuntimeError(f"dataset generation failed: see {work / 'generate.log'}")
    dataset = json.loads(marker.read_text())
    print(f"dataset {scale}: {dataset['parcels']} parcels, {dataset['vegetation_index_rows']} "
          f"index rows (+{dataset['nightly_vegetation_index_rows']} tonight)", flush=True)

    sw_home = work / "home"
    shutil.rmtree(sw_home, ignore_errors=True)
    shutil.rmtree(work / "logs", ignore_errors=True)
    (work / "logs").mkdir(parents=True)
    env = dict(os.environ, SINKWATCH_HOME=str(sw_home), PYTHONPATH=str(REPO))
    env.setdefault("SINKWATCH_FRESHNESS_DAYS", "45")
    # the generated files are complete when landed: no settle wait (ingestion/landing.py)
    env.setdefault("SINKWATCH_SETTLE_SECONDS", "0")

    _land(data / "full", sw_home / "landing")
    full = run_pipeline(f"bench_full_{scale}", env, work, full_refresh=True)
    floor = run_floor(sorted((data / "full" / INDEX_FAMILY).glob("*.csv")), work, env)
    _land(data / "nightly", sw_home / "landing")
    nightly = run_pipeline(f"bench_nightly_{scale}", env, work, full_refresh=False)
    out = {"scale": scale, "dataset": dataset, "floor": floor,
           "runs": {"full": full, "nightly": nightly}, "index_path": index_path(full)}
    if alerts:
        out["alerting"] = run_alerting(env, work)
    return out


def main(argv: list[str] | None = None) -> dict:
    from bench import generate

    ap = argparse.ArgumentParser(description="sinkwatch benchmark (issues #7, #14, #17)")
    ap.add_argument("--scale", choices=sorted(generate.SCALES), default="city")
    ap.add_argument("--compare", choices=[*sorted(generate.SCALES), "none"], default="small",
                    help="second scale for the nightly ratio and the projection (none: skip)")
    ap.add_argument("--work", type=Path, default=None,
                    help="work folder (default: $SINKWATCH_HOME/bench); one subfolder per scale")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "latest.json")
    ap.add_argument("--regenerate", action="store_true", help="rewrite the datasets")
    ap.add_argument("--profile", action="store_true",
                    help="run every stage under cProfile (slower: for where the time goes, not "
                         "for the figures); profiles in <work>/<scale>/profile/")
    args = ap.parse_args(argv)

    home = Path(os.environ.get("SINKWATCH_HOME", REPO / "var")).resolve()
    base = (args.work or home / "bench").resolve()
    t_start = time.perf_counter()
    started = datetime.now(UTC)
    machine = _machine()
    result: dict = {"issue": 17, "started_at": started.isoformat(timespec="seconds"),
                    "machine": machine}
    if args.profile:
        os.environ["SINKWATCH_BENCH_PROFILE"] = str(base / args.scale / "profile")
        result["profiled"] = True
    result |= bench_scale(args.scale, base / args.scale, args.regenerate)
    if args.compare not in ("none", args.scale):
        c = bench_scale(args.compare, base / args.compare, args.regenerate, alerts=False)
        result["compare"] = {k: c[k] for k in ("scale", "dataset", "floor", "runs",
                                                "index_path")}
    result["ratio_index_path_to_floor"] = round(
        result["index_path"]["wall_s"] / result["floor"]["wall_s"], 2)
    result["targets"] = targets(result)
    result["projection"] = projection(result)
    result["bench_wall_s"] = round(time.perf_counter() - t_start, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    _print_summary(result, args.out)
    return result


def _print_summary(r: dict, out: Path) -> None:
    from bench.summary import markdown

    print("\n" + markdown(r))
    print(f"written to {out} ({r['bench_wall_s']} s in all)")


if __name__ == "__main__":
    main()
