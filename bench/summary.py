"""A benchmark result as a Markdown table (for the README):
``python -m bench.summary [bench/results/latest.json]``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.run import STAGES


def markdown(r: dict) -> str:
    d, f, n, fl = r["dataset"], r["runs"]["full"], r["runs"]["nightly"], r["floor"]
    out = [
        f"Scale `{r['scale']}` ({d['parcels']:,} parcels, {d['vegetation_index_rows']:,} index "
        f"rows, +{d['nightly_vegetation_index_rows']:,} tonight), {r['machine']['cpus']} cores, "
        f"{r['machine']['mem_gib']} GiB, run {r['started_at']}:",
        "",
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
    out += [
        f"| DuckDB floor | {fl['wall_s']:.1f} | {fl['rows']:,} | {fl['rows_per_s']:,} | "
        f"{fl['peak_rss_mb']:.0f} | | | | |",
        "",
        "| target | measured | limit | met |",
        "|---|---:|---:|---|",
    ]
    for k, t in r["targets"].items():
        out.append(f"| {k} | {t['value']} | {t['limit']} | {'yes' if t['met'] else '**no**'} |")
    a = r.get("alerting")
    if a:
        out += ["", f"Alerting (issue #14): a hotspot file landing -> its alert written in "
                f"{a['latency_s']} s (ingest {a['ingest_s']} s, alerting step "
                f"{a['alerting_s']} s); "
                f"the alerting step of a run with nothing new {a['alerting_steady_s']} s, over "
                f"{a['detections']:,} detections ({a['masked']:,} masked) and {a['events']:,} "
                "events."]
    return "\n".join(out)


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/latest.json")
    print(markdown(json.loads(path.read_text())))
