"""A benchmark result as Markdown (the README's figures are generated from it):

    python -m bench.summary [bench/results/latest.json]            # print
    python -m bench.summary [bench/results/latest.json] --readme README.md
                                      # rewrite the block between the bench markers in README.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.run import STAGES

START = "<!-- bench:start (python -m bench.summary --readme README.md) -->"
END = "<!-- bench:end -->"


def _stage_table(r: dict) -> list[str]:
    f, n = r["runs"]["full"], r["runs"]["nightly"]
    out = [
        "| stage | full: s | rows | rows/s | peak MB | nightly: s | rows | rows/s | peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in (*STAGES, "total"):
        a = f["total"] if s == "total" else f["stages"][s]
        b = n["total"] if s == "total" else n["stages"][s]
        out.append(
            f"| {s} | {a['wall_s']:.1f} | {a['rows'] or 0:,} | {a['rows_per_s'] or 0:,} | "
            f"{a['peak_rss_mb']:.0f} | {b['wall_s']:.1f} | {b['rows'] or 0:,} | "
            f"{b['rows_per_s'] or 0:,} | {b['peak_rss_mb']:.0f} |")
    return out


def _floor(r: dict) -> list[str]:
    fl, ix = r["floor"], r["index_path"]
    return [
        f"Index path (full run) {ix['wall_s']:.1f} s = the family's ingest with its raw gate "
        f"{ix['ingest_with_raw_gate_s']:.1f} s + dbt's models {ix['dbt_models_s']:.1f} s "
        f"(" + ", ".join(f"`{k}` {v:.1f} s" for k, v in ix["dbt_nodes_s"].items()
                         if k != "tests") + f"; their tests, not counted, "
        f"{ix['dbt_tests_s']:.1f} s). Same-work floor {fl['wall_s']:.1f} s (process wall; "
        f"sha256 {fl['sha256_s']:.1f} s, read and checks {fl['read_check_s']:.1f} s, Parquet "
        f"{fl['copy_parquet_s']:.1f} s, staging and statistics {fl['staging_stats_s']:.1f} s; "
        f"{fl['rows_received']:,} rows, {fl['rows_rejected']:,} rejected, peak "
        f"{fl['peak_rss_mb']:.0f} MB): ratio **{r['ratio_index_path_to_floor']}**.",
    ]


def _projection(r: dict) -> list[str]:
    pr = r.get("projection")
    if not pr:
        return []
    out = ["", f"Projection to {pr['factor']}x the data (Inner Mongolia, from the two scales: "
           "each stage a fixed cost plus a rate per index row):", "",
           "| stage | full: fixed s | s per M rows | projected s | projected peak MB | "
           "nightly: fixed s | s per M rows | projected s |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    f, n = pr["runs"]["full"], pr["runs"]["nightly"]
    for s in STAGES:
        a, b = f["stages"][s], n["stages"][s]
        out.append(f"| {s} | {a['fixed_s']} | {a['s_per_million_rows']} | {a['projected_s']} | "
                   f"{a['projected_peak_rss_mb']} | {b['fixed_s']} | {b['s_per_million_rows']} "
                   f"| {b['projected_s']} |")
    out.append(f"| total | | | {f['projected_total_s']} | {f['largest_peak_rss_mb']} | | | "
               f"{n['projected_total_s']} |")
    out += ["", f"Largest stage at province scale: full run `{f['largest_stage']}`, nightly "
            f"`{n['largest_stage']}`."]
    return out


def markdown(r: dict) -> str:
    d, m = r["dataset"], r["machine"]
    out = [
        f"Scale `{r['scale']}` ({d['parcels']:,} parcels, {d['vegetation_index_rows']:,} index "
        f"rows, +{d['nightly_vegetation_index_rows']:,} tonight), {m['cpus']} cores, "
        f"{m['mem_gib']} GiB, load average at start {m.get('load_avg_at_start')}, run "
        f"{r['started_at']}, {r['bench_wall_s']:.0f} s in all:",
        "",
        *_stage_table(r),
        "",
        *_floor(r),
    ]
    c = r.get("compare")
    if c:
        cd = c["dataset"]
        out += ["", f"Second scale `{c['scale']}` ({cd['parcels']:,} parcels, "
                f"{cd['vegetation_index_rows']:,} index rows, "
                f"+{cd['nightly_vegetation_index_rows']:,} tonight):", "", *_stage_table(c)]
    out += ["", "| target | measured | limit | met |", "|---|---:|---:|---|"]
    for k, t in r["targets"].items():
        out.append(f"| {k} | {t['value']} | {t['limit']} | {'yes' if t['met'] else '**no**'} |")
    a = r.get("alerting")
    if a:
        out += ["", f"Alerting (issue #14): a hotspot file landing -> its alert written in "
                f"{a['latency_s']} s (ingest {a['ingest_s']} s, alerting step "
                f"{a['alerting_s']} s); the alerting step of a run with nothing new "
                f"{a['alerting_steady_s']} s, over {a['detections']:,} detections "
                f"({a['masked']:,} masked) and {a['events']:,} events."]
    out += _projection(r)
    return "\n".join(out)


def rewrite_readme(readme: Path, r: dict) -> None:
    """Replace the text between the bench markers with :func:`markdown` of ``r``."""
    text = readme.read_text()
    a, b = text.index(START), text.index(END)
    readme.write_text(text[:a + len(START)] + "\n" + markdown(r) + "\n" + text[b:])


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--readme"]
    readme = None
    if "--readme" in sys.argv:
        readme = Path(sys.argv[sys.argv.index("--readme") + 1])
        args.remove(str(readme))
    path = Path(args[0] if args else "bench/results/latest.json")
    result = json.loads(path.read_text())
    if readme:
        rewrite_readme(readme, result)
    else:
        print(markdown(result))
