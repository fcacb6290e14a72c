"""The client adapter: Binance errors mapped to retryable or fatal, rate-limit headers kept,
run against the paper exchange's fault switch and rate limits."""

import itertools

import pytest
import requests
from binance.exceptions import BinanceAPIException

from apps.exchange.client import ExchangeClient, map_api_exception
from apps.exchange.errors import FatalExchangeError, RetryableExchangeError
from apps.exchange.services import account_add
from tests.support.paper_exchange import PaperExchange

_names = itertools.count(1)


def _exc(status: int, code: int, headers: dict | None = None) -> BinanceAPIException:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    return BinanceAPIException(response, status, f'{{"code": {code}, "msg": "m"}}')


@pytest.mark.parametrize(
    ("status", "code", "headers", "kind", "retry_after"),
    [
        (429, -1003, {"Retry-After": "7"}, RetryableExchangeError, 7),
        (418, -1003, {"Retry-After": "120"}, RetryableExchangeError, 120),
        (503, -1001, {}, RetryableExchangeError, None),
        (503, -1007, {}, RetryableExchangeError, None),
        (400, -1021, {}, RetryableExchangeError, None),
        (400, -1102, {}, FatalExchangeError, None),
        (401, -2015, {}, FatalExchangeError, None),
        (400, -1121, {}, FatalExchangeError, None),
    ],
)
def test_it_maps_binance_errors(status, code, headers, kind, retry_after):
    mapped = map_api_exception(_exc(status, code, headers))
    assert type(mapped) is kind
    assert mapped.code == code and mapped.status == status
    assert getattr(mapped, "retry_after", None) == retry_after


@pytest.fixture(scope="module")
def venue(tmp_path_factory):
    exchange = PaperExchange(
        tmp_path_factory.mktemp("client-venue"), extra_args=["--weight-limit", "200"]
    )
    exchange.start()
    yield exchange
    exchange.stop()


@pytest.fixture
def client(venue, db):
    name = f"client-{next(_names)}"
    created = venue.create_account(name)
    account = account_add(
        name=name,
        base_url=venue.base_url,
        api_key=created["api_key"],
        api_secret=created["api_secret"],
        paper=True,
    )
    venue.clear_faults()
    return ExchangeClient(account=account, timeout=2)


def test_it_signs_calls_and_keeps_the_used_weight(client):
    assert client.call("futures_account")["totalWalletBalance"]
    assert client.stats.used_weight_1m and client.stats.calls == 1


def test_it_makes_5xx_and_dropped_connections_retryable(venue, client):
    venue.set_fault("error", count=1, status=503)
    with pytest.raises(RetryableExchangeError, match="HTTP 503"):
        client.call("futures_account")
    venue.set_fault("drop", count=1)
    with pytest.raises(RetryableExchangeError, match="connection"):
        client.call("futures_account")
    venue.set_fault("timeout", count=1, delay=3)
    with pytest.raises(RetryableExchangeError, match="timed out"):
        client.call("futures_account")


def test_it_makes_a_bad_request_fatal(client):
    with pytest.raises(FatalExchangeError, match="-1121|-1102"):
        client.call("futures_income_history", symbol="NOPEUSDT", startTime=1, endTime=2)


def test_it_honours_the_venue_s_429_retry_after(client):
    with pytest.raises(RetryableExchangeError) as caught:
        for _ in range(60):
            client.call("futures_account")  # weight 5 each against a limit of 200 a minute
    assert caught.value.status == 429 and caught.value.retry_after is not None
