"""Redis locks for jobs that must never overlap (a 15 s poll that overruns, say)."""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.conf import settings
from redis.exceptions import LockError, RedisError
from redis.lock import Lock

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

    The lock is a lease of LOCK_LEASE_SECONDS, renewed by a thread of the holder while the job
    runs (up to `timeout`, which must exceed the job's hard time limit). A holder killed with
    kill -9 stops renewing, so its lock lapses within a lease, not after the whole timeout:
    before, every trading cycle of the next minute was skipped after a worker died in one.
    """
    lease = min(timeout, settings.LOCK_LEASE_SECONDS)
    lock = get_redis().lock(
        keys.lock(name),
        timeout=lease,
        blocking=wait > 0,
        blocking_timeout=wait if wait > 0 else None,
        sleep=0.05,
        thread_local=False,  # the renewing thread must see the holder's token
    )
    if not lock.acquire():
        raise LockHeld(name)
    stop = threading.Event()
    renewer = None
    if lease < timeout:
        renewer = threading.Thread(
            target=_renew, args=(lock, name, lease, timeout, stop), daemon=True
        )
        renewer.start()
    try:
        yield
    finally:
        stop.set()
        if renewer is not None:
            renewer.join(lease)
        try:
            lock.release()
        except LockError:
            pass  # expired and perhaps taken by another run: nothing of ours left to free


def _renew(lock: Lock, name: str, lease: float, timeout: float, stop: threading.Event) -> None:
    deadline = time.monotonic() + timeout
    while not stop.wait(lease / 3):
        if time.monotonic() >= deadline:
            return  # past the job's bound: let the lease lapse
        try:
            lock.reacquire()
        except (LockError, RedisError) as exc:
            # Lost (it lapsed and another run took it) or Redis away: nothing left to renew.
            logger.warning("%s: lease not renewed: %s", name, exc)
            return


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
