"""Tasks of the PnL context: thin wrappers that lock and call one service; retries are
declared (workers/base.py, EXCHANGE_RETRY)."""

import logging

from celery import shared_task
from django.conf import settings

from apps.core.locks import LockHeld, exclusive, run_exclusive
from apps.core.loops import LoopOutcome, loop_record
from apps.exchange.models import ExchangeAccount
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


# soft < hard < lock = the interval: a check still running when the next is due is skipped,
# and one cut by its time limit frees its lock before the next.
_VERIFY = settings.PNL_VERIFY_INTERVAL_SECONDS


@shared_task(name="quantum.pnl.verify_ledgers", ignore_result=True)
def verify_ledgers() -> None:
    """The beat entry: one check per active account, each its own task (one account's slow
    or failing venue does not hold up another's), dropped if it cannot start within the
    interval."""
    for account_id in ExchangeAccount.objects.filter(is_active=True).values_list("id", flat=True):
        verify_account.apply_async(args=[account_id], expires=_VERIFY)
    loop_record(verify_ledgers.name, LoopOutcome.COMPLETED)


@shared_task(
    name="quantum.pnl.verify_account",
    soft_time_limit=int(_VERIFY * 0.8),
    time_limit=int(_VERIFY * 0.9),
    ignore_result=True,
)
def verify_account(account_id: int) -> None:
    """No retries: the check changes nothing on the venue or in the ledger, and the next
    interval's check is its retry."""
    account = ExchangeAccount.objects.get(id=account_id)
    run_exclusive(
        f"pnl:verify:{account_id}",
        timeout=_VERIFY,
        job=lambda: services.ledger_verify(account=account),
        loop=verify_account.name,
    )
