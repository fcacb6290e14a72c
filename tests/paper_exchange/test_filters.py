"""Order validation with Binance's codes."""

from decimal import Decimal

import pytest

from apps.paper_exchange.errors import ApiError
from apps.paper_exchange.symbols import SymbolSpec
from tests.support.paper_exchange import api_error, market

BASE = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.010",
    "price": "30000.0",
}


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"price": "30000.001"}, -1111),
        ({"quantity": "0.0101"}, -1111),
        ({"price": "30000.05"}, -4014),
        ({"quantity": "0.001"}, -4164),
        ({"quantity": "0"}, -4003),
        ({"symbol": "NOPEUSDT"}, -1121),
        ({"quantity": None}, -1102),
        ({"quantity": "abc"}, -1102),
        ({"price": None}, -1102),
        ({"type": "ICEBERG"}, -1116),
        ({"timeInForce": "GTD2"}, -1115),
        ({"side": "HOLD"}, -1117),
    ],
)
def test_it_rejects_invalid_orders_with_binance_codes(client, over, code):
    params = {k: v for k, v in {**BASE, **over}.items() if v is not None}
    err = api_error(client.futures_create_order, **params)
    assert err.code == code, err.message
    assert client.futures_get_all_orders(symbol="BTCUSDT") == []


def test_it_rejects_a_quantity_off_the_step_with_4023():
    spec = SymbolSpec(
        "HALFUSDT",
        "HALF",
        Decimal(1),
        Decimal("0.01"),
        2,
        Decimal("0.5"),
        1,
        Decimal("0.5"),
        Decimal(1000),
        Decimal(1000),
        Decimal(5),
    )
    with pytest.raises(ApiError) as info:
        spec.check_qty(Decimal("1.2"), market=True)
    assert info.value.code == -4023


def test_it_rejects_orders_beyond_the_available_margin_with_2019(client):
    client.futures_change_leverage(symbol="BTCUSDT", leverage=1)
    assert api_error(market, client, "BTCUSDT", "BUY", "1.000").code == -2019
    assert client.futures_get_all_orders(symbol="BTCUSDT") == []


def test_it_sends_conditional_types_on_the_order_endpoint_away_with_4120(client):
    err = api_error(
        client._request_futures_api,
        "post",
        "order",
        True,
        data={
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "STOP_MARKET",
            "quantity": "0.010",
            "stopPrice": "1000.0",
        },
    )
    assert err.code == -4120


def test_it_validates_leverage_with_4028(client):
    assert api_error(client.futures_change_leverage, symbol="BTCUSDT", leverage=0).code == -4028
    assert api_error(client.futures_change_leverage, symbol="BTCUSDT", leverage=126).code == -4028
    assert client.futures_change_leverage(symbol="BTCUSDT", leverage=125)["leverage"] == 125


def test_it_answers_4046_when_the_margin_type_is_unchanged(client):
    err = api_error(client.futures_change_margin_type, symbol="ETHUSDT", marginType="CROSSED")
    assert err.code == -4046
    assert client.futures_change_margin_type(symbol="ETHUSDT", marginType="ISOLATED") == {
        "code": 200,
        "msg": "success",
    }
    assert (
        api_error(client.futures_change_margin_type, symbol="ETHUSDT", marginType="ISOLATED").code
        == -4046
    )


def test_it_rejects_reduce_only_orders_that_would_not_reduce_with_2022(client):
    err = api_error(market, client, "BTCUSDT", "SELL", "0.010", reduceOnly="true")
    assert err.code == -2022
    market(client, "BTCUSDT", "BUY", "0.010")
    assert api_error(market, client, "BTCUSDT", "BUY", "0.010", reduceOnly="true").code == -2022
    closed = market(client, "BTCUSDT", "SELL", "0.050", reduceOnly="true")
    assert closed["executedQty"] == "0.010"  # clipped to the position, never flipped
    assert client.futures_position_information(symbol="BTCUSDT") == []


def test_it_reports_unknown_orders_with_2013_and_2011(client):
    assert api_error(client.futures_get_order, symbol="BTCUSDT", orderId=1).code == -2013
    assert (
        api_error(client.futures_get_order, symbol="BTCUSDT", origClientOrderId="never-sent").code
        == -2013
    )
    assert api_error(client.futures_cancel_order, symbol="BTCUSDT", orderId=1).code == -2011
    filled = market(client, "BTCUSDT", "BUY", "0.002")
    err = api_error(client.futures_cancel_order, symbol="BTCUSDT", orderId=filled["orderId"])
    assert err.code == -2011
