"""Tasks of the PnL context: thin wrappers that lock, call one service and retry."""

import logging

from celery import shared_task
from django.conf import settings

from apps.core.locks import LockHeld, exclusive, run_exclusive
from apps.core.loops import LoopOutcome, loop_record
from apps.exchange.errors import RetryableExchangeError
from apps.pnl import services

logger = logging.getLogger(__name__)

BACKOFF_CAP_SECONDS = 30


@shared_task(
    bind=True,
    name="quantum.pnl.poll_account",
    # Idempotent (unique ledger keys, a durable cursor, publish-once markers): a message whose
    # worker died goes back to the queue and simply runs again.
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.PNL_POLL_SOFT_TIME_LIMIT,
    time_limit=settings.PNL_POLL_HARD_TIME_LIMIT,
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
        return
    except RetryableExchangeError as exc:
        loop_record(self.name, LoopOutcome.FAILED)
        backoff = min(BACKOFF_CAP_SECONDS, 2**self.request.retries)
        countdown = max(backoff, exc.retry_after or 0)  # the venue's Retry-After wins
        raise self.retry(exc=exc, countdown=countdown) from None
    except Exception:
        loop_record(self.name, LoopOutcome.FAILED)
        raise


@shared_task(name="quantum.pnl.downsample_snapshots", ignore_result=True)
def downsample_snapshots() -> None:
    run_exclusive(
        "pnl:downsample",
        timeout=3600,
        job=services.snapshots_downsample,
        loop=downsample_snapshots.name,
    )
