"""LIMIT orders: GTC rests and fills as maker when the last price crosses; IOC/FOK never rest."""

from decimal import Decimal

from tests.support.paper_exchange import api_error, last_price, position

MAKER = Decimal("0.0002")


def _limit(client, side, price, tif="GTC", qty="0.010", **extra):
    return client.futures_create_order(
        symbol="BTCUSDT",
        side=side,
        type="LIMIT",
        timeInForce=tif,
        quantity=qty,
        price=str(price),
        newOrderRespType="RESULT",
        **extra,
    )


def _below(client, pct):
    return (last_price(client, "BTCUSDT") * (1 - Decimal(pct) / 100)).quantize(Decimal("0.1"))


def test_it_rests_a_gtc_limit_and_fills_it_as_maker_when_the_price_crosses(venue, client):
    price = _below(client, 2)
    order = _limit(client, "BUY", price)
    assert order["status"] == "NEW"
    assert [o["orderId"] for o in client.futures_get_open_orders(symbol="BTCUSDT")] == [
        order["orderId"]
    ]
    assert Decimal(client.futures_account()["totalOpenOrderInitialMargin"]) > 0
    venue.set_price("BTCUSDT", str(price - 50))
    done = client.futures_get_order(symbol="BTCUSDT", orderId=order["orderId"])
    assert done["status"] == "FILLED" and Decimal(done["avgPrice"]) == price
    trade = client.futures_account_trades(symbol="BTCUSDT", orderId=order["orderId"])[0]
    assert trade["maker"] is True
    assert Decimal(trade["commission"]) == (price * Decimal("0.010") * MAKER).quantize(
        Decimal("0.00000001")
    )
    assert Decimal(position(client, "BTCUSDT")["entryPrice"]) == price
    assert client.futures_get_open_orders(symbol="BTCUSDT") == []


def test_it_fills_a_crossing_limit_at_once_as_taker_at_the_touch(client):
    limit = (last_price(client, "BTCUSDT") * Decimal("1.01")).quantize(Decimal("0.1"))
    order = _limit(client, "BUY", limit)
    assert order["status"] == "FILLED" and Decimal(order["avgPrice"]) <= limit
    trade = client.futures_account_trades(symbol="BTCUSDT", orderId=order["orderId"])[0]
    assert trade["maker"] is False


def test_it_expires_ioc_and_fok_orders_that_do_not_cross(client):
    price = _below(client, 3)
    for tif in ("IOC", "FOK"):
        order = _limit(client, "BUY", price, tif=tif)
        assert order["status"] == "EXPIRED" and order["executedQty"] == "0.000"
    assert client.futures_get_open_orders(symbol="BTCUSDT") == []
    filled = _limit(client, "SELL", _below(client, 1), tif="FOK")
    assert filled["status"] == "FILLED"


def test_it_rejects_a_crossing_post_only_order(client):
    err = api_error(_limit, client, "BUY", _below(client, -1), tif="GTX")
    assert err.code == -5022


def test_it_cancels_one_order_and_all_open_orders_of_a_symbol(client):
    first = _limit(client, "BUY", _below(client, 5), newClientOrderId="cancel-me-1")
    _limit(client, "BUY", _below(client, 6))
    canceled = client.futures_cancel_order(symbol="BTCUSDT", origClientOrderId="cancel-me-1")
    assert canceled["status"] == "CANCELED" and canceled["orderId"] == first["orderId"]
    assert len(client.futures_get_open_orders(symbol="BTCUSDT")) == 1
    done = client.futures_cancel_all_open_orders(symbol="BTCUSDT")
    assert done == {"code": 200, "msg": "The operation of cancel all open order is done."}
    assert client.futures_get_open_orders() == []
    statuses = [o["status"] for o in client.futures_get_all_orders(symbol="BTCUSDT")]
    assert statuses == ["CANCELED", "CANCELED"]
