"""The base class of every task: bounds how often an acks_late message may come back.

With `acks_late` a message is acknowledged only when its task returns, so a worker that dies
mid-task hands it to the next worker. A task that kills its worker every time would loop for
ever; after CELERY_MAX_DELIVERIES deliveries we log it and drop it instead.
"""

import logging

from celery import Task
from django.conf import settings

logger = logging.getLogger(__name__)


class QuantumTask(Task):
    def __call__(self, *args, **kwargs):
        if self.acks_late and self.request.id and not self.request.is_eager:
            from apps.core import keys
            from apps.core.redis import get_redis

            key = keys.celery_deliveries(self.request.id)
            client = get_redis()
            deliveries = client.incr(key)
            client.expire(
                key, settings.CELERY_VISIBILITY_TIMEOUT * (settings.CELERY_MAX_DELIVERIES + 1)
            )
            if deliveries > settings.CELERY_MAX_DELIVERIES:
                logger.error(
                    "task %s[%s] dropped after %s deliveries",
                    self.name,
                    self.request.id,
                    deliveries - 1,
                )
                return None
        return super().__call__(*args, **kwargs)
