"""Tasks of the models context (research queue): load, call one service, store."""

import logging

from celery import shared_task
from django.conf import settings

from apps.core.locks import LockHeld, exclusive
from apps.models import services

logger = logging.getLogger(__name__)


@shared_task(name="quantum.models.train", soft_time_limit=1500, time_limit=1800)
def train(run_id: int) -> None:
    """Fit, evaluate and register one model; progress on its TrainingRun row."""
    try:
        with exclusive(f"models:train:{run_id}", timeout=1900):
            services.model_train(run_id=run_id)
    except LockHeld:
        logger.info("training run %s already running: duplicate delivery skipped", run_id)


@shared_task(name="quantum.models.train_scheduled", soft_time_limit=20, time_limit=30)
def train_scheduled(kind: str = "hgb") -> None:
    """Beat's nightly training: a TrainingRun row, whose training is sent after commit."""
    services.training_run_create(kind=kind)


@shared_task(name="quantum.models.regimes", soft_time_limit=40, time_limit=50)
def regimes() -> None:
    """Meta regime of every traded symbol into the DB and quantum:stream:meta.regime."""
    try:
        with exclusive("models:regimes", timeout=60):
            services.regimes_publish(symbols=settings.TRADING_SYMBOLS)
    except LockHeld:
        logger.info("regime detection still running: this run skipped")


@shared_task(name="quantum.models.supervise", soft_time_limit=100, time_limit=120)
def supervise() -> None:
    """Score predictions whose horizon closed, then re-weigh / demote models on their skill."""
    try:
        with exclusive("models:supervise", timeout=150):
            services.predictions_score()
            services.supervisor_run()
    except LockHeld:
        logger.info("model supervisor still running: this run skipped")
