"""What a gate run returns: :class:`GateResult` per suite and batch, the failed expectations as
plain JSON-able records, and :class:`GateFailed` for a run with a critical failure."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from expectations.definitions import CRITICAL, WARNING

#: How many unexpected values a failure keeps (GX's SUMMARY format returns up to 20).
SAMPLE_SIZE = 5
#: How many failed expectations a GateFailed message lists per suite.
MAX_LISTED = 12


@dataclass
class GateResult:
    suite: str
    passed: bool  # no critical failure
    n_expectations: int
    n_passed: int
    n_failed_critical: int
    n_failed_warning: int
    failures: list[dict[str, Any]] = field(default_factory=list)
    results_path: Path | None = None
    batch: str = ""  # the batch id (raw) or "<table> in <db file>" (marts)

    @property
    def critical_failures(self) -> list[dict[str, Any]]:
        return [f for f in self.failures if f["severity"] == CRITICAL]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return [f for f in self.failures if f["severity"] != CRITICAL]

    def summary(self) -> str:
        status = "passed" if self.passed else "FAILED"
        return (
            f"{self.suite} [{self.batch}]: {status}, {self.n_passed}/{self.n_expectations} "
            f"expectations met, {self.n_failed_critical} critical and "
            f"{self.n_failed_warning} warning failure(s)"
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["results_path"] = str(self.results_path) if self.results_path else None
        return d


def describe_failure(f: Mapping[str, Any]) -> str:
    """One line per failed expectation: type, columns, severity, count, sample values."""
    cols = ", ".join(f.get("columns") or []) or "table"
    details = []
    if f.get("unexpected_count") is not None:
        details.append(f"{f['unexpected_count']} unexpected of {f.get('element_count')} rows")
    if f.get("sample_values"):
        details.append(f"e.g. {f['sample_values']!r}")
    if f.get("missing_values"):
        details.append(f"missing {f['missing_values']!r}")
    if f.get("observed_value") is not None:
        details.append(f"observed {f['observed_value']!r}")
    if f.get("expected"):
        details.append(f"expected {f['expected']}")
    if f.get("exception"):
        details.append(f"error: {f['exception']}")
    head = f"{f['expectation_type']} [{cols}] ({f['severity']})"
    return f"{head}: {', '.join(details)}" if details else head


class GateFailed(Exception):
    """A gate found critical failures. ``results`` holds the failing GateResults."""

    def __init__(self, results: list[GateResult]) -> None:
        self.results = results
        lines = [f"Great Expectations gate failed: {len(results)} suite(s) with critical failures"]
        for r in results:
            lines.append(f"{r.suite} [{r.batch}]: {r.n_failed_critical} critical failure(s)")
            shown = r.critical_failures[:MAX_LISTED]
            lines += [f"  - {describe_failure(f)}" for f in shown]
            if r.n_failed_critical > len(shown):
                lines.append(f"  - ... and {r.n_failed_critical - len(shown)} more")
            if r.results_path:
                lines.append(f"  results: {r.results_path}")
        super().__init__("\n".join(lines))


def raise_for(results: GateResult | Iterable[GateResult]) -> None:
    """Raise GateFailed if any result has a critical failure; warnings never raise."""
    if isinstance(results, GateResult):
        results = [results]
    failed = [r for r in results if not r.passed]
    if failed:
        raise GateFailed(failed)


def _severity(config: Any) -> str:
    meta = config.meta or {}
    severity = meta.get("severity") or getattr(config, "severity", None) or CRITICAL
    severity = str(getattr(severity, "value", severity)).lower()
    return WARNING if severity in (WARNING, "info") else CRITICAL


def failure_record(r: Any) -> dict[str, Any]:
    config = r.expectation_config
    kwargs = dict(config.kwargs)
    if "column" in kwargs:
        columns = [kwargs["column"]]
    elif "column_list" in kwargs:
        columns = list(kwargs["column_list"])
    elif "column_A" in kwargs:
        columns = [kwargs["column_A"], kwargs["column_B"]]
    else:
        columns = []
    result = r.result or {}
    exception = None
    info = r.exception_info or {}
    if info.get("raised_exception"):
        exception = info.get("exception_message")
    else:  # keyed by metric when a metric raised
        for v in info.values():
            if isinstance(v, dict) and v.get("raised_exception"):
                exception = v.get("exception_message")
                break
    if exception:  # first line only: SQL errors carry the whole statement
        exception = str(exception).strip().splitlines()[0][:300]
    expected = {
        k: v
        for k, v in kwargs.items()
        if k in ("min_value", "max_value", "value_set", "or_equal", "row_condition")
    }
    return _jsonable(
        {
            "expectation_type": config.type,
            "columns": columns,
            "severity": _severity(config),
            "unexpected_count": result.get("unexpected_count"),
            "element_count": result.get("element_count"),
            "sample_values": list(result.get("partial_unexpected_list") or [])[:SAMPLE_SIZE],
            "observed_value": result.get("observed_value"),
            "missing_values": list(result.get("partial_missing_list") or []),
            "expected": expected,
            "exception": exception,
            "notes": config.notes,
        }
    )


def _jsonable(v: Any) -> Any:
    """Plain JSON-able values (numpy scalars, Timestamps, tuples, pydantic models...)."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):  # numpy scalar
        return _jsonable(v.item())
    if hasattr(v, "dict"):  # pydantic v1 model, e.g. a row condition
        return _jsonable(v.dict())
    return str(v)
