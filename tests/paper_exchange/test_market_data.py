"""Public endpoints: shapes and types as Binance sends them."""

import time
from decimal import Decimal

import requests

from tests.support.paper_exchange import LISTED_SYMBOLS, api_error

SYMBOLS = set(LISTED_SYMBOLS)


def test_it_answers_ping_and_time_on_futures_and_spot_paths(venue, client):
    assert client.futures_ping() == {}
    assert client.ping() == {}
    assert abs(client.futures_time()["serverTime"] - time.time() * 1000) < 5_000
    assert isinstance(client.get_server_time()["serverTime"], int)


def test_it_sends_the_used_weight_header_on_every_response(venue, client):
    client.futures_ping()
    assert int(client.response.headers["X-MBX-USED-WEIGHT-1M"]) >= 1
    missing = requests.get(f"{venue.base_url}/fapi/v1/nothing", timeout=5)
    assert missing.status_code == 404 and "X-MBX-USED-WEIGHT-1M" in missing.headers


def test_it_lists_symbols_with_binance_filters_and_rate_limits(client):
    info = client.futures_exchange_info()
    assert {s["symbol"] for s in info["symbols"]} >= SYMBOLS
    assert {r["rateLimitType"] for r in info["rateLimits"]} == {"REQUEST_WEIGHT", "ORDERS"}
    btc = next(s for s in info["symbols"] if s["symbol"] == "BTCUSDT")
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert {"PRICE_FILTER", "LOT_SIZE", "MARKET_LOT_SIZE", "MIN_NOTIONAL"} <= set(filters)
    assert filters["PRICE_FILTER"]["tickSize"] == "0.10"
    assert filters["LOT_SIZE"]["stepSize"] == "0.001"
    assert filters["MIN_NOTIONAL"]["notional"] == "100"
    assert btc["pricePrecision"] == 2 and btc["quantityPrecision"] == 3


def test_it_serves_klines_for_the_past_days_from_the_start(client):
    now = client.futures_time()["serverTime"]
    start = now - 2 * 86_400_000
    rows = client.futures_klines(symbol="BTCUSDT", interval="1m", startTime=start, limit=1500)
    assert len(rows) == 1500
    first = rows[0]
    assert len(first) == 12 and first[0] >= start and first[0] % 60_000 == 0
    assert isinstance(first[0], int) and isinstance(first[6], int) and isinstance(first[1], str)
    assert first[6] == first[0] + 59_999
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    for row in rows:
        o, h, low, c = (Decimal(v) for v in row[1:5])
        assert low <= min(o, c) <= max(o, c) <= h
    hourly = client.futures_klines(symbol="ETHUSDT", interval="1h", limit=24)
    assert len(hourly) == 24 and hourly[-1][0] <= now < hourly[-1][0] + 3_600_000


def test_it_bounds_klines_by_start_and_end_time(client):
    now = client.futures_time()["serverTime"]
    start = (now - 3_600_000) // 60_000 * 60_000
    rows = client.futures_klines(
        symbol="SOLUSDT", interval="5m", startTime=start, endTime=start + 30 * 60_000
    )
    assert [r[0] for r in rows] == [start + i * 300_000 for i in range(7)] or (
        rows[0][0] >= start and rows[-1][0] <= start + 30 * 60_000
    )
    assert api_error(client.futures_klines, symbol="SOLUSDT", interval="7m").code == -1120


def test_it_quotes_last_and_mark_prices_with_a_small_basis(client):
    ticker = client.futures_symbol_ticker(symbol="BTCUSDT")
    assert set(ticker) == {"symbol", "price", "time"}
    assert {t["symbol"] for t in client.futures_symbol_ticker()} >= SYMBOLS
    premium = client.futures_mark_price(symbol="BTCUSDT")
    for key in ("markPrice", "indexPrice", "lastFundingRate", "interestRate"):
        assert isinstance(premium[key], str)
    assert premium["nextFundingTime"] % (8 * 3_600_000) == 0
    basis = abs(Decimal(premium["markPrice"]) / Decimal(ticker["price"]) - 1)
    assert basis < Decimal("0.002")
    assert abs(Decimal(premium["lastFundingRate"])) <= Decimal("0.0075")


def test_it_labels_the_regime_of_each_symbol(venue):
    rows = requests.get(f"{venue.base_url}/paper/v1/regime", timeout=5).json()
    assert {r["symbol"] for r in rows} >= SYMBOLS
    assert {r["regime"] for r in rows} <= {"trend_up", "trend_down", "range", "volatile"}
    one = requests.get(f"{venue.base_url}/paper/v1/regime?symbol=ETHUSDT", timeout=5).json()
    assert one["symbol"] == "ETHUSDT"


def test_it_rejects_an_unknown_symbol_with_1121(client):
    assert api_error(client.futures_symbol_ticker, symbol="DOGEBTC").code == -1121
