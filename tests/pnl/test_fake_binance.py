"""The scripted venue of the PnL tests (tests/support/fake_binance.py) keeps Binance's contract
where our adapter can tell: API key and signed parameters required, error bodies, inclusive
income bounds with limit and page, the used-weight header, replies without Nagle stalls."""

import time

import pytest
import requests

from apps.exchange.client import ExchangeClient
from apps.exchange.errors import FatalExchangeError
from tests.support.fake_binance import income_row

pytestmark = pytest.mark.django_db


def test_it_refuses_signed_calls_without_key_or_signature(fake_binance, fake_venue):
    url = f"{fake_binance.base_url}/fapi/v2/account"
    no_key = requests.get(url, params={"timestamp": 1, "signature": "x"}, timeout=5)
    assert (no_key.status_code, no_key.json()["code"]) == (401, -2014)
    unsigned = requests.get(url, headers={"X-MBX-APIKEY": "k" * 64}, timeout=5)
    assert (unsigned.status_code, unsigned.json()["code"]) == (400, -1102)
    wrong_key = requests.get(
        url, params={"timestamp": 1, "signature": "x"}, headers={"X-MBX-APIKEY": "other"}, timeout=5
    )
    assert (wrong_key.status_code, wrong_key.json()["code"]) == (401, -2015)


def test_it_answers_the_real_adapter_like_binance(desk_account, fake_venue):
    t = fake_venue.now_ms - 1000
    fake_venue.rows = [income_row(i, t + i // 3) for i in range(9)]  # 3 rows a millisecond
    client = ExchangeClient(account=desk_account, timeout=5)
    page = client.call("futures_income_history", startTime=t, endTime=t + 1, limit=2, page=2)
    assert [r["tranId"] for r in page] == [2, 3]  # t and t + 1 both inside, second page of 2
    assert fake_venue.calls == [
        ("futures_income_history", {"startTime": t, "endTime": t + 1, "limit": 2, "page": 2})
    ]
    assert client.stats.used_weight_1m == 30
    with pytest.raises(FatalExchangeError, match="HTTP 404 code -5000"):
        client.call("futures_position_information")
    assert fake_venue.unexpected == ["GET /fapi/v3/positionRisk"]
    fake_venue.unexpected.clear()


def test_it_replies_without_a_nagle_stall(desk_account, fake_venue):
    client = ExchangeClient(account=desk_account, timeout=5)
    started = time.perf_counter()
    for _ in range(30):
        client.call("futures_time")
    # Headers and body in two writes would stall ~40 ms a call on a kept-alive connection.
    assert time.perf_counter() - started < 1.0
