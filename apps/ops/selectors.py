"""Health of every part of the stack (the old Universe OS): database, Redis, workers per queue,
beat, exchange. Each check returns a dict with `ok` and what it measured; none raises."""

import time
from typing import Any

import requests
from django.conf import settings
from django.db import connection
from redis.exceptions import RedisError

from apps.core import keys
from apps.core.redis import get_redis
from apps.core.timeutil import from_ms, utcnow

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


def queue_health(celery_app) -> dict[str, dict[str, Any]]:
    """Which live workers consume each declared queue (asks the workers over the broker).

    A broadcast has no end: waiting for every reply means waiting the whole timeout. So the
    inspection stops as soon as as many workers answered as the last complete one saw; if that
    leaves a queue without a consumer, a full inspection confirms it before it is reported down
    (a queue is "ok" only on a real reply, "down" only after the full wait)."""
    queues = [queue.name for queue in celery_app.conf.task_queues]
    expected = _workers_seen()
    try:
        replies = _inspect(celery_app, limit=expected)
        # fewer replies than asked for means the whole timeout was waited: a full answer
        complete = expected is None or len(replies) < expected
        served = {queue["name"] for worker_queues in replies.values() for queue in worker_queues}
        if not complete and not set(queues) <= served:
            replies, complete = _inspect(celery_app, limit=None), True
        if complete:
            get_redis().set(keys.OPS_WORKERS_SEEN, len(replies), ex=WORKERS_SEEN_TTL_SECONDS)
    except Exception as exc:  # noqa: BLE001
        return {name: {"ok": False, "workers": [], "error": str(exc)[:200]} for name in queues}
    consumers: dict[str, list[str]] = {name: [] for name in queues}
    for worker, worker_queues in replies.items():
        for queue in worker_queues:
            consumers.setdefault(queue["name"], []).append(worker)
    return {
        name: {"ok": bool(workers), "workers": sorted(workers)}
        for name, workers in consumers.items()
    }


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


def stack_health(celery_app) -> dict[str, Any]:
    components = {
        "database": database_health(),
        "redis": redis_health(),
        "queues": queue_health(celery_app),
        "beat": beat_health(),
        "exchange": exchange_health(),
    }
    down = [
        name for name in ("database", "redis", "beat", "exchange") if not components[name]["ok"]
    ]
    down += [f"queue:{name}" for name, queue in components["queues"].items() if not queue["ok"]]
    return {
        "status": "down" if down else "ok",
        "down": down,
        "checked_at": utcnow().isoformat(),
        "components": components,
    }
