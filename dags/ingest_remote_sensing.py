"""
### ingest_remote_sensing

Vegetation indices (MOD13Q1-style 16-day NDVI/EVI per parcel) exported from satellite portals.
Each file is archived, checked row by row against the contract (quarantine with reasons),
validated with the Great Expectations suite `raw__vegetation_indices` and written to the raw
Parquet layer with a manifest row. Updates the Asset `sinkwatch-raw-vegetation_indices`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag

from orchestration.dagkit import DEFAULT_ARGS, alert_task, ingest_task


@dag(
    dag_id="ingest_remote_sensing",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["sinkwatch", "ingestion", "remote-sensing"],
    doc_md=__doc__,
)
def ingest_remote_sensing():
    ingest_task("vegetation_indices") >> alert_task(("vegetation_indices",))


ingest_remote_sensing()
