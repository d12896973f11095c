"""
### ingest_weather

Daily weather observations (family `weather_daily`) and the fire-danger rating of issue #14,
every day at 16:00 Beijing time, after the 14:00 observations are in:

1. `ingest_weather_daily`: NOAA GSOD station CSV files as published and CMA-style Chinese daily
   tables waiting in `landing/weather_daily/`: archived, checked against the contract (units
   converted, missing and trace codes decoded), gated with `raw__weather_daily`, written to the
   raw layer;
2. `rate_fire_danger`: the Canadian FWI System per station and day (Van Wagner 1987; no rating on
   a day without a complete observation), the FWI mapped to the five Chinese danger classes
   (一级 to 五级, `seed_fire_danger_classes`), spread to the 9 counties and 22 zones by
   inverse-distance weighting, written whole to `warehouse/monitoring/`; the new or changed
   ratings of the last days of class 四级 or above in the fire-prevention period are returned
   as per-area-and-day records (for the log and the XCom; not stored);
3. `evaluate_alerts`: one alert per county and episode (consecutive days on which the county or
   one of its zones is rated 四级/五级 in the fire-prevention period, reaching into the last 3
   days), id `fire_danger:<county>:<first day>`: updated as the episode goes on, escalated from
   `warning` to `critical` at 五级; recorded in the alert store and delivered through the Airflow
   notifier, once per state change.

The nightly build reads the ratings into the mart `fct_fire_danger_daily`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from orchestration.dagkit import (
    DEFAULT_ARGS,
    FIRE_DANGER_ASSET,
    RAW_ASSETS,
    alert_task,
    ingest_task,
)


@dag(
    dag_id="ingest_weather",
    schedule="0 16 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["sinkwatch", "ingestion", "weather", "monitoring"],
    doc_md=__doc__,
)
def ingest_weather():
    @task(inlets=[RAW_ASSETS["weather_daily"]], outlets=[FIRE_DANGER_ASSET])
    def rate_fire_danger(run_id: str | None = None) -> dict:
        from orchestration import fire

        return fire.rate(run_id or "manual")

    ingest_task("weather_daily") >> rate_fire_danger() >> alert_task(("weather_daily",))


ingest_weather()
