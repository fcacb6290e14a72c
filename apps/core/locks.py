"""Non-blocking Redis locks for jobs that must never overlap (a 15 s poll that overruns, say)."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from redis.exceptions import LockError

from apps.core.redis import get_redis

logger = logging.getLogger(__name__)
T = TypeVar("T")


class LockHeld(Exception):
    """Another run holds the lock: this one is skipped, not queued."""


@contextmanager
def exclusive(name: str, *, timeout: float) -> Iterator[None]:
    """Hold `quantum:lock:<name>` for at most `timeout` seconds or raise LockHeld at once.

    The timeout frees the lock if the holder dies; it must exceed the job's hard time limit.
    """
    lock = get_redis().lock(f"quantum:lock:{name}", timeout=timeout, blocking=False)
    if not lock.acquire():
        raise LockHeld(name)
    try:
        yield
    finally:
        try:
            lock.release()
        except LockError:
            pass  # expired and perhaps taken by another run: nothing of ours left to free


def run_exclusive(name: str, *, timeout: float, job: Callable[[], T]) -> T | None:
    """Run `job` under the lock `name`; while another run holds it, skip (logged) and return
    None. For scheduled jobs, where a skipped run is simply done by the next one."""
    try:
        with exclusive(name, timeout=timeout):
            return job()
    except LockHeld:
        logger.info("%s: the previous run still holds the lock, this one is skipped", name)
        return None
