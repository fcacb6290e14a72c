"""Tasks of the RL context (rl queue): load, call one service, store."""

from celery import shared_task

from apps.core.locks import run_exclusive
from apps.rl import services


@shared_task(name="quantum.rl.feedback", soft_time_limit=40, time_limit=50)
def feedback() -> None:
    """Closed trades of the ledger -> rewards -> the agent's arms, the history and the monitor."""
    run_exclusive("rl:feedback", timeout=60, job=services.rewards_ingest, loop=feedback.name)


@shared_task(name="quantum.rl.calibrate", soft_time_limit=100, time_limit=120)
def calibrate() -> None:
    """Re-fit exploration and reward clipping from the reward history; records a CalibrationRun."""
    run_exclusive("rl:calibrate", timeout=150, job=services.calibrate, loop=calibrate.name)
