"""Orchestration, the top layer: the pipeline (ingest → dbt build → mart gate → publish →
dashboard), the ``sinkwatch`` command line and the helpers of the thin Airflow DAGs in ``dags/``.

It calls the stages (:mod:`ingestion`, :mod:`expectations`, :mod:`dashboards`, :mod:`sample_data`,
and the coming :mod:`monitoring`, :mod:`ledger`, :mod:`reporting`); nothing below imports it.
"""
