"""``sinkwatch``: the one command-line entry point."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from sinkwatch.config import paths


def _cmd_paths(args: argparse.Namespace) -> int:
    p = paths()
    info = {
        "home": p.home, "landing": p.landing, "archive": p.archive, "raw": p.raw,
        "quarantine": p.quarantine, "published_marts": p.published, "history": p.history,
        "site": p.site / "index.html", "airflow_home": p.airflow, "gx": p.gx,
    }
    print(json.dumps({k: str(v) for k, v in info.items()}, indent=2, ensure_ascii=False))
    return 0


def _cmd_sample_data(args: argparse.Namespace) -> int:
    import shutil

    from sample_data import generate

    p = paths().ensure()
    pending = p.home / "landing_pending"
    shutil.rmtree(pending, ignore_errors=True)
    written = generate(p.landing, scale=args.scale, seed=args.seed, pending=pending)
    for family, files in sorted(written.items()):
        print(f"{family:20s} {len(files)} file(s) in {p.landing_for(family)}")
    steps = sorted(pending.glob("step_*"))
    print(f"{'fire replay':20s} {len(steps)} step(s) in {pending} (make demo lands one per run)")
    return 0


def _family_of(path: Path, landing: Path) -> str | None:
    """The family a path belongs to: the folder it sits in (``landing/<family>/`` or any
    folder named after a family)."""
    from sinkwatch.contracts import FAMILIES

    for parent in [path, *path.parents] if path.is_dir() else path.parents:
        if parent.name in FAMILIES:
            return parent.name
        if parent == landing:
            break
    return None


def _ingest_paths(args: argparse.Namespace) -> int:
    """``sinkwatch ingest PATH... [--family F] [--json]``: files or folders, outside landing/."""
    from ingestion.loader import ingest_paths
    from sinkwatch.contracts import FAMILIES

    p = paths().ensure()
    by_family: dict[str, list[Path]] = {}
    problems = []
    for raw in args.paths:
        path = Path(raw).expanduser().resolve()
        if not path.exists():
            problems.append(f"{raw}: no such file or folder")
            continue
        if path.is_dir():
            files = sorted(f for f in path.rglob("*") if f.is_file() and not f.name.startswith("."))
        else:
            files = [path]
        for f in files:
            family = args.family or _family_of(f, p.landing)
            if family is None:
                problems.append(f"{f}: cannot tell the family (use --family, or put the file in a "
                                f"folder named after one of: {', '.join(FAMILIES)})")
                continue
            by_family.setdefault(family, []).append(f)
    for msg in problems:
        print(msg, file=sys.stderr)
    if not by_family:
        return 2
    rows = []
    try:
        for family, files in by_family.items():
            rows += ingest_paths(family, files, p, run_id=args.run_id, gate=not args.no_gate,
                                 remove_source=False, docs=False)
    finally:
        if any(r.gate_suite for r in rows):  # the Data Docs once, not once per family
            from expectations import gates

            gates.build_data_docs(gates.docs_run_names(rows))
    if args.json:
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False, default=str))
        return 0
    for r in rows:
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(r.reasons.items())) or "-"
        print(f"{r.family:18s} {r.file_name:40s} {r.status:16s} {r.format or '-':28s} "
              f"received={r.rows_received} accepted={r.rows_accepted} "
              f"quarantined={r.rows_quarantined} reasons: {reasons}")
        if r.error:
            print(f"{'':18s} error: {r.error}")
        if r.supersedes:
            print(f"{'':18s} supersedes: {r.supersedes}")
    if not rows:
        print("nothing new: every file was ingested before (same sha256)")
    return 0


def _cmd_fire_danger(args: argparse.Namespace) -> int:
    from orchestration import fire

    out = fire.rate(args.run_id)
    print(json.dumps(out, ensure_ascii=False, default=str, indent=1))
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from orchestration import pipeline
    from sinkwatch.contracts import DAG_FAMILIES, FAMILIES

    if args.family and args.family not in FAMILIES:
        print(f"unknown family {args.family!r}; known: {', '.join(FAMILIES)}", file=sys.stderr)
        return 2
    # positional arguments that are paths (or contain a path separator) select the PATH form
    if args.targets and any(os.sep in t or Path(t).exists() for t in args.targets) \
            and not all(t in FAMILIES for t in args.targets):
        args.paths = args.targets
        return _ingest_paths(args)
    if args.all:
        families = list(FAMILIES)
    elif args.dag:
        families = DAG_FAMILIES[args.dag]
    else:
        families = args.targets or ([args.family] if args.family else [])
    unknown = [f for f in families if f not in FAMILIES]
    if unknown or not families:
        print(f"unknown or no families: {unknown}; known: {', '.join(FAMILIES)}", file=sys.stderr)
        return 2
    rows = pipeline.ingest(families, run_id=args.run_id, gate=not args.no_gate)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False, default=str))
        return 0
    for r in rows:
        print(f"{r.family:20s} {r.file_name:45s} {r.status:17s} read={r.rows_read} "
              f"accepted={r.rows_accepted} quarantined={r.rows_quarantined}")
    if not rows:
        print("nothing new in landing/")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from orchestration import pipeline

    print(pipeline.build(args.run_id, full_refresh=args.full_refresh))
    return 0


def _cmd_gate(args: argparse.Namespace) -> int:
    from expectations import gates
    from orchestration import pipeline

    try:
        results = pipeline.gate(args.run_id)
    except gates.GateFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    for r in results:
        print(f"{r.suite:35s} passed={r.passed} expectations={r.n_expectations} "
              f"failed_warning={r.n_failed_warning}")
    return 0


def _cmd_publish(args: argparse.Namespace) -> int:
    from orchestration import pipeline

    print(pipeline.publish(args.run_id))
    return 0


def _cmd_dashboard(args: argparse.Namespace) -> int:
    from orchestration import pipeline

    site = pipeline.refresh_dashboard(args.run_id)
    print(site / "index.html")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from orchestration import pipeline

    site = pipeline.run_all(args.run_id, full_refresh=args.full_refresh)
    print(f"published {paths().published}\ndashboard {site / 'index.html'}")
    return 0


def _cmd_airflow(args: argparse.Namespace) -> int:
    """Run the ``airflow`` CLI with the project's embedded settings."""
    import os
    import shutil

    from sinkwatch.airflow_env import airflow_env

    env = airflow_env()
    os.makedirs(env["AIRFLOW_HOME"], exist_ok=True)
    exe = os.path.join(os.path.dirname(sys.executable), "airflow")
    exe = exe if os.path.exists(exe) else shutil.which("airflow") or "airflow"
    os.execvpe(exe, [exe, *args.airflow_args], env)
    return 0  # not reached


def _cmd_ensure_admin(args: argparse.Namespace) -> int:
    """Create or update the Airflow admin (FAB auth manager) from AIRFLOW_ADMIN_USER and
    AIRFLOW_ADMIN_PASSWORD; the password is read from the environment only, never argv."""
    from orchestration.users import FAB_AUTH_MANAGER, ensure_admin
    from sinkwatch.airflow_env import airflow_env

    os.environ.update(airflow_env())  # before Airflow is imported: it reads its config once
    if os.environ["AIRFLOW__CORE__AUTH_MANAGER"] != FAB_AUTH_MANAGER:
        print(f"ensure-admin manages FAB users: set AIRFLOW__CORE__AUTH_MANAGER="
              f"{FAB_AUTH_MANAGER} (production); the embedded Airflow uses the simple auth "
              "manager", file=sys.stderr)
        return 2
    user = os.environ.get("AIRFLOW_ADMIN_USER") or "admin"
    password = os.environ.get("AIRFLOW_ADMIN_PASSWORD", "")
    if not password:
        print("AIRFLOW_ADMIN_PASSWORD is empty: set it in .env", file=sys.stderr)
        return 2
    done = ensure_admin(user, password, os.environ.get("AIRFLOW_ADMIN_EMAIL") or None)
    print(f"Airflow admin {user!r} {done} (role Admin)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sinkwatch", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("paths", help="print where sinkwatch reads and writes").set_defaults(
        func=_cmd_paths)

    sp = sub.add_parser("sample-data", help="write the bundled Baotou sample dataset to landing/")
    sp.add_argument("--scale", choices=("small", "demo"), default="demo")
    sp.add_argument("--seed", type=int, default=20211008)
    sp.set_defaults(func=_cmd_sample_data)

    sp = sub.add_parser(
        "ingest", help="ingest files or folders (PATH...), or what waits in landing/<family>/",
        description="sinkwatch ingest PATH... [--family F] [--json] ingests files or folders "
        "with the same code as the DAGs (the family is the folder name unless --family is "
        "given); sinkwatch ingest FAMILY... | --dag DAG | --all ingests landing/ folders.")
    sp.add_argument("targets", nargs="*", metavar="PATH_OR_FAMILY")
    sp.add_argument("--family", help="family of the given files (default: their folder name)")
    sp.add_argument("--json", action="store_true",
                    help="print this call's manifest rows as one JSON array")
    sp.add_argument("--dag", choices=("ingest_surveys", "ingest_remote_sensing",
                                      "ingest_disturbances", "ingest_weather"))
    sp.add_argument("--all", action="store_true")
    sp.add_argument("--no-gate", action="store_true", help="skip the Great Expectations batch gate")
    sp.add_argument("--run-id", default="manual")
    sp.set_defaults(func=_cmd_ingest)

    for name, func, text in (
        ("build", _cmd_build, "dbt build into a run-specific DuckDB file"),
        ("gate", _cmd_gate, "validate a run's build with the mart suites"),
        ("publish", _cmd_publish, "publish a validated build as warehouse/marts.duckdb"),
        ("dashboard", _cmd_dashboard, "render the dashboard from the published marts"),
        ("run", _cmd_run, "ingest, build, gate, publish and render without Airflow"),
    ):
        sp = sub.add_parser(name, help=text)
        sp.add_argument("--run-id", default=None if name == "run" else "manual")
        if name in ("build", "run"):
            sp.add_argument("--full-refresh", action="store_true",
                            help="rebuild every incremental model from the whole raw layer")
        sp.set_defaults(func=func)

    sp = sub.add_parser("fire-danger", help="rate fire danger from the raw weather layer and "
                        "print the alert records (what the ingest_weather DAG does)")
    sp.add_argument("--run-id", default="manual")
    sp.set_defaults(func=_cmd_fire_danger)

    from orchestration import alerts_cli, trading

    alerts_cli.add_parser(sub)
    trading.add_parser(sub)  # sinkwatch trading export-snapshot | load-creditable | demo-trades

    sub.add_parser(
        "ensure-admin", help="create or update the Airflow admin from AIRFLOW_ADMIN_USER and "
        "AIRFLOW_ADMIN_PASSWORD (production, FAB auth manager)").set_defaults(
        func=_cmd_ensure_admin)

    sp = sub.add_parser("airflow", help="run the airflow CLI with the embedded settings")
    sp.add_argument("airflow_args", nargs=argparse.REMAINDER)
    sp.set_defaults(func=_cmd_airflow)

    from ledger.cli import add_parser as add_ledger_parser  # the carbon-offset ledger (#15)
    from sinkwatch.alerts import notify
    add_ledger_parser(sub, notify=notify)

    from reporting.cli import add_parser as add_reporting_parser  # lineage, report (#16)
    add_reporting_parser(sub)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
