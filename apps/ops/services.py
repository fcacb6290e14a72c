"""Writes of the ops context: the beat schedule's defaults and the redelivery drill."""

from datetime import timedelta
from typing import Any

from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from apps.core.redis import get_redis
from apps.core.timeutil import to_ms, utcnow


def interval_for(seconds: int) -> IntervalSchedule:
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=seconds, period=IntervalSchedule.SECONDS
    )
    return interval


@transaction.atomic
def periodic_tasks_ensure(*, schedule: dict[str, dict[str, Any]]) -> list[str]:
    """Create the schedule's entries that do not exist yet; never touch existing ones, so an
    operator's edits in the admin (interval, enabled, arguments) survive every restart."""
    created = []
    for name, entry in schedule.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        every: timedelta = entry["schedule"]
        options = entry.get("options", {})
        PeriodicTask.objects.create(
            name=name,
            task=entry["task"],
            interval=interval_for(int(every.total_seconds())),
            kwargs=entry.get("kwargs_json", "{}"),
            expire_seconds=options.get("expires"),
            description=entry.get("description", ""),
        )
        created.append(name)
    return created


DRILL_KEY = "quantum:ops:drill:{drill_id}"
DRILL_TTL_SECONDS = 24 * 3600


def drill_mark(*, drill_id: str, stage: str) -> int:
    """Count one more run reaching `stage` of a redelivery drill; returns the count."""
    key = DRILL_KEY.format(drill_id=drill_id)
    client = get_redis()
    count = client.hincrby(key, stage, 1)
    client.expire(key, DRILL_TTL_SECONDS)
    return count


def drill_complete(*, drill_id: str) -> bool:
    """Complete a drill; only the first completion counts (a replay after the fact is a no-op)."""
    key = DRILL_KEY.format(drill_id=drill_id)
    first = bool(get_redis().hsetnx(key, "completed_at", to_ms(utcnow())))
    if first:
        drill_mark(drill_id=drill_id, stage="completed")
    return first


def drill_status(*, drill_id: str) -> dict[str, str]:
    return get_redis().hgetall(DRILL_KEY.format(drill_id=drill_id))
