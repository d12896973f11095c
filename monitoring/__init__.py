"""Monitoring: what acts on the data as it arrives (issue #14).

Fire events from hotspots, fire-danger ratings from weather, pest epidemic points and vegetation
anomalies, evaluated in the ingest DAG that received the data and sent through the alert transport
of :mod:`sinkwatch.alerts`. A stage: it imports the ground package (:mod:`sinkwatch`) and
:mod:`expectations` at most, never :mod:`orchestration`.
"""
