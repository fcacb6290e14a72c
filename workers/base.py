"""The base class of every task, and the retry policies tasks declare.

With `acks_late` a message is acknowledged only when its task returns, so a worker that dies
mid-task hands it to the next worker. A task that kills its worker every time would loop for
ever; after CELERY_MAX_DELIVERIES deliveries we log it and drop it instead.

Retries, one declaration per kind (docs/operations.md, "Retries"):
- `EXCHANGE_RETRY`: a task that may simply run again (idempotent) and failed because the venue
  did not answer. Celery's autoretry sends it again after 1, 2, 4 ... 30 s (no jitter: one
  poll per account, nothing to spread), and never sooner than the venue's own Retry-After
  (`QuantumTask.retry`). Each task declares its `max_retries` beside it.
- The executor's look-up-before-resend (apps/trading/execution.py) is not a task retry and
  stays its own: inside one run an order may already be on the venue, so it asks first.
- Periodic tasks (market, the trading cycle and monitor, rl, research) declare none: the next
  beat run is their retry, and a retried run would only pile up behind it.
"""

import logging

from celery import Task
from django.conf import settings

from apps.exchange.errors import RetryableExchangeError

logger = logging.getLogger(__name__)


DELIVERY_COUNT_MIN_TTL = 600  # seconds


class RunAgain(Exception):
    """Raised by a task whose service returned without doing its work because the venue did
    not answer (and left its state safe to re-enter): retried under EXCHANGE_RETRY."""


EXCHANGE_RETRY = {
    "autoretry_for": (RetryableExchangeError, RunAgain),
    "retry_backoff": 1,
    "retry_backoff_max": 30,
    "retry_jitter": False,
}


class QuantumTask(Task):
    def __call__(self, *args, **kwargs):
        if self.acks_late and self.request.id and not self.request.is_eager:
            from apps.core import keys
            from apps.core.redis import get_redis

            key = keys.celery_deliveries(self.request.id)
            client = get_redis()
            deliveries = client.incr(key)
            # Outlives every redelivery the cap allows, and the boot of the worker that takes
            # the next one: with a short visibility timeout a slow start let the count lapse.
            ttl = settings.CELERY_VISIBILITY_TIMEOUT * (settings.CELERY_MAX_DELIVERIES + 1)
            client.expire(key, max(ttl, DELIVERY_COUNT_MIN_TTL))
            if deliveries > settings.CELERY_MAX_DELIVERIES:
                logger.error(
                    "task %s[%s] dropped after %s deliveries",
                    self.name,
                    self.request.id,
                    deliveries - 1,
                )
                return None
        return super().__call__(*args, **kwargs)

    def retry(self, args=None, kwargs=None, exc=None, throw=True, eta=None, countdown=None, **kw):
        # The venue's Retry-After (429/418) wins over the backoff: coming back sooner only
        # earns a longer ban. Here rather than in each task, so autoretry honours it too.
        hint = getattr(exc, "retry_after", None)
        if hint and eta is None:
            countdown = max(countdown or 0, hint)
        return super().retry(
            args=args, kwargs=kwargs, exc=exc, throw=throw, eta=eta, countdown=countdown, **kw
        )
