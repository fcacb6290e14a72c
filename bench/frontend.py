"""The dashboard's weight and speed: bundle size (gzip, computed from frontend/dist) and the time
to first meaningful paint of the overview (the PnL figures on screen), in headless Debian
chromium against the real Django app (gunicorn, a private Redis, a throw-away SQLite database
seeded with the e2e test's ledger), next to a blank page's first paint in the same browser.

    .venv/bin/python bench/frontend.py [--runs 7]

Ends with `RESULT name=<overview FMP ms> baseline=<blank page first paint ms> ratio=<r>`
(medians over cold loads: a new browser context, an empty cache, the session cookie only).
"""

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchenv import desk_env  # noqa: E402

from tests.frontend.frontend_support import (  # noqa: E402
    CHROMIUM,
    DIST,
    FRONTEND,
    Gunicorn,
    bundle_sizes,
    ensure_built,
)
from tests.support.processes import RedisServer, free_port  # noqa: E402

SEED = """
import django
django.setup()
from django.contrib.auth.models import User
from tests.frontend.seed import seed_pnl
User.objects.create_user("bench", password={password!r})
print("seeded:", seed_pnl())
"""


def initial_gzip_bytes() -> int:
    """What the overview needs before it can paint: index.html and the assets it references
    (the chart pages' chunks load later, on first visit)."""
    import gzip

    index = (DIST / "index.html").read_bytes()
    total = len(gzip.compress(index, compresslevel=9, mtime=0))
    for ref in set(re.findall(rb'(?:src|href)="/(assets/[^"]+)"', index)):
        total += len(gzip.compress((DIST / ref.decode()).read_bytes(), compresslevel=9, mtime=0))
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} missing: apt-get install chromium")

    ensure_built()
    sizes = bundle_sizes()
    initial = initial_gzip_bytes()
    print(
        f"bundle: {sizes['raw_bytes'] / 1024:.1f} KiB raw, {sizes['gzip_bytes'] / 1024:.1f} KiB "
        f"gzip in total; {initial / 1024:.1f} KiB gzip for the first paint of the overview"
    )

    work = Path(tempfile.mkdtemp(prefix="qt-bench-frontend-"))
    redis = RedisServer(work / "redis").start()
    password = secrets.token_urlsafe(16)
    env = desk_env(work, redis.url, EXCHANGE_BASE_URL="http://127.0.0.1:9")
    server = None
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        subprocess.run(
            [sys.executable, "-c", SEED.format(password=password)], cwd=ROOT, env=env, check=True
        )
        server = Gunicorn(env, free_port(), work / "gunicorn.log").start()
        proc = subprocess.run(
            ["node", "e2e/bench.mjs"],
            cwd=FRONTEND,
            env={
                **os.environ,
                "QT_BASE_URL": server.url,
                "QT_USERNAME": "bench",
                "QT_PASSWORD": password,
                "QT_RUNS": str(args.runs),
                "CHROMIUM_PATH": CHROMIUM,
            },
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            sys.exit(f"bench.mjs failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        result = json.loads(lines[-1])
    finally:
        if server:
            server.stop()
        redis.stop()

    fmp = statistics.median(result["fmp_ms"])
    fcp = statistics.median([v for v in result["overview_fcp_ms"] if v is not None])
    blank = statistics.median([v for v in result["blank_fcp_ms"] if v is not None])
    print(f"runs: {args.runs} cold loads at 1280x800 (median; min-max)")
    print(
        f"overview first meaningful paint (PnL figures painted): {fmp:.1f} ms "
        f"({min(result['fmp_ms']):.1f}-{max(result['fmp_ms']):.1f})"
    )
    print(f"overview first contentful paint: {fcp:.1f} ms")
    print(f"blank page first contentful paint (baseline): {blank:.1f} ms")
    print(f"RESULT name={fmp:.1f} baseline={blank:.1f} ratio={fmp / blank:.3f}")


if __name__ == "__main__":
    main()
