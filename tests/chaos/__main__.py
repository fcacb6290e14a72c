"""`python -m tests.chaos --minutes N [--seed S] [--kills-per-program K] [--evidence PATH]`"""

import argparse
import os
import random
import sys
from pathlib import Path

from tests.chaos.run import Options, run


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("--minutes", type=float, default=15, help="length of the chaos phase")
    parser.add_argument("--seed", type=int, default=None, help="the kill schedule's seed")
    parser.add_argument(
        "--kills-per-program",
        type=int,
        default=None,
        help="kill -9 each program this often (default: one per 5 minutes, at least one)",
    )
    parser.add_argument("--speed", default="60", help="venue seconds per wall second")
    parser.add_argument(
        "--evidence", type=Path, default=None, help="write what was compared (JSON) here"
    )
    parser.add_argument("--keep", action="store_true", help="keep the var dir and its logs")
    args = parser.parse_args()
    options = Options(
        minutes=args.minutes,
        seed=args.seed if args.seed is not None else random.SystemRandom().randrange(10**6),
        kills_per_program=(
            args.kills_per_program
            if args.kills_per_program is not None
            else max(1, round(args.minutes / 5))
        ),
        speed=args.speed,
        evidence=args.evidence,
        keep=args.keep,
        database_url=os.environ.get("DATABASE_URL") or None,
    )
    return run(options)


if __name__ == "__main__":
    sys.exit(main())
