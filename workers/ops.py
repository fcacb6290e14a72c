"""Tasks of the ops context."""

import time

from celery import shared_task

from apps.ops import services


@shared_task(name="quantum.ops.noop", ignore_result=False)
def noop() -> None:
    """Does nothing: the round-trip probe of `bench/celery_roundtrip.py` and of the health docs."""


@shared_task(name="quantum.ops.queue_probe", ignore_result=True)
def queue_probe(queue: str, sent_ms: int) -> None:
    """The health check's round trip through `queue` (apps.ops.services.queue_probe_send)."""
    services.queue_probe_answer(queue=queue, sent_ms=sent_ms)


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
