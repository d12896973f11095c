"""Alert records for high fire danger (issue #14): one per county or zone and day rated 四级 or
above inside the fire-prevention period. Records only: storing and delivering them is the alert
store's job (not here).

A record's id is the sha256 of ``fire_danger|<area kind>|<area id>|<date>`` (first 16 hex
digits): the same area and day give the same id in every run, so a store can collapse repeats
(and a rating that rises from 四级 to 五级 keeps its id, with the new severity).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date

from monitoring.fire_danger import DangerClass, load_classes

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
