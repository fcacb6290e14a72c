"""ccxt's binanceusdm, unmodified, against the venue over real HTTP: only its URLs change.

The recipe in docs/paper-exchange.md ("Use it with ccxt") is tests/paper_exchange/ccxt_venue.py.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import ccxt
import pytest
import requests

from tests.paper_exchange.ccxt_venue import BTC, ccxt_exchange
from tests.support.paper_exchange import LISTED_SYMBOLS, PaperExchange

# ccxt's unified names of the venue's perpetuals (BTCUSDT -> BTC/USDT:USDT).
SYMBOLS = {f"{s.removesuffix('USDT')}/USDT:USDT" for s in LISTED_SYMBOLS}
HOUR_MS = 3_600_000
FUNDING_MS = 8 * HOUR_MS


@pytest.fixture
def ex(venue: PaperExchange, account: dict[str, Any]) -> Any:
    exchange = ccxt_exchange(venue, account)
    exchange.load_markets()
    return exchange


def raw(venue: PaperExchange, path: str, **params: Any) -> Any:
    return requests.get(f"{venue.base_url}{path}", params=params, timeout=10)


# --- markets and market data ---------------------------------------------------------------
def test_load_markets_gives_the_listed_perpetuals_with_their_filters(ex):
    assert set(ex.markets) == SYMBOLS
    btc = ex.market(BTC)
    assert (btc["swap"], btc["linear"], btc["settle"], btc["contractSize"]) == (
        True,
        True,
        "USDT",
        1.0,
    )
    assert btc["precision"]["price"] == 0.1 and btc["precision"]["amount"] == 0.001
    assert btc["limits"]["cost"]["min"] == 100.0 and btc["limits"]["amount"]["min"] == 0.001


def test_the_plain_binance_class_as_freqtrade_configures_it_loads_the_futures_too(venue, account):
    # ccxt.binance loads spot (/api/v3/exchangeInfo), linear and inverse (/dapi) markets and,
    # with keys, the currencies (/sapi/v1/capital/config/getall, margin pairs): all answered.
    exchange = ccxt_exchange(venue, account, cls=ccxt.binance, defaultType="swap")
    markets = exchange.load_markets()
    assert set(markets) == SYMBOLS
    assert {"USDT", "BTC"} <= set(exchange.currencies)
    assert exchange.fetch_status()["status"] == "ok"


def test_tickers_book_and_the_public_tape(ex, venue):
    ticker = ex.fetch_ticker(BTC)
    last = Decimal(raw(venue, "/fapi/v2/ticker/price", symbol="BTCUSDT").json()["price"])
    assert abs(Decimal(str(ticker["last"])) / last - 1) < Decimal("0.01")
    assert ticker["low"] <= ticker["last"] <= ticker["high"] and ticker["baseVolume"] > 0
    assert set(ex.fetch_tickers()) == SYMBOLS
    book = ex.fetch_order_book(BTC, 5)
    assert len(book["bids"]) == len(book["asks"]) == 5
    assert round(book["asks"][0][0] - book["bids"][0][0], 6) == 0.1  # one tick wide
    assert [b[0] for b in book["bids"]] == sorted((b[0] for b in book["bids"]), reverse=True)
    bid_ask = ex.fetch_bids_asks([BTC])[BTC]
    assert bid_ask["bid"] is not None and bid_ask["ask"] > bid_ask["bid"]
    bad = raw(venue, "/fapi/v1/depth", symbol="BTCUSDT", limit=7)
    assert bad.status_code == 400 and bad.json()["code"] == -4021
    trades = ex.fetch_trades(BTC, limit=3)
    assert len(trades) == 3 and all(t["timestamp"] % 5000 == 0 for t in trades)
    assert [int(t["id"]) for t in trades] == sorted(int(t["id"]) for t in trades)


def test_ohlcv_of_last_mark_and_index_prices_and_of_the_premium(ex):
    last = ex.fetch_ohlcv(BTC, "1h", limit=3)
    mark = ex.fetch_ohlcv(BTC, "1h", limit=3, params={"price": "mark"})
    index = ex.fetch_ohlcv(BTC, "1h", limit=3, params={"price": "index"})
    premium = ex.fetch_ohlcv(BTC, "1h", limit=3, params={"price": "premiumIndex"})
    assert [r[0] for r in last] == [r[0] for r in mark] == [r[0] for r in index]
    assert all(r[0] % HOUR_MS == 0 for r in last)
    for lst, mrk, idx, prem in zip(last, mark, index, premium, strict=True):
        # mark = last x (1 + premium), index = last x (1 + premium / 2), premium within 0.02 %
        assert abs(mrk[1] / lst[1] - 1) < 0.0003 and abs(idx[4] / lst[4] - 1) < 0.0002
        assert mrk[4] != lst[4] or prem[4] == 0
        assert abs(prem[4]) <= 0.0002 and prem[3] <= prem[4] <= prem[2]
        assert mrk[3] <= min(mrk[1], mrk[4]) <= max(mrk[1], mrk[4]) <= mrk[2]


def test_funding_rate_history_and_interval(ex, venue):
    current = ex.fetch_funding_rate(BTC)
    premium = raw(venue, "/fapi/v1/premiumIndex", symbol="BTCUSDT").json()
    assert current["fundingRate"] == float(premium["lastFundingRate"])
    assert current["fundingTimestamp"] == premium["nextFundingTime"]
    history = ex.fetch_funding_rate_history(BTC, limit=5)
    assert len(history) == 5
    times = [h["timestamp"] for h in history]
    assert times == sorted(times) and all(t % FUNDING_MS == 0 for t in times)
    assert all(abs(h["fundingRate"]) <= 0.0075 for h in history)
    assert ex.fetch_funding_interval(BTC)["interval"] == "8h"


# --- account, leverage and modes -------------------------------------------------------------
def test_balance_leverage_and_binance_leverage_tiers(ex):
    assert ex.fetch_balance()["USDT"]["total"] == 10000
    assert ex.set_leverage(10, BTC)["maxNotionalValue"] == "230000000"
    assert ex.fetch_leverage(BTC)["longLeverage"] == 10
    tiers = ex.fetch_leverage_tiers([BTC])[BTC]
    assert len(tiers) == 12 and tiers[0]["maxLeverage"] == 125
    assert (
        tiers[2]["minNotional"],
        tiers[2]["maxNotional"],
        tiers[2]["maintenanceMarginRate"],
    ) == (600_000, 3_000_000, 0.0065)
    assert tiers[2]["info"]["cum"] == 950
    with pytest.raises(ccxt.BadRequest, match="-4028"):
        ex.set_leverage(101, "SOL/USDT:USDT")  # SOLUSDT's first bracket is 100x
    assert ex.set_leverage(100, "SOL/USDT:USDT")["leverage"] == 100


def test_margin_and_position_modes(ex):
    assert ex.set_margin_mode("isolated", "ETH/USDT:USDT")["msg"] == "success"
    with pytest.raises(ccxt.MarginModeAlreadySet):
        ex.set_margin_mode("isolated", "ETH/USDT:USDT")
    assert ex.fetch_margin_mode("ETH/USDT:USDT")["marginMode"] == "isolated"
    assert ex.fetch_position_mode(BTC)["hedged"] is False
    with pytest.raises(ccxt.OperationRejected, match="-4059"):
        ex.set_position_mode(False)
    with pytest.raises(ccxt.BadRequest, match="dualSidePosition"):
        ex.set_position_mode(True)  # no hedge mode on this venue
    assert ex.fapiPrivateGetMultiAssetsMargin() == {"multiAssetsMargin": False}
    fee = ex.fetch_trading_fee(BTC)
    assert (fee["maker"], fee["taker"]) == (0.0002, 0.0005)


# --- orders, positions, trades and the ledger ------------------------------------------------
def test_market_order_position_trades_and_ledger(ex, venue):
    interest = Decimal(raw(venue, "/fapi/v1/openInterest", symbol="BTCUSDT").json()["openInterest"])
    order = ex.create_order(BTC, "market", "buy", 0.01)
    assert order["status"] == "closed" and order["filled"] == 0.01
    positions = ex.fetch_positions([BTC])
    assert len(positions) == 1 and positions[0]["contracts"] == 0.01
    assert positions[0]["side"] == "long" and positions[0]["entryPrice"] == order["average"]
    trades = ex.fetch_my_trades(BTC)
    assert [t["order"] for t in trades] == [order["id"]]
    fee = Decimal(str(trades[0]["price"])) * Decimal("0.01") * Decimal("0.0005")
    assert Decimal(str(trades[0]["fee"]["cost"])) == fee.quantize(Decimal("0.00000001"))
    ledger = ex.fetch_ledger("USDT")
    # A funding time (00, 08, 16 UTC) may fall between the order and the ledger read.
    funding = [e for e in ledger if e["type"] == "fee" and e["timestamp"] % FUNDING_MS == 0]
    assert all(e["timestamp"] >= order["timestamp"] for e in funding)
    assert [e["type"] for e in ledger if e not in funding] == ["transfer", "commission"]
    total = sum(Decimal(e["info"]["income"]) for e in ledger)
    # ccxt's total is the margin balance (wallet + unrealized); the ledger sums to the wallet.
    assert total == Decimal(ex.fetch_balance()["info"]["totalWalletBalance"])
    after = Decimal(raw(venue, "/fapi/v1/openInterest", symbol="BTCUSDT").json()["openInterest"])
    assert after - interest == Decimal("0.010")
    # v3 account lists only the symbol with a position; v2 positionRisk lists every symbol.
    assert [p["symbol"] for p in ex.fapiPrivateV3GetAccount()["positions"]] == ["BTCUSDT"]
    assert len(ex.fapiPrivateV2GetPositionRisk()) == len(LISTED_SYMBOLS)


def test_limit_edit_cancel_and_the_open_order_lookup(ex):
    price = ex.fetch_ticker(BTC)["last"]
    below = float(Decimal(str(price * 0.9)).quantize(Decimal("0.1")))
    order = ex.create_order(BTC, "limit", "buy", 0.01, below)
    assert order["status"] == "open"
    assert ex.fetch_open_order(order["id"], BTC)["price"] == below
    edited = ex.edit_order(order["id"], BTC, "limit", "buy", 0.02, below - 100)
    assert edited["id"] == order["id"]
    assert (edited["amount"], edited["price"]) == (0.02, round(below - 100, 1))
    assert [o["id"] for o in ex.fetch_open_orders(BTC)] == [order["id"]]
    assert ex.cancel_order(order["id"], BTC)["status"] == "canceled"
    assert ex.fetch_open_orders(BTC) == []
    with pytest.raises(ccxt.OrderNotFound):
        ex.fetch_open_order(order["id"], BTC)  # -2013 once it is no longer open
    assert ex.fetch_order(order["id"], BTC)["status"] == "canceled"


def test_stop_and_take_profit_orders_go_to_the_algo_endpoints(ex):
    ex.create_order(BTC, "market", "buy", 0.01)
    price = ex.fetch_ticker(BTC)["last"]
    stop_at = float(Decimal(str(price * 0.8)).quantize(Decimal("0.1")))
    take_at = float(Decimal(str(price * 1.2)).quantize(Decimal("0.1")))
    stop = ex.create_order(
        BTC, "market", "sell", 0.01, None, {"stopLossPrice": stop_at, "reduceOnly": True}
    )
    take = ex.create_order(
        BTC, "limit", "sell", 0.01, take_at + 10, {"takeProfitPrice": take_at, "reduceOnly": True}
    )
    assert stop["info"]["orderType"] == "STOP_MARKET"
    assert take["info"]["orderType"] == "TAKE_PROFIT"
    triggers = ex.fetch_open_orders(BTC, params={"trigger": True})
    assert {o["id"] for o in triggers} == {stop["id"], take["id"]}
    assert {float(o["info"]["triggerPrice"]) for o in triggers} == {stop_at, take_at}
    ex.cancel_order(stop["id"], BTC, params={"trigger": True})
    assert [o["id"] for o in ex.fetch_open_orders(BTC, params={"trigger": True})] == [take["id"]]


def test_batch_place_modify_and_cancel(ex):
    price = ex.fetch_ticker(BTC)["last"]
    lows = [float(Decimal(str(price * f)).quantize(Decimal("0.1"))) for f in (0.8, 0.7)]
    placed = ex.create_orders(
        [
            {"symbol": BTC, "type": "limit", "side": "buy", "amount": 0.01, "price": lows[0]},
            {"symbol": BTC, "type": "limit", "side": "buy", "amount": 0.01, "price": lows[1]},
            # 0.001 BTC at 70 % of the price is under the 100 USDT minimum notional: -4164
            {"symbol": BTC, "type": "limit", "side": "buy", "amount": 0.001, "price": lows[1]},
        ]
    )
    # The venue answers in the order sent (ccxt then sorts its parsed list by time).
    answer = json.loads(ex.last_http_response)
    assert [a.get("price") for a in answer[:2]] == [f"{p:.2f}" for p in lows]
    assert answer[2] == {
        "code": -4164,
        "msg": "Order's notional must be no smaller than 100 (unless you choose reduce only).",
    }
    accepted = [o for o in placed if o["status"] == "open"]
    assert sorted(o["price"] for o in accepted) == sorted(lows)
    assert [o["status"] for o in placed if o["id"] is None] == ["rejected"]
    ids = [o["id"] for o in accepted]
    assert {o["id"] for o in ex.fetch_open_orders(BTC)} == set(ids)
    lower = [round(p - 1000, 1) for p in lows]
    edited = ex.edit_orders(
        [
            {
                "id": ids[0],
                "symbol": BTC,
                "type": "limit",
                "side": "buy",
                "amount": 0.02,
                "price": lower[0],
            },
            {
                "id": ids[1],
                "symbol": BTC,
                "type": "limit",
                "side": "sell",
                "amount": 0.01,
                "price": lower[1],
            },  # another side than the order's: refused, the order unchanged
        ]
    )
    assert [(o["id"], o["amount"], o["price"]) for o in edited if o["id"]] == [
        (ids[0], 0.02, lower[0])
    ]
    assert "-1117" in str([o["info"] for o in edited if not o["id"]])
    assert ex.fetch_open_order(ids[1], BTC)["price"] == lows[1]
    canceled = ex.cancel_orders(ids, BTC)
    assert [o["status"] for o in canceled] == ["canceled", "canceled"]
    assert ex.fetch_open_orders(BTC) == []


# --- the clock -------------------------------------------------------------------------------
def test_time_sync_is_wrong_on_a_fast_clock_and_right_without_it(venue_factory):
    """adjustForTimeDifference syncs to serverTime, which runs `speed` times faster than the
    wall; the venue checks timestamps against the wall clock (docs: Market, clock and speed),
    so a synced ccxt signs from the future and gets -1021. ccxt's default (no sync) works."""
    fast = venue_factory(speed=60)
    account = fast.create_account("sync", balance="1000")
    time.sleep(1.5)  # 90 s of exchange time ahead of the wall
    synced = ccxt_exchange(fast, account, adjustForTimeDifference=True)
    synced.load_markets()
    assert synced.options["timeDifference"] < -60_000
    with pytest.raises(ccxt.InvalidNonce):
        synced.fetch_balance()
    plain = ccxt_exchange(fast, account)
    plain.load_markets()
    assert plain.fetch_balance()["USDT"]["total"] == 1000


def test_every_order_type_through_the_unified_api(ex):
    """ccxt's create_order for each Binance order type the venue takes: post-only, IOC and FOK
    limits, stop-limit, take-profit market, a trailing stop with its activation price, and a
    close-position stop; each lands as the type Binance would record."""
    ex.create_order(BTC, "market", "buy", 0.02)
    price = Decimal(str(ex.fetch_ticker(BTC)["last"]))

    def at(ratio: str) -> float:
        return float((price * Decimal(ratio)).quantize(Decimal("0.1")))

    maker = ex.create_order(BTC, "limit", "buy", 0.01, at("0.9"), {"postOnly": True})
    assert maker["info"]["timeInForce"] == "GTX" and maker["status"] == "open"
    ioc = ex.create_order(BTC, "limit", "buy", 0.01, at("0.9"), {"timeInForce": "IOC"})
    fok = ex.create_order(BTC, "limit", "buy", 0.01, at("0.9"), {"timeInForce": "FOK"})
    for order in (ioc, fok):
        fetched = ex.fetch_order(order["id"], BTC)
        assert fetched["status"] == "expired" and fetched["filled"] == 0
    stop_limit = ex.create_order(
        BTC, "limit", "sell", 0.01, at("0.79"), {"stopLossPrice": at("0.8"), "reduceOnly": True}
    )
    take_market = ex.create_order(
        BTC, "market", "sell", 0.01, None, {"takeProfitPrice": at("1.2"), "reduceOnly": True}
    )
    trailing = ex.create_order(
        BTC,
        "market",
        "sell",
        0.01,
        None,
        {"trailingPercent": 1.5, "trailingTriggerPrice": at("1.1"), "reduceOnly": True},
    )
    close_all = ex.create_order(
        BTC, "market", "sell", None, None, {"stopLossPrice": at("0.7"), "closePosition": True}
    )
    triggers = {o["id"]: o["info"] for o in ex.fetch_open_orders(BTC, params={"trigger": True})}
    assert triggers[stop_limit["id"]]["orderType"] == "STOP"
    assert Decimal(triggers[stop_limit["id"]]["price"]) == Decimal(str(at("0.79")))
    assert triggers[take_market["id"]]["orderType"] == "TAKE_PROFIT_MARKET"
    assert triggers[trailing["id"]]["orderType"] == "TRAILING_STOP_MARKET"
    assert Decimal(triggers[trailing["id"]]["callbackRate"]) == Decimal("1.5")
    assert Decimal(triggers[trailing["id"]]["activatePrice"]) == Decimal(str(at("1.1")))
    assert triggers[close_all["id"]]["closePosition"] is True
    ex.cancel_all_orders(BTC)
    ex.cancel_all_orders(BTC, params={"trigger": True})
    assert ex.fetch_open_orders(BTC) == []
    assert ex.fetch_open_orders(BTC, params={"trigger": True}) == []
