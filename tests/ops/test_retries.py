"""Retries are declared, one policy per kind (workers/base.py): tasks that may simply run again
take EXCHANGE_RETRY (Celery's autoretry, backoff 1, 2, 4 ... 30 s), the venue's Retry-After wins
over the backoff (tests/pnl/test_poll_retry_after.py), and no task hand-writes a retry."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

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
