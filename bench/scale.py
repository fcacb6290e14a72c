"""Polling many accounts across worker hosts, one host next to two, in one run (issue 14).

    sudo flock /tmp/multihost.lock .venv/bin/python bench/scale.py \
        [--accounts 50] [--symbols 20] [--windows 6] [--warmup 1] [--weight-limit N] [--pin]

The desk deployed across hosts as tests/multihost runs it (network namespaces: data with
PostgreSQL 15 and Redis, venue, web, worker-1, worker-2; docs/operations.md, "Many hosts"),
--accounts paper accounts on the venue, --symbols traded symbols (the first --symbols of the 20
the venue lists, apps/paper_exchange/symbols.py), every account polled every 15 s by beat.
First worker-1 alone, then worker-2 joins; after a warm-up window each phase measures
--windows windows of 15 s:

- polls completed per window (successful PollRuns finished in it; the schedule asks for one per
  account per window), and the share of (account, window) pairs with a completed poll;
- the poll's p50 / p99 duration (PollRun.duration_ms) and the failed polls.

The venue keeps Binance's request weight per address (2,400 a minute): each worker host is its
own address, as each host is on Binance. --weight-limit raises it, to see the workers' own
capacity apart from the venue's limit. Ends with
`RESULT name=<polls per window, two hosts> baseline=<one host> ratio=<r>`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps.paper_exchange.symbols import SYMBOLS  # noqa: E402
from tests.multihost import hosts  # noqa: E402
from tests.multihost.deployment import Deployment  # noqa: E402

WINDOW = 15.0


def measure(accounts: int, windows: int, warmup: int) -> dict:
    """`windows` windows of 15 s from now (after `warmup` windows)."""
    from apps.pnl.models import PollRun

    time.sleep(warmup * WINDOW)
    start = time.time()
    time.sleep(windows * WINDOW + 5)  # a poll finishing at a window's end gets written
    end = start + windows * WINDOW
    runs = list(
        PollRun.objects.filter(
            finished_at__gte=datetime.fromtimestamp(start, UTC),
            finished_at__lt=datetime.fromtimestamp(end, UTC),
        ).values("account_id", "status", "finished_at", "duration_ms")
    )
    ok = [r for r in runs if r["status"] == "ok"]
    per_window = [0] * windows
    covered: set[tuple[int, int]] = set()
    for r in ok:
        w = int((r["finished_at"].timestamp() - start) // WINDOW)
        per_window[w] += 1
        covered.add((r["account_id"], w))
    durations = sorted(r["duration_ms"] for r in ok)
    return {
        "per_window": per_window,
        "mean": statistics.mean(per_window),
        "coverage": len(covered) / (accounts * windows),
        "p50": _pct(durations, 50),
        "p99": _pct(durations, 99),
        "failed": len(runs) - len(ok),
        # every "host" shares this machine's cores: the figures mean little without it
        "load": os.getloadavg()[0],
    }


def _pct(values: list[int], p: int) -> float:
    if not values:
        return float("nan")
    return float(values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--symbols", type=int, default=20, help=f"at most {len(SYMBOLS)}")
    parser.add_argument("--windows", type=int, default=6)
    parser.add_argument(
        "--weight-limit",
        type=int,
        default=None,
        help="the venue's request weight a minute per address (default Binance's 2,400)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="windows before each phase's measure (the first polls page through 90 days each)",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="each worker host on a core of its own (worker-1 CPU 0, worker-2 CPU 1; the "
        "other hosts on any): a host's capacity, where unpinned hosts share every core",
    )
    args = parser.parse_args()
    if reason := hosts.missing():
        sys.exit(f"bench/scale.py: {reason}")
    if not 1 <= args.symbols <= len(SYMBOLS):
        sys.exit(f"bench/scale.py: --symbols is 1 to {len(SYMBOLS)}, the venue's listed symbols")
    symbols = list(SYMBOLS)[: args.symbols]
    deployment = Deployment.create(desk_env={"TRADING_SYMBOLS": ",".join(symbols)})
    if args.pin:
        deployment.cpus.update({"worker-1": "0", "worker-2": "1"})
    if args.weight_limit:
        deployment.venue_env["PAPER_EXCHANGE_WEIGHT_LIMIT_1M"] = str(args.weight_limit)
    try:
        t0 = time.monotonic()
        deployment.up(accounts=args.accounts, worker_hosts=("worker-1",))
        print(
            f"deployed {args.accounts} accounts x {len(symbols)} symbols, worker-1 alone, "
            f"in {time.monotonic() - t0:.0f} s",
            flush=True,
        )
        os.environ.clear()
        os.environ.update(deployment.operator_env())
        os.environ["DJANGO_SETTINGS_MODULE"] = "quantum_project.settings"
        import django

        django.setup()
        one = measure(args.accounts, args.windows, args.warmup)
        print(f"one worker host: {one}", flush=True)
        deployment.start_host("worker-2")
        two = measure(args.accounts, args.windows, args.warmup)
        print(f"two worker hosts: {two}", flush=True)
    finally:
        deployment.destroy()
        shutil.rmtree(deployment.net.workdir, ignore_errors=True)  # the hosts' data and logs
    print()
    print(f"{'':<28}{'one host':>12}{'two hosts':>12}")
    for label, key, fmt in (
        ("polls per 15 s window", "mean", "{:.1f}"),
        ("accounts polled per window", "coverage", "{:.0%}"),
        ("poll p50 ms", "p50", "{:.0f}"),
        ("poll p99 ms", "p99", "{:.0f}"),
        ("failed polls", "failed", "{}"),
        ("load average (1 min) at end", "load", "{:.1f}"),
    ):
        print(f"{label:<28}{fmt.format(one[key]):>12}{fmt.format(two[key]):>12}")
    print(f"(the schedule asks for {args.accounts} polls per window)")
    ratio = two["mean"] / one["mean"] if one["mean"] else float("nan")
    print(f"RESULT name={two['mean']:.1f} baseline={one['mean']:.1f} ratio={ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
