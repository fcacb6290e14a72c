"""The in-process venue of the rule tests (tests/support/fake_gateway.py) keeps the Gateway's
contract: every method of the Protocol with its signature, the same report types, and Binance's
refusals as the same typed errors. A fake that drifted from the gateway would let rule tests
pass on answers the real venue never gives."""

from __future__ import annotations

import inspect
from decimal import Decimal

import pytest

from apps.exchange.errors import (
    DUPLICATE_CLIENT_ID,
    ORDER_NOT_FOUND,
    FatalExchangeError,
    RetryableExchangeError,
)
from apps.exchange.gateway import BinanceGateway, Gateway
from apps.exchange.reports import AlgoOrderReport, OrderReport
from tests.support.fake_gateway import FakeExchange, FakeGateway

D = Decimal


def _protocol_methods() -> list[str]:
    return [n for n, v in vars(Gateway).items() if not n.startswith("_") and callable(v)]


@pytest.mark.parametrize("name", _protocol_methods())
def test_it_has_every_gateway_method_with_its_signature(name):
    fake = inspect.signature(getattr(FakeGateway, name))
    assert fake == inspect.signature(getattr(BinanceGateway, name)), name


def _gateway(**kw) -> FakeGateway:
    return FakeExchange(prices={"BTCUSDT": "40000.0", "ETHUSDT": "2000.00"}, **kw).gateway(7)


def _buy(gw: FakeGateway, qty: str, cid: str, **kw) -> OrderReport:
    return gw.order_place(symbol="BTCUSDT", side="BUY", quantity=D(qty), client_order_id=cid, **kw)


def test_it_fills_market_orders_at_the_mark_and_keeps_the_position_and_the_wallet():
    gw = _gateway()
    first = _buy(gw, "0.010", "a")
    assert (first.status, first.executed_qty, first.avg_price) == ("FILLED", D("0.010"), D("40000"))
    gw.venue.set_price("BTCUSDT", "42000.0")
    second = _buy(gw, "0.010", "b")
    (pos,) = gw.positions()
    assert (pos.amt, pos.entry_price, pos.unrealized_pnl) == (D("0.02"), D("41000"), D("20"))
    gw.venue.set_price("BTCUSDT", "43000.0")
    close = gw.order_place(
        symbol="BTCUSDT", side="SELL", quantity=D("0.5"), client_order_id="c", reduce_only=True
    )
    assert close.executed_qty == D("0.020")  # reduce-only: never past the position
    (fill,) = gw.fills(symbol="BTCUSDT", order_id=close.order_id)
    assert fill.realized_pnl == D("40") and fill.commission == D("0.43")
    assert gw.positions() == []
    fees = D("0.2") + D("0.21") + D("0.43")
    assert gw.account().wallet_balance == D("100000") + D("40") - fees
    kinds = [(r.income_type, r.amount) for r in gw.income_page(start_ms=0, end_ms=2**62, limit=9)]
    assert ("REALIZED_PNL", D("40")) in kinds and kinds.count(("COMMISSION", D("-0.43"))) == 1
    assert [o.client_order_id for o in gw.orders_since(symbol="BTCUSDT")] == ["a", "b", "c"]
    assert gw.order_find(symbol="BTCUSDT", client_order_id="b") == second
    assert gw.order_find(symbol="BTCUSDT", client_order_id="zz") is None


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"quantity": D("0.0101")}, -1111),
        ({"quantity": D("0")}, -4003),
        ({"quantity": D("0.001")}, -4164),  # 40 USDT under BTCUSDT's 100 minimum
        ({"symbol": "NOPEUSDT"}, -1121),
        ({"reduce_only": True}, -2022),  # nothing to reduce
        ({"quantity": D("60")}, -2019),  # 2.4M notional at 20x on 100k
    ],
)
def test_it_refuses_bad_orders_with_binance_s_codes(kw, code):
    gw = _gateway()
    args = {"symbol": "BTCUSDT", "side": "BUY", "quantity": D("0.010"), "client_order_id": "x"}
    with pytest.raises(FatalExchangeError) as refused:
        gw.order_place(**{**args, **kw})
    assert refused.value.code == code
    assert gw.venue.book(7).orders == {}


def test_client_ids_are_strict_or_binance_s_rule():
    strict = _gateway()
    _buy(strict, "0.010", "same")
    with pytest.raises(FatalExchangeError) as dup:
        _buy(strict, "0.010", "same")
    assert dup.value.code == DUPLICATE_CLIENT_ID
    loose = _gateway(strict_client_ids=False)
    _buy(loose, "0.010", "same")
    _buy(loose, "0.010", "same")  # a filled market order's id may be used again on Binance


def test_a_stop_fires_when_the_mark_crosses_it_and_closes_the_position():
    gw = _gateway()
    _buy(gw, "0.010", "open")
    algo = gw.algo_place(
        symbol="BTCUSDT", side="SELL", trigger_price=D("39000.0"), client_algo_id="bs-1"
    )
    assert isinstance(algo, AlgoOrderReport) and algo.working
    gw.venue.set_price("BTCUSDT", "39500.0")
    assert gw.algo_find(symbol="BTCUSDT", client_algo_id="bs-1").working
    gw.venue.set_price("BTCUSDT", "38900.0")
    fired = gw.algo_find(symbol="BTCUSDT", client_algo_id="bs-1")
    assert fired.fired and gw.positions() == []
    order = gw.orders_since(symbol="BTCUSDT")[-1]
    assert (order.order_id, order.client_order_id, order.type) == (
        fired.actual_order_id,
        "bs-1",
        "STOP_MARKET",
    )
    with pytest.raises(FatalExchangeError):
        gw.algo_cancel(symbol="BTCUSDT", client_algo_id="bs-1")  # not working any more
    with pytest.raises(FatalExchangeError) as unknown:
        gw.algo_cancel(symbol="BTCUSDT", client_algo_id="bs-2")
    assert unknown.value.code == ORDER_NOT_FOUND


def test_it_records_calls_and_raises_a_queued_fault_once():
    gw = _gateway()
    gw.venue.fail_next("positions", RetryableExchangeError("timeout"))
    with pytest.raises(RetryableExchangeError):
        gw.positions()
    assert gw.positions() == []
    assert gw.calls == ["positions", "positions"] and gw.stats.by_method == {"positions": 2}
