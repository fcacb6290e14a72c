"""Tasks of the ops context."""

import time

from celery import current_app, shared_task
from django.conf import settings

from apps.core.locks import run_exclusive
from apps.ops import services


@shared_task(name="quantum.ops.noop", ignore_result=False)
def noop() -> None:
    """Does nothing: the round-trip probe of `bench/celery_roundtrip.py` and of the health docs."""


@shared_task(name="quantum.ops.queue_probe", ignore_result=True)
def queue_probe(queue: str, sent_ms: int) -> None:
    """The health check's round trip through `queue` (apps.ops.services.queue_probe_send)."""
    services.queue_probe_answer(queue=queue, sent_ms=sent_ms)


@shared_task(name="quantum.ops.worker_probe", bind=True, ignore_result=True)
def worker_probe(self, sent_ms: int) -> None:
    """The health check's probe of one worker, sent to its own direct queue: the node name that
    ran it is the one that consumes (apps.ops.services.worker_probe_send)."""
    services.worker_probe_answer(worker=self.request.hostname, sent_ms=sent_ms)


@shared_task(
    name="quantum.ops.watch_workers",
    soft_time_limit=settings.OPS_WORKER_WATCH_INTERVAL_SECONDS * 2,
    time_limit=settings.OPS_WORKER_WATCH_INTERVAL_SECONDS * 3,
)
def watch_workers() -> None:
    """Probe every live worker; a stuck one is told to shut down, its supervisor restarts it.
    One watcher at a time: two would tell the same worker twice."""
    run_exclusive(
        "ops:watch_workers",
        loop=watch_workers.name,
        timeout=settings.OPS_WORKER_WATCH_INTERVAL_SECONDS * 4,
        job=lambda: services.workers_watch(celery_app=current_app),
    )


@shared_task(
    name="quantum.ops.redelivery_drill",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def redelivery_drill(drill_id: str, hold_seconds: float = 0) -> None:
    """Fire drill for crash safety: marks the drill started, holds, then completes it once.

    An operator (or a test) kills the worker while it holds; the message comes back and the
    drill completes exactly once. See docs/operations.md.
    """
    services.drill_mark(drill_id=drill_id, stage="started")
    time.sleep(hold_seconds)
    services.drill_complete(drill_id=drill_id)
