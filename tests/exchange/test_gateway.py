"""The gateway against the paper venue over HTTP: each typed call returns its report, Decimal
money, the venue's ids; a look-up of an order the venue never saw is None (the executor's resend
rule rests on it)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.exchange.errors import FatalExchangeError, PayloadError
from apps.exchange.gateway import gateway_for, public_gateway
from apps.exchange.reports import (
    AccountReport,
    OrderReport,
    algo_order_parse,
    klines_parse,
    mark_parse,
    order_parse,
)
from tests.support.paper_exchange import NO_RATE_LIMITS, PaperExchange, desk_account

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(scope="module")
def venue(tmp_path_factory):
    exchange = PaperExchange(tmp_path_factory.mktemp("gateway"), extra_args=[*NO_RATE_LIMITS])
    exchange.start()
    yield exchange
    exchange.stop()


@pytest.fixture
def gateway(venue, redis_client):
    account, _ = desk_account(venue, "gw")
    return gateway_for(account=account)


def test_it_reads_the_account_as_a_report_in_decimals(gateway):
    assert gateway.server_time() > 1_600_000_000_000
    state = gateway.account()
    assert isinstance(state, AccountReport)
    assert state.wallet_balance == D("10000") and state.positions == ()
    assert state.leverage["BTCUSDT"] >= 1
    assert gateway.positions() == []


def test_it_places_finds_and_reports_a_market_order_and_its_fills(gateway, venue):
    venue.set_price("BTCUSDT", "40000.0")
    assert gateway.leverage_set(symbol="BTCUSDT", leverage=7) == 7
    placed = gateway.order_place(
        symbol="BTCUSDT", side="BUY", quantity=D("0.010"), client_order_id="qt-9001-1"
    )
    assert isinstance(placed, OrderReport)
    assert (placed.status, placed.executed_qty, placed.client_order_id) == (
        "FILLED",
        D("0.010"),
        "qt-9001-1",
    )
    assert placed.avg_price > 0 and not placed.working
    assert gateway.order_find(symbol="BTCUSDT", client_order_id="qt-9001-1") == placed
    assert gateway.order_find(symbol="BTCUSDT", client_order_id="qt-never-1") is None
    assert [o.order_id for o in gateway.orders_since(symbol="BTCUSDT")] == [placed.order_id]
    (fill,) = gateway.fills(symbol="BTCUSDT", order_id=placed.order_id)
    assert (fill.order_id, fill.qty, fill.side, fill.realized_pnl) == (
        placed.order_id,
        D("0.010"),
        "BUY",
        D(0),
    )
    (pos,) = gateway.positions()
    assert (pos.symbol, pos.amt, pos.leverage) == ("BTCUSDT", D("0.010"), None)
    assert gateway.account().positions[0].leverage == 7

    closed = gateway.order_place(
        symbol="BTCUSDT",
        side="SELL",
        quantity=D("0.010"),
        client_order_id="qt-9002-1",
        reduce_only=True,
    )
    assert closed.reduce_only and gateway.positions() == []
    income = gateway.income_page(start_ms=0, end_ms=gateway.server_time(), limit=100)
    assert {"COMMISSION", "REALIZED_PNL"} <= {row.income_type for row in income}


def test_it_places_finds_and_cancels_a_conditional_order(gateway, venue):
    venue.set_price("BTCUSDT", "40000.0")
    gateway.order_place(symbol="BTCUSDT", side="BUY", quantity=D("0.010"), client_order_id="qt-1-1")
    algo = gateway.algo_place(
        symbol="BTCUSDT", side="SELL", trigger_price=D("38000.0"), client_algo_id="qb-77"
    )
    assert (algo.status, algo.working, algo.fired, algo.actual_order_id) == (
        "NEW",
        True,
        False,
        None,
    )
    assert algo.trigger_price == D("38000")
    assert gateway.algo_find(symbol="BTCUSDT", client_algo_id="qb-77") == algo
    assert gateway.algo_find(symbol="BTCUSDT", client_algo_id="qb-78") is None
    gateway.algo_cancel(symbol="BTCUSDT", client_algo_id="qb-77")
    assert gateway.algo_find(symbol="BTCUSDT", client_algo_id="qb-77").status == "CANCELED"
    with pytest.raises(FatalExchangeError):
        gateway.algo_place(  # already past the mark: the venue refuses (-2021)
            symbol="BTCUSDT", side="SELL", trigger_price=D("45000.0"), client_algo_id="qb-79"
        )


def test_it_reads_public_market_data_without_an_account(venue, redis_client):
    public = public_gateway(base_url=venue.base_url)
    filters = public.filters(symbol="BTCUSDT")
    assert filters.tick_size == D("0.1") and filters.step_size == D("0.001")
    mark = public.mark(symbol="BTCUSDT")
    assert mark.symbol == "BTCUSDT" and mark.mark_price > 0 and mark.next_funding_ms > mark.time_ms
    now = public.server_time()
    klines = public.klines(
        symbol="BTCUSDT", interval="1m", start_ms=now - 10 * 60_000, end_ms=now, limit=1500
    )
    assert klines and all(k.open_time_ms < k.close_time_ms for k in klines)
    assert all(k.low <= k.close <= k.high for k in klines)
    assert {t.symbol for t in public.tickers()} >= {"BTCUSDT", "ETHUSDT"}


@pytest.mark.parametrize(
    ("parse", "payload", "message"),
    [
        (order_parse, {"orderId": 1, "type": "MARKET"}, r"order.clientOrderId: missing"),
        (
            order_parse,
            {
                "orderId": "x",
                "clientOrderId": "a",
                "symbol": "BTCUSDT",
                "status": "NEW",
                "side": "BUY",
                "type": "MARKET",
                "origQty": "1",
                "executedQty": "0",
                "avgPrice": "0",
                "reduceOnly": False,
                "updateTime": 1,
            },
            r"order.orderId: 'x' is not an integer",
        ),
        (algo_order_parse, {"algoId": 1, "actualOrderId": ""}, r"clientAlgoId: missing"),
        (mark_parse, {"symbol": "BTCUSDT", "markPrice": "NaN"}, r"markPrice: 'NaN' is not finite"),
        (
            lambda p: klines_parse(p, symbol="BTCUSDT", interval="1m"),
            [[1, "1", "2", "0.5", "abc", "1", 2]],
            r"klines BTCUSDT\[0\].close: 'abc' is not a number",
        ),
    ],
)
def test_it_rejects_a_bad_payload_naming_the_field(parse, payload, message):
    with pytest.raises(PayloadError, match=message):
        parse(payload)
