"""The poll's retry policy against a venue that answers 429: Celery's backoff (1, 2, 4 ... s),
never sooner than the venue's Retry-After. The venue is the scripted Binance over HTTP, so the
429 goes through our adapter and python-binance as a real one would."""

from __future__ import annotations

import pytest
from celery import Task
from celery.exceptions import Retry

from apps.exchange.errors import RetryableExchangeError
from tests.support.fake_binance import binance_error
from workers.pnl import poll_account


@pytest.fixture
def retried(monkeypatch):
    """Celery's own retry, recorded: what countdown the policy asked for."""
    asked: list[dict] = []

    def record(self, *args, **kwargs):
        asked.append(kwargs)
        return Retry("recorded")

    monkeypatch.setattr(Task, "retry", record)
    return asked


@pytest.mark.parametrize(("hint", "countdown"), [(None, 4), ("1", 4), ("7", 7.0)])
def test_the_poll_backs_off_and_never_sooner_than_the_venue_s_retry_after(
    desk_account, fake_venue, redis_client, retried, hint, countdown
):
    headers = {"Retry-After": hint} if hint else None
    fake_venue.error_reply = binance_error(429, -1003, "Too many requests.", headers)
    poll_account.push_request(retries=2)  # the third attempt: backoff 2**2 = 4 s
    try:
        with pytest.raises(Retry):
            poll_account.run(desk_account.id)
    finally:
        poll_account.pop_request()
    (kwargs,) = retried
    assert kwargs["countdown"] == countdown
    assert isinstance(kwargs["exc"], RetryableExchangeError)
