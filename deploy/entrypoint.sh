#!/usr/bin/env bash
# Entry point of the sinkwatch image.
#   init                      one-shot: migrate the Airflow database, create the duckdb_build pool,
#                             set the admin password (from AIRFLOW_ADMIN_PASSWORD)
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
    echo "== airflow db migrate"
    sinkwatch airflow db migrate
    echo "== pool duckdb_build (1 slot: one writer per DuckDB file)"
    sinkwatch airflow pools set duckdb_build 1 "one writer per DuckDB file"
    echo "== admin user"
    python - <<'PY'
import json
import os
from pathlib import Path

user = os.environ.get("AIRFLOW_ADMIN_USER", "admin")
password = os.environ.get("AIRFLOW_ADMIN_PASSWORD", "")
if not password:
    raise SystemExit("AIRFLOW_ADMIN_PASSWORD is empty: set it in .env")
f = Path(os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
f.parent.mkdir(parents=True, exist_ok=True)
passwords = json.loads(f.read_text() or "{}") if f.exists() else {}
passwords[user] = password  # other users keep the passwords the api-server generated for them
tmp = f.with_suffix(".tmp")
tmp.write_text(json.dumps(passwords) + "\n")
tmp.chmod(0o600)
tmp.replace(f)
print(f"user {user!r} (admin) can log in; {len(passwords)} user(s) in {f}")
PY
}

case "${1:-}" in
    init)
        init
        ;;
    api-server|scheduler|dag-processor|triggerer|celery|db|pools|dags|tasks|jobs|config|\
connections|variables|users|version|info|providers|assets|backfill|cheat-sheet|standalone)
        exec sinkwatch airflow "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
