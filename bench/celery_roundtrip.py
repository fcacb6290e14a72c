"""Round trip of a no-op task through our Celery app (Django settings, routing, the QuantumTask
base class, JSON) next to a bare Celery app on the same Redis, in one run.

    .venv/bin/python bench/celery_roundtrip.py [--tasks 2000]

Prints sequential round-trip p50/p99 (send, run, result back) and throughput with many tasks in
flight, for our app as deployed (with the task events Flower needs), our app without task
events, and the bare app; then `RESULT name=<ours tasks/s> baseline=<bare tasks/s> ratio=<r>`.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchenv import desk_env  # noqa: E402

from tests.support.processes import RedisServer, wait_for  # noqa: E402

CELERY = str(Path(sys.executable).parent / "celery")


def start_worker(app: str, queue: str, env: dict, log: Path) -> subprocess.Popen:
    handle = open(log, "wb")  # noqa: SIM115 - lives as long as the worker
    proc = subprocess.Popen(
        [
            CELERY,
            "-A",
            app,
            "worker",
            "-Q",
            queue,
            "-c",
            "2",
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"{queue}@%h",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT / ("bench" if app == "bare_celery_app" else "."),
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return proc


def measure(send, *, sequential: int, parallel: int) -> dict[str, float]:
    for _ in range(20):  # warm-up: connections, pool processes, imports
        send().get(timeout=30)
    latencies = []
    for _ in range(sequential):
        started = time.perf_counter()
        send().get(timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    started = time.perf_counter()
    results = [send() for _ in range(parallel)]
    for result in results:
        result.get(timeout=120)
    elapsed = time.perf_counter() - started
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "tasks_per_s": parallel / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--sequential", type=int, default=500)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-celery-"))
    redis = RedisServer(workdir / "redis").start()
    env = desk_env(workdir, redis.url, BENCH_REDIS_URL=redis.url)
    os.environ.update(env)
    ours = start_worker("quantum_project", "default", env, workdir / "ours.log")
    # The same app with Flower's task events off, to show what monitoring costs.
    quiet_env = {**env, "CELERY_TASK_EVENTS": "0"}
    quiet = start_worker("quantum_project", "bench_quiet", quiet_env, workdir / "quiet.log")
    bare = start_worker("bare_celery_app", "bare", env, workdir / "bare.log")
    try:
        import django

        django.setup()
        import bare_celery_app

        from quantum_project.celery import app as our_app

        our_app.loader.import_default_modules()
        our_noop = our_app.tasks["quantum.ops.noop"]
        ping = lambda a: a.control.ping(timeout=0.5)  # noqa: E731
        wait_for(lambda: ping(our_app), timeout=60, interval=0.5, what="our worker")
        wait_for(lambda: ping(bare_celery_app.app), timeout=60, interval=0.5, what="bare worker")

        baseline = measure(
            bare_celery_app.noop.delay, sequential=args.sequential, parallel=args.tasks
        )
        figure = measure(our_noop.delay, sequential=args.sequential, parallel=args.tasks)
        our_app.conf.task_send_sent_event = False
        quiet_row = measure(
            lambda: our_noop.apply_async(queue="bench_quiet"),
            sequential=args.sequential,
            parallel=args.tasks,
        )
    finally:
        for proc in (ours, quiet, bare):
            proc.terminate()
            proc.wait(30)
        redis.stop()

    print(f"{'app':<24}{'p50 ms':>10}{'p99 ms':>10}{'tasks/s':>12}")
    rows = (
        ("quantum (as deployed)", figure),
        ("quantum, no task events", quiet_row),
        ("bare Celery", baseline),
    )
    for name, row in rows:
        print(f"{name:<24}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}{row['tasks_per_s']:>12.1f}")
    ratio = figure["tasks_per_s"] / baseline["tasks_per_s"]
    ours_s, bare_s = figure["tasks_per_s"], baseline["tasks_per_s"]
    print(f"RESULT name={ours_s:.1f} baseline={bare_s:.1f} ratio={ratio:.3f}")


if __name__ == "__main__":
    main()
