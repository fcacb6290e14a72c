"""ISOLATED margin as Binance computes it: the position gets its own wallet (the margin it was
opened with, what was added, less what was taken back), its own liquidation price from that
wallet alone, and is liquidated alone: the cross wallet never pays more than that wallet.
Driven through ccxt's binanceusdm (margin mode, tiers, add/reduce margin) and python-binance."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import ccxt
import pytest
from binance.client import Client
from websockets.sync.client import connect

from tests.paper_exchange.ccxt_venue import BTC, ccxt_exchange
from tests.paper_exchange.test_streams_user import events
from tests.support.paper_exchange import PaperExchange, market, position

Q8 = Decimal("0.00000001")
TICK = Decimal("0.1")
LEVERAGE = 20  # the venue's default


def _isolated_long(venue: PaperExchange, name: str) -> tuple[Any, Client, dict[str, Any]]:
    account = venue.create_account(name, balance="10000")
    ex = ccxt_exchange(venue, account)
    ex.load_markets()
    client = venue.client(account)
    ex.set_margin_mode("isolated", BTC)
    order = market(client, "BTCUSDT", "BUY", "0.010")
    return ex, client, order


def _liquidation_price(
    ex: Any, amt: Decimal, entry: Decimal, wallet: Decimal, symbol: str = BTC
) -> Decimal:
    """Where wallet + amt x (P - entry) = |amt| x P x mmr - cum, in the first tier (a position
    this small stays in it), the tier read from the venue's leverageBracket through ccxt."""
    tier = ex.fetch_leverage_tiers([symbol])[symbol][0]
    mmr = Decimal(str(tier["maintenanceMarginRate"]))
    cum = Decimal(str(tier["info"].get("cum", 0)))
    return ((amt * entry - wallet - cum) / (amt - abs(amt) * mmr)).quantize(Q8)


def test_an_isolated_position_has_its_own_wallet_and_liquidation_price(
    venue: PaperExchange,
) -> None:
    ex, client, order = _isolated_long(venue, "iso-wallet")
    fill = Decimal(order["avgPrice"])
    row = position(client, "BTCUSDT")
    assert row is not None
    wallet = Decimal(row["isolatedWallet"])
    assert wallet == (Decimal("0.010") * fill / LEVERAGE).quantize(Q8)
    assert Decimal(row["isolatedMargin"]) == wallet + Decimal(row["unRealizedProfit"])
    liq = Decimal(row["liquidationPrice"])
    assert liq == _liquidation_price(ex, Decimal("0.010"), Decimal(row["entryPrice"]), wallet)
    # 20x isolated: about 5 % under the entry, where cross margin on 10 000 USDT would be 0.
    assert fill * Decimal("0.9") < liq < fill
    account = client.futures_account()
    assert Decimal(account["totalCrossWalletBalance"]) == (
        Decimal(account["totalWalletBalance"]) - wallet
    )
    (v2,) = ex.fapiPrivateV2GetPositionRisk({"symbol": "BTCUSDT"})
    assert v2["marginType"] == "isolated" and Decimal(v2["isolatedWallet"]) == wallet
    (ccxt_position,) = ex.fetch_positions([BTC])
    assert ccxt_position["marginMode"] == "isolated"
    assert Decimal(str(ccxt_position["liquidationPrice"])) == liq


def test_an_isolated_position_is_liquidated_alone_and_costs_no_more_than_its_wallet(
    venue: PaperExchange,
) -> None:
    ex, client, _ = _isolated_long(venue, "iso-liq")
    market(client, "ETHUSDT", "SELL", "0.100")  # cross: it must survive
    row = position(client, "BTCUSDT")
    assert row is not None
    liq = Decimal(row["liquidationPrice"])
    cross_before = Decimal(client.futures_account()["totalCrossWalletBalance"])
    # The cross short's liquidation price stands on the cross wallet alone, not on BTC's.
    short = position(client, "ETHUSDT")
    assert short is not None and Decimal(short["isolatedWallet"]) == 0
    assert Decimal(short["liquidationPrice"]) == _liquidation_price(
        ex, Decimal("-0.100"), Decimal(short["entryPrice"]), cross_before, "ETH/USDT:USDT"
    )
    # Well past the liquidation price: the loss at the mark is larger than the isolated wallet.
    venue.set_price("BTCUSDT", str((liq * Decimal("0.95")).quantize(TICK)))
    assert position(client, "BTCUSDT") is None
    eth = position(client, "ETHUSDT")
    assert eth is not None and eth["positionAmt"] == "-0.100"
    closing = client.futures_get_all_orders(symbol="BTCUSDT")[-1]
    assert closing["type"] == "LIQUIDATION" and closing["status"] == "FILLED"
    account = client.futures_account()
    # Past the bankruptcy price the position still closes there: the isolated wallet is lost,
    # the cross wallet keeps what it had (and the tick's rounding towards the entry).
    assert Decimal(closing["price"]) == Decimal(closing["avgPrice"]) == _bankruptcy_price(row)
    assert 0 <= Decimal(account["totalCrossWalletBalance"]) - cross_before < TICK * Decimal("0.010")
    assert Decimal(account["totalWalletBalance"]) == Decimal(account["totalCrossWalletBalance"])


def _bankruptcy_price(row: dict[str, Any]) -> Decimal:
    """entry - isolated wallet / amt, on the tick towards the entry."""
    amt, entry = Decimal(row["positionAmt"]), Decimal(row["entryPrice"])
    exact = entry - Decimal(row["isolatedWallet"]) / amt
    return (exact / TICK).to_integral_value(ROUND_CEILING if amt > 0 else ROUND_FLOOR) * TICK


def test_an_isolated_liquidation_closes_at_the_bankruptcy_price_with_the_clearance_fee(
    venue: PaperExchange,
) -> None:
    ex, client, _ = _isolated_long(venue, "iso-bankrupt")
    row = position(client, "BTCUSDT")
    assert row is not None
    wallet, entry = Decimal(row["isolatedWallet"]), Decimal(row["entryPrice"])
    liq = Decimal(row["liquidationPrice"])
    cross_before = Decimal(client.futures_account()["totalCrossWalletBalance"])
    below = str((liq - 2 * TICK).quantize(TICK, ROUND_FLOOR))
    moved = venue.set_price("BTCUSDT", below, mark=below)  # liquidation watches the mark
    assert position(client, "BTCUSDT") is None
    mark = Decimal(moved["markPrice"])
    # What the position held at the mark is less than the clearance fee (the first bracket's
    # 0.4 % against exchangeInfo's liquidationFee), so the fee takes all of it: bankruptcy.
    fee_rate = Decimal(ex.fapiPublicGetExchangeInfo()["symbols"][0]["liquidationFee"])
    held = wallet + Decimal("0.010") * (mark - entry)
    assert 0 < held <= Decimal("0.010") * mark * fee_rate
    closing = client.futures_get_all_orders(symbol="BTCUSDT")[-1]
    assert closing["type"] == "LIQUIDATION" and closing["status"] == "FILLED"
    price = _bankruptcy_price(row)
    assert Decimal(closing["price"]) == Decimal(closing["avgPrice"]) == price
    assert price < mark
    (trade,) = [
        t
        for t in client.futures_account_trades(symbol="BTCUSDT")
        if t["orderId"] == closing["orderId"]
    ]
    assert Decimal(trade["commission"]) == 0 and Decimal(trade["price"]) == price
    realized = Decimal(trade["realizedPnl"])
    assert realized == (Decimal("0.010") * (price - entry)).quantize(Q8)
    rows = [
        r
        for r in client.futures_income_history(symbol="BTCUSDT")
        if r["tradeId"] == str(trade["id"])
    ]
    assert [r["incomeType"] for r in rows] == ["REALIZED_PNL"]
    # The cross wallet gets back the isolated wallet less the loss: the tick's rounding.
    cross_after = Decimal(client.futures_account()["totalCrossWalletBalance"])
    assert cross_after == cross_before + wallet + realized


def test_margin_is_added_to_and_taken_from_an_isolated_position(venue: PaperExchange) -> None:
    ex, client, _ = _isolated_long(venue, "iso-add")
    before = position(client, "BTCUSDT")
    assert before is not None
    wallet = Decimal(before["isolatedWallet"])
    added = ex.add_margin(BTC, 100)
    assert added["type"] == "add" and added["info"]["code"] == 200
    after = position(client, "BTCUSDT")
    assert after is not None
    assert Decimal(after["isolatedWallet"]) == wallet + 100
    assert Decimal(after["liquidationPrice"]) < Decimal(before["liquidationPrice"])
    assert Decimal(after["liquidationPrice"]) == _liquidation_price(
        ex, Decimal("0.010"), Decimal(after["entryPrice"]), wallet + 100
    )
    ex.reduce_margin(BTC, 50)
    reduced = position(client, "BTCUSDT")
    assert reduced is not None and Decimal(reduced["isolatedWallet"]) == wallet + 50
    with pytest.raises(ccxt.BaseError, match="-4051"):
        ex.reduce_margin(BTC, 1000)  # more than the position can spare
    with pytest.raises(ccxt.BaseError, match="-4049"):
        ex.add_margin("ETH/USDT:USDT", 10)  # a cross symbol


def test_a_margin_transfer_is_pushed_as_binance_reports_it(venue: PaperExchange) -> None:
    ex, client, _ = _isolated_long(venue, "iso-stream")
    before = position(client, "BTCUSDT")
    assert before is not None
    wallet = Decimal(before["isolatedWallet"])
    total = Decimal(client.futures_account()["totalWalletBalance"])
    key = client.futures_stream_get_listen_key()
    with connect(f"ws://127.0.0.1:{venue.port}/private/ws/{key}") as ws:
        ex.add_margin(BTC, 100)
        (update,) = events(ws, lambda s: any(e["e"] == "ACCOUNT_UPDATE" for e in s))
    # Binance: reason MARGIN_TRANSFER, the wallet unchanged, the cross wallet without the
    # isolated wallets, the position's isolated wallet grown by the transfer.
    assert update["a"]["m"] == "MARGIN_TRANSFER"
    (usdt,) = update["a"]["B"]
    assert Decimal(usdt["wb"]) == total and Decimal(usdt["bc"]) == 0
    assert Decimal(usdt["cw"]) == total - wallet - 100
    (btc,) = update["a"]["P"]
    assert btc["mt"] == "isolated" and Decimal(btc["iw"]) == wallet + 100
