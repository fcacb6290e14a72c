"""Tasks of the PnL context: thin wrappers that lock and call one service; retries are
declared (workers/base.py, EXCHANGE_RETRY)."""

import logging

from celery import shared_task
from django.conf import settings

from apps.core.locks import LockHeld, exclusive, run_exclusive
from apps.core.loops import LoopOutcome, loop_record
from apps.pnl import services
from workers.base import EXCHANGE_RETRY

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="quantum.pnl.poll_account",
    # Idempotent (unique ledger keys, a durable cursor, publish-once markers): a message whose
    # worker died goes back to the queue and simply runs again, and so may a poll the venue
    # did not answer (backoff 1, 2, 4 ... 30 s, never sooner than its Retry-After).
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.PNL_POLL_SOFT_TIME_LIMIT,
    time_limit=settings.PNL_POLL_HARD_TIME_LIMIT,
    **EXCHANGE_RETRY,
    max_retries=settings.PNL_POLL_MAX_RETRIES,
    ignore_result=True,
)
def poll_account(self, account_id: int) -> None:
    try:
        # The lock outlives the hard time limit, so two polls of one account never overlap.
        with exclusive(f"pnl:poll:{account_id}", timeout=settings.PNL_POLL_LOCK_SECONDS):
            services.account_poll(account_id=account_id, attempt=self.request.retries + 1)
        loop_record(self.name, LoopOutcome.COMPLETED)
    except LockHeld:
        logger.info("pnl poll account_id=%s skipped: the previous poll still runs", account_id)
        loop_record(self.name, LoopOutcome.SKIPPED)
    except Exception:
        loop_record(self.name, LoopOutcome.FAILED)  # each failed attempt, retried or not
        raise


@shared_task(name="quantum.pnl.downsample_snapshots", ignore_result=True)
def downsample_snapshots() -> None:
    run_exclusive(
        "pnl:downsample",
        timeout=3600,
        job=services.snapshots_downsample,
        loop=downsample_snapshots.name,
    )
