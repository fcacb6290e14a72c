"""Retries are declared, one policy per kind (workers/base.py): tasks that may simply run again
take EXCHANGE_RETRY (Celery's autoretry, backoff 1, 2, 4 ... 30 s), the venue's Retry-After wins
over the backoff, and no task hand-writes a retry."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from celery import Task
from celery.exceptions import Retry

from apps.exchange.errors import RetryableExchangeError
from workers.base import EXCHANGE_RETRY
from workers.pnl import poll_account
from workers.trading import execute_intent

WORKERS = Path(__file__).resolve().parents[2] / "workers"


@pytest.mark.parametrize(("task", "max_retries"), [(poll_account, None), (execute_intent, 20)])
def test_it_declares_the_exchange_policy_on_the_tasks_that_may_run_again(
    task, max_retries, settings
):
    for name, value in EXCHANGE_RETRY.items():
        assert getattr(task, name) == value, (task.name, name)
    assert task.max_retries == (max_retries or settings.PNL_POLL_MAX_RETRIES)
    assert task.acks_late  # both idempotent: the same reasoning as their redelivery


def test_no_task_hand_writes_a_retry():
    for path in sorted(WORKERS.glob("*.py")):
        if path.name == "base.py":
            continue  # the policy itself
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr != "retry", f"{path.name}:{node.lineno}: declare it instead"


@pytest.fixture
def retried(monkeypatch):
    """Celery's own retry, recorded: what countdown the policy asked for."""
    asked: list[dict] = []

    def record(self, *args, **kwargs):
        asked.append(kwargs)
        return Retry("recorded")

    monkeypatch.setattr(Task, "retry", record)
    return asked


@pytest.mark.parametrize(("hint", "countdown"), [(None, 4), (1.0, 4), (7.0, 7.0)])
def test_the_poll_backs_off_and_never_sooner_than_the_venue_s_retry_after(
    db, redis_client, monkeypatch, retried, hint, countdown
):
    def busy(**kw):
        raise RetryableExchangeError("HTTP 429", retry_after=hint, status=429)

    monkeypatch.setattr("workers.pnl.services.account_poll", busy)
    poll_account.push_request(retries=2)  # the third attempt: backoff 2**2 = 4 s
    try:
        with pytest.raises(Retry):
            poll_account.run(1)
    finally:
        poll_account.pop_request()
    (kwargs,) = retried
    assert kwargs["countdown"] == countdown
    assert isinstance(kwargs["exc"], RetryableExchangeError)
