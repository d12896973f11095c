"""One pipeline stage in its own process, so that the benchmark can read its wall time and peak
resident memory (``os.wait4``: the process and every child it waited for, dbt included).

    python -m bench.stage <stage> <run_id> <result.json> [--full-refresh]

Stages call the same functions as the Airflow tasks (:mod:`orchestration.pipeline`). The result file
gets the stage's own figures (rows, and for ``ingest`` the time spent in the raw gate).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> None:
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
    elif stage == "build":
        db = pipeline.build(run_id, full_refresh=full_refresh, p=p)
        info.update(pipeline.build_stats(db, p))
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
    else:
        raise SystemExit(f"unknown stage {stage!r}")
    info["inner_s"] = round(time.perf_counter() - t0, 3)
    out.write_text(json.dumps(info, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
