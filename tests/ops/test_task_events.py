"""Task events (Flower's) from a real worker: every task's events arrive, in batches rather than
one Redis PUBLISH per task (quantum_project/celery_consumer.py)."""

import base64
import json
import time

import pytest

from quantum_project.celery import app as celery_app
from tests.support.processes import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

TASKS = 48


def test_it_sends_every_task_s_events_in_batches(redis_client, start_worker):
    start_worker(queues="default", name="evented")
    pubsub = redis_client.pubsub()
    pubsub.psubscribe("*celeryev/task.*")
    batches, succeeded = 0, set()

    def drain() -> bool:
        nonlocal batches
        while (message := pubsub.get_message(timeout=0.05)) is not None:
            if message["type"] != "pmessage":
                continue
            envelope = json.loads(message["data"])
            events = json.loads(base64.b64decode(envelope["body"]))
            batches += 1
            for event in events if isinstance(events, list) else [events]:
                if event["type"] == "task-succeeded":
                    succeeded.add(event["uuid"])
        return False

    drain()
    ids = {
        celery_app.send_task("quantum.ops.queue_probe", args=["default", n]).id
        for n in range(TASKS)
    }
    wait_for(lambda: drain() or ids <= succeeded, timeout=60, interval=0.1, what="all events")
    time.sleep(0.5)
    drain()
    assert ids <= succeeded
    # received, started and succeeded of 48 tasks: 144 events, one message per task without
    # batching; at most one per 8 tasks (24 events) or per 0.1 s with it.
    assert batches <= TASKS // 2, batches
