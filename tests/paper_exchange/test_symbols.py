"""The 20 contracts the venue lists: Binance's filters and brackets, a seeded path each, an
order at each one's minimum trades, and what costs per listed symbol holds nothing else up."""

from __future__ import annotations

import threading
import time
from decimal import ROUND_UP, Decimal

from apps.paper_exchange.market import MINUTE_MS, Market
from tests.support.paper_exchange import LISTED_SYMBOLS

NEW = LISTED_SYMBOLS[5:]


def test_it_lists_twenty_perpetuals_with_binances_filters(client):
    info = {s["symbol"]: s for s in client.futures_exchange_info()["symbols"]}
    assert list(info) == list(LISTED_SYMBOLS)
    # (tickSize, pricePrecision, stepSize, quantityPrecision, min notional) as Binance sends them
    # (a tick raised since listing keeps its old precision: "0.0001000" is 7).
    expected = {
        "DOGEUSDT": ("0.00001", 5, "1", 0, "5"),
        "LINKUSDT": ("0.001", 3, "0.01", 2, "20"),
        "LTCUSDT": ("0.01", 2, "0.001", 3, "20"),
        "OPUSDT": ("0.0001000", 7, "0.1", 1, "5"),
        "AVAXUSDT": ("0.0010", 4, "1", 0, "5"),
    }
    for symbol, (tick, pp, step, qp, notional) in expected.items():
        filters = {f["filterType"]: f for f in info[symbol]["filters"]}
        assert filters["PRICE_FILTER"]["tickSize"] == tick
        assert filters["LOT_SIZE"]["stepSize"] == filters["LOT_SIZE"]["minQty"] == step
        assert filters["MIN_NOTIONAL"]["notional"] == notional
        assert (info[symbol]["pricePrecision"], info[symbol]["quantityPrecision"]) == (pp, qp)
        assert info[symbol]["baseAsset"] == symbol.removesuffix("USDT")


def test_every_listed_symbol_has_leverage_brackets_and_a_price(client):
    brackets = {b["symbol"]: b["brackets"] for b in client.futures_leverage_bracket()}
    assert set(brackets) == set(LISTED_SYMBOLS)
    assert brackets["DOGEUSDT"][0]["initialLeverage"] == 75
    assert brackets["OPUSDT"][0]["initialLeverage"] == 50
    for tiers in brackets.values():
        assert [b["notionalFloor"] for b in tiers[1:]] == [b["notionalCap"] for b in tiers[:-1]]
    prices = {t["symbol"]: Decimal(t["price"]) for t in client.futures_symbol_ticker()}
    assert set(prices) == set(LISTED_SYMBOLS) and all(p > 0 for p in prices.values())


def test_every_new_symbol_has_the_same_path_for_a_seed_and_another_for_another():
    genesis = 1_700_000_000_000 // MINUTE_MS * MINUTE_MS
    times = [genesis + k * 3_600_000 + 12_345 for k in range(0, 72, 7)]
    one, two, other = (Market(seed=s, genesis_ms=genesis) for s in (7, 7, 8))
    for symbol in NEW:
        path = [one.last(symbol, t) for t in times]
        assert path == [two.last(symbol, t) for t in times]
        assert path != [other.last(symbol, t) for t in times]
        assert len(set(path)) > 1  # it moves


def test_an_order_at_the_minimum_notional_fills_on_every_new_symbol(client):
    info = {s["symbol"]: s for s in client.futures_exchange_info()["symbols"]}
    prices = {t["symbol"]: Decimal(t["price"]) for t in client.futures_symbol_ticker()}
    for symbol in NEW:
        filters = {f["filterType"]: f for f in info[symbol]["filters"]}
        step = Decimal(filters["LOT_SIZE"]["stepSize"])
        # Twice the minimum notional: the price may move between the ticker and the order.
        least = Decimal(filters["MIN_NOTIONAL"]["notional"]) * 2 / prices[symbol]
        qty = max((least / step).to_integral_value(rounding=ROUND_UP) * step, step)
        order = client.futures_create_order(
            symbol=symbol, side="BUY", type="MARKET", quantity=f"{qty:f}", newOrderRespType="RESULT"
        )
        assert (order["status"], order["executedQty"]) == ("FILLED", f"{qty:f}"), symbol
    held = {p["symbol"]: Decimal(p["positionAmt"]) for p in client.futures_position_information()}
    assert all(held[s] > 0 for s in NEW)


def test_a_cold_all_symbol_24h_ticker_holds_up_no_account_call(venue_factory):
    # Its first call after a start computes a day of 1m bars for each of the 20 symbols
    # (seconds): under the engine lock every order and poll would wait for it.
    venue = venue_factory()
    account = venue.create_account("ticker", balance="100000")
    reader, trader = venue.client(account), venue.client(account)
    trader.futures_account()
    took: list[float] = []

    def day() -> None:
        started = time.perf_counter()
        assert len(reader.futures_ticker()) == len(LISTED_SYMBOLS)
        took.append(time.perf_counter() - started)

    thread = threading.Thread(target=day)
    thread.start()
    time.sleep(0.3)
    started = time.perf_counter()
    trader.futures_account()
    waited = time.perf_counter() - started
    thread.join(timeout=60)
    assert took and waited < took[0] / 2, (waited, took)
