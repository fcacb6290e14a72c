"""Redis locks for jobs that must never overlap (a 15 s poll that overruns, say)."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from redis.exceptions import LockError

from apps.core import keys
from apps.core.loops import LoopOutcome, loop_record
from apps.core.redis import get_redis

logger = logging.getLogger(__name__)
T = TypeVar("T")


class LockHeld(Exception):
    """Another run holds the lock: this one is skipped, not queued."""


@contextmanager
def exclusive(name: str, *, timeout: float, wait: float = 0) -> Iterator[None]:
    """Hold `quantum:lock:<name>` for at most `timeout` seconds, waiting up to `wait` seconds for
    it (0: not at all), or raise LockHeld.

    The timeout frees the lock if the holder dies; it must exceed the job's hard time limit.
    """
    lock = get_redis().lock(
        keys.lock(name),
        timeout=timeout,
        blocking=wait > 0,
        blocking_timeout=wait if wait > 0 else None,
        sleep=0.05,
    )
    if not lock.acquire():
        raise LockHeld(name)
    try:
        yield
    finally:
        try:
            lock.release()
        except LockError:
            pass  # expired and perhaps taken by another run: nothing of ours left to free


def run_exclusive(
    name: str,
    *,
    timeout: float,
    job: Callable[[], T],
    wait: float = 0,
    loop: str | None = None,
) -> T | None:
    """Run `job` under the lock `name`; while another run holds it (past `wait`), skip (logged)
    and return None. For scheduled jobs, where a skipped run is simply done by the next one.

    `loop` names the periodic task this run belongs to: its outcome (completed, skipped, failed)
    is recorded so a loop that never completes is seen (apps.core.loops)."""
    try:
        with exclusive(name, timeout=timeout, wait=wait):
            try:
                result = job()
            except Exception:
                if loop:
                    loop_record(loop, LoopOutcome.FAILED)
                raise
    except LockHeld:
        logger.info("%s: the previous run still holds the lock, this one is skipped", name)
        if loop:
            loop_record(loop, LoopOutcome.SKIPPED)
        return None
    if loop:
        loop_record(loop, LoopOutcome.COMPLETED)
    return result
