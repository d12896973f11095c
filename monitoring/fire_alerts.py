"""Alerts for high fire danger (issue #14), ``alert_type = "fire_danger"``.

:func:`evaluate` is the evaluator the weather DAG's ``evaluate_alerts`` task runs after each
rating (``orchestration.alerting``), and what the alert store records and delivers: **one alert
per county and episode**. An episode is a run of consecutive days on which the county itself or
one of its zones is rated 四级 or above inside the fire-prevention period; its id is
``fire_danger:<county code>:<first day>`` (e.g. ``fire_danger:150223:2026-04-03``), the same in
every run, so a rerun changes nothing and, as the episode goes on, the same alert is updated
(its days, max FWI, zones) and escalated when the class rises (四级 ``warning``, 五级
``critical``). Only episodes reaching into the ``ALERT_MAX_AGE_DAYS`` days before the newest
rated day (never later than today, Beijing time) alert. Evidence: the days, the highest class
and FWI, the stations and the sha256 of the weather files behind them.

:func:`alert_records` is the step before: one plain record per area (county or zone) and day
of class 四级 or above in season, with an id of its own, the first 16 hex digits of the sha256
of ``fire_danger|<area kind>|<area id>|<date>`` (:func:`alert_id`). The ``rate_fire_danger`` task
returns the records of the recent new or changed ratings (XCom, log) and ``sinkwatch
fire-danger`` prints them; they are not stored: the county-episode alerts are.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from monitoring.fire_danger import DangerClass, load_classes

#: Days before the newest rated day (and never later than today, Beijing time) that still alert:
#: a backfill of older weather rates those days but raises nothing.
ALERT_MAX_AGE_DAYS = int(os.environ.get("SINKWATCH_FIRE_ALERT_MAX_AGE_DAYS", "3"))
LOCAL_TZ = ZoneInfo("Asia/Shanghai")

ALERT_TYPE = "fire_danger"
#: Lowest danger class that alerts (四级 高火险).
MIN_ALERT_CLASS = 4
SEVERITY = {4: "warning", 5: "critical"}


def alert_id(area_kind: str, area_id: str, obs_date: date) -> str:
    key = f"{ALERT_TYPE}|{area_kind}|{area_id}|{obs_date.isoformat()}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def alert_records(rows: Iterable[dict], classes: list[DangerClass] | None = None,
                  min_class: int = MIN_ALERT_CLASS) -> list[dict]:
    """Alert records for the area-day rows (``fire_danger_area_daily``) of class >= ``min_class``
    in the fire-prevention period, ordered by date, area kind and id."""
    by_class = {c.danger_class: c for c in (classes or load_classes())}
    out = []
    for r in rows:
        cls = r.get("danger_class")
        if not r.get("is_rated") or cls is None or cls < min_class or not r.get("is_fire_season"):
            continue
        c = by_class[cls]
        d = r["obs_date"]
        place = r["area_name_zh"]
        out.append({
            "alert_id": alert_id(r["area_kind"], r["area_id"], d),
            "type": ALERT_TYPE,
            "severity": SEVERITY.get(cls, "critical"),
            "date": d.isoformat(),
            "place": {"kind": r["area_kind"], "id": r["area_id"], "name_zh": place,
                      "county_code": r["county_code"]},
            "danger_class": cls,
            "danger_class_zh": c.class_zh,
            "title": f"{place} {d.isoformat()} 森林草原火险{c.class_zh}（{c.name_zh}）",
            "message": (f"{place} {d.isoformat()}: fire danger {c.name_en} ({c.class_zh} "
                        f"{c.name_zh}), FWI {r['fwi']:.1f}"
                        + ("; closure period (戒严管制期)" if r.get("is_closure_period") else "")),
            "evidence": {
                "fwi": r["fwi"],
                "method": r["method"],
                "stations": (r["station_ids"] or "").split(",") if r.get("station_ids") else [],
                "files_sha256": (r["source_sha256s"] or "").split(",")
                if r.get("source_sha256s") else [],
                "nearest_station_km": r["nearest_station_km"],
            },
        })
    return sorted(out, key=lambda a: (a["date"], a["place"]["kind"], a["place"]["id"]))


def evaluate(p, run_id: str = "manual", today: date | None = None) -> list:
    """The fire-danger alerts (``orchestration.alerting`` evaluator): one per county and episode.

    An episode is a run of consecutive days on which the county itself or one of its zones is
    rated 四级 or above in the fire-prevention period; its alert id is the county and the first
    day (``fire_danger:<county>:<first day>``), so the alert is updated, and escalated when the
    class rises, as the episode goes on, instead of one alert per area and day. Only episodes
    still going within ``ALERT_MAX_AGE_DAYS`` of the newest rated day (never later than today)
    alert: in operation that is today; a replay of past seasons (the demo) alerts on its own
    last days, not on every episode of its history.
    """
    import pyarrow.parquet as pq

    from monitoring import fire_danger
    from monitoring.store import Alert

    path = fire_danger.output_path(p, fire_danger.AREA_TABLE)
    if not path.exists():
        return []
    rows = [r for r in pq.read_table(path).to_pylist() if r.get("is_rated")]
    if not rows:
        return []
    today = today or datetime.now(LOCAL_TZ).date()
    end = min(today, max(r["obs_date"] for r in rows))
    records = alert_records(r for r in rows if r["obs_date"] <= end)
    by_county: dict[str, dict[date, list[dict]]] = {}
    for rec in records:
        county = rec["place"].get("county_code") or rec["place"]["id"]
        by_county.setdefault(county, {}).setdefault(date.fromisoformat(rec["date"]),
                                                    []).append(rec)
    out = []
    for county, days in sorted(by_county.items()):
        episodes: list[list[date]] = []
        for d in sorted(days):
            if episodes and d - episodes[-1][-1] == timedelta(days=1):
                episodes[-1].append(d)
            else:
                episodes.append([d])
        for ep in episodes:
            if ep[-1] < end - timedelta(days=ALERT_MAX_AGE_DAYS):
                continue
            recs = [r for d in ep for r in days[d]]
            worst = max(recs, key=lambda r: (r["danger_class"], r["evidence"]["fwi"]))
            own = [r for r in recs if r["place"]["kind"] == "county"]
            name = (own[0] if own else worst)["place"]["name_zh"] if own else county
            zones = sorted({r["place"]["id"] for r in recs if r["place"]["kind"] == "zone"})
            span = ep[0].isoformat() if len(ep) == 1 else f"{ep[0]:%m-%d}–{ep[-1]:%m-%d}"
            out.append(Alert(
                alert_id=f"{ALERT_TYPE}:{county}:{ep[0].isoformat()}",
                alert_type=ALERT_TYPE, severity=worst["severity"],
                title=f"{name} 森林草原火险{worst['danger_class_zh']}（{span}）",
                message=(f"{name}: fire danger up to {worst['danger_class_zh']} on "
                         f"{len(ep)} day(s) {ep[0]}..{ep[-1]}, max FWI "
                         f"{worst['evidence']['fwi']:.1f} ({worst['place']['name_zh']}, "
                         f"{worst['date']}); zones at 四级+: {', '.join(zones) or '-'}"),
                zone_ids=tuple(zones), county_codes=(county,),
                evidence={"days": [d.isoformat() for d in ep],
                          "max_danger_class": worst["danger_class"],
                          "max_fwi": worst["evidence"]["fwi"],
                          "stations": sorted({s for r in recs for s in r["evidence"]["stations"]}),
                          "files_sha256": sorted({f for r in recs
                                                  for f in r["evidence"]["files_sha256"]})}))
    return out
