"""Flower with the desk's guards: `python -m apps.ops.flower [flower options]` runs
`celery -A quantum_project flower [flower options]` after two changes to Flower 2.2:

- Basic-auth failures are counted per client address in Redis; at FLOWER_AUTH_FAILURE_LIMIT the
  address gets 429 (with Retry-After), even with the right password, until
  FLOWER_AUTH_COOLOFF_SECONDS after its last failure. Flower itself retries nothing and delays
  nothing, so its password could be guessed at line speed. A success clears the count.
- `/metrics` needs the same credentials as everything else. Flower routes it to a handler
  without `@authenticated` (flower/views/monitor.py), whatever FLOWER_UNAUTHENTICATED_API says,
  and the task names and worker hosts it lists are for the operator only.

Both patches sit on Flower's BaseHandler, the class every page and API handler derives from,
so a handler added by a later Flower is covered too. `/healthcheck` (answers "OK") stays open
for supervisors.
"""

from __future__ import annotations

import os
import sys

import tornado.web

RETRY_AFTER = "Retry-After"


class LockedOut(tornado.web.HTTPError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(429, "Too many failed logins: try again later.")
        self.retry_after = max(1, retry_after)


class AuthGuard:
    """Failures per client address: one Redis counter each, expiring after the cool-off."""

    def __init__(self, redis, *, limit: int, cooloff_seconds: int, prefix: str) -> None:
        self.redis = redis
        self.limit = limit
        self.cooloff = cooloff_seconds
        self.prefix = prefix

    def _key(self, address: str) -> str:
        return f"{self.prefix}{address}"

    def locked_for(self, address: str) -> int:
        """Seconds the address is still locked out; 0 when it may try."""
        key = self._key(address)
        failures = self.redis.get(key)
        if failures is None or int(failures) < self.limit:
            return 0
        return max(1, self.redis.ttl(key))

    def failed(self, address: str) -> int:
        key = self._key(address)
        with self.redis.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, self.cooloff)  # counted from the last failure
            failures, _ = pipe.execute()
        return int(failures)

    def succeeded(self, address: str) -> None:
        self.redis.delete(self._key(address))


def install(guard: AuthGuard) -> None:
    from flower.api import BaseApiHandler
    from flower.views import BaseHandler
    from flower.views.monitor import Metrics

    check_credentials = BaseHandler.get_current_user

    def get_current_user(self):
        if not self.application.options.basic_auth:
            return check_credentials(self)
        address = self.request.remote_ip
        wait = guard.locked_for(address)
        if wait:
            raise LockedOut(wait)
        sent_credentials = bool(self.request.headers.get("Authorization"))
        try:
            user = check_credentials(self)
        except tornado.web.HTTPError as exc:
            # A request without credentials is the browser asking for the login prompt.
            if exc.status_code == 401 and sent_credentials:
                if guard.failed(address) >= guard.limit:
                    raise LockedOut(guard.cooloff) from exc
            raise
        if sent_credentials:
            guard.succeeded(address)
        return user

    BaseHandler.get_current_user = get_current_user
    for handler in (BaseHandler, BaseApiHandler):
        handler.write_error = _with_retry_after(handler.write_error)
    Metrics.get = tornado.web.authenticated(Metrics.get)


def _with_retry_after(write_error):
    # Tornado clears the headers before write_error, so the header is set here.
    def wrapped(self, status_code, **kwargs):
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, LockedOut):
            self.set_header(RETRY_AFTER, str(exc.retry_after))
        return write_error(self, status_code, **kwargs)

    return wrapped


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quantum_project.settings")
    import django

    django.setup()
    from celery.bin.celery import main as celery_main
    from django.conf import settings

    from apps.core import keys
    from apps.core.redis import get_redis

    install(
        AuthGuard(
            get_redis(),
            limit=settings.FLOWER_AUTH_FAILURE_LIMIT,
            cooloff_seconds=settings.FLOWER_AUTH_COOLOFF_SECONDS,
            prefix=keys.FLOWER_AUTH_FAILURES_PREFIX,
        )
    )
    sys.argv = ["celery", "-A", "quantum_project", "flower", *argv]
    return celery_main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
