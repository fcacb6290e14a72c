"""Tasks of the market context: load, call one service, store."""

import logging

from celery import shared_task
from django.conf import settings

from apps.core.locks import LockHeld, exclusive
from apps.market import services

logger = logging.getLogger(__name__)


@shared_task(
    name="quantum.market.publish",
    soft_time_limit=settings.TRADING_CYCLE_SOFT_TIME_LIMIT,
    time_limit=settings.TRADING_CYCLE_HARD_TIME_LIMIT,
)
def publish() -> None:
    """Klines (gaps backfilled), marks and funding of TRADING_SYMBOLS into the DB and streams."""
    try:
        with exclusive("market:publish", timeout=settings.TRADING_CYCLE_LOCK_SECONDS):
            services.market_publish(venue=services.market_venue(), symbols=settings.TRADING_SYMBOLS)
    except LockHeld:
        logger.info("market publish still running: this run skipped")


@shared_task(
    name="quantum.market.cross_exchange",
    soft_time_limit=settings.TRADING_CYCLE_SOFT_TIME_LIMIT,
    time_limit=settings.TRADING_CYCLE_HARD_TIME_LIMIT,
)
def cross_exchange() -> None:
    """Basis and divergence against the reference venue; alarms past the threshold."""
    try:
        with exclusive("market:cross_exchange", timeout=settings.TRADING_CYCLE_LOCK_SECONDS):
            services.cross_exchange_run(symbols=settings.TRADING_SYMBOLS)
    except LockHeld:
        logger.info("cross-exchange check still running: this run skipped")
