#!/usr/bin/env bash
# The production topology (docker-compose.yml's services) as local processes on this machine's
# PostgreSQL and Redis: CeleryExecutor, api-server, scheduler, dag-processor, a Celery worker; the
# four DAGs triggered through the REST API on the small sample. Cleans up everything it started.
#   scripts/prod_topology_test.sh [--keep] [--workdir DIR] [--timeout SECONDS]
# The same scenario runs in `make test` as tests/test_production_topology.py.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m tests.harness.prod_topology "$@"
