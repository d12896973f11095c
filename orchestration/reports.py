"""The report tasks of the DAGs (DAG files call orchestration only): the nightly draft of the
latest accounting year and the annual_report DAG's report (reporting/annual.py)."""

from __future__ import annotations

from datetime import date

from sinkwatch.config import Paths


def refresh_draft(p: Paths | None = None) -> list[str]:
    from reporting import annual

    return [str(f) for f in annual.refresh_draft(p)]


def issue(year: int | None, as_of: str | None, final: bool, p: Paths | None = None
          ) -> list[str]:
    """``year`` None: the latest accounting year of the warehouse read; ``as_of`` YYYY-MM-DD."""
    from reporting import annual

    day = date.fromisoformat(as_of) if as_of else None
    year = annual.latest_year(day, p) if year is None else int(year)
    return [str(f) for f in annual.generate(year, as_of=day, final=final, p=p)]
