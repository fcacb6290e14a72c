"""Tasks of the strategy context (research queue): load, call one service, store."""

from celery import shared_task
from django.conf import settings

from apps.core.locks import run_exclusive
from apps.strategy import services


@shared_task(name="quantum.strategy.evolve", soft_time_limit=1500, time_limit=1800)
def evolve(run_id: int) -> None:
    """Genetic parameter search with a held-out check; progress on the EvolutionRun row."""
    run_exclusive(
        f"strategy:evolve:{run_id}",
        timeout=1900,
        job=lambda: services.evolution_execute(run_id=run_id),
    )


@shared_task(name="quantum.strategy.evolve_scheduled", soft_time_limit=20, time_limit=30)
def evolve_scheduled() -> None:
    """Beat's weekly evolution: one EvolutionRun per family and traded symbol, sent after commit."""
    services.evolution_runs_schedule(symbols=settings.TRADING_SYMBOLS)


@shared_task(name="quantum.strategy.brain", soft_time_limit=40, time_limit=50)
def brain() -> None:
    """The active strategy per traded symbol from its regime and the strategy memory."""

    def job() -> None:
        for symbol in settings.TRADING_SYMBOLS:
            services.brain_pick(symbol=symbol)

    run_exclusive("strategy:brain", timeout=60, job=job, loop=brain.name)


@shared_task(name="quantum.strategy.outcomes", soft_time_limit=40, time_limit=50)
def outcomes() -> None:
    """Strategy memory from live trades: closed trades -> outcomes per strategy x regime."""
    run_exclusive("strategy:outcomes", timeout=60, job=services.outcomes_ingest, loop=outcomes.name)


@shared_task(name="quantum.strategy.live_check", soft_time_limit=100, time_limit=120)
def live_check() -> None:
    """Strategy ops: each active version against the one it replaced on the bars since its
    promotion; rolled back (STRATEGY_PROMOTION=auto) when the replaced one beats it."""
    run_exclusive(
        "strategy:live_check", timeout=130, job=services.versions_live_check, loop=live_check.name
    )


@shared_task(name="quantum.strategy.bootstrap", soft_time_limit=20, time_limit=30)
def bootstrap() -> None:
    """A fresh desk's first strategies: evolution runs once its history is ready (services)."""
    run_exclusive(
        "strategy:bootstrap",
        timeout=40,
        loop=bootstrap.name,
        job=lambda: services.strategies_bootstrap(symbols=settings.TRADING_SYMBOLS),
    )
