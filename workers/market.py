"""Tasks of the market context: load, call one service, store."""

from celery import shared_task
from django.conf import settings

from apps.core.locks import run_exclusive
from apps.market import services


@shared_task(
    name="quantum.market.publish",
    soft_time_limit=settings.TRADING_CYCLE_SOFT_TIME_LIMIT,
    time_limit=settings.TRADING_CYCLE_HARD_TIME_LIMIT,
)
def publish() -> None:
    """Klines (gaps backfilled), marks and funding of TRADING_SYMBOLS into the DB and streams."""
    run_exclusive(
        "market:publish",
        loop=publish.name,
        timeout=settings.TRADING_CYCLE_LOCK_SECONDS,
        job=lambda: services.market_publish(
            venue=services.market_venue(), symbols=settings.TRADING_SYMBOLS
        ),
    )


@shared_task(
    name="quantum.market.cross_exchange",
    soft_time_limit=settings.TRADING_CYCLE_SOFT_TIME_LIMIT,
    time_limit=settings.TRADING_CYCLE_HARD_TIME_LIMIT,
)
def cross_exchange() -> None:
    """Basis and divergence against the reference venue; alarms past the threshold."""
    run_exclusive(
        "market:cross_exchange",
        loop=cross_exchange.name,
        timeout=settings.TRADING_CYCLE_LOCK_SECONDS,
        job=lambda: services.cross_exchange_run(symbols=settings.TRADING_SYMBOLS),
    )
