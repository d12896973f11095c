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
import hashlib
import re
import sys
from pathlib import Path

import duckdb

TIMESTAMP = re.compile(
    rb"\d{4}-\d{2}-\d{2}[ T_]\d{2}[:_]\d{2}[:_]\d{2}(?:[._]\d+)?(?:[+_]\d{2}[:_]?\d{2})?"
)


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


def _normaliser(run_id: str | None):
    spellings: list[bytes] = []
    if run_id:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)
        spellings = sorted({run_id.encode(), safe.encode(), run_id.replace("_", "").encode()},
                           key=len, reverse=True)

    def norm(data: bytes) -> bytes:
        for s in spellings:
            data = data.replace(s, b"<run_id>")
        return TIMESTAMP.sub(b"<ts>", data)

    return norm


def table_digests(db: Path, norm=None) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_catalog = current_database() order by 1").fetchall()]
        out = {}
        for t in tables:
            rows = [repr(r).encode() for r in con.execute(f"select * from {t}").fetchall()]
            if norm:
                rows = [norm(r) for r in rows]
            out[t] = hashlib.sha256(b"\n".join(sorted(rows))).hexdigest()
        return out
    finally:
        con.close()


def file_digests(site: Path, norm=None) -> dict[str, str]:
    out = {}
    for f in sorted(site.rglob("*")):
        if f.is_file():
            data = f.read_bytes()
            out[str(f.relative_to(site))] = hashlib.sha256(norm(data) if norm else data).hexdigest()
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
                    help="replace each run's id and ISO timestamps by placeholders first")
    args = ap.parse_args(argv)
    (db_a, site_a), (db_b, site_b) = _locate(args.before), _locate(args.after)
    norm_a = _normaliser(_run_id(db_a)) if args.normalise else None
    norm_b = _normaliser(_run_id(db_b)) if args.normalise else None
    tables_a, tables_b = table_digests(db_a, norm_a), table_digests(db_b, norm_b)
    files_a, files_b = file_digests(site_a, norm_a), file_digests(site_b, norm_b)
    problems = _diff("table", tables_a, tables_b) + _diff("file", files_a, files_b)
    for line in problems:
        print(line)
    same_t = sum(tables_a.get(k) == v for k, v in tables_b.items())
    same_f = sum(files_a.get(k) == v for k, v in files_b.items())
    print(f"{same_t}/{len(tables_a)} tables and {same_f}/{len(files_a)} site files identical"
          + (" (run id and timestamps normalised)" if args.normalise else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
