"""`python -m tests.multihost [--minutes N] [--accounts N] [--evidence FILE] [--keep]`: the desk
deployed across hosts under faults, then checked against the venue (tests/multihost/run.py).
`--hold` only deploys, prints where everything is and keeps it up until Ctrl-C."""

import argparse
import signal
import sys
import time
from pathlib import Path

from tests.chaos.run import DESK_ENV
from tests.multihost.deployment import HOSTS, Deployment, programs_of
from tests.multihost.run import Options, run


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.multihost", description=__doc__)
    parser.add_argument("--accounts", type=int, default=2, help="paper accounts the desk runs")
    parser.add_argument("--speed", default="60", help="venue seconds per wall second")
    parser.add_argument(
        "--minutes", type=float, default=0, help="minutes of trading after the faults"
    )
    parser.add_argument(
        "--partition-seconds", type=float, default=20, help="how long worker-1 is cut off"
    )
    parser.add_argument("--evidence", type=Path, default=None, help="write it (JSON) here")
    parser.add_argument("--keep", action="store_true", help="keep the hosts' logs")
    parser.add_argument("--hold", action="store_true", help="deploy and wait for Ctrl-C")
    args = parser.parse_args()
    # SIGTERM ends the run as Ctrl-C does: through the finally and atexit, never leaving hosts
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not args.hold:
        return run(
            Options(
                minutes=args.minutes,
                accounts=args.accounts,
                partition_seconds=args.partition_seconds,
                speed=args.speed,
                evidence=args.evidence,
                keep=args.keep,
            )
        )
    deployment = Deployment.create(desk_env=dict(DESK_ENV), venue_speed=args.speed)
    try:
        accounts = deployment.up(accounts=args.accounts)
        print(hosts_table(deployment, accounts), flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 130
    finally:
        deployment.destroy()


def hosts_table(deployment: Deployment, accounts: list[str]) -> str:
    net = deployment.net
    lines = [f"multihost: bridge {net.bridge}, {net.subnet}.0/24, logs under {net.workdir}"]
    for host in HOSTS:
        what = ", ".join(programs_of(host)) or "postgres, redis"
        lines.append(f"  {host:<9} {net.address(host):<15} {net.ns(host):<22} {what}")
    lines.append(f"  accounts: {', '.join(accounts)}; API {deployment.url('web')}")
    lines.append(f"  enter a host: ip netns exec {net.ns('web')} bash")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
