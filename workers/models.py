"""Tasks of the models context (research queue): load, call one service, store."""

from celery import shared_task
from django.conf import settings

from apps.core.locks import run_exclusive
from apps.models import services


@shared_task(name="quantum.models.train", soft_time_limit=1500, time_limit=1800)
def train(run_id: int) -> None:
    """Fit, evaluate and register one model; progress on its TrainingRun row."""
    run_exclusive(
        f"models:train:{run_id}", timeout=1900, job=lambda: services.model_train(run_id=run_id)
    )


@shared_task(name="quantum.models.train_scheduled", soft_time_limit=20, time_limit=30)
def train_scheduled(kind: str = "hgb") -> None:
    """Beat's nightly training: a TrainingRun row, whose training is sent after commit."""
    services.training_run_create(kind=kind)


@shared_task(name="quantum.models.regimes", soft_time_limit=40, time_limit=50)
def regimes() -> None:
    """Meta regime of every traded symbol into the DB and quantum:stream:meta.regime."""
    run_exclusive(
        "models:regimes",
        timeout=60,
        loop=regimes.name,
        job=lambda: services.regimes_publish(symbols=settings.TRADING_SYMBOLS),
    )


@shared_task(name="quantum.models.supervise", soft_time_limit=100, time_limit=120)
def supervise() -> None:
    """Score predictions whose horizon closed, then re-weigh / demote models on their skill."""

    def job() -> None:
        services.predictions_score()
        services.supervisor_run()

    run_exclusive("models:supervise", timeout=150, job=job, loop=supervise.name)


@shared_task(name="quantum.models.bootstrap", soft_time_limit=20, time_limit=30)
def bootstrap() -> None:
    """A fresh desk's first models: training runs once its history is ready (services)."""
    run_exclusive(
        "models:bootstrap",
        timeout=40,
        loop=bootstrap.name,
        job=lambda: services.models_bootstrap(symbols=settings.TRADING_SYMBOLS),
    )
