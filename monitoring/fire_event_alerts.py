"""Fire-event alerts: severity from land class, development zone and size; the duty officer's
message in Chinese with the key numbers; the evidence (detections, received files).

Severity [A, local choice, documented in the README]:

* base by what burns: forest or grassland inside a carbon-sink development zone ``high``;
  forest or grassland outside the zones, and wetland, ``warning``; other land (cropland,
  built-up) or no parcel ``info``;
* one step up (at most ``critical``) for a large fire: max FRP >= ``LARGE_FRP_MW``, or active-fire
  pixel area >= ``LARGE_AREA_HA``, or at least ``LARGE_DETECTIONS`` detections;
* an event judged a static source after the fact (``masked``) drops to ``info``.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import lru_cache

import pandas as pd

from monitoring.store import SEVERITIES, Alert
from sinkwatch.config import DBT_PROJECT_DIR

ALERT_TYPE = "fire_event"
LARGE_FRP_MW = 100.0
LARGE_AREA_HA = 100.0
LARGE_DETECTIONS = 10

LAND_ZH = {"forest": "林地", "grassland": "草地", "wetland": "湿地", "other": "其他用地",
           "unknown": "地类不明"}
STATUS_ZH = {"new": "新发现", "active": "燃烧中", "ended": "已熄灭（48 小时无新热点）",
             "merged": "已并入其他火情", "masked": "判定为固定热源，已屏蔽",
             "withdrawn": "原始数据已撤回"}
BEIJING = dt.timedelta(hours=8)


@lru_cache(maxsize=1)
def _names() -> tuple[dict[str, str], dict[str, str]]:
    seeds = DBT_PROJECT_DIR / "seeds"
    with (seeds / "seed_zones.csv").open(encoding="utf-8", newline="") as fh:
        zones = {r["zone_id"]: r["zone_name_zh"] for r in csv.DictReader(fh)}
    with (seeds / "seed_counties.csv").open(encoding="utf-8", newline="") as fh:
        counties = {r["county_code"]: r["county_name_zh"] for r in csv.DictReader(fh)}
    return zones, counties


def severity(land_class: str, zone_ids: list[str], max_frp_mw: float | None,
             area_ha: float | None, n_detections: int) -> str:
    if land_class in ("forest", "grassland"):
        base = "high" if zone_ids else "warning"
    elif land_class == "wetland":
        base = "warning"
    else:
        base = "info"
    large = ((max_frp_mw or 0) >= LARGE_FRP_MW or (area_ha or 0) >= LARGE_AREA_HA
             or n_detections >= LARGE_DETECTIONS)
    rank = SEVERITIES.index(base) + (1 if large else 0)
    return SEVERITIES[min(rank, len(SEVERITIES) - 1)]


def _bj(ts: object) -> str:
    t = pd.Timestamp(ts)
    if t.tzinfo is not None:
        t = t.tz_convert("UTC").tz_localize(None)
    return (t + BEIJING).strftime("%Y-%m-%d %H:%M")


def _list(v: object) -> list[str]:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return []
    return [str(x) for x in v]


def build(ev: dict) -> Alert:
    """The alert of one event row (a dict of the events snapshot's columns)."""
    zones, counties = _names()
    zone_ids, county_codes = _list(ev["zone_ids"]), _list(ev["county_codes"])
    parcel_ids = _list(ev["parcel_ids"])
    land = LAND_ZH.get(ev["land_class"], ev["land_class"])
    where = "、".join(counties.get(c, c) for c in county_codes) or "包头市"
    zone_text = "；".join(f"{z} {zones.get(z, '')}".strip() for z in zone_ids)
    status = ev["status"]
    title = f"{land}火情 {where}" + (f" {zones.get(zone_ids[0], zone_ids[0])}" if zone_ids else "")
    if status == "masked":
        title = f"已屏蔽（固定热源）：{title}"
    n = int(ev["n_detections"])
    area = float(ev["area_ha"] or 0.0)
    parts = [
        f"火情事件 {ev['event_id']}（状态：{STATUS_ZH.get(status, status)}"
        + (f"，并入 {ev['merged_into']}" if status == "merged" and ev.get("merged_into") else "")
        + "）",
        f"首次探测 {_bj(ev['first_detected_at'])}，最近探测 {_bj(ev['last_detected_at'])}"
        "（北京时间）",
        f"卫星热点 {n} 个（{ev['instruments']}），最大 FRP {float(ev['max_frp_mw'] or 0):.1f} MW，"
        f"累计 FRP {float(ev['sum_frp_mw'] or 0):.1f} MW",
        f"火点像元面积约 {area:.1f} 公顷（{area * 15:.0f} 亩，像元面积上限，非过火面积）",
        f"地类：{land}" + (f"；发展区：{zone_text}" if zone_text else "；不在碳汇发展区内"),
        f"旗县区：{where}" + (f"；涉及小班 {len(parcel_ids)} 个：" + "、".join(parcel_ids[:5])
                            + ("等" if len(parcel_ids) > 5 else "") if parcel_ids else ""),
        f"位置 {float(ev['lon']):.4f}E, {float(ev['lat']):.4f}N",
    ]
    evidence = {
        "event_id": ev["event_id"],
        "status": status,
        "detections": n,
        "first_detected_at": pd.Timestamp(ev["first_detected_at"]).isoformat(),
        "last_detected_at": pd.Timestamp(ev["last_detected_at"]).isoformat(),
        "max_frp_mw": float(ev["max_frp_mw"] or 0),
        "sum_frp_mw": float(ev["sum_frp_mw"] or 0),
        "area_ha": area,
        "source_sha256": _list(ev["source_sha256s"]),
    }
    if ev.get("merged_into"):
        evidence["merged_into"] = ev["merged_into"]
    return Alert(
        alert_id=f"{ALERT_TYPE}:{ev['event_id']}",
        alert_type=ALERT_TYPE,
        severity=ev["severity"],
        title=title,
        message="；".join(parts) + "。",
        zone_ids=tuple(zone_ids),
        county_codes=tuple(county_codes),
        parcel_ids=tuple(parcel_ids),
        lon=float(ev["lon"]),
        lat=float(ev["lat"]),
        evidence=evidence,
    )
