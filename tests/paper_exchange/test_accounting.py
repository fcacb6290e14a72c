"""Binance's maths, checked against an independent computation from the fills reported."""

from decimal import Decimal

from tests.support.paper_exchange import market, position, wallet

TAKER = Decimal("0.0005")
Q8 = Decimal("0.00000001")


class Book:
    """The reference model: one-way position, as docs/paper-exchange.md states it."""

    def __init__(self) -> None:
        self.amt = Decimal(0)
        self.entry = Decimal(0)
        self.wallet = Decimal("10000")

    def fill(self, side: str, qty: Decimal, price: Decimal) -> tuple[Decimal, Decimal]:
        signed = qty if side == "BUY" else -qty
        realized = Decimal(0)
        if self.amt == 0 or (self.amt > 0) == (signed > 0):
            self.entry = (abs(self.amt) * self.entry + qty * price) / (abs(self.amt) + qty)
            self.amt += signed
        else:
            closed = min(qty, abs(self.amt))
            direction = 1 if self.amt > 0 else -1
            realized = (closed * (price - self.entry) * direction).quantize(Q8)
            rest = qty - closed
            self.amt += signed
            if rest > 0:
                self.entry = price
            elif self.amt == 0:
                self.entry = Decimal(0)
        fee = (price * qty * TAKER).quantize(Q8)
        self.wallet += realized - fee
        return realized, fee


def _trade(client, order):
    trades = client.futures_account_trades(symbol="BTCUSDT", orderId=order["orderId"])
    assert len(trades) == 1
    return trades[0]


def test_it_opens_adds_reduces_and_flips_with_binance_accounting(client):
    book = Book()
    steps = [("BUY", "0.010"), ("BUY", "0.005"), ("SELL", "0.006"), ("SELL", "0.020")]
    for side, qty in steps:
        order = market(client, "BTCUSDT", side, qty)
        assert order["status"] == "FILLED" and order["executedQty"] == qty
        trade = _trade(client, order)
        realized, fee = book.fill(side, Decimal(qty), Decimal(trade["price"]))
        assert Decimal(trade["realizedPnl"]) == realized
        assert Decimal(trade["commission"]) == fee
        assert trade["buyer"] is (side == "BUY") and trade["maker"] is False
        assert Decimal(order["avgPrice"]) == Decimal(trade["price"])
        income = [
            r
            for r in client.futures_income_history(symbol="BTCUSDT")
            if r["tradeId"] == str(trade["id"])
        ]
        by_type = {r["incomeType"]: Decimal(r["income"]) for r in income}
        assert by_type["COMMISSION"] == -fee
        if side == "SELL":
            assert by_type["REALIZED_PNL"] == realized
        else:
            assert "REALIZED_PNL" not in by_type
        pos = position(client, "BTCUSDT")
        assert Decimal(pos["positionAmt"]) == book.amt
        assert Decimal(pos["entryPrice"]) == book.entry.quantize(Q8)
    assert book.amt == Decimal("-0.011")
    assert wallet(client) == book.wallet


def test_it_keeps_the_wallet_equal_to_the_sum_of_income(client):
    market(client, "ETHUSDT", "BUY", "0.100")
    market(client, "ETHUSDT", "SELL", "0.100")
    total = sum(Decimal(r["income"]) for r in client.futures_income_history(limit=1000))
    assert wallet(client) == total


def test_it_reports_margin_and_unrealized_pnl_from_the_mark(client):
    market(client, "BTCUSDT", "BUY", "0.010")
    client.futures_change_leverage(symbol="BTCUSDT", leverage=10)
    pos = position(client, "BTCUSDT")
    mark, entry, amt = (Decimal(pos[k]) for k in ("markPrice", "entryPrice", "positionAmt"))
    assert Decimal(pos["unRealizedProfit"]) == (amt * (mark - entry)).quantize(Q8)
    assert Decimal(pos["initialMargin"]) == (amt * mark / 10).quantize(Q8)
    assert Decimal(pos["notional"]) == (amt * mark).quantize(Q8)
    assert "leverage" not in pos
    account = client.futures_account()
    assert account["totalWalletBalance"] == client.futures_account_balance()[0]["balance"]
    btc = next(p for p in account["positions"] if p["symbol"] == "BTCUSDT")
    assert btc["leverage"] == "10" and btc["positionAmt"] == "0.010"
    assert len(account["positions"]) >= 5
    margin = Decimal(account["totalMarginBalance"])
    assert margin == Decimal(account["totalWalletBalance"]) + Decimal(
        account["totalUnrealizedProfit"]
    )
    assert Decimal(account["availableBalance"]) == margin - Decimal(account["totalInitialMargin"])


def test_it_lists_only_symbols_with_a_position_or_open_orders_in_position_risk(client):
    assert client.futures_position_information() == []
    market(client, "XRPUSDT", "BUY", "100.0")
    rows = client.futures_position_information()
    assert [r["symbol"] for r in rows] == ["XRPUSDT"]
    assert rows[0]["positionSide"] == "BOTH" and rows[0]["positionAmt"] == "100.0"


def test_it_acks_orders_by_default_like_binance(client):
    ack = client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.002")
    assert ack["status"] == "NEW" and ack["executedQty"] == "0.000"
    assert isinstance(ack["orderId"], int) and isinstance(ack["updateTime"], int)
    looked_up = client.futures_get_order(symbol="BTCUSDT", orderId=ack["orderId"])
    assert looked_up["status"] == "FILLED" and looked_up["executedQty"] == "0.002"


def test_it_uses_increasing_unique_tran_ids_and_trade_ids(client):
    for side in ("BUY", "SELL", "BUY", "SELL"):
        market(client, "BNBUSDT", side, "1.00")
    rows = client.futures_income_history(limit=1000)
    tran_ids = [r["tranId"] for r in rows]
    assert tran_ids == sorted(tran_ids) and len(set(tran_ids)) == len(tran_ids)
    trades = client.futures_account_trades(symbol="BNBUSDT")
    assert [t["id"] for t in trades] == sorted({t["id"] for t in trades})
