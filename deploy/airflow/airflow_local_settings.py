"""Airflow local settings for the sinkwatch deployment (found on PYTHONPATH; Airflow imports it
in every component at start-up, before any executor or provider code).

1. Compatibility shim: ``apache-airflow-providers-celery`` 3.26 imports ``retry`` from
   ``celery.backends.database``, which celery 5.7 removed (its database backend retries by itself
   now), so with the locked versions every CeleryExecutor component fails at import. Until the
   lock pins ``celery<5.7`` (or a provider release drops the import), give that module back a
   ``retry`` decorator with celery 5.6's behaviour: up to 3 tries on database connection errors.
   Remove this block when ``from celery.backends.database import retry`` works without it.
2. Great Expectations logs ~200 "Skipping registering function" lines per task; keep it at WARNING.
"""

from __future__ import annotations

import functools
import logging

__all__: list[str] = []  # no cluster policies here

logging.getLogger("great_expectations").setLevel(logging.WARNING)


def _install_celery_db_retry_shim() -> None:
    try:
        import celery.backends.database as celery_db
    except Exception:  # noqa: BLE001 - celery or SQLAlchemy absent: nothing to patch
        return
    if hasattr(celery_db, "retry"):
        return
    from sqlalchemy.exc import DatabaseError, InterfaceError

    def retry(fun):
        @functools.wraps(fun)
        def _inner(*args, **kwargs):
            max_retries = kwargs.pop("max_retries", 3)
            for attempt in range(max_retries):
                try:
                    return fun(*args, **kwargs)
                except (DatabaseError, InterfaceError):
                    logging.getLogger(__name__).warning(
                        "database error in %s (try %d of %d)", fun.__name__, attempt + 1,
                        max_retries, exc_info=True)
                    if attempt + 1 >= max_retries:
                        raise
            return None

        return _inner

    celery_db.retry = retry


_install_celery_db_retry_shim()
