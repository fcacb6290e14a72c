"""Crash safety of acks_late tasks: SIGKILL a worker mid-task, the task runs again to completion,
once. Uses the ops redelivery drill, the same one operators run (docs/operations.md)."""

import secrets
import subprocess
import sys
import time

import pytest

from apps.ops.services import drill_status
from tests.support.processes import ROOT, wait_for
from workers.ops import redelivery_drill

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

VISIBILITY = 4  # seconds before an unacked message of a dead worker goes back to its queue
FAST_RESTORE = {
    "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
    "CELERY_UNACKED_RESTORE_INTERVAL": "1",
}


def test_a_killed_worker_s_task_runs_again_to_completion_once(redis_client, start_worker):
    drill_id = secrets.token_hex(4)
    first = start_worker(queues="default", name="doomed")
    redelivery_drill.delay(drill_id, 3.0)

    wait_for(
        lambda: drill_status(drill_id=drill_id).get("started") == "1", timeout=20, what="start"
    )
    first.kill()  # mid-task: the message is taken but not acknowledged
    assert "completed_at" not in drill_status(drill_id=drill_id)

    start_worker(queues="default", name="rescuer", env=FAST_RESTORE)
    wait_for(
        lambda: "completed_at" in drill_status(drill_id=drill_id),
        timeout=60,
        interval=0.2,
        what="the redelivered task to complete",
    )
    # Long enough for any second redelivery to have shown up: there must be none.
    time.sleep(VISIBILITY + 3)
    status = drill_status(drill_id=drill_id)
    assert status["started"] == "2"
    assert status["completed"] == "1"


# A sweeper of that configuration takes kombu's sweep lock (as QoS.restore_visible does) and dies
# holding it: killed, or cut off from Redis, mid-sweep.
DIES_HOLDING_THE_SWEEP_LOCK = """
import os, django
django.setup()
from quantum_project.celery import app
with app.connection_for_write() as connection:
    channel = connection.default_channel
    lock = channel.client.lock(channel.unacked_mutex_key, timeout=channel.unacked_mutex_expire)
    assert lock.acquire(blocking=False), "the sweep lock was held already"
    print(channel.unacked_mutex_expire, flush=True)
    os._exit(0)
"""


def test_a_sweeper_that_died_holding_the_sweep_lock_delays_redelivery_by_one_interval(
    redis_client, start_worker, subprocess_env
):
    """With kombu's 300 s default the lock holds every redelivery back up to five minutes, longer
    than the multi-host run waits for the killed host's drill; here one sweep interval."""
    drill_id = secrets.token_hex(4)
    first = start_worker(queues="default", name="doomed", env=FAST_RESTORE)
    held = subprocess.run(
        [sys.executable, "-c", DIES_HOLDING_THE_SWEEP_LOCK],
        cwd=ROOT,
        env={**subprocess_env, **FAST_RESTORE},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert held.stdout.split()[-1] == FAST_RESTORE["CELERY_UNACKED_RESTORE_INTERVAL"]
    redelivery_drill.delay(drill_id, 3.0)
    wait_for(
        lambda: drill_status(drill_id=drill_id).get("started") == "1", timeout=20, what="start"
    )
    first.kill()
    start_worker(queues="default", name="rescuer", env=FAST_RESTORE)
    wait_for(
        lambda: "completed_at" in drill_status(drill_id=drill_id),
        timeout=60,  # the rescuer's boot, the visibility timeout, then one held-back sweep
        interval=0.2,
        what="the redelivered task to complete",
    )
    assert drill_status(drill_id=drill_id)["started"] == "2"


def test_a_message_that_keeps_killing_workers_is_dropped_after_the_cap(
    redis_client, start_worker, settings
):
    drill_id = secrets.token_hex(4)
    env = {**FAST_RESTORE, "CELERY_MAX_DELIVERIES": "2"}
    redelivery_drill.delay(drill_id, 30.0)
    for attempt in (1, 2):
        worker = start_worker(queues="default", name=f"victim{attempt}", env=env)
        wait_for(
            lambda a=attempt: drill_status(drill_id=drill_id).get("started") == str(a),
            timeout=30,
            interval=0.2,
            what=f"delivery {attempt}",
        )
        worker.kill()
    start_worker(queues="default", name="survivor", env=env)
    time.sleep(VISIBILITY + 6)
    status = drill_status(drill_id=drill_id)
    assert status["started"] == "2"  # the third delivery was dropped, not run
    assert "completed_at" not in status
