"""Tasks of the RL context (rl queue): load, call one service, store."""

import logging

from celery import shared_task

from apps.core.locks import LockHeld, exclusive
from apps.rl import services

logger = logging.getLogger(__name__)


@shared_task(name="quantum.rl.feedback", soft_time_limit=40, time_limit=50)
def feedback() -> None:
    """Closed trades of the ledger -> rewards -> the agent's arms, the history and the monitor."""
    try:
        with exclusive("rl:feedback", timeout=60):
            services.rewards_ingest()
    except LockHeld:
        logger.info("rl feedback still running: this run skipped")


@shared_task(name="quantum.rl.calibrate", soft_time_limit=100, time_limit=120)
def calibrate() -> None:
    """Re-fit exploration and reward clipping from the reward history; records a CalibrationRun."""
    try:
        with exclusive("rl:calibrate", timeout=150):
            services.calibrate()
    except LockHeld:
        logger.info("rl calibration still running: this run skipped")
