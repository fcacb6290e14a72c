"""The fault switch: 5xx, timeouts, dropped connections, and accepted-then-failed replies."""

import time

import pytest
import requests

from tests.support.paper_exchange import api_error, market, position


@pytest.fixture(autouse=True)
def _no_fault_left(venue):
    yield
    venue.clear_faults()


def test_it_requires_the_admin_token(venue):
    response = requests.post(f"{venue.base_url}/paper/v1/faults", json={"mode": "error"}, timeout=5)
    assert response.status_code == 401
    assert venue.admin("GET", "/paper/v1/faults") == {"fault": None}


def test_it_answers_5xx_for_n_requests_without_processing_them(venue, client):
    venue.set_fault("error", count=2, status=502)
    for _ in range(2):
        err = api_error(market, client, "BTCUSDT", "BUY", "0.002")
        assert err.status_code == 502
    assert client.futures_get_all_orders(symbol="BTCUSDT") == []
    assert client.futures_ping() == {}


def test_it_accepts_the_order_then_fails_the_reply_so_the_desk_must_look_it_up(venue, client):
    venue.set_fault("accept_then_error", count=1, paths=["/fapi/v1/order"], methods=["POST"])
    err = api_error(market, client, "BTCUSDT", "BUY", "0.002", newClientOrderId="unknown-1")
    assert err.status_code == 503 and err.code == -1001
    found = client.futures_get_order(symbol="BTCUSDT", origClientOrderId="unknown-1")
    assert found["status"] == "FILLED"
    assert position(client, "BTCUSDT")["positionAmt"] == "0.002"
    again = api_error(market, client, "BTCUSDT", "BUY", "0.002", newClientOrderId="unknown-1")
    assert again.code == -4116  # a blind resend can never double the position


def test_it_times_out_after_accepting_the_order(venue, account):
    impatient = venue.client(account)
    impatient.REQUEST_TIMEOUT = 0.5
    venue.set_fault("accept_then_timeout", count=1, delay=1.5, paths=["/fapi/v1/order"])
    with pytest.raises(requests.exceptions.Timeout):
        market(impatient, "ETHUSDT", "SELL", "0.010", newClientOrderId="slow-1")
    found = impatient.futures_get_order(symbol="ETHUSDT", origClientOrderId="slow-1")
    assert found["status"] == "FILLED"


def test_it_drops_connections_for_a_duration(venue, client):
    venue.set_fault("drop", seconds=0.5)
    with pytest.raises(requests.exceptions.ConnectionError):
        client.futures_ping()
    time.sleep(0.6)
    assert client.futures_ping() == {}
