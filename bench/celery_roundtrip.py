"""Round trip of a no-op task through our Celery app (Django settings, routing, the QuantumTask
base class, JSON) next to a bare Celery app on the same Redis, in one run.

    .venv/bin/python bench/celery_roundtrip.py [--tasks 2000] [--rounds 5]

Prints sequential round-trip p50/p99 (send, run, result back), then throughput with many tasks
in flight as the median of alternated bursts (the apps take turns, order rotated, so load from
elsewhere on the machine falls on each alike), with the CPU each burst cost per task in the
worker (and its pool), this client and Redis: for our app as deployed (with the task events
Flower needs), our app without task events, and the bare app. Then the load average and
`RESULT name=<ours tasks/s> baseline=<bare tasks/s> ratio=<ours/bare>`.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

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


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children: a worker and its pool."""
    proc = psutil.Process(pid)
    total = 0.0
    for member in (proc, *proc.children(recursive=True)):
        try:
            times = member.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def own_cpu() -> float:
    times = psutil.Process().cpu_times()
    return times.user + times.system


def latency(send, *, sequential: int) -> dict[str, float]:
    for _ in range(20):  # warm-up: connections, pool processes, imports
        send().get(timeout=30)
    latencies = []
    for _ in range(sequential):
        started = time.perf_counter()
        send().get(timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
    }


def burst(send, *, parallel: int, worker_pid: int, redis_pid: int) -> dict[str, float]:
    """`parallel` tasks in flight: tasks/s, and CPU ms per task of the worker (with its pool),
    of this client (send and read back) and of Redis."""
    cpu = (tree_cpu(worker_pid), own_cpu(), tree_cpu(redis_pid))
    started = time.perf_counter()
    results = [send() for _ in range(parallel)]
    for result in results:
        result.get(timeout=120)
    elapsed = time.perf_counter() - started
    after = (tree_cpu(worker_pid), own_cpu(), tree_cpu(redis_pid))
    worker, client, redis = (1000 * (b - a) / parallel for a, b in zip(cpu, after, strict=True))
    return {
        "tasks_per_s": parallel / elapsed,
        "worker_ms": worker,
        "client_ms": client,
        "redis_ms": redis,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--sequential", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5, help="alternated bursts per app")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-celery-"))
    redis = RedisServer(workdir / "redis").start()
    env = desk_env(workdir, redis.url, BENCH_REDIS_URL=redis.url)
    os.environ.update(env)
    ours = start_worker("quantum_project", "default", env, workdir / "ours.log")
    # The same app with Flower's task events off, to show what monitoring costs.
    quiet_env = {**env, "CELERY_TASK_EVENTS": "0"}
    quiet = start_worker("quantum_project", "bench_quiet", quiet_env, workdir / "quiet.log")
    # Without DJANGO_SETTINGS_MODULE: Celery would otherwise find Django, set it up in the bare
    # worker too and run its fixup around every task.
    bare_env = {k: v for k, v in env.items() if k != "DJANGO_SETTINGS_MODULE"}
    bare = start_worker("bare_celery_app", "bare", bare_env, workdir / "bare.log")
    redis_pid = next(
        p.pid
        for p in psutil.process_iter(["name", "cmdline"])
        if p.info["name"] == "redis-server" and str(redis.port) in " ".join(p.info["cmdline"] or [])
    )
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

        def quiet_send():
            # the producer's task-sent event is Flower's too: off with the worker's events
            our_app.conf.task_send_sent_event = False
            try:
                return our_noop.apply_async(queue="bench_quiet")
            finally:
                our_app.conf.task_send_sent_event = sent_event

        sent_event = our_app.conf.task_send_sent_event
        apps = {
            "quantum (as deployed)": (our_noop.delay, ours.pid),
            "quantum, no task events": (quiet_send, quiet.pid),
            "bare Celery": (bare_celery_app.noop.delay, bare.pid),
        }
        rows = {name: latency(send, sequential=args.sequential) for name, (send, _) in apps.items()}
        bursts: dict[str, list[dict[str, float]]] = {name: [] for name in apps}
        names = list(apps)
        for round_ in range(args.rounds):
            # alternated, and the order rotated: load from elsewhere falls on every app alike
            for name in names[round_ % 3 :] + names[: round_ % 3]:
                send, pid = apps[name]
                bursts[name].append(
                    burst(send, parallel=args.tasks, worker_pid=pid, redis_pid=redis_pid)
                )
    finally:
        for proc in (ours, quiet, bare):
            proc.terminate()
            proc.wait(30)
        redis.stop()

    print(
        f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}"
    )
    print(f"medians of {args.rounds} alternated bursts of {args.tasks} tasks; CPU ms per task")
    head = ("app", "p50 ms", "p99 ms", "tasks/s", "worker", "client", "redis", "all CPU")
    print(f"{head[0]:<26}" + "".join(f"{h:>10}" for h in head[1:]))
    for name in names:
        row = {**rows[name]}
        for key in ("tasks_per_s", "worker_ms", "client_ms", "redis_ms"):
            row[key] = statistics.median(b[key] for b in bursts[name])
        row["cpu_ms"] = row["worker_ms"] + row["client_ms"] + row["redis_ms"]
        rows[name] = row
        values = (
            row["p50_ms"],
            row["p99_ms"],
            row["tasks_per_s"],
            row["worker_ms"],
            row["client_ms"],
            row["redis_ms"],
            row["cpu_ms"],
        )
        print(f"{name:<26}" + "".join(f"{v:>10.2f}" for v in values))
    figure, baseline = rows[names[0]], rows[names[2]]
    print(
        "throughput ratio bare/ours "
        f"{baseline['tasks_per_s'] / figure['tasks_per_s']:.3f}, "
        f"CPU per task ours/bare {figure['cpu_ms'] / baseline['cpu_ms']:.3f}"
    )
    ours_s, bare_s = figure["tasks_per_s"], baseline["tasks_per_s"]
    print(f"RESULT name={ours_s:.1f} baseline={bare_s:.1f} ratio={ours_s / bare_s:.3f}")


if __name__ == "__main__":
    main()
