"""A Redis restart under a running worker: the worker survives it and runs tasks afterwards.

The operator saw one restart in seven end the `worker` process with kombu's
`AttributeError: 'NoneType' object has no attribute 'hostname'` (from `restore_unacked`); see
quantum_project/kombu_patches.py for why and the fix. Messages are in flight (acks_late drills
holding) at each restart, because the crash path only runs with unacknowledged messages.
"""

import secrets
import time

import pytest
import redis
from celery import Celery
from kombu import Connection, Consumer, Exchange, Producer, Queue

from apps.core import keys
from tests.support.processes import RedisServer, wait_for
from workers.routing import TASK_QUEUES, route_task

pytestmark = pytest.mark.e2e

RESTARTS = 8
# Seconds Redis stays down: at once (an operator's restart) or a supervisor's backoff later.
DOWNTIMES = (0, 0.5, 1.5, 3)


def _round_trip(url: str, *, timeout: float) -> None:
    """quantum.ops.noop sent and its result read back, over fresh connections every time: the
    probe must not itself be the part that failed to reconnect."""
    probe = Celery("probe", broker=url, backend=url, set_as_current=False)
    probe.conf.task_queues = TASK_QUEUES
    probe.conf.task_routes = (route_task,)
    try:
        assert probe.send_task("quantum.ops.noop").get(timeout=timeout) is None
    finally:
        probe.close()


def _send_drill(url: str, drill_id: str, hold: float) -> None:
    probe = Celery("probe", broker=url, set_as_current=False)
    probe.conf.task_queues = TASK_QUEUES
    probe.conf.task_routes = (route_task,)
    try:
        probe.send_task("quantum.ops.redelivery_drill", args=[drill_id, hold])
    finally:
        probe.close()


def test_it_survives_repeated_redis_restarts_and_keeps_running_tasks(tmp_path, start_worker):
    # Its own Redis, so restarting it disturbs no other test; persistent like `make up`'s.
    server = RedisServer(tmp_path / "redis", appendonly=True).start()
    try:
        worker = start_worker(
            queues="default",
            name=f"restarts-{secrets.token_hex(3)}",
            env={"REDIS_URL": server.url},
        )
        _round_trip(server.url, timeout=30)
        for attempt in range(1, RESTARTS + 1):
            drills = [secrets.token_hex(4) for _ in range(2)]
            for drill_id in drills:
                _send_drill(server.url, drill_id, 2.0)
            client = redis.Redis.from_url(server.url)

            def in_flight(drills=drills, client=client):
                return all(client.hget(keys.ops_drill(d), "started") for d in drills)

            wait_for(
                in_flight,
                timeout=30,
                interval=0.05,
                what=f"drills in flight before restart {attempt}",
            )
            client.close()
            server.stop()
            time.sleep(DOWNTIMES[attempt % len(DOWNTIMES)])
            server.start()
            try:
                _round_trip(server.url, timeout=60)
            except Exception as exc:  # noqa: BLE001 - name the restart and the worker's fate
                state = "alive" if worker.proc.poll() is None else f"exited {worker.proc.poll()}"
                pytest.fail(
                    f"no task round trip after restart {attempt} (worker {state}): {exc!r}; "
                    f"log: {worker.log_path}"
                )
            assert worker.proc.poll() is None, f"worker exited at restart {attempt}"
        log = worker.log_path.read_text()
        assert "Unrecoverable error" not in log, log[-4000:]
    finally:
        server.stop()


def test_it_closes_a_lost_connection_with_a_brpop_in_flight_and_a_message_unacked(tmp_path):
    """What the worker's consumer does on a connection loss, on real kombu and a real Redis, in
    the state that made one restart in seven fatal: the task channel holds an unacknowledged
    message and has a BRPOP in flight, a fanout channel (pidbox, gossip) is subscribed, and Redis
    is still down when the consumer runs `collect()` then `close()`. kombu 5.7.0 alone raises
    AttributeError('hostname') from `close()` here (quantum_project/kombu_patches.py)."""
    server = RedisServer(tmp_path / "redis", appendonly=True).start()
    conn = Connection(server.url)
    try:
        tasks = conn.default_channel
        queue = Queue("restart-probe", Exchange("restart-probe", type="direct"), "restart-probe")
        Producer(conn.channel()).publish(
            {"probe": 1}, exchange=queue.exchange, routing_key=queue.routing_key, declare=[queue]
        )
        held = []
        Consumer(
            tasks, [queue], accept=["json"], callbacks=[lambda _body, m: held.append(m)]
        ).consume()
        fanout = Queue("restart-bcast", Exchange("restart-bcast", type="fanout"), auto_delete=True)
        Consumer(conn.channel(), [fanout], accept=["json"], no_ack=True).consume()

        def drain():
            try:
                conn.drain_events(timeout=0.3)
            except TimeoutError:
                pass
            return held

        wait_for(drain, timeout=10, interval=0, what="the probe message")
        drain()  # sends the next BRPOP, which no message answers
        assert len(tasks.qos._delivered) == 1 and tasks._in_poll

        server.stop()
        conn.collect(socket_timeout=1)
        conn.close()

        server.start()
        # Not lost: still in the unacked hash, the sweep redelivers it after the visibility timeout.
        client = redis.Redis.from_url(server.url)
        assert client.hlen("unacked") == 1
        client.close()
    finally:
        server.stop()
