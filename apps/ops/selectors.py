"""Health of every part of the stack (the old Universe OS): database, Redis, workers per queue,
beat, exchange. Each check returns a dict with `ok` and what it measured; none raises."""

import time
from typing import Any

import requests
from celery.utils.nodenames import worker_direct
from django.conf import settings
from django.db import connection
from redis.exceptions import RedisError

from apps.core import keys
from apps.core.consumers import group_health
from apps.core.loops import loop_states_watched
from apps.core.redis import get_redis
from apps.core.timeutil import from_ms, to_ms, utcnow
from apps.ops.services import queue_probe_send, worker_probe_send

BEAT_STALE_SECONDS = 60  # beat ticks at least every 5 s; a minute of silence means it is gone


def _timed(check) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = check() or {}
        result.setdefault("ok", True)
    except Exception as exc:  # noqa: BLE001 - a health check reports any failure, it never raises
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def database_health() -> dict[str, Any]:
    def check():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"vendor": connection.vendor}

    return _timed(check)


def redis_health() -> dict[str, Any]:
    return _timed(lambda: {"ok": bool(get_redis().ping())})


WORKERS_SEEN_TTL_SECONDS = 60  # a full inspection at least this often: new workers get listed


def _inspect(celery_app, limit: int | None) -> dict[str, list[dict]]:
    inspect = celery_app.control.inspect(timeout=settings.OPS_INSPECT_TIMEOUT_SECONDS, limit=limit)
    return inspect.active_queues() or {}


def _workers_seen() -> int | None:
    try:
        raw = get_redis().get(keys.OPS_WORKERS_SEEN)
        return int(raw) if raw is not None and int(raw) > 0 else None
    except (RedisError, ValueError):
        return None


def live_workers(celery_app) -> dict[str, list[str]]:
    """Each live worker (node name) -> the queues it consumes, as the workers answer over the
    broker's control channel; raises when the broker cannot be asked.

    A broadcast has no end: waiting for every reply means waiting the whole timeout. So the
    inspection stops as soon as as many workers answered as the last complete one saw; if that
    leaves a declared queue without a consumer, a full inspection confirms it (a queue is "ok"
    only on a real reply, "down" only after the full wait)."""
    declared = {queue.name for queue in celery_app.conf.task_queues}
    expected = _workers_seen()
    replies = _inspect(celery_app, limit=expected)
    # fewer replies than asked for means the whole timeout was waited: a full answer
    complete = expected is None or len(replies) < expected
    served = {queue["name"] for worker_queues in replies.values() for queue in worker_queues}
    if not complete and not declared <= served:
        replies, complete = _inspect(celery_app, limit=None), True
    if complete:
        get_redis().set(keys.OPS_WORKERS_SEEN, len(replies), ex=WORKERS_SEEN_TTL_SECONDS)
    return {worker: [queue["name"] for queue in queues] for worker, queues in replies.items()}


def queue_health(celery_app, workers: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Which live workers consume each declared queue, and whether a task sent through it came
    back. `workers` is live_workers' answer when the caller has it already."""
    queues = [queue.name for queue in celery_app.conf.task_queues]
    try:
        workers = live_workers(celery_app) if workers is None else workers
    except Exception as exc:  # noqa: BLE001
        return {name: {"ok": False, "workers": [], "error": str(exc)[:200]} for name in queues}
    # declared queues only: each worker's own direct queue is judged per worker (worker_health)
    consumers: dict[str, list[str]] = {name: [] for name in queues}
    for worker, worker_queues in workers.items():
        for name in worker_queues:
            if name in consumers:
                consumers[name].append(worker)
    health: dict[str, dict[str, Any]] = {}
    for name, served_by in consumers.items():
        health[name] = {"ok": bool(served_by), "workers": sorted(served_by)}
        if served_by:
            health[name].update(_queue_round_trip(celery_app, name))
    return health


def worker_health(celery_app, workers: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Each live worker, by a task sent to it alone (its direct queue, CELERY_WORKER_DIRECT).

    The per-queue probe cannot see a worker whose consumer stopped (celery/celery#8030) while
    another worker serves the same queues: the healthy one answers for both. A worker is
    `stuck` when its probe has been outstanding longer than OPS_WORKER_PROBE_TIMEOUT_SECONDS
    while it still answers the control channel (it is in this inspection) and runs no task (a
    busy worker takes its probe when a process frees up). A worker that consumes queues but not
    its direct queue (started without worker_direct, during a rolling deploy) is not probed.

    Health writes here on purpose: the probe is the measurement (services.worker_probe_send)."""
    try:
        workers = live_workers(celery_app) if workers is None else workers
    except Exception as exc:  # noqa: BLE001
        return {"*": {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}}
    health: dict[str, Any] = {}
    for worker, queues in sorted(workers.items()):
        if queues and worker_direct(worker).name not in queues:
            health[worker] = {"ok": True, "queues": queues, "probed": False}
            continue
        try:
            health[worker] = _worker_round_trip(celery_app, worker, queues)
        except Exception as exc:  # noqa: BLE001 - reported, never raised
            health[worker] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return health


def _worker_round_trip(celery_app, worker: str, queues: list[str]) -> dict[str, Any]:
    client = get_redis()
    state = client.hgetall(keys.ops_worker_probe(worker))
    worker_probe_send(celery_app=celery_app, worker=worker)
    now = to_ms(utcnow())
    restarted = _int_or_none(state.get("restarted_ms"))
    result: dict[str, Any] = {
        "ok": True,
        "stuck": False,
        "queues": sorted(queues),
        "probed": True,
        "round_trip_ms": _int_or_none(state.get("round_trip_ms")),
        "last_round_trip_age_seconds": _age_seconds(now, state.get("ran_ms")),
        "probe_pending_seconds": _age_seconds(now, state.get("pending_since_ms")),
        "restarts": _int_or_none(state.get("restarts")) or 0,
        "last_restart": from_ms(restarted).isoformat() if restarted else None,
    }
    pending = result["probe_pending_seconds"]
    if pending is None or pending <= settings.OPS_WORKER_PROBE_TIMEOUT_SECONDS:
        return result
    inspect = celery_app.control.inspect(
        destination=[worker], timeout=settings.OPS_INSPECT_TIMEOUT_SECONDS, limit=1
    )
    active = (inspect.active() or {}).get(worker)
    if active:
        result["busy"] = len(active)
    elif active is not None:  # it answered: alive, idle, and its probe did not run
        result.update(
            ok=False,
            stuck=True,
            error=f"stopped consuming: its probe waited {pending:.0f} s while it runs nothing",
        )
    return result


def _queue_round_trip(celery_app, queue: str) -> dict[str, Any]:
    """Did a task sent through `queue` come back? A worker whose consumer stopped (after a
    broker restart, celery/celery#8030) still answers the inspection above but runs nothing;
    alone on a queue, the queue is down (beside another worker, worker_health sees it).

    Health writes here on purpose: the probe is the measurement (services.queue_probe_send)."""
    try:
        state = get_redis().hgetall(keys.ops_queue_heartbeat(queue))
        queue_probe_send(celery_app=celery_app, queue=queue)
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        return {"ok": False, "error": f"round trip: {type(exc).__name__}: {exc}"[:200]}
    now = to_ms(utcnow())
    timeout = settings.OPS_QUEUE_PROBE_TIMEOUT_OVERRIDES.get(
        queue, settings.OPS_QUEUE_PROBE_TIMEOUT_SECONDS
    )
    result: dict[str, Any] = {
        "round_trip_ms": _int_or_none(state.get("round_trip_ms")),
        "last_round_trip_age_seconds": _age_seconds(now, state.get("ran_ms")),
    }
    pending = _age_seconds(now, state.get("pending_since_ms"))
    if pending is not None and pending > timeout:
        result["ok"] = False
        result["error"] = f"no task came back through the queue for {pending:.0f} s"
    return result


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _age_seconds(now_ms: int, raw: str | None) -> float | None:
    stamp = _int_or_none(raw)
    return None if stamp is None else round((now_ms - stamp) / 1000, 1)


def _scheduled_loops() -> dict[str, int]:
    """task name -> its shortest interval in seconds, of the enabled interval entries of the
    schedule (django-celery-beat's table: the admin's edits count)."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    seconds_per = {
        IntervalSchedule.DAYS: 86400,
        IntervalSchedule.HOURS: 3600,
        IntervalSchedule.MINUTES: 60,
        IntervalSchedule.SECONDS: 1,
        IntervalSchedule.MICROSECONDS: 1e-6,
    }
    loops: dict[str, int] = {}
    rows = PeriodicTask.objects.filter(enabled=True, interval__isnull=False).values_list(
        "task", "interval__every", "interval__period"
    )
    for task, every, period in rows:
        interval = max(1, int(every * seconds_per.get(period, 1)))
        loops[task] = min(interval, loops.get(task, interval))
    return loops


def loop_health() -> dict[str, dict[str, Any]]:
    """Each scheduled loop: when it last completed, how its runs ended. A loop that has not
    completed for OPS_LOOP_STALE_INTERVALS of its intervals is down, whatever the reason (its
    lock always held, a failure every run, no worker, a stopped consumer). A loop is watched
    from the first time health saw it scheduled, so a fresh desk gets its intervals too."""
    now = to_ms(utcnow())
    loops = sorted(_scheduled_loops().items())
    states = loop_states_watched([task for task, _ in loops], now_ms=now)
    health: dict[str, dict[str, Any]] = {}
    for task, interval in loops:
        state = states[task]
        since = state.get("last_ok_ms") or state.get("watched_since_ms") or now
        age = (now - since) / 1000
        limit = max(
            settings.OPS_LOOP_STALE_FLOOR_SECONDS, settings.OPS_LOOP_STALE_INTERVALS * interval
        )
        health[task] = {
            "ok": age <= limit,
            "interval_seconds": interval,
            "last_completed": from_ms(state["last_ok_ms"]).isoformat()
            if "last_ok_ms" in state
            else None,
            "age_seconds": round(age, 1),
            "stale_after_seconds": limit,
            "completed": state.get("completed", 0),
            "skipped": state.get("skipped", 0),
            "failed": state.get("failed", 0),
            "skips_in_a_row": state.get("skips_in_a_row", 0),
            "max_skips_in_a_row": state.get("max_skips_in_a_row", 0),
        }
        if not health[task]["ok"]:
            health[task]["error"] = f"not completed for {age:.0f} s (every {interval} s)"
    return health


def beat_health() -> dict[str, Any]:
    def check():
        raw = get_redis().get(keys.BEAT_LAST_TICK)
        if raw is None:
            return {
                "ok": False,
                "last_tick": None,
                "age_seconds": None,
                "error": "beat has never ticked",
            }
        last = from_ms(int(raw))
        age = (utcnow() - last).total_seconds()
        return {
            "ok": age <= BEAT_STALE_SECONDS,
            "last_tick": last.isoformat(),
            "age_seconds": round(age, 1),
        }

    return _timed(check)


def exchange_health() -> dict[str, Any]:
    url = f"{settings.EXCHANGE_BASE_URL.rstrip('/')}/fapi/v1/ping"

    def check():
        response = requests.get(url, timeout=3)
        response.raise_for_status()
        return {"url": settings.EXCHANGE_BASE_URL}

    result = _timed(check)
    result.setdefault("url", settings.EXCHANGE_BASE_URL)
    return result


def events_health() -> dict[str, Any]:
    """The event path: each websocket connection of the stream process (state, last event age,
    reconnects) and each reactor group (pending, lag). Down only when the stream process is
    deployed (it wrote its connection hashes) and the market connection is silent past
    STREAM_SILENT_SECONDS: a desk without it runs on the polls, and is healthy."""

    def check():
        client = get_redis()
        now_ms = to_ms(utcnow())
        connections = {}
        for key in client.scan_iter(f"{keys.EXCHANGE_STREAM_STATE_PREFIX}*", count=100):
            state = client.hgetall(key)
            connections[key[len(keys.EXCHANGE_STREAM_STATE_PREFIX) :]] = {
                "state": state.get("state"),
                "last_event_age_seconds": _age_seconds(now_ms, state.get("last_event_ms")),
                "reconnects": _int_or_none(state.get("reconnects")),
                "last_error": state.get("last_error", ""),
            }
        streams = [keys.STREAM_MARK, *(keys.stream_kline(s) for s in settings.TRADING_SYMBOLS)]
        streams += sorted(client.scan_iter(keys.STREAM_EXCHANGE_USER.split("{")[0] + "*"))
        groups = [g for stream in streams for g in group_health(client, stream)]
        market = connections.get("market")
        age = market["last_event_age_seconds"] if market else None
        silent = market is not None and (age is None or age > settings.STREAM_SILENT_SECONDS)
        result = {"ok": not silent, "connections": connections, "groups": groups}
        if silent:
            result["error"] = f"the market stream is silent ({age} s since its last event)"
        return result

    return _timed(check)


def stack_health(celery_app) -> dict[str, Any]:
    try:
        workers: dict[str, list[str]] | None = live_workers(celery_app)
    except Exception:  # noqa: BLE001 - each part below reports the failure as its own
        workers = None
    components = {
        "database": database_health(),
        "redis": redis_health(),
        "queues": queue_health(celery_app, workers),
        "workers": worker_health(celery_app, workers),
        "beat": beat_health(),
        "exchange": exchange_health(),
        "events": events_health(),
    }
    try:
        components["loops"] = loop_health()
    except Exception as exc:  # noqa: BLE001 - reported as a down part, never raised
        components["loops"] = {"*": {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}}
    down = [
        name
        for name in ("database", "redis", "beat", "exchange", "events")
        if not components[name]["ok"]
    ]
    down += [f"queue:{name}" for name, queue in components["queues"].items() if not queue["ok"]]
    down += [f"worker:{name}" for name, worker in components["workers"].items() if not worker["ok"]]
    down += [f"loop:{name}" for name, loop in components["loops"].items() if not loop["ok"]]
    return {
        "status": "down" if down else "ok",
        "down": down,
        "checked_at": utcnow().isoformat(),
        "components": components,
    }
