"""The workers' consumer (CELERY_WORKER_CONSUMER): Celery's own, with task events sent in
batches.

With task events on (Flower), a worker buffers each task's events (received, started,
succeeded) and Celery flushes that buffer on the event loop's next turn: one Redis PUBLISH per
task, the largest cost of our app over bare Celery (docs/operations.md, "Benchmarks"). Here the
first buffered event schedules one flush EVENTS_FLUSH_SECONDS later, so a busy worker publishes
a batch per interval instead (Celery still flushes at once when 24 events wait). Events are
monitoring only: Flower sees a task at most this much later; no task, ack or result waits for
them.
"""

import time

from celery.worker.consumer import Consumer as CeleryConsumer

EVENTS_FLUSH_SECONDS = 0.1


class Consumer(CeleryConsumer):
    _events_flush_due: float | None = None  # monotonic time of the scheduled flush

    def on_send_event_buffered(self) -> None:
        if not self.hub:
            return
        now = time.monotonic()
        # A flush long overdue was lost with the event loop's timers (a consumer restart after
        # a broker loss resets them): schedule another rather than wait for 24 events.
        if self._events_flush_due is None or now > self._events_flush_due + 1:
            self._events_flush_due = now + EVENTS_FLUSH_SECONDS
            self.hub.call_later(EVENTS_FLUSH_SECONDS, self._flush_events_due_now)

    def _flush_events_due_now(self) -> None:
        self._events_flush_due = None
        self._flush_events()
