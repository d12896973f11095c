# syntax=docker/dockerfile:1
# The sinkwatch image: the project, its locked dependencies (uv.lock) and the Airflow components.
# One image for every Airflow service in docker-compose.yml; the command picks the component.
FROM python:3.11-slim

ARG UV_VERSION=0.13.9
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/sinkwatch/.venv

RUN pip install --no-cache-dir "uv==${UV_VERSION}" \
 && groupadd --gid 50000 sinkwatch \
 && useradd --uid 50000 --gid 50000 --create-home --home-dir /home/sinkwatch sinkwatch

WORKDIR /opt/sinkwatch

# Dependencies first (cached while only the code changes), exactly as locked, without dev tools.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked --no-dev --no-install-project

# The project itself (installed editable, so dags/, dbt_project/ and expectations/ are found
# next to the package, as in a checkout).
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked --no-dev \
 && chmod 0755 deploy/entrypoint.sh \
 && mkdir -p /data/sinkwatch \
 && chown sinkwatch:sinkwatch /data/sinkwatch

# Everything the pipeline writes goes under SINKWATCH_HOME (a volume); AIRFLOW_HOME lives in it.
ENV PATH=/opt/sinkwatch/.venv/bin:$PATH \
    SINKWATCH_HOME=/data/sinkwatch \
    AIRFLOW_HOME=/data/sinkwatch/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/sinkwatch/dags \
    PYTHONPATH=/opt/sinkwatch/deploy/airflow \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False \
    GX_ANALYTICS_ENABLED=False

USER sinkwatch
VOLUME ["/data/sinkwatch"]
ENTRYPOINT ["/opt/sinkwatch/deploy/entrypoint.sh"]
CMD ["sinkwatch", "--help"]
