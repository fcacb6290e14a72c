"""What one send costs on the real broker (docs/operations.md, "Benchmarks"): a task lands on
its queue's list with one LPUSH, like bare Celery's, with no binding look-up and no event
publish; and kombu's channel builds its Redis client once, not per command."""

import pytest
from celery.utils.nodenames import worker_direct

from quantum_project.celery import app as celery_app

pytestmark = pytest.mark.django_db

SENDS = 20


def _calls(client, command: str) -> int:
    return client.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0)


def test_it_puts_a_task_on_its_queue_in_one_round_trip(redis_client, broker_messages):
    celery_app.send_task("quantum.ops.queue_probe", args=["default", 0])  # connection, declare
    counted = ("lpush", "smembers", "publish")
    before = {command: _calls(redis_client, command) for command in counted}
    for n in range(SENDS):
        celery_app.send_task("quantum.ops.queue_probe", args=["default", n])
    spent = {command: _calls(redis_client, command) - before[command] for command in counted}
    assert spent == {"lpush": SENDS, "smembers": 0, "publish": 0}
    assert len(broker_messages("default")) == SENDS + 1


def test_a_worker_s_own_queue_gets_the_task_by_its_name(redis_client):
    queue = worker_direct("nobody@nowhere")
    try:
        celery_app.send_task("quantum.ops.worker_probe", args=[0], queue=queue)
        assert redis_client.llen(queue.name) == 1
    finally:
        redis_client.delete(queue.name)


def test_kombu_builds_one_redis_client_per_channel():
    with celery_app.connection_for_write() as connection:
        channel = connection.default_channel
        assert channel._create_client() is channel._create_client()
        assert channel._create_client(asynchronous=True) is not channel._create_client()
