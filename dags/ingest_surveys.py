"""
### ingest_surveys

Field surveys uploaded by forestry stations and grassland monitoring teams: parcels (小班),
forest sample-plot tree tallies, grassland quadrat clippings, wetland surveys and
demonstration carbon-forest planting records, and carbon-offset projects (a parcel in one
project at a time).

For every file in `$SINKWATCH_HOME/landing/<family>/`: archive it as received, check each row
against the family contract (rejected rows go to quarantine with file, row, field and reason),
validate the accepted batch with the Great Expectations suite `raw__<family>`, and write the
raw Parquet partition and a manifest row. A file seen before (same sha256) is a no-op.
Each family's task updates the Asset `sinkwatch-raw-<family>`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag

from orchestration.dagkit import DEFAULT_ARGS, ingest_task

FAMILIES = ["parcels", "forest_plots", "grassland_quadrats", "wetland_surveys", "demo_forests",
            "projects"]


@dag(
    dag_id="ingest_surveys",
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["sinkwatch", "ingestion", "surveys"],
    doc_md=__doc__,
)
def ingest_surveys():
    parcels = ingest_task("parcels")
    # plots, quadrats and surveys reference parcels: load parcels first
    for family in FAMILIES[1:]:
        parcels >> ingest_task(family)


ingest_surveys()
