"""Reporting: the annual sink report the bureau signs, and lineage from its figures to the uploaded
files (issue #16).

A stage: it reads the published marts and imports the ground package (:mod:`sinkwatch`) at most,
never :mod:`orchestration`.
"""
