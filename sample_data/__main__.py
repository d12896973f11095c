"""``python -m sample_data LANDING [--scale small|demo] [--seed N] [--write-seeds]``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from sample_data import generate
from sample_data.geography import SCALES, write_seeds


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write the synthetic Baotou sample dataset.")
    ap.add_argument("landing", type=Path, help="landing folder (one sub-folder per family)")
    ap.add_argument("--scale", choices=sorted(SCALES), default="demo")
    ap.add_argument("--seed", type=int, default=20211008)
    ap.add_argument("--write-seeds", action="store_true",
                    help="also rewrite dbt_project/seeds/seed_zones.csv and seed_counties.csv")
    args = ap.parse_args(argv)
    if args.write_seeds:
        for p in write_seeds():
            print(p)
    for fam, paths in generate(args.landing, args.scale, args.seed).items():
        print(f"{fam}: {', '.join(p.name for p in paths)}")


if __name__ == "__main__":
    main()
