"""What one health answer costs (`GET /api/health/`, the page every dashboard polls every 5 s),
with the stack's three workers up, next to the naive inspection measured in the same run.

    .venv/bin/python bench/health.py [--calls 30]

The naive way asks every worker over the broker and waits the whole inspect timeout (a broadcast
has no end). The desk stops as soon as as many workers answered as its last full inspection saw
(apps/ops/selectors.py). Prints p50/p99 of both and of the checks that ask no worker, then
`RESULT name=<desk p50 ms> baseline=<naive p50 ms> ratio=<r>`.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchenv import desk_env  # noqa: E402

from tests.support.paper_exchange import PaperExchange  # noqa: E402
from tests.support.processes import CeleryWorker, RedisServer, wait_for  # noqa: E402

# the worker split of `make up` (apps/ops/stack.py)
WORKERS = {"trading": "trading", "worker": "market,pnl,default", "research": "rl,research"}


def timed(call, n: int) -> dict[str, float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50": statistics.median(samples), "p99": samples[max(0, int(len(samples) * 0.99) - 1)]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--naive-calls", type=int, default=8)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-health-"))
    redis = RedisServer(workdir / "redis").start()
    venue = PaperExchange(workdir / "venue").start()
    env = desk_env(workdir, redis.url, EXCHANGE_BASE_URL=venue.base_url)
    os.environ.update(env)
    workers = [
        CeleryWorker(queues=q, env=env, name=name, log_path=workdir / f"{name}.log")
        for name, q in WORKERS.items()
    ]
    try:
        for worker in workers:
            worker.start()
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        # health reads the schedule (django-celery-beat's table) to judge the loops
        call_command("migrate", verbosity=0)

        from apps.core import keys
        from apps.core.redis import get_redis
        from apps.core.timeutil import to_ms, utcnow
        from apps.ops import selectors
        from quantum_project.celery import app

        redis_client = get_redis()
        redis_client.set(keys.BEAT_LAST_TICK, to_ms(utcnow()))
        last: list = []

        def all_up() -> bool:
            last[:] = selectors.stack_health(app)["down"]
            return not last

        try:
            wait_for(all_up, timeout=60, interval=0.5, what="every queue served")
        except TimeoutError:
            raise SystemExit(f"the stack never got healthy; down: {last}") from None

        def naive():
            redis_client.delete(keys.OPS_WORKERS_SEEN)  # nothing to go on: the full wait
            assert selectors.stack_health(app)["down"] == []

        def desk():
            assert selectors.stack_health(app)["down"] == []

        def no_workers():
            selectors.database_health()
            selectors.redis_health()
            selectors.beat_health()
            selectors.exchange_health()

        rows = {
            "checks asking no worker": timed(no_workers, args.calls),
            "desk (stops at the workers seen)": timed(desk, args.calls),
            "naive (waits the timeout)": timed(naive, args.naive_calls),
        }
    finally:
        for worker in workers:
            worker.stop()
        venue.stop()
        redis.stop()

    timeout = settings.OPS_INSPECT_TIMEOUT_SECONDS
    print(f"3 workers ({', '.join(WORKERS.values())}), inspect timeout {timeout:g} s")
    print(f"{'health answer':<36}{'p50 ms':>10}{'p99 ms':>10}")
    for name, row in rows.items():
        print(f"{name:<36}{row['p50']:>10.1f}{row['p99']:>10.1f}")
    figure, baseline = (
        rows["desk (stops at the workers seen)"]["p50"],
        rows["naive (waits the timeout)"]["p50"],
    )
    print(f"RESULT name={figure:.1f} baseline={baseline:.1f} ratio={figure / baseline:.4f}")


if __name__ == "__main__":
    main()
