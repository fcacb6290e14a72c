"""Signing like Binance: a rejected request changes nothing."""

from decimal import Decimal

import requests

from tests.support.paper_exchange import api_error, binance_client, wallet


def _unchanged(client) -> None:
    assert wallet(client) == Decimal("10000")
    assert client.futures_get_all_orders(symbol="BTCUSDT") == []
    assert [r["incomeType"] for r in client.futures_income_history()] == ["TRANSFER"]


def test_it_rejects_an_unknown_api_key_with_2015_and_http_401(venue, account, client):
    stranger = binance_client(venue.base_url, "nope" * 16, account["api_secret"])
    err = api_error(
        stranger.futures_create_order, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01"
    )
    assert (err.status_code, err.code) == (401, -2015)
    _unchanged(client)


def test_it_rejects_a_bad_signature_with_1022(venue, account, client):
    forger = binance_client(venue.base_url, account["api_key"], "0" * 64)
    err = api_error(
        forger.futures_create_order, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01"
    )
    assert (err.status_code, err.code) == (400, -1022)
    assert err.message == "Signature for this request is not valid."
    _unchanged(client)


def test_it_rejects_a_timestamp_outside_the_recv_window_with_1021(venue, account, client):
    late = venue.client(account)
    late.timestamp_offset = -15_000  # older than the client's 10 s recvWindow
    err = api_error(
        late.futures_create_order, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01"
    )
    assert err.code == -1021
    early = venue.client(account)
    early.timestamp_offset = 5_000  # more than 1 s ahead of the server
    assert api_error(early.futures_account).code == -1021
    _unchanged(client)


def test_it_requires_the_api_key_header_on_signed_endpoints(venue, client):
    response = requests.get(f"{venue.base_url}/fapi/v2/account?timestamp=1&signature=x", timeout=5)
    assert response.status_code == 401
    assert response.json()["code"] == -2014
    _unchanged(client)


def test_it_accepts_the_signature_over_a_post_query_string(venue, account, client):
    """Some clients send POST parameters in the query: Binance accepts those too."""
    import hashlib
    import hmac
    import time

    query = f"symbol=BTCUSDT&leverage=7&timestamp={int(time.time() * 1000)}"
    sig = hmac.new(account["api_secret"].encode(), query.encode(), hashlib.sha256).hexdigest()
    response = requests.post(
        f"{venue.base_url}/fapi/v1/leverage?{query}&signature={sig}",
        headers={"X-MBX-APIKEY": account["api_key"]},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    # 7x is allowed up to BTCUSDT's 10x bracket, whose cap is 230,000,000 (Binance's tiers).
    assert response.json() == {"leverage": 7, "maxNotionalValue": "230000000", "symbol": "BTCUSDT"}
