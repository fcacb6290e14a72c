"""Funding on the exchange clock, and income history paging as Binance pages it."""

import time
from decimal import Decimal

from tests.support.paper_exchange import api_error, market, wallet

EIGHT_HOURS = 8 * 3_600_000


def test_it_charges_funding_at_00_08_16_utc_of_the_exchange_clock(venue_factory):
    fast = venue_factory(speed=28_800)  # eight exchange hours per wall second
    client = fast.client(fast.create_account("funded"))
    market(client, "BTCUSDT", "BUY", "0.010")
    market(client, "ETHUSDT", "SELL", "0.100")
    time.sleep(2.5)
    rows = client.futures_income_history(incomeType="FUNDING_FEE", limit=1000)
    assert {r["symbol"] for r in rows} == {"BTCUSDT", "ETHUSDT"}
    for row in rows:
        assert row["time"] % EIGHT_HOURS == 0 and row["tradeId"] == ""
        notional = Decimal("0.010") * 80_000 if row["symbol"] == "BTCUSDT" else Decimal(500)
        assert Decimal(0) < abs(Decimal(row["income"])) <= notional * Decimal("0.0075")
    # Each position pays at every funding time from the first after its fill, none before:
    # a funding time can fall between the two orders (an exchange hour is 1/8 wall second).
    fills = {
        t["symbol"]: t["time"]
        for symbol in ("BTCUSDT", "ETHUSDT")
        for t in client.futures_account_trades(symbol=symbol)
    }
    for symbol, filled in fills.items():
        times = [r["time"] for r in rows if r["symbol"] == symbol]
        assert times, symbol
        first = (filled // EIGHT_HOURS + 1) * EIGHT_HOURS
        assert times == list(range(first, first + len(times) * EIGHT_HOURS, EIGHT_HOURS))
    total = sum(Decimal(r["income"]) for r in client.futures_income_history(limit=1000))
    assert wallet(client) == total


def test_it_pages_income_by_time_and_limit_oldest_first(client):
    for i in range(75):
        market(client, "XRPUSDT", "BUY" if i % 2 == 0 else "SELL", "20.0")
    default = client.futures_income_history()
    assert len(default) == 100  # the default limit
    everything = client.futures_income_history(limit=1000)
    assert len(everything) == 1 + 75 + 37  # transfer, a fee per fill, a PnL per close
    assert [r["time"] for r in everything] == sorted(r["time"] for r in everything)
    assert default == everything[:100]
    some_time = everything[40]["time"]
    window = client.futures_income_history(startTime=some_time, endTime=some_time, limit=1000)
    assert window == [r for r in everything if r["time"] == some_time]  # both ends inclusive
    pages = [client.futures_income_history(limit=10, page=n, startTime=0) for n in range(1, 14)]
    assert [r for page in pages for r in page] == everything
    fees = client.futures_income_history(incomeType="COMMISSION", limit=1000)
    assert len(fees) == 75 and {r["incomeType"] for r in fees} == {"COMMISSION"}
    assert client.futures_income_history(symbol="BTCUSDT") == []
    assert api_error(client.futures_income_history, limit=1001).code == -1130


def test_it_returns_the_last_seven_days_when_no_time_is_given(venue_factory):
    fast = venue_factory(speed=400_000)  # a week passes in about 1.5 s
    client = fast.client(fast.create_account("weekly"))
    transfer = client.futures_income_history()
    assert [r["incomeType"] for r in transfer] == ["TRANSFER"]
    time.sleep(2)
    assert client.futures_income_history() == []
    assert client.futures_income_history(startTime=0) == transfer
