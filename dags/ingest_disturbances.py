"""
### ingest_disturbances

Fire and pest early warning inputs: NASA FIRMS active-fire detections (MODIS C6.1, VIIRS 375 m),
fire reports from the fire-prevention offices, and pest and rodent damage reports (pine wilt
nematode, fall webworm, Asian longhorned beetle, grassland rodents and pikas).

FIRMS detections are assigned to county and parcel by point-in-polygon (shapely); points
outside Baotou are quarantined with reason `outside_study_area` and still counted. Each file is
archived, checked, validated with its Great Expectations suite and written to the raw layer.
Then `evaluate_alerts` looks at what arrived (orchestration/alerting.py) and records and sends
the alerts in this run, not at night.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag

from orchestration.dagkit import DEFAULT_ARGS, alert_task, ingest_task


@dag(
    dag_id="ingest_disturbances",
    schedule="*/30 * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["sinkwatch", "ingestion", "disturbances"],
    doc_md=__doc__,
)
def ingest_disturbances():
    families = ("fire_hotspots", "fire_reports", "pest_reports")
    [ingest_task(family) for family in families] >> alert_task(families)


ingest_disturbances()
