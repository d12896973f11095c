"""The fire-danger step of the weather DAG (and of ``sinkwatch fire-danger`` / ``sinkwatch
run``): rate every station, county and zone and day from the raw weather layer (issue #14).

The alerts on the ratings are the next task's: ``evaluate_alerts`` runs
:func:`monitoring.fire_alerts.evaluate` through ``orchestration.alerting``, which records them
in the alert store and delivers them. The alert records of the recent new or changed ratings
are also returned here (an Airflow XCom, logged) for the operator's view of this rating.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sinkwatch import runlog
from sinkwatch.config import Paths, paths

log = logging.getLogger(__name__)



def rate(run_id: str = "manual", p: Paths | None = None, today: date | None = None) -> dict:
    """Compute the ratings (outputs replaced whole) and the alert records of recent days."""
    from monitoring import fire_alerts, fire_danger

    p = (p or paths()).ensure()
    today = today or datetime.now(fire_alerts.LOCAL_TZ).date()
    oldest = today - timedelta(days=fire_alerts.ALERT_MAX_AGE_DAYS)
    with runlog.stage(run_id, "fire_danger", p) as rec:
        rating = fire_danger.compute(p)
        recent = [r for r in rating.changed if r["obs_date"] >= oldest]
        alerts = fire_alerts.alert_records(recent)
        rec.rows_in = len(rating.stations)
        rec.rows_out = len(rating.areas)
        rec.detail = (f"{len(rating.stations)} station-days, {len(rating.areas)} area-days, "
                      f"{len(rating.changed)} new or changed, {len(alerts)} alert(s) since "
                      f"{oldest}")
    for a in alerts:
        log.warning("FIRE DANGER %s %s: %s", a["severity"].upper(), a["alert_id"], a["title"])
    return {"station_days": len(rating.stations), "area_days": len(rating.areas),
            "changed": len(rating.changed), "alerts": alerts}
