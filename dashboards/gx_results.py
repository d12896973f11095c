"""The latest Great Expectations validation result per suite, as the health page shows it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def gx_results(gx_dir: Path) -> list[dict[str, Any]]:
    """The latest validation result per suite from ``<home>/gx/validations`` (GX JSON files)."""
    out: list[dict[str, Any]] = []
    vdir = gx_dir / "validations"
    if not vdir.is_dir():
        return out
    for suite_dir in sorted(p for p in vdir.iterdir() if p.is_dir()):
        latest: tuple[str, Path] | None = None
        for f in suite_dir.rglob("*.json"):
            # <suite>/<run name>/<run time>/<batch>.json: the run time sorts chronologically
            key = f.parent.name
            if latest is None or key > latest[0]:
                latest = (key, f)
        if latest is None:
            continue
        try:
            doc = json.loads(latest[1].read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            log.warning("unreadable GX result %s: %s", latest[1], e)
            continue
        out.append(_gx_summary(suite_dir.name, latest[1], doc))
    return out


def _gx_summary(suite: str, path: Path, doc: dict[str, Any]) -> dict[str, Any]:
    stats = doc.get("statistics") or {}
    meta = doc.get("meta") or {}
    run = meta.get("run_id") or {}
    failures = []
    for r in doc.get("results") or []:
        if r.get("success", True):
            continue
        cfg = r.get("expectation_config") or {}
        kw = cfg.get("kwargs") or {}
        res = r.get("result") or {}
        cols = [kw[k] for k in ("column", "column_A", "column_B") if kw.get(k)]
        cols += list(kw.get("column_list") or [])
        failures.append({
            "type": cfg.get("type") or cfg.get("expectation_type") or "?",
            "columns": cols,
            "severity": (cfg.get("severity") or (cfg.get("meta") or {}).get("severity")
                         or "critical"),
            "unexpected_count": res.get("unexpected_count"),
            "element_count": res.get("element_count"),
            "observed": res.get("observed_value"),
            "sample": (res.get("partial_unexpected_list") or [])[:3],
        })
    return {
        "suite": suite,
        "stage": suite.split("__", 1)[0] if "__" in suite else "",
        "run_name": run.get("run_name"),
        "validated_at": meta.get("validation_time") or run.get("run_time"),
        "evaluated": stats.get("evaluated_expectations"),
        "successful": stats.get("successful_expectations"),
        "failed": stats.get("unsuccessful_expectations"),
        "success": doc.get("success"),
        "failures": failures,
        "path": str(path),
    }
