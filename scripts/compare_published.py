"""Compare what two runs published: every table of the published marts (row-order independent
content digest) and every file of the dashboard site (bytes).

    python scripts/compare_published.py BEFORE AFTER

BEFORE and AFTER are SINKWATCH_HOME folders (or folders holding ``marts.duckdb`` and ``site/``).
Each run has its own run id and its own ingest times; ``--normalise`` replaces the run id
(in its spellings) and ISO timestamps by placeholders before comparing, so that a refactoring can
be shown to change nothing else. Exit code 0 when everything is identical, 1 otherwise (the
differences listed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import re
import sys
from pathlib import Path

import duckdb

TIMESTAMP = re.compile(
    rb"\d{4}-\d{2}-\d{2}[ T_]\d{2}[:_]\d{2}(?:[:_]\d{2}(?:[._]\d+)?)?(?:[+_]\d{2}[:_]?\d{2})?"
)
#: Airflow run ids of any DAG (the ingest DAGs' runs are recorded in the manifest).
RUN_ID = re.compile(
    rb"(?:manual|scheduled|asset_triggered)__<ts>(?:[._]\d+)?(?:[+_]\d{2}[:_]?\d{2})?")


def _locate(root: Path) -> tuple[Path, Path]:
    root = root.resolve()
    if (root / "warehouse" / "marts.duckdb").exists():
        return root / "warehouse" / "marts.duckdb", (root / "site").resolve()
    return root / "marts.duckdb", (root / "site").resolve()


def _run_id(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select run_id from meta_run").fetchone()[0]
    finally:
        con.close()


def _normaliser(run_id: str | None, home: str | None):
    spellings: list[bytes] = []
    if run_id:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)
        spellings = sorted({run_id.encode(), safe.encode(), run_id.replace("_", "").encode()},
                           key=len, reverse=True)

    def norm(data: bytes) -> bytes:
        if home:  # lineage columns hold absolute paths of the run's own home
            data = data.replace(home.encode(), b"<home>")
        for s in spellings:
            data = data.replace(s, b"<run_id>")
        return RUN_ID.sub(b"<run_id>", TIMESTAMP.sub(b"<ts>", data))

    return norm


def _value(v, norm, float_digits: int | None):
    if isinstance(v, (dt.datetime, dt.date)) and norm:
        return "<ts>"
    if isinstance(v, float) and float_digits:
        return float(f"{v:.{float_digits}g}")
    if isinstance(v, str) and norm:
        return norm(v.encode()).decode()
    if isinstance(v, (list, tuple)):
        return [_value(x, norm, float_digits) for x in v]
    return v


def table_digests(db: Path, norm=None, float_digits: int | None = None) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_catalog = current_database() order by 1").fetchall()]
        out = {}
        for t in tables:
            rows = [repr(r).encode() for r in con.execute(f"select * from {t}").fetchall()]
            if norm or float_digits:
                rows = [repr([_value(v, norm, float_digits) for v in eval_row]).encode()
                        for eval_row in con.execute(f"select * from {t}").fetchall()]
            out[t] = hashlib.sha256(b"\n".join(sorted(rows))).hexdigest()
        return out
    finally:
        con.close()


def file_digests(site: Path, norm=None, unordered_csv: bool = False) -> dict[str, str]:
    out = {}
    for f in sorted(site.rglob("*")):
        if not f.is_file():
            continue
        rel = f.relative_to(site)
        if norm and rel.parts[0] == "gx" and rel.parts[1:2] == ("validations",):
            # a GX results page's path holds its validation time: keyed without it
            rel = Path(*[p for p in rel.parts if not TIMESTAMP.search(p.encode())
                         and not re.fullmatch(r"\d{8}T\d{6}\.\d+Z", p)])
        data = f.read_bytes()
        if norm:
            data = norm(data)
        if unordered_csv and f.suffix == ".csv":  # rows tied in the sort order may swap
            head, *rows = data.split(b"\n")
            data = b"\n".join([head, *sorted(rows)])
        out[str(rel)] = hashlib.sha256(data).hexdigest()
    return out


def _diff(kind: str, a: dict[str, str], b: dict[str, str]) -> list[str]:
    lines = []
    for k in sorted(set(a) | set(b)):
        if k not in a:
            lines.append(f"{kind} only in AFTER: {k}")
        elif k not in b:
            lines.append(f"{kind} only in BEFORE: {k}")
        elif a[k] != b[k]:
            lines.append(f"{kind} differs: {k}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--normalise", action="store_true",
                    help="replace each run's id, home path and ISO timestamps by placeholders")
    ap.add_argument("--before-home", help="SINKWATCH_HOME the BEFORE run wrote its paths with "
                    "(default: BEFORE itself)")
    ap.add_argument("--after-home", help="the same for AFTER")
    ap.add_argument("--float-digits", type=int, default=None,
                    help="compare floats to this many significant digits (the intermediate "
                    "tables are not rounded: parallel float sums differ in the last bits)")
    ap.add_argument("--unordered-csv", action="store_true",
                    help="compare the site's CSV downloads as sets of rows")
    args = ap.parse_args(argv)
    (db_a, site_a), (db_b, site_b) = _locate(args.before), _locate(args.after)
    home_a = args.before_home or str(args.before.resolve())
    home_b = args.after_home or str(args.after.resolve())
    norm_a = _normaliser(_run_id(db_a), home_a) if args.normalise else None
    norm_b = _normaliser(_run_id(db_b), home_b) if args.normalise else None
    tables_a = table_digests(db_a, norm_a, args.float_digits)
    tables_b = table_digests(db_b, norm_b, args.float_digits)
    files_a = file_digests(site_a, norm_a, args.unordered_csv)
    files_b = file_digests(site_b, norm_b, args.unordered_csv)
    problems = _diff("table", tables_a, tables_b) + _diff("file", files_a, files_b)
    for line in problems:
        print(line)
    same_t = sum(tables_a.get(k) == v for k, v in tables_b.items())
    same_f = sum(files_a.get(k) == v for k, v in files_b.items())
    print(f"{same_t}/{len(tables_a)} tables and {same_f}/{len(files_a)} site files identical"
          + (" (run id, home path and timestamps normalised)" if args.normalise else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
