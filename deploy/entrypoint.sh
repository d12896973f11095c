#!/usr/bin/env bash
# Entry point of the sinkwatch image.
#   init                      one-shot: migrate the Airflow database (with the FAB auth manager's
#                             users and roles tables), create the duckdb_build pool, create the
#                             admin or reset its password (AIRFLOW_ADMIN_USER/_PASSWORD from .env),
#                             create and migrate the offset ledger's database
#   api-server | scheduler | dag-processor | triggerer | celery ... | any airflow subcommand
#                             `sinkwatch airflow <args>` (the embedded settings; the environment wins)
#   sinkwatch <args>          the project CLI
#   anything else             run as given
set -euo pipefail

export SINKWATCH_HOME="${SINKWATCH_HOME:-/data/sinkwatch}"

# Airflow 3.3 opens an async engine on the metadata database too; for PostgreSQL it needs asyncpg.
# If the image has no asyncpg (not in uv.lock yet), switch that engine off: the components only use
# it for a few endpoints (dag-run /wait, multi-team, task state store).
if [ -z "${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC+set}" ] \
    && ! python -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("asyncpg") is None)'; then
    export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC=""
fi

# landing/, archive/, warehouse/..., gx/, dbt/, logs/ on the shared volume
python -c 'from sinkwatch.config import paths; paths().ensure()'

init() {
    local done_flag="${AIRFLOW_HOME:-$SINKWATCH_HOME/airflow}/init.ok"
    rm -f "$done_flag"
    echo "== airflow db migrate (Airflow and FAB auth manager tables)"
    sinkwatch airflow db migrate
    echo "== pool duckdb_build (1 slot: one writer per DuckDB file)"
    sinkwatch airflow pools set duckdb_build 1 "one writer per DuckDB file"
    echo "== admin user (FAB auth manager: users and roles in the metadata database)"
    # reads AIRFLOW_ADMIN_USER, AIRFLOW_ADMIN_PASSWORD and AIRFLOW_ADMIN_EMAIL from the environment
    sinkwatch ensure-admin
    echo "== offset ledger database (SINKWATCH_LEDGER_URL: created if missing, migrated)"
    # the nightly run's ledger snapshot and reconciliation read it, the ledger-api writes it
    sinkwatch ledger migrate --create-database
    touch "$done_flag"
}

case "${1:-}" in
    init)
        init
        ;;
    api-server|scheduler|dag-processor|triggerer|celery|db|pools|dags|tasks|jobs|config|\
connections|variables|users|roles|sync-perm|fab-db|version|info|providers|assets|backfill|\
cheat-sheet|standalone)
        exec sinkwatch airflow "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
