"""The ground package: what every stage uses and nothing of ours underneath it.

``config`` (paths under ``$SINKWATCH_HOME``), ``contracts`` (the column contract of every upload
family), ``runlog`` (run history), ``alerts`` (alert transport: log, JSONL file, webhook) and
``airflow_env`` (the embedded Airflow's settings). It imports no other package of this project;
``tests/test_layers.py`` checks that.
"""
