"""Request weight and order counts, with 429 + Retry-After past the limit."""

import requests

from tests.support.paper_exchange import api_error, market


def test_it_answers_429_with_retry_after_past_the_weight_limit(venue_factory):
    limited = venue_factory("--weight-limit", "40", limits=True)
    client = limited.client(limited.create_account("heavy"))
    for _ in range(200):
        response = requests.get(f"{limited.base_url}/fapi/v1/ping", timeout=5)
        if response.status_code == 429:
            break
    assert response.status_code == 429
    assert response.json()["code"] == -1003
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert int(response.headers["X-MBX-USED-WEIGHT-1M"]) > 40
    err = api_error(client.futures_ping)
    assert (err.status_code, err.code) == (429, -1003)


def test_it_counts_orders_per_10s_and_per_minute(venue_factory):
    limited = venue_factory("--order-limit-10s", "3", limits=True)
    client = limited.client(limited.create_account("busy"))
    market(client, "BTCUSDT", "BUY", "0.002")
    assert client.response.headers["X-MBX-ORDER-COUNT-10S"] == "1"
    assert client.response.headers["X-MBX-ORDER-COUNT-1M"] == "1"
    for _ in range(30):
        try:
            market(client, "BTCUSDT", "BUY", "0.002")
        except Exception as exc:  # noqa: BLE001 - the 429 is the point
            err = exc
            break
    assert (err.status_code, err.code) == (429, -1015)
    assert "Retry-After" in client.response.headers
