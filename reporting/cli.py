"""``sinkwatch lineage`` and ``sinkwatch report``: wired into orchestration/cli.py with
:func:`add_parser` (as the ledger does)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _cmd_lineage(args: argparse.Namespace) -> int:
    from reporting import lineage, warehouse
    from sinkwatch.config import paths

    try:
        version = warehouse.select(paths(), args.as_of)
    except warehouse.NoWarehouse as exc:
        print(exc, file=sys.stderr)
        return 2
    con = version.connect()
    try:
        answer = lineage.query(con, args.mart, args.where)
    except lineage.WhereError as exc:
        print(f"sinkwatch lineage: {exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    if args.json:
        print(json.dumps({"mart": answer.mart, "granularity": answer.granularity,
                          "key_columns": list(answer.key_columns), "mart_rows": answer.n_rows,
                          "warehouse_run_id": version.run_id, "files": answer.files},
                         ensure_ascii=False, default=str, indent=1))
        return 0
    print(f"# {answer.mart}: {answer.n_rows} row(s) selected, granularity {answer.granularity}"
          f", {len(answer.files)} file(s); warehouse run {version.run_id}")
    if answer.granularity == "table":
        print("# table granularity: every file of every raw family upstream of the mart")
    for f in answer.files:
        print(f"{f['sha256']}  {f['family']:18s}  {str(f['received_at'])[:19]:19s}  "
              f"{f['file_name']}  [{', '.join(f['roles'])}]")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from reporting import annual, warehouse
    from sinkwatch.config import paths

    try:
        out = annual.generate(args.year, as_of=args.as_of, final=args.final, p=paths())
    except (warehouse.NoWarehouse, annual.NoData) as exc:
        print(exc, file=sys.stderr)
        return 2
    for path in out:
        print(path)
    return 0


def add_parser(sub) -> None:
    sp = sub.add_parser(
        "lineage", help="which received files fed a mart's rows (the lineage table)",
        description="sinkwatch lineage MART [--where COND] [--as-of DATE] [--json]: the files "
        "(sha256, family, received time, name) whose rows produced the selected rows. COND: "
        "column OP value [and ...], OP = != <> < <= > >= in (...) is [not] null; values quoted "
        "strings or numbers, e.g. --where \"zone_id='F01' and year=2025\".")
    sp.add_argument("mart")
    sp.add_argument("--where", default=None)
    sp.add_argument("--as-of", type=_day, default=None,
                    help="read the warehouse published on or before this date (bureau time)")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=_cmd_lineage)

    sp = sub.add_parser(
        "report", help="write the annual sink report (HTML for print + xlsx) for a year",
        description="sinkwatch report --year Y [--as-of DATE] [--final]: the year's sink report "
        "in Chinese under $SINKWATCH_HOME/reports/<year>/. --as-of builds it from the warehouse "
        "version published on or before DATE, so a report regenerated later is byte-identical.")
    sp.add_argument("--year", type=int, required=True)
    sp.add_argument("--as-of", type=_day, default=None)
    sp.add_argument("--final", action="store_true",
                    help="the issued report (pins its warehouse version) instead of a draft")
    sp.set_defaults(func=_cmd_report)
