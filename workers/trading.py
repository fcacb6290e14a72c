"""Tasks of the trading context: load, call one service, store (docs/trading.md)."""

import logging
from functools import partial

from celery import shared_task
from django.conf import settings

from apps.core import keys
from apps.core.locks import run_exclusive
from apps.core.loops import LoopOutcome, loop_record
from apps.core.redis import get_redis
from apps.trading import selectors, services
from apps.trading.execution import Outcome, intent_execute
from workers.base import EXCHANGE_RETRY, RunAgain

logger = logging.getLogger(__name__)


def _cycle(*, loop: str, full: bool) -> None:
    accounts = list(selectors.trading_accounts().values_list("id", flat=True))
    if not accounts:
        loop_record(loop, LoopOutcome.COMPLETED)  # nothing to trade is a completed run
    for account_id in accounts:
        # One lock per account for both the full cycle and the monitor-only pass: decisions
        # about an account's positions are never taken by two runs at once. The full cycle does
        # all the monitor does (and signals, when on the beat), so it waits for a monitor pass
        # to end and the monitor gives way to a waiting cycle: beat sends both within
        # milliseconds, and with two non-blocking locks the cycle lost that race for minutes.
        wanted = keys.trading_cycle_wanted(account_id)
        client = get_redis()
        if full:
            client.set(wanted, 1, ex=settings.TRADING_CYCLE_LOCK_WAIT_SECONDS + 5)
        elif client.exists(wanted):
            loop_record(loop, LoopOutcome.SKIPPED)
            continue
        try:
            summary = run_exclusive(
                f"trading:cycle:{account_id}",
                timeout=settings.TRADING_CYCLE_LOCK_SECONDS,
                wait=settings.TRADING_CYCLE_LOCK_WAIT_SECONDS if full else 0,
                loop=loop,
                job=partial(
                    services.trading_cycle,
                    account_id=account_id,
                    with_signals=full and settings.TRADING_SIGNALS_ON_BEAT,
                ),
            )
        finally:
            if full:
                client.delete(wanted)
        if summary is not None:
            logger.info("trading cycle account %s: %s", account_id, summary)


@shared_task(
    name="quantum.trading.run_cycle",
    soft_time_limit=settings.TRADING_CYCLE_SOFT_TIME_LIMIT,
    time_limit=settings.TRADING_CYCLE_HARD_TIME_LIMIT,
)
def run_cycle() -> None:
    """The REST safety net's full pass: reconcile, exits, resume stuck intents, backstops, and
    signals -> intents when TRADING_SIGNALS_ON_BEAT (closed klines' reactors do it otherwise)."""
    _cycle(loop=run_cycle.name, full=True)


@shared_task(
    name="quantum.trading.monitor_positions",
    soft_time_limit=settings.TRADING_CYCLE_SOFT_TIME_LIMIT,
    time_limit=settings.TRADING_CYCLE_HARD_TIME_LIMIT,
)
def monitor_positions() -> None:
    """Reconcile, exits and resume only: runs more often than the strategy."""
    _cycle(loop=monitor_positions.name, full=False)


@shared_task(
    name="quantum.trading.execute_intent",
    acks_late=True,
    reject_on_worker_lost=True,
    **EXCHANGE_RETRY,
    max_retries=20,
    soft_time_limit=settings.TRADING_CYCLE_SOFT_TIME_LIMIT,
    time_limit=settings.TRADING_CYCLE_HARD_TIME_LIMIT,
)
def execute_intent(intent_id: int) -> None:
    """One intent -> at most one order. Idempotent (the claim is conditional), so acks_late and
    redelivery after a worker death are safe, and so is running it again: the executor looks
    the order up before any resend (its own rule, apps/trading/execution.py)."""
    outcome = intent_execute(intent_id=intent_id)
    if outcome == Outcome.RETRY:
        # the venue did not answer and the lease is released
        raise RunAgain(f"intent {intent_id}: the exchange did not answer")


@shared_task(name="quantum.trading.flatten")
def flatten(reason: str = "flatten") -> None:
    services.desk_flatten(reason=reason)
