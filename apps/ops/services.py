"""Writes of the ops context: the beat schedule's defaults and the redelivery drill."""

import json
from datetime import timedelta
from typing import Any

from celery.schedules import crontab
from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from apps.core import keys
from apps.core.redis import get_redis
from apps.core.timeutil import to_ms, utcnow


def interval_for(seconds: int) -> IntervalSchedule:
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=seconds, period=IntervalSchedule.SECONDS
    )
    return interval


def crontab_for(when: crontab) -> CrontabSchedule:
    """The crontab row of a celery crontab, in UTC (the desk's time zone everywhere)."""
    fields = {
        "minute": when._orig_minute,
        "hour": when._orig_hour,
        "day_of_week": when._orig_day_of_week,
        "day_of_month": when._orig_day_of_month,
        "month_of_year": when._orig_month_of_year,
    }
    row = CrontabSchedule.objects.filter(timezone="UTC", **{k: str(v) for k, v in fields.items()})
    return row.first() or CrontabSchedule.objects.create(
        timezone="UTC", **{k: str(v) for k, v in fields.items()}
    )


@transaction.atomic
def periodic_tasks_ensure(*, schedule: dict[str, dict[str, Any]]) -> list[str]:
    """Create the schedule's entries that do not exist yet; never touch existing ones, so an
    operator's edits in the admin (interval, enabled, arguments) survive every restart."""
    created = []
    for name, entry in schedule.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        when = entry["schedule"]
        options = entry.get("options", {})
        if isinstance(when, timedelta):
            timing: dict[str, Any] = {"interval": interval_for(int(when.total_seconds()))}
        else:  # a celery crontab: nightly / weekly research runs
            timing = {"crontab": crontab_for(when)}
        kwargs = entry.get("kwargs_json") or json.dumps(entry.get("kwargs", {}))
        PeriodicTask.objects.create(
            name=name,
            task=entry["task"],
            **timing,
            kwargs=kwargs,
            expire_seconds=options.get("expires"),
            description=entry.get("description", ""),
        )
        created.append(name)
    return created


DRILL_TTL_SECONDS = 24 * 3600


def drill_mark(*, drill_id: str, stage: str) -> int:
    """Count one more run reaching `stage` of a redelivery drill; returns the count."""
    key = keys.ops_drill(drill_id)
    client = get_redis()
    count = client.hincrby(key, stage, 1)
    client.expire(key, DRILL_TTL_SECONDS)
    return count


def drill_complete(*, drill_id: str) -> bool:
    """Complete a drill; only the first completion counts (a replay after the fact is a no-op)."""
    key = keys.ops_drill(drill_id)
    first = bool(get_redis().hsetnx(key, "completed_at", to_ms(utcnow())))
    if first:
        drill_mark(drill_id=drill_id, stage="completed")
    return first


def drill_status(*, drill_id: str) -> dict[str, str]:
    return get_redis().hgetall(keys.ops_drill(drill_id))


def queue_probe_send(*, celery_app, queue: str) -> bool:
    """Send the health probe through `queue`, at most every OPS_QUEUE_PROBE_EVERY_SECONDS.

    The probe's outstanding time starts before the send, so a worker that answers at once
    can never leave a stale "pending" behind."""
    client = get_redis()
    throttle = keys.ops_queue_heartbeat_throttle(queue)
    if not client.set(throttle, 1, nx=True, ex=settings.OPS_QUEUE_PROBE_EVERY_SECONDS):
        return False
    now = to_ms(utcnow())
    key = keys.ops_queue_heartbeat(queue)
    client.hsetnx(key, "pending_since_ms", now)
    client.hset(key, "sent_ms", now)
    celery_app.send_task(
        "quantum.ops.queue_probe",
        args=[queue, now],
        queue=queue,
        # a queue nobody consumes must not pile probes up
        expires=settings.OPS_QUEUE_PROBE_TIMEOUT_SECONDS,
        ignore_result=True,
    )
    return True


def queue_probe_answer(*, queue: str, sent_ms: int) -> None:
    """A worker ran the probe: the queue's round trip is done."""
    now = to_ms(utcnow())
    key = keys.ops_queue_heartbeat(queue)
    client = get_redis()
    with client.pipeline() as pipe:
        pipe.hset(key, mapping={"ran_ms": now, "round_trip_ms": max(0, now - int(sent_ms))})
        pipe.hdel(key, "pending_since_ms")
        pipe.execute()
