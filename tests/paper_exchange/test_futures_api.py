"""Binance's answers to what the venue does not support, order modification, weights and the
v3 account shape, through ccxt's raw endpoint methods (no parsing in between)."""

from __future__ import annotations

from decimal import Decimal

import ccxt
import pytest
import requests

from tests.paper_exchange.ccxt_venue import BTC, ccxt_exchange
from tests.support.paper_exchange import LISTED_SYMBOLS


@pytest.fixture
def ex(venue, account):
    exchange = ccxt_exchange(venue, account)
    exchange.load_markets()
    return exchange


def below_market(ex, factor: str = "0.9") -> float:
    price = Decimal(str(ex.fetch_ticker(BTC)["last"])) * Decimal(factor)
    return float(price.quantize(Decimal("0.1")))


def test_hedge_mode_is_refused_with_binances_codes_for_the_accounts_state(ex):
    order = ex.create_order(BTC, "limit", "buy", 0.01, below_market(ex))
    with pytest.raises(ccxt.BaseError, match="-4067"):  # open orders
        ex.fapiPrivatePostPositionSideDual({"dualSidePosition": "true"})
    ex.cancel_order(order["id"], BTC)
    ex.create_order(BTC, "market", "buy", 0.01)
    with pytest.raises(ccxt.BaseError, match="-4068"):  # a position
        ex.fapiPrivatePostPositionSideDual({"dualSidePosition": "true"})
    assert ex.fapiPrivateGetPositionSideDual() == {"dualSidePosition": False}


def test_multi_assets_mode_is_refused_and_single_asset_is_already_set(ex):
    with pytest.raises(ccxt.BaseError, match="-4171"):
        ex.fapiPrivatePostMultiAssetsMargin({"multiAssetsMargin": "false"})
    with pytest.raises(ccxt.BadRequest, match="multiAssetsMargin"):
        ex.fapiPrivatePostMultiAssetsMargin({"multiAssetsMargin": "true"})


def test_a_modified_order_that_now_crosses_fills_as_taker(ex):
    order = ex.create_order(BTC, "limit", "buy", 0.01, below_market(ex))
    above = below_market(ex, "1.05")
    modified = ex.fapiPrivatePutOrder(
        {
            "symbol": "BTCUSDT",
            "orderId": order["id"],
            "side": "BUY",
            "quantity": "0.01",
            "price": str(above),
        }
    )
    assert modified["status"] == "FILLED" and modified["orderId"] == int(order["id"])
    trade = ex.fetch_my_trades(BTC)[-1]
    assert trade["order"] == order["id"] and trade["takerOrMaker"] == "taker"
    assert Decimal(trade["info"]["price"]) < Decimal(str(above))  # filled at the touch
    with pytest.raises(ccxt.OrderNotFound):  # filled: nothing open to modify
        ex.fapiPrivatePutOrder(
            {
                "symbol": "BTCUSDT",
                "orderId": order["id"],
                "side": "BUY",
                "quantity": "0.02",
                "price": str(above),
            }
        )


def test_a_post_only_order_is_not_moved_across_the_book(ex):
    price = below_market(ex)
    order = ex.create_order(BTC, "limit", "buy", 0.01, price, {"timeInForce": "GTX"})
    with pytest.raises(ccxt.InvalidOrder, match="-5022"):
        ex.fapiPrivatePutOrder(
            {
                "symbol": "BTCUSDT",
                "orderId": order["id"],
                "side": "BUY",
                "quantity": "0.01",
                "price": str(below_market(ex, "1.05")),
            }
        )
    with pytest.raises(ccxt.BaseError, match="-5027"):
        ex.fapiPrivatePutOrder(
            {
                "symbol": "BTCUSDT",
                "orderId": order["id"],
                "side": "BUY",
                "quantity": "0.01",
                "price": str(price),
            }
        )
    assert ex.fetch_open_order(order["id"], BTC)["price"] == price


def test_depth_weighs_by_its_limit(venue):
    def used(limit: int) -> int:
        response = requests.get(
            f"{venue.base_url}/fapi/v1/depth",
            params={"symbol": "BTCUSDT", "limit": limit},
            timeout=10,
        )
        assert len(response.json()["bids"]) == limit
        return int(response.headers["X-MBX-USED-WEIGHT-1M"])

    for _ in range(3):  # a new one-minute window may open between the two calls: try again
        before = used(5)
        after = used(1000)
        if after > before:
            break
    assert after - before == 20


def test_the_v3_account_lists_only_symbols_in_use_and_no_v2_flags(ex):
    ex.create_order("ETH/USDT:USDT", "market", "buy", 0.01)
    ex.create_order(BTC, "limit", "buy", 0.01, below_market(ex))
    account = ex.fapiPrivateV3GetAccount()
    assert "feeTier" not in account and "canTrade" not in account
    assert [p["symbol"] for p in account["positions"]] == ["BTCUSDT", "ETHUSDT"]
    eth = account["positions"][1]
    assert eth["positionAmt"] == "0.010" and Decimal(eth["maintMargin"]) > 0
    assert set(eth) == {
        "symbol",
        "positionSide",
        "positionAmt",
        "unrealizedProfit",
        "isolatedMargin",
        "notional",
        "isolatedWallet",
        "initialMargin",
        "maintMargin",
        "updateTime",
    }
    assert "marginAvailable" not in account["assets"][0]
    assert len(ex.fapiPrivateV2GetAccount()["positions"]) == len(LISTED_SYMBOLS)  # v2: every one
