"""docker-compose.yml, Dockerfile, the entry point and the nginx conf, checked without a Docker
engine: the compose file parses (pyyaml; also `docker compose config` when a compose client is
installed), every service is there with a health check, volumes and environment agree with the
project's settings, secrets only come from .env, and the image's entry points exist."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from orchestration.dagkit import DUCKDB_POOL
from sinkwatch.config import Paths

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
ENTRYPOINT = REPO / "deploy" / "entrypoint.sh"
NGINX = REPO / "deploy" / "nginx" / "default.conf"
ENV_EXAMPLE = REPO / ".env.example"

AIRFLOW_SERVICES = {
    "airflow-init": "init",
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery",
}
SERVICES = {"postgres", "redis", "dashboard", *AIRFLOW_SERVICES}
VAR = re.compile(r"\$\{([A-Z0-9_]+)(?:(:?[-?+])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _dockerfile_env() -> dict[str, str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            for key, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S+)", line):
                env[key] = value
    return env


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error} and ${VAR:+replacement}."""

    def sub(m: re.Match) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3) or ""
        value = env.get(name, "")
        if op == ":?" and not value:
            raise KeyError(f"{name}: {arg}")
        if op == ":-":
            return value or arg
        if op == ":+":
            return arg if value else ""
        return value

    text = text.replace("$$", "\0")
    return VAR.sub(sub, text).replace("\0", "$")


def _env_example() -> dict[str, str]:
    out = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def _compose_text() -> str:
    """The compose file without its comment lines (compose does not interpolate comments)."""
    return "\n".join(line for line in COMPOSE.read_text().splitlines()
                     if not line.lstrip().startswith("#"))


def _required_vars() -> set[str]:
    return {m.group(1) for m in VAR.finditer(_compose_text()) if m.group(2) == ":?"}


def _filled_env() -> dict[str, str]:
    return {k: v or f"dummy-{k.lower()}" for k, v in _env_example().items()}


# --- structure ------------------------------------------------------------------------------

def test_compose_parses_and_has_every_service(services):
    assert SERVICES <= set(services), SERVICES - set(services)


def test_every_service_has_a_healthcheck(services):
    for name, svc in services.items():
        hc = svc.get("healthcheck")
        assert hc and not hc.get("disable") and hc.get("test"), f"{name}: no healthcheck"
        assert hc["test"][0] in ("CMD", "CMD-SHELL"), name


def test_airflow_services_share_image_settings_and_home(services):
    home = "/data/sinkwatch"
    df = _dockerfile_env()
    assert df["SINKWATCH_HOME"] == home
    assert df["AIRFLOW_HOME"] == str(Paths(Path(home)).airflow)
    for name, first_arg in AIRFLOW_SERVICES.items():
        svc = services[name]
        assert svc["build"]["context"] == "." and svc["build"]["dockerfile"] == "Dockerfile", name
        assert svc["image"] == services["airflow-scheduler"]["image"], name
        assert svc["command"][0] == first_arg, name
        env = svc["environment"]
        assert env["SINKWATCH_HOME"] == home, name
        assert env["AIRFLOW_HOME"] == str(Paths(Path(home)).airflow), name
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == df["AIRFLOW__CORE__DAGS_FOLDER"], name
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False", name
        conn = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert conn.startswith("postgresql+psycopg2://") and "@postgres:5432/" in conn, name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"), name
        assert "@redis:6379/" in env["AIRFLOW__CELERY__BROKER_URL"], name
        # SQLAlchemy 2.1 defaults postgresql:// to psycopg 3, which is not installed
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://")
        for key in ("AIRFLOW__API__SECRET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET",
                    "AIRFLOW__CORE__FERNET_KEY"):
            assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", env[key]), (name, key)
        # one shared volume at SINKWATCH_HOME in every Airflow container
        assert f"sinkwatch-home:{home}" in svc["volumes"], name
        assert any(v.endswith(f":{home}/landing") for v in svc["volumes"]), name
        assert "container_name" not in svc, name


def test_dags_folder_and_project_dirs_are_in_the_image():
    df = _dockerfile_env()
    workdir = re.search(r"^WORKDIR (\S+)", DOCKERFILE.read_text(), re.M).group(1)
    dags = Path(df["AIRFLOW__CORE__DAGS_FOLDER"])
    assert dags.parent == Path(workdir)
    assert (REPO / dags.name).is_dir() and list((REPO / dags.name).glob("*.py"))
    dockerignore = (REPO / ".dockerignore").read_text().split()
    for needed in ("dags", "dbt_project", "expectations", "sinkwatch", "ingestion", "dashboards",
                   "deploy", "uv.lock", "pyproject.toml", "README.md"):
        assert needed not in dockerignore and f"{needed}/" not in dockerignore, needed
        assert (REPO / needed).exists(), needed


def test_execution_api_url_points_at_the_api_server(services):
    api = services["airflow-apiserver"]
    port = api["command"][api["command"].index("--port") + 1]
    for name in AIRFLOW_SERVICES:
        url = services[name]["environment"]["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
        assert url == f"http://airflow-apiserver:{port}/execution/", name
    assert any(p.endswith(f":{port}") for p in api["ports"])


def test_workers_scale(services):
    worker = services["airflow-worker"]
    assert worker["command"][:2] == ["celery", "worker"]
    assert "ports" not in worker and "container_name" not in worker and "hostname" not in worker


def test_init_job_migrates_creates_the_pool_and_the_admin(services):
    init = services["airflow-init"]
    assert init["restart"] == "no"
    for name in set(AIRFLOW_SERVICES) - {"airflow-init"}:
        dep = services[name]["depends_on"]
        assert dep["airflow-init"]["condition"] == "service_completed_successfully", name
        assert dep["postgres"]["condition"] == "service_healthy", name
        assert dep["redis"]["condition"] == "service_healthy", name
    script = ENTRYPOINT.read_text()
    body = re.search(r"^init\(\) \{(.*?)^\}", script, re.S | re.M).group(1)
    wanted = ["db migrate", f"pools set {DUCKDB_POOL} 1 ", "sinkwatch ensure-admin",
              "sinkwatch ledger migrate --create-database"]
    steps = [s for s in wanted if s in body]
    assert steps == wanted
    assert [body.index(s) for s in steps] == sorted(body.index(s) for s in steps)  # in order
    assert init["environment"]["AIRFLOW_ADMIN_PASSWORD"].startswith("${AIRFLOW_ADMIN_PASSWORD:?")
    # its health check is the flag the init function writes last
    flag = init["healthcheck"]["test"][-1]
    assert flag == f"{init['environment']['AIRFLOW_HOME']}/init.ok"
    assert 'done_flag="${AIRFLOW_HOME:-$SINKWATCH_HOME/airflow}/init.ok"' in body
    assert body.rstrip().endswith('touch "$done_flag"')


def test_the_airflow_containers_and_the_ledger_api_share_one_ledger(services):
    """The nightly run (snapshot, reconciliation gate, creditable load) must read the ledger the
    officers write through the API: one PostgreSQL database, never a SQLite file per container."""
    urls = {name: services[name]["environment"].get("SINKWATCH_LEDGER_URL")
            for name in [*AIRFLOW_SERVICES, "ledger-api"]}
    assert len(set(urls.values())) == 1, urls
    url = urls["ledger-api"]
    assert url.startswith("postgresql+psycopg2://")
    assert url.endswith("@postgres:5432/sinkwatch_ledger")
    assert services["ledger-api"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_login_is_required_with_the_fab_auth_manager(services):
    """Production logs in through the FAB auth manager (users and roles in the metadata
    database); the embedded Airflow of `make demo` keeps the simple auth manager."""
    from airflow.providers.fab.auth_manager.fab_auth_manager import FabAuthManager

    from orchestration.users import FAB_AUTH_MANAGER
    from sinkwatch.airflow_env import SIMPLE_AUTH_MANAGER, airflow_env

    assert FAB_AUTH_MANAGER == f"{FabAuthManager.__module__}.{FabAuthManager.__qualname__}"
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__AUTH_MANAGER"] == FAB_AUTH_MANAGER, name
        assert not [k for k in env if "SIMPLE_AUTH_MANAGER" in k], name
        # no anonymous role: every UI and API request needs a login
        assert "AIRFLOW__FAB__AUTH_ROLE_PUBLIC" not in env, name
        # the admin's password reaches the init job only
        if name != "airflow-init":
            assert not [k for k in env if k.startswith("AIRFLOW_ADMIN")], name
    assert "/var/lib/sinkwatch-auth" not in COMPOSE.read_text()
    assert airflow_env({})["AIRFLOW__CORE__AUTH_MANAGER"] == SIMPLE_AUTH_MANAGER
    # the provider is a locked dependency of the image
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert any(d.startswith("apache-airflow-providers-fab") for d in
               project["project"]["dependencies"])
    assert 'name = "apache-airflow-providers-fab"' in (REPO / "uv.lock").read_text()


def test_ensure_admin_refuses_without_fab_or_password(tmp_path):
    """`sinkwatch ensure-admin` (the init job's step) manages FAB users only, and never runs
    with an empty password."""
    import sys

    base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    base.update(SINKWATCH_HOME=str(tmp_path), AIRFLOW_ADMIN_PASSWORD="secret")
    cmd = [sys.executable, "-m", "orchestration.cli", "ensure-admin"]
    simple = subprocess.run(cmd, env=base, capture_output=True, text=True, timeout=120)
    assert simple.returncode == 2 and "FAB" in simple.stderr
    fab = {**base, "AIRFLOW__CORE__AUTH_MANAGER":
           "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager",
           "AIRFLOW_ADMIN_PASSWORD": ""}
    empty = subprocess.run(cmd, env=fab, capture_output=True, text=True, timeout=120)
    assert empty.returncode == 2 and "AIRFLOW_ADMIN_PASSWORD is empty" in empty.stderr


# --- secrets ----------------------------------------------------------------------------------

def test_no_literal_passwords_in_compose():
    text = COMPOSE.read_text()
    for line in text.splitlines():
        code = line.split(" #", 1)[0]
        if re.search(r"(PASSWORD|SECRET|FERNET|_KEY|AUTH)\s*:", code) and ":" in code:
            value = code.split(":", 1)[1].strip()
            if value and not value.startswith(("*", "&", "<<")):
                assert re.search(r"\$\{[A-Z_]+:\?", value) or value.startswith(
                    ("airflow.", '"False"', "/var/lib/")), line
        # credentials inside URLs come from .env too
        for cred in re.findall(r"://[^:@/\s]*:([^@\s]+)@", code):
            assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", cred), line
    assert "${POSTGRES_PASSWORD:-" not in text and "${REDIS_PASSWORD:-" not in text


def test_env_example_lists_every_required_variable_without_values():
    example = _env_example()
    required = _required_vars()
    assert required == {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW_ADMIN_PASSWORD",
                        "AIRFLOW_FERNET_KEY", "AIRFLOW_API_SECRET_KEY", "AIRFLOW_JWT_SECRET"}
    assert required <= set(example), required - set(example)
    assert all(example[k] == "" for k in required), "no secret values in .env.example"
    assert ".env" in (REPO / ".dockerignore").read_text().split()


def test_compose_interpolates_with_a_filled_env_and_refuses_without():
    text = _compose_text()
    resolved = yaml.safe_load(interpolate(text, _filled_env()))
    env = resolved["services"]["airflow-worker"]["environment"]
    assert "dummy-postgres_password@postgres" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert resolved["services"]["airflow-worker"]["volumes"][1] == \
        "sinkwatch-landing:/data/sinkwatch/landing"
    init = resolved["services"]["airflow-init"]["environment"]
    assert (init["AIRFLOW_ADMIN_USER"], init["AIRFLOW_ADMIN_PASSWORD"]) == (
        "admin", "dummy-airflow_admin_password")
    assert not init["AIRFLOW_ADMIN_EMAIL"]  # empty: ensure-admin makes one up
    other = {**_filled_env(), "AIRFLOW_ADMIN_USER": "chief", "AIRFLOW_ADMIN_EMAIL": "c@x.org"}
    init = yaml.safe_load(interpolate(text, other))["services"]["airflow-init"]["environment"]
    assert (init["AIRFLOW_ADMIN_USER"], init["AIRFLOW_ADMIN_EMAIL"]) == ("chief", "c@x.org")
    for missing in _required_vars():
        env = {k: v for k, v in _filled_env().items() if k != missing}
        with pytest.raises(KeyError, match=missing):
            interpolate(text, env)


def test_docker_compose_config_when_a_client_is_installed(tmp_path):
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True,
                                     timeout=30).returncode != 0:
        pytest.skip("no docker compose client here (parsed with pyyaml above)")
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in _filled_env().items()))
    proc = subprocess.run([docker, "compose", "-f", str(COMPOSE), "--env-file", str(env_file),
                           "config", "-q"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


# --- image ------------------------------------------------------------------------------------

def test_dockerfile_builds_from_the_lock_as_a_non_root_user():
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert "COPY pyproject.toml uv.lock" in text
    assert "uv sync --locked --no-dev" in text
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    entry = re.search(r'^ENTRYPOINT \["([^"]+)"', text, re.M).group(1)
    workdir = re.search(r"^WORKDIR (\S+)", text, re.M).group(1)
    assert entry == f"{workdir}/deploy/entrypoint.sh"


def test_entrypoint_exists_is_executable_and_handles_every_command(services):
    assert ENTRYPOINT.exists() and os.access(ENTRYPOINT, os.X_OK)
    assert ENTRYPOINT.read_text().startswith("#!/usr/bin/env bash")
    subprocess.run(["bash", "-n", str(ENTRYPOINT)], check=True)
    script = ENTRYPOINT.read_text()
    cases = re.search(r'case "\$\{1:-\}" in(.*?)esac', script, re.S).group(1)
    for first in AIRFLOW_SERVICES.values():
        assert re.search(rf"(^|[\s|]){re.escape(first)}(\||\))", cases, re.M), first
    assert "exec sinkwatch airflow" in script


def test_console_script_and_local_settings_exist():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    target = project["project"]["scripts"]["sinkwatch"]
    module, func = target.split(":")
    mod = __import__(module, fromlist=[func])
    assert callable(getattr(mod, func))
    pythonpath = _dockerfile_env()["PYTHONPATH"]
    workdir = re.search(r"^WORKDIR (\S+)", DOCKERFILE.read_text(), re.M).group(1)
    rel = Path(pythonpath).relative_to(workdir)
    assert (REPO / rel / "airflow_local_settings.py").exists()


def test_local_settings_make_the_celery_executor_importable():
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        "sinkwatch_local_settings", REPO / "deploy" / "airflow" / "airflow_local_settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from celery.backends.database import retry  # noqa: F401 - present with the shim

    sys.modules.pop("airflow.providers.celery.executors.celery_executor_utils", None)
    import airflow.providers.celery.executors.celery_executor_utils  # noqa: F401


# --- dashboard --------------------------------------------------------------------------------

def test_nginx_serves_the_site_read_only(services):
    dash = services["dashboard"]
    home = services["airflow-scheduler"]["environment"]["SINKWATCH_HOME"]
    conf = NGINX.read_text()
    root = re.search(r"^\s*root\s+([^;]+);", conf, re.M).group(1)
    assert root == str(Paths(Path(home)).site)
    assert f"sinkwatch-home:{home}:ro" in dash["volumes"]
    mounted = [v for v in dash["volumes"] if v.endswith("/etc/nginx/conf.d/default.conf:ro")]
    assert mounted and (REPO / mounted[0].split(":")[0]).resolve() == NGINX.resolve()
    assert "location = /healthz" in conf
    assert "/healthz" in " ".join(dash["healthcheck"]["test"])
