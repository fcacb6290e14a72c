"""A worker that stops consuming beside a healthy one (celery/celery#8030 after a broker
restart: alive, answers the control channel, runs nothing) is named by GET /api/health/ and
restarted by the watch job through its supervisor, on the stack's own supervisord and workers.

The symptom is made with Celery's own control command: cancel every queue the worker consumes."""

import signal
import time

import pytest
from celery.utils.nodenames import worker_direct

from apps.core import keys
from apps.ops import stack
from quantum_project.celery import app as celery_app
from tests.support.processes import wait_for
from tests.support.supervisor import answers, node_name, start_supervisord, supervised_pids

pytestmark = pytest.mark.e2e

TIMEOUT = 6  # OPS_WORKER_PROBE_TIMEOUT_SECONDS here (30 s deployed)
STUCK, HEALTHY = "worker_trading", "worker"  # trading; market, pnl and default (the watch job)


def test_it_names_the_stuck_worker_and_its_supervisor_brings_it_back(
    tmp_path, subprocess_env, api, settings, redis_client
):
    settings.OPS_WORKER_PROBE_TIMEOUT_SECONDS = TIMEOUT
    settings.OPS_QUEUE_PROBE_EVERY_SECONDS = 1
    env = {
        **subprocess_env,
        "OPS_WORKER_PROBE_TIMEOUT_SECONDS": str(TIMEOUT),
        "OPS_QUEUE_PROBE_EVERY_SECONDS": "1",
    }
    var_dir = tmp_path / "var"
    commands = stack.program_commands(var_dir=var_dir, redis_password="")
    conf = stack.write_supervisor_conf(
        var_dir=var_dir, commands={name: commands[name] for name in (STUCK, HEALTHY)}
    )
    proc = start_supervisord(conf, env=env, log_path=tmp_path / "supervisord.out")
    stuck, healthy = node_name(STUCK), node_name(HEALTHY)
    samples: list[dict] = []

    def workers() -> dict:
        body = api.get("/api/health/").json()
        samples.append(body)
        return body["components"]["workers"]

    try:
        wait_for(
            lambda: answers(celery_app, STUCK) and answers(celery_app, HEALTHY),
            timeout=150,  # a loaded 2-core machine boots two celery workers slowly
            interval=0.5,
            what="both workers answering",
        )
        wait_for(
            lambda: (
                (state := workers())
                and all(
                    state.get(name, {}).get("round_trip_ms") is not None
                    for name in (stuck, healthy)
                )
            ),
            timeout=60,
            interval=0.5,
            what="a probe run by each worker",
        )

        queues = celery_app.control.inspect(destination=[stuck], timeout=5).active_queues()
        assert worker_direct(stuck).name in {queue["name"] for queue in queues[stuck]}
        for queue in queues[stuck]:
            celery_app.control.cancel_consumer(queue["name"], destination=[stuck], reply=True)
        assert answers(celery_app, STUCK)  # alive, answering, consuming nothing

        named = wait_for(
            lambda: (w := workers())[stuck]["stuck"] and w, timeout=TIMEOUT + 60, interval=0.5
        )
        assert named[stuck]["ok"] is False
        assert "stopped consuming" in named[stuck]["error"]
        assert f"worker:{stuck}" in samples[-1]["down"]

        before = supervised_pids(conf)[STUCK]
        # The watch job as beat sends it; the healthy worker (default queue) runs it.
        celery_app.send_task("quantum.ops.watch_workers")
        wait_for(
            lambda: supervised_pids(conf).get(STUCK) not in (None, before),
            timeout=60,
            interval=0.2,
            what="the stuck worker restarted by its supervisor",
        )
        restarted_at = time.monotonic()
        assert redis_client.hget(keys.ops_loop("quantum.ops.watch_workers"), "completed") == "1"
        wait_for(lambda: answers(celery_app, STUCK), timeout=120, interval=0.5, what="answering")
        # consuming again: a task only it can take (nobody else consumes trading) runs
        assert celery_app.send_task("quantum.ops.noop", queue="trading").get(timeout=60) is None
        recovered = wait_for(
            lambda: (
                (w := workers())[stuck]["ok"]
                and (w[stuck]["last_round_trip_age_seconds"] or 1e9)
                < time.monotonic() - restarted_at
                and w
            ),
            timeout=60,
            interval=0.5,
            what="the restarted worker healthy",
        )
        assert recovered[stuck]["restarts"] == 1 and recovered[stuck]["last_restart"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(90)
    flagged = [
        sample["checked_at"]
        for sample in samples
        if not sample["components"]["workers"].get(healthy, {}).get("ok", True)
    ]
    assert not flagged, f"the healthy worker was flagged at {flagged}"
