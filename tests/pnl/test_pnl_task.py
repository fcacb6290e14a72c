"""The poll task: never two at once for one account, retries on retryable exchange errors."""

import logging

import pytest

from apps.core.locks import exclusive
from apps.exchange.errors import RetryableExchangeError
from apps.pnl.models import PollRun
from tests.support.fake_binance import binance_error
from workers.pnl import poll_account

pytestmark = pytest.mark.django_db


def test_it_exits_at_once_when_a_poll_of_the_account_still_runs(
    desk_account, fake_venue, redis_client, caplog
):
    with exclusive(f"pnl:poll:{desk_account.id}", timeout=30), caplog.at_level(logging.INFO):
        poll_account.apply(args=[desk_account.id])
    assert "skipped: the previous poll still runs" in caplog.text
    assert not PollRun.objects.exists()
    poll_account.apply(args=[desk_account.id])
    assert PollRun.objects.get().status == "ok"


def test_it_retries_retryable_errors_and_records_each_attempt(
    desk_account, fake_venue, redis_client, settings
):
    fake_venue.error_reply = binance_error(503, -1001, "busy", {"Retry-After": "0"})
    result = poll_account.apply(args=[desk_account.id])
    assert isinstance(result.result, RetryableExchangeError)
    runs = list(PollRun.objects.order_by("id").values_list("attempt", "status", "error"))
    assert [r[0] for r in runs] == list(range(1, settings.PNL_POLL_MAX_RETRIES + 2))
    assert all(status == "error" and "503" in error for _, status, error in runs)


def test_it_is_routed_to_the_pnl_queue():
    from workers.routing import queue_for

    assert queue_for(poll_account.name) == "pnl"
    assert poll_account.acks_late and poll_account.reject_on_worker_lost
    assert poll_account.soft_time_limit < poll_account.time_limit
