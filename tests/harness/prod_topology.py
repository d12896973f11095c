"""The production topology without containers: Airflow with ``CeleryExecutor`` on the real
PostgreSQL (metadata, Celery result backend) and Redis (Celery broker) of this machine, with the
api-server, scheduler, dag-processor and a Celery worker running as separate processes, exactly the
services of ``docker-compose.yml`` minus the containers. Login as in production: the FAB auth
manager (users and roles in the metadata database), the admin created by the init job's command
(``sinkwatch ensure-admin``), a viewer created with ``airflow users create``, JWTs from
``POST /auth/token``.

Used by ``tests/test_production_topology.py`` and runnable by hand::

    python -m tests.harness.prod_topology    # sample data, the four DAGs through the REST API

Everything it creates is its own and is removed on exit, even on failure or Ctrl-C: a fresh
PostgreSQL database ``sinkwatch_ci_<random>`` (dropped), an otherwise empty Redis database index
(claimed with a key, emptied at the end), a private Celery queue, free TCP ports, and every process
it starts (each in its own process group, terminated as a group).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.users import FAB_AUTH_MANAGER
from sinkwatch.airflow_env import airflow_env
from sinkwatch.config import REPO_ROOT, Paths

PG_HOST = os.environ.get("SINKWATCH_CI_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("SINKWATCH_CI_PG_PORT", "5432"))
PG_USERS = ("postgres", "root")
REDIS_HOST = os.environ.get("SINKWATCH_CI_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("SINKWATCH_CI_REDIS_PORT", "6379"))
CLAIM_KEY = "sinkwatch:ci:claim"
INGEST_DAGS = ("ingest_surveys", "ingest_remote_sensing", "ingest_disturbances")
NIGHTLY_DAG = "sinkwatch_nightly"
COMPONENTS = ("scheduler", "dag-processor", "api-server", "worker")
# seconds from "all healthy" to the nightly run's success; ~5 min on an idle 2-core machine
DEFAULT_TIMEOUT = float(os.environ.get("SINKWATCH_TOPOLOGY_TIMEOUT", "540"))


def _bin(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    return str(exe) if exe.exists() else (shutil.which(name) or name)


def async_conn_env() -> dict[str, str]:
    """Airflow 3.3 also opens an async engine on the metadata database: for PostgreSQL it derives
    ``postgresql+asyncpg://`` from ``sql_alchemy_conn`` and fails at import if ``asyncpg`` is
    missing. Only a few endpoints use that engine (dag-run ``/wait``, multi-team lookups, the
    task state store), so without asyncpg the async engine is switched off (an empty
    ``sql_alchemy_conn_async``); with asyncpg installed Airflow's own default is kept."""
    import importlib.util

    if importlib.util.find_spec("asyncpg") is not None:
        return {}
    return {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": ""}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# PostgreSQL and Redis


def pg_connect(dbname: str = "postgres"):
    """A connection as the first of postgres/root that the server accepts (trust auth here)."""
    import psycopg2

    last: Exception | None = None
    for user in PG_USERS:
        try:
            con = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=user, dbname=dbname,
                                   connect_timeout=3)
            con.autocommit = True
            return con, user
        except psycopg2.OperationalError as exc:
            last = exc
    raise ConnectionError(f"PostgreSQL at {PG_HOST}:{PG_PORT}: {last}")


def redis_client(db: int = 0):
    import redis

    return redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db, socket_connect_timeout=3)


def unreachable() -> str | None:
    """Why the topology cannot run here, or None when PostgreSQL and Redis both answer."""
    try:
        con, _ = pg_connect()
        con.close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL is not reachable: {exc}"
    try:
        redis_client().ping()
    except Exception as exc:  # noqa: BLE001
        return f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}: {exc}"
    return None


# ---------------------------------------------------------------------------------------------
# The topology


@dataclass
class Topology:
    workdir: Path
    concurrency: int = 2
    verbose: bool = False
    db_name: str = field(default_factory=lambda: f"sinkwatch_ci_{secrets.token_hex(4)}")
    queue: str = field(default_factory=lambda: f"sinkwatch_ci_{secrets.token_hex(4)}")
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    viewer: str = "viewer"
    viewer_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    redis_db: int | None = None
    port: int = 0
    env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    _db_created: bool = False
    _claim: str = ""
    _token: str = ""
    _t0: float = field(default_factory=time.monotonic)

    # -- paths -----------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        return self.workdir / "home"

    @property
    def paths(self) -> Paths:
        return Paths(self.home)

    @property
    def logdir(self) -> Path:
        return self.workdir / "logs"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self, msg: str) -> None:
        if self.verbose:
            print(f"[{time.monotonic() - self._t0:6.1f}s] {msg}", flush=True)

    # -- life cycle -------------------------------------------------------------------------
    def __enter__(self) -> Topology:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.paths.ensure()
        self._create_database()
        self._claim_redis_db()
        self.env = self._build_env()
        self.log(f"database {self.db_name}, redis db {self.redis_db}, queue {self.queue}, "
                 f"api port {self.port}")
        self.run(["sinkwatch", "sample-data", "--scale", "small"], timeout=300)
        self.run(["airflow", "db", "migrate"], timeout=300)
        self.run(["airflow", "pools", "set", "duckdb_build", "1", "one writer per DuckDB file"])
        self.log("migrated, pool duckdb_build created")
        # users as in production: the admin by the init job's command, a viewer by the CLI
        self.set_admin_password(self.password)
        self.run(["airflow", "users", "create", "--username", self.viewer, "--role", "Viewer",
                  "--firstname", "Vera", "--lastname", "Viewer", "--email", "viewer@example.org",
                  "--password", self.viewer_password])
        self.log("admin and viewer created (FAB auth manager)")
        self.spawn("api-server", ["airflow", "api-server", "--port", str(self.port)])
        self.spawn("scheduler", ["airflow", "scheduler"])
        self.spawn("dag-processor", ["airflow", "dag-processor"])
        self.spawn("worker", ["airflow", "celery", "worker", "--queues", self.queue,
                              "--concurrency", str(self.concurrency)])

    def stop(self) -> None:
        """Stop every process started (whole process groups), drop the database, free Redis."""
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for proc in self.procs.values():
            # leftovers in the group (task subprocesses, uvicorn workers) go too
            _signal_group(proc, signal.SIGKILL)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.procs.clear()
        self._release_redis_db()
        self._drop_database()

    # -- resources --------------------------------------------------------------------------
    def _create_database(self) -> None:
        con, self._pg_user = pg_connect()
        try:
            con.cursor().execute(f'CREATE DATABASE "{self.db_name}"')
            self._db_created = True
        finally:
            con.close()

    def _drop_database(self) -> None:
        if not self._db_created:
            return
        con, _ = pg_connect()
        try:
            con.cursor().execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            self._db_created = False
        finally:
            con.close()

    def _claim_redis_db(self) -> None:
        """Take an empty Redis database index (15 down to 1) by setting a claim key in it."""
        self._claim = secrets.token_hex(8)
        for db in range(15, 0, -1):
            r = redis_client(db)
            if r.dbsize() == 0 and r.set(CLAIM_KEY, self._claim, nx=True, ex=3600):
                if r.dbsize() == 1:
                    self.redis_db = db
                    return
                r.delete(CLAIM_KEY)
        raise RuntimeError("no empty Redis database index (1..15) to use")

    def _release_redis_db(self) -> None:
        if self.redis_db is None:
            return
        r = redis_client(self.redis_db)
        if r.get(CLAIM_KEY) == self._claim.encode():
            # everything in this index was created by this run (it was empty when claimed)
            keys = [k for k in r.scan_iter(count=500) if k != CLAIM_KEY.encode()]
            for i in range(0, len(keys), 500):
                r.delete(*keys[i:i + 500])
            r.delete(CLAIM_KEY)
        self.redis_db = None

    def set_admin_password(self, password: str) -> str:
        """What the init job does on every ``docker compose up``: create the admin from
        AIRFLOW_ADMIN_USER/AIRFLOW_ADMIN_PASSWORD, or set its password (only this command sees
        the password, as only airflow-init gets it in docker-compose.yml)."""
        out = self.run(["sinkwatch", "ensure-admin"],
                       extra_env={"AIRFLOW_ADMIN_USER": "admin",
                                  "AIRFLOW_ADMIN_PASSWORD": password})
        self.password = password
        self._token = ""
        return out

    def _build_env(self) -> dict[str, str]:
        from cryptography.fernet import Fernet

        self.port = free_port()
        pg = f"{self._pg_user}@{PG_HOST}:{PG_PORT}/{self.db_name}"
        airflow_home = self.paths.airflow
        airflow_home.mkdir(parents=True, exist_ok=True)
        # the embedded defaults (dags folder, no examples, ...) under this SINKWATCH_HOME; nothing
        # from the caller's AIRFLOW* variables (pytest's conftest points those at SQLite)
        base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        base.update(SINKWATCH_HOME=str(self.home), AIRFLOW_HOME=str(airflow_home))
        env = airflow_env(base)
        env.update(async_conn_env())
        env.update({
            "SINKWATCH_HOME": str(self.home),
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{pg}",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.redis_db}",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://{pg}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.concurrency),
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__CORE__AUTH_MANAGER": FAB_AUTH_MANAGER,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__BASE_URL": self.base_url,
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            # fast feedback: parse the DAG folder often, heartbeat quickly
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "10",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            # the test triggers every run itself through the REST API; no cron runs in between
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "GX_ANALYTICS_ENABLED": "False",
            "NO_PROXY": "*",
            "no_proxy": "*",
            "PYTHONUNBUFFERED": "1",
        })
        # the deployment's airflow_local_settings.py (celery compatibility shim), as in the image
        local_settings = str(REPO_ROOT / "deploy" / "airflow")
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (local_settings, env.get("PYTHONPATH", "")) if p)
        return env

    # -- processes --------------------------------------------------------------------------
    def run(self, cmd: list[str], timeout: int = 120,
            extra_env: dict[str, str] | None = None) -> str:
        name = "_".join(cmd[:3]).replace("-", "_")
        logf = self.logdir / f"{name}.log"
        env = {**self.env, **(extra_env or {})}
        proc = subprocess.run([_bin(cmd[0]), *cmd[1:]], env=env, cwd=self.workdir,
                              capture_output=True, text=True, timeout=timeout)
        out = proc.stdout + proc.stderr
        logf.write_text(out)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out[-3000:]}")
        return out

    def spawn(self, name: str, cmd: list[str]) -> None:
        logf = open(self.logdir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        try:
            self.procs[name] = subprocess.Popen(
                [_bin(cmd[0]), *cmd[1:]], env=self.env, cwd=self.workdir, stdout=logf,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            logf.close()
        self.log(f"started {name} (pid {self.procs[name].pid})")

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")

    def tail(self, name: str, n: int = 40) -> str:
        f = self.logdir / f"{name}.log"
        if not f.exists():
            return "(no log)"
        return "\n".join(f.read_text(errors="replace").splitlines()[-n:])

    # -- REST API ---------------------------------------------------------------------------
    def request(self, method: str, path: str, body: dict | None = None,
                auth: bool = True, timeout: float = 30,
                token: str | None = None) -> tuple[int, dict]:
        """A REST call; with ``auth`` as the admin, or as whoever ``token`` belongs to."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {token or self.token()}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers=headers)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=timeout) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else {}
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw)
            except ValueError:
                return exc.code, {"detail": raw.decode(errors="replace")}

    def login(self, username: str, password: str) -> tuple[int, dict]:
        """FAB's token endpoint (``POST /auth/token``): 201 and ``access_token`` on success."""
        return self.request("POST", "/auth/token", {"username": username, "password": password},
                            auth=False)

    def token(self) -> str:
        """The admin's JWT (cached until the password changes)."""
        if not self._token:
            status, body = self.login("admin", self.password)
            if status not in (200, 201):
                raise RuntimeError(f"login failed: {status} {body}")
            self._token = body["access_token"]
        return self._token

    def wait_healthy(self, timeout: float = 180) -> dict:
        """The api-server answers, the metadatabase, scheduler and dag-processor are healthy,
        the Celery worker is up, and the four DAGs are parsed."""
        deadline = time.monotonic() + timeout
        health: dict = {}
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                _, health = self.request("GET", "/api/v2/monitor/health", auth=False, timeout=5)
            except (urllib.error.URLError, OSError, ValueError):
                health = {}
            ok = {k: (health.get(k) or {}).get("status") for k in
                  ("metadatabase", "scheduler", "dag_processor")}
            worker_ready = " ready." in self.tail("worker", 200)
            if all(v == "healthy" for v in ok.values()) and worker_ready:
                dags = self.request("GET", "/api/v2/dags?limit=100")[1].get("dags", [])
                if {*INGEST_DAGS, NIGHTLY_DAG} <= {d["dag_id"] for d in dags}:
                    self.log(f"healthy: {ok}, worker ready, DAGs parsed")
                    return health
            time.sleep(2)
        raise TimeoutError(f"not healthy after {timeout}s: {health}\n{self.diagnostics()}")

    def trigger(self, dag_id: str) -> str:
        status, body = self.request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
        if status != 200:
            raise RuntimeError(f"unpause {dag_id}: {status} {body}")
        status, body = self.request("POST", f"/api/v2/dags/{dag_id}/dagRuns",
                                    {"logical_date": None, "note": "sinkwatch prod topology"})
        if status not in (200, 201):
            raise RuntimeError(f"trigger {dag_id}: {status} {body}")
        self.log(f"triggered {dag_id}: {body['dag_run_id']}")
        return body["dag_run_id"]

    def wait_runs(self, runs: dict[str, str], deadline: float) -> dict[str, str]:
        """Poll until every (dag_id -> run_id) is finished; returns their states."""
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            self.check_alive()
            for dag_id, run_id in runs.items():
                if states.get(dag_id) in ("success", "failed"):
                    continue
                _, body = self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
                states[dag_id] = body.get("state", "?")
                if states[dag_id] in ("success", "failed"):
                    self.log(f"{dag_id} {run_id}: {states[dag_id]}")
            if all(states.get(d) in ("success", "failed") for d in runs):
                return states
            time.sleep(3)
        raise TimeoutError(f"runs not finished in time: {states}\n"
                           + "\n".join(self.task_states(d, r) for d, r in runs.items())
                           + "\n" + self.diagnostics())

    def task_states(self, dag_id: str, run_id: str) -> str:
        try:
            _, body = self.request(
                "GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100")
        except Exception as exc:  # noqa: BLE001 - diagnostics only
            return f"{dag_id}: {exc}"
        tis = body.get("task_instances", [])
        return f"{dag_id} {run_id}: " + ", ".join(
            f"{t['task_id']}={t['state']}(try {t.get('try_number')})" for t in tis)

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int = 1) -> str:
        _, body = self.request(
            "GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/"
                   f"{try_number}?full_content=true")
        content = body.get("content", body)
        return json.dumps(content)[-4000:] if not isinstance(content, str) else content[-4000:]

    def probe_healthchecks(self) -> dict[str, str]:
        """The health checks docker-compose.yml gives the scheduler, dag-processor and worker,
        run against these processes (the api-server's is ``wait_healthy``'s endpoint)."""
        port = self.env["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT"]
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://127.0.0.1:{port}/health", timeout=10) as resp:
            scheduler = f"{resp.status} {resp.read().decode()[:100]}"
        return {
            "scheduler": scheduler,
            "dag-processor": self.run(["airflow", "jobs", "check", "--job-type",
                                       "DagProcessorJob", "--local"]),
            "worker": self.run(["celery", "--app",
                                "airflow.providers.celery.executors.celery_executor.app",
                                "inspect", "ping", "-d", f"celery@{socket.gethostname()}"]),
        }

    def diagnostics(self) -> str:
        return "\n".join(f"--- {name} (last lines)\n{self.tail(name, 25)}" for name in self.procs)

    # -- the scenario -----------------------------------------------------------------------
    def run_pipeline(self, timeout: float = DEFAULT_TIMEOUT) -> dict[str, str]:
        """Trigger the three ingestion DAGs, then the nightly run; returns the final states."""
        deadline = time.monotonic() + timeout
        self.wait_healthy(timeout=max(30.0, min(240.0, deadline - time.monotonic())))
        ingest = {dag: self.trigger(dag) for dag in INGEST_DAGS}
        states = self.wait_runs(ingest, deadline)
        failed = {d: self.task_states(d, r) for d, r in ingest.items() if states[d] != "success"}
        if failed:
            raise AssertionError(f"ingestion failed: {failed}\n{self.diagnostics()}")
        nightly = {NIGHTLY_DAG: self.trigger(NIGHTLY_DAG)}
        states.update(self.wait_runs(nightly, deadline))
        if states[NIGHTLY_DAG] != "success":
            ti = self.task_states(NIGHTLY_DAG, nightly[NIGHTLY_DAG])
            raise AssertionError(f"nightly failed: {ti}\n{self.diagnostics()}")
        return states


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # start_new_session: the group id is the child's pid
    except (ProcessLookupError, PermissionError):
        pass


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", type=Path, default=None, help="default: a new temporary dir")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (logs, marts)")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    args = ap.parse_args(argv)
    reason = unreachable()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="sinkwatch-topology-"))
    t0 = time.monotonic()
    try:
        with Topology(workdir, verbose=True) as topo:
            states = topo.run_pipeline(timeout=args.timeout)
            print(json.dumps(states, indent=2))
            print(f"marts: {topo.paths.published}\nsite: {topo.paths.site / 'index.html'}")
    finally:
        print(f"total {time.monotonic() - t0:.0f}s; logs in {workdir / 'logs'}")
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
