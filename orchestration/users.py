"""Users of the production Airflow (FAB auth manager: users and roles live in the metadata
database). The admin comes from the environment (``AIRFLOW_ADMIN_USER``, ``AIRFLOW_ADMIN_PASSWORD``
from ``.env``); the init job runs :func:`ensure_admin` on every ``docker compose up``, so changing
the password in ``.env`` and running ``up`` again changes it in the database. Everyone else is
managed with ``airflow users create|reset-password|delete|add-role`` (README, "Users and login").

The embedded Airflow of ``make demo`` keeps the simple auth manager (sinkwatch/airflow_env.py).
"""

from __future__ import annotations

#: FAB's built-in roles, as ``.env`` and the README name them.
ROLES = {"admin": "Admin", "op": "Op", "user": "User", "viewer": "Viewer"}
FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"


def ensure_admin(username: str, password: str, email: str | None = None) -> str:
    """Create ``username`` with the Admin role, or, if it exists, set its password and make sure
    it has the Admin role. Idempotent; returns "created" or "updated". Needs a migrated
    database and Airflow configured with the FAB auth manager."""
    if not username or not password:
        raise ValueError("the admin needs a user name and a non-empty password")
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    with get_application_builder() as appbuilder:
        sm = appbuilder.sm
        role = sm.find_role(ROLES["admin"])
        if role is None:
            raise RuntimeError("FAB role Admin is missing: was `airflow db migrate` run?")
        user = sm.find_user(username=username)
        if user is None:
            email = email or f"{username}@sinkwatch.invalid"
            if not sm.add_user(username, username, "(sinkwatch admin)", email, role, password):
                raise RuntimeError(f"could not create the Airflow user {username!r}")
            return "created"
        if not sm.reset_password(user.id, password):
            raise RuntimeError(f"could not set the password of {username!r}")
        if role not in user.roles:
            user.roles.append(role)
            sm.update_user(user)
        return "updated"
