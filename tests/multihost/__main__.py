"""`python -m tests.multihost --hold`: build the hosts, deploy the desk on them, print where
everything is and keep it up until Ctrl-C (then everything is torn down)."""

import argparse
import signal
import sys
import time

from tests.chaos.run import DESK_ENV
from tests.multihost.deployment import HOSTS, Deployment, programs_of


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.multihost", description=__doc__)
    parser.add_argument("--accounts", type=int, default=2, help="paper accounts the desk runs")
    parser.add_argument("--speed", default="60", help="venue seconds per wall second")
    parser.add_argument("--hold", action="store_true", help="deploy and wait for Ctrl-C")
    args = parser.parse_args()
    # SIGTERM ends the run as Ctrl-C does: through the finally and atexit, never leaving hosts
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    deployment = Deployment.create(desk_env=dict(DESK_ENV), venue_speed=args.speed)
    try:
        accounts = deployment.up(accounts=args.accounts)
        print(hosts_table(deployment, accounts), flush=True)
        while args.hold:
            time.sleep(3600)
        return 0
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
