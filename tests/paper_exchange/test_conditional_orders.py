"""Conditional orders go to /fapi/v1/algoOrder; which price they trigger on: test_triggers.py."""

from decimal import Decimal

from tests.support.paper_exchange import api_error, mark_price, market, position

TICK = Decimal("0.1")


def _at(client, pct):
    return (mark_price(client, "BTCUSDT") * (1 + Decimal(pct) / 100)).quantize(TICK)


def test_it_triggers_a_close_position_stop_market_on_the_mark(venue, client):
    market(client, "BTCUSDT", "BUY", "0.010")
    stop = client.futures_create_order(
        symbol="BTCUSDT",
        side="SELL",
        type="STOP_MARKET",
        stopPrice=str(_at(client, -1)),
        closePosition="true",
        workingType="MARK_PRICE",
    )
    assert stop["algoType"] == "CONDITIONAL" and stop["algoStatus"] == "NEW"
    assert stop["orderType"] == "STOP_MARKET" and stop["closePosition"] is True
    assert [a["algoId"] for a in client.futures_get_open_orders(conditional=True)] == [
        stop["algoId"]
    ]
    venue.set_price("BTCUSDT", str(_at(client, -2)))
    done = client.futures_get_order(symbol="BTCUSDT", algoId=stop["algoId"])
    assert done["algoStatus"] == "FINISHED" and done["actualOrderId"]
    actual = client.futures_get_order(symbol="BTCUSDT", orderId=int(done["actualOrderId"]))
    assert actual["status"] == "FILLED" and actual["origType"] == "STOP_MARKET"
    assert actual["executedQty"] == "0.010"
    assert client.futures_position_information(symbol="BTCUSDT") == []


def test_it_triggers_a_take_profit_on_a_short(venue, client):
    market(client, "BTCUSDT", "SELL", "0.010")
    tp = client.futures_create_order(
        symbol="BTCUSDT",
        side="BUY",
        type="TAKE_PROFIT_MARKET",
        stopPrice=str(_at(client, -1)),
        quantity="0.004",
        reduceOnly="true",
        clientAlgoId="tp-1",
    )
    assert tp["clientAlgoId"] == "tp-1" and tp["reduceOnly"] is True
    venue.set_price("BTCUSDT", str(_at(client, -2)))
    done = client.futures_get_order(symbol="BTCUSDT", clientAlgoId="tp-1")
    assert done["algoStatus"] == "FINISHED"
    assert position(client, "BTCUSDT")["positionAmt"] == "-0.006"


def test_it_trails_the_best_mark_and_triggers_on_the_callback(venue, client):
    market(client, "BTCUSDT", "BUY", "0.010")
    trail = client.futures_create_order(
        symbol="BTCUSDT",
        side="SELL",
        type="TRAILING_STOP_MARKET",
        callbackRate="1",
        quantity="0.010",
        reduceOnly="true",
    )
    assert trail["callbackRate"] == "1"
    high = _at(client, 3)
    venue.set_price("BTCUSDT", str(high))
    venue.set_price("BTCUSDT", str((high * Decimal("0.995")).quantize(TICK)))
    still = client.futures_get_order(symbol="BTCUSDT", algoId=trail["algoId"])
    assert still["algoStatus"] == "NEW"  # 0.5 % off the top: inside the 1 % callback
    venue.set_price("BTCUSDT", str((high * Decimal("0.985")).quantize(TICK)))
    done = client.futures_get_order(symbol="BTCUSDT", algoId=trail["algoId"])
    assert done["algoStatus"] == "FINISHED"
    assert client.futures_position_information(symbol="BTCUSDT") == []


def test_it_rejects_a_stop_that_would_trigger_immediately_with_2021(client):
    err = api_error(
        client.futures_create_order,
        symbol="BTCUSDT",
        side="SELL",
        type="STOP_MARKET",
        stopPrice=str(_at(client, 1)),
        quantity="0.010",
    )
    assert err.code == -2021


def test_it_cancels_conditional_orders(client):
    algo = client.futures_create_order(
        symbol="BTCUSDT",
        side="BUY",
        type="STOP_MARKET",
        stopPrice=str(_at(client, 5)),
        quantity="0.010",
    )
    canceled = client.futures_cancel_order(symbol="BTCUSDT", algoId=algo["algoId"])
    assert canceled["code"] == "200" and canceled["algoId"] == algo["algoId"]
    again = api_error(client.futures_cancel_order, symbol="BTCUSDT", algoId=algo["algoId"])
    assert again.code == -2011
    assert (
        client.futures_get_order(symbol="BTCUSDT", algoId=algo["algoId"])["algoStatus"]
        == "CANCELED"
    )
    assert client.futures_get_open_orders(conditional=True) == []
