"""Beat's scheduler: django-celery-beat's (operators edit schedules in the admin), plus a heartbeat
so the health check can tell how long ago beat last ticked."""

import logging

from django_celery_beat.schedulers import DatabaseScheduler
from redis.exceptions import RedisError

from apps.core import keys
from apps.core.redis import get_redis
from apps.core.timeutil import to_ms, utcnow

logger = logging.getLogger(__name__)


class HeartbeatDatabaseScheduler(DatabaseScheduler):
    def tick(self, *args, **kwargs):
        try:
            get_redis().set(keys.BEAT_LAST_TICK, to_ms(utcnow()))
        except RedisError as exc:
            logger.warning("beat heartbeat not written: %s", exc)
        return super().tick(*args, **kwargs)
