"""Writes of the ops context: the beat schedule's defaults, the redelivery drill, the health
probes and the restart of a worker that stopped consuming."""

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery.schedules import crontab
from celery.utils.nodenames import worker_direct
from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from apps.core import keys
from apps.core.redis import get_redis
from apps.core.timeutil import to_ms, utcnow

logger = logging.getLogger(__name__)


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


def _probe_send(*, state_key: str, throttle_key: str, send: Callable[[int], None]) -> bool:
    """Send a health probe (at most every OPS_QUEUE_PROBE_EVERY_SECONDS per target) and record
    it. Its outstanding time starts before the send, so a worker that answers at once can never
    leave a stale "pending" behind."""
    client = get_redis()
    if not client.set(throttle_key, 1, nx=True, ex=settings.OPS_QUEUE_PROBE_EVERY_SECONDS):
        return False
    now = to_ms(utcnow())
    with client.pipeline() as pipe:
        pipe.hsetnx(state_key, "pending_since_ms", now)
        pipe.hset(state_key, "sent_ms", now)
        pipe.expire(state_key, PROBE_STATE_TTL_SECONDS)
        pipe.execute()
    send(now)
    return True


def _probe_answer(*, state_key: str, sent_ms: int) -> None:
    now = to_ms(utcnow())
    with get_redis().pipeline() as pipe:
        pipe.hset(state_key, mapping={"ran_ms": now, "round_trip_ms": max(0, now - int(sent_ms))})
        pipe.hdel(state_key, "pending_since_ms")
        pipe.expire(state_key, PROBE_STATE_TTL_SECONDS)
        pipe.execute()


# A worker that left for good leaves its probe state behind only this long.
PROBE_STATE_TTL_SECONDS = 7 * 24 * 3600


def queue_probe_send(*, celery_app, queue: str) -> bool:
    """Send the health probe through `queue` (any of its consumers may take it)."""
    return _probe_send(
        state_key=keys.ops_queue_heartbeat(queue),
        throttle_key=keys.ops_queue_heartbeat_throttle(queue),
        send=lambda now: celery_app.send_task(
            "quantum.ops.queue_probe",
            args=[queue, now],
            queue=queue,
            # a queue nobody consumes must not pile probes up
            expires=settings.OPS_QUEUE_PROBE_TIMEOUT_SECONDS,
            ignore_result=True,
        ),
    )


def queue_probe_answer(*, queue: str, sent_ms: int) -> None:
    """A worker ran the probe: the queue's round trip is done."""
    _probe_answer(state_key=keys.ops_queue_heartbeat(queue), sent_ms=sent_ms)


def worker_probe_send(*, celery_app, worker: str) -> bool:
    """Send the health probe to one worker, through its own direct queue (CELERY_WORKER_DIRECT):
    only that worker can run it."""
    return _probe_send(
        state_key=keys.ops_worker_probe(worker),
        throttle_key=keys.ops_worker_probe_throttle(worker),
        send=lambda now: celery_app.send_task(
            "quantum.ops.worker_probe",
            args=[now],
            queue=worker_direct(worker),
            expires=settings.OPS_WORKER_PROBE_TIMEOUT_SECONDS,
            ignore_result=True,
        ),
    )


def worker_probe_answer(*, worker: str, sent_ms: int) -> None:
    """`worker` ran its probe: it consumes."""
    _probe_answer(state_key=keys.ops_worker_probe(worker), sent_ms=sent_ms)


def worker_restart(*, celery_app, worker: str) -> bool:
    """Tell a stuck worker to shut down (warm: it finishes what it runs) over the control
    channel, which such a worker still answers; its supervisor starts it again with a fresh
    consumer. At most once per OPS_WORKER_PROBE_TIMEOUT_SECONDS per worker, so a worker still
    booting is never told twice. Its outstanding probe is forgotten: the new process is judged
    by the probes sent to it. Returns whether the shutdown was sent."""
    client = get_redis()
    key = keys.ops_worker_probe(worker)
    now = to_ms(utcnow())
    restarted = client.hget(key, "restarted_ms")
    if restarted and now - int(restarted) < settings.OPS_WORKER_PROBE_TIMEOUT_SECONDS * 1000:
        return False
    celery_app.control.shutdown(destination=[worker])
    with client.pipeline() as pipe:
        pipe.hdel(key, "pending_since_ms")
        pipe.hincrby(key, "restarts", 1)
        pipe.hset(key, "restarted_ms", now)
        pipe.expire(key, PROBE_STATE_TTL_SECONDS)
        pipe.execute()
    logger.warning(
        "worker %s stopped consuming: told to shut down, its supervisor restarts it", worker
    )
    return True


def workers_watch(*, celery_app) -> list[str]:
    """The watch job: probe every live worker and restart the stuck ones
    (OPS_WORKER_RESTART_STUCK). Returns the workers told to shut down."""
    from apps.ops.selectors import worker_health

    health = worker_health(celery_app)
    if not settings.OPS_WORKER_RESTART_STUCK:
        return []
    return [
        worker
        for worker, state in sorted(health.items())
        if state.get("stuck") and worker_restart(celery_app=celery_app, worker=worker)
    ]
