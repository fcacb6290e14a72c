"""Crash safety of acks_late tasks: SIGKILL a worker mid-task, the task runs again to completion,
once. Uses the ops redelivery drill, the same one operators run (docs/operations.md)."""

import secrets
import time

import pytest

from apps.ops.services import drill_status
from tests.support.processes import wait_for
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
