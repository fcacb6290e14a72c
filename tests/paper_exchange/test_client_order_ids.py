"""A client order id is never accepted twice by default (-4116); Binance's rule on request."""

from tests.support.paper_exchange import api_error, market


def test_it_rejects_a_client_order_id_used_before_even_once_closed(client):
    market(client, "BTCUSDT", "BUY", "0.002", newClientOrderId="desk-1")
    err = api_error(market, client, "BTCUSDT", "BUY", "0.002", newClientOrderId="desk-1")
    assert err.code == -4116 and err.message == "ClientOrderId is duplicated."
    assert len(client.futures_get_all_orders(symbol="BTCUSDT")) == 1


def test_it_finds_the_order_by_its_client_order_id(client):
    sent = market(client, "ETHUSDT", "BUY", "0.010", newClientOrderId="desk-find")
    found = client.futures_get_order(symbol="ETHUSDT", origClientOrderId="desk-find")
    assert found["orderId"] == sent["orderId"] and found["status"] == "FILLED"


def test_it_rejects_illegal_client_order_ids(client):
    assert (
        api_error(market, client, "BTCUSDT", "BUY", "0.002", newClientOrderId="bad id!").code
        == -1100
    )


def test_it_follows_binance_open_orders_rule_in_loose_mode(venue_factory):
    loose = venue_factory("--loose-client-order-ids")
    client = loose.client(loose.create_account("loose"))
    market(client, "BTCUSDT", "BUY", "0.002", newClientOrderId="again")
    market(client, "BTCUSDT", "BUY", "0.002", newClientOrderId="again")  # closed: reusable
    client.futures_create_order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.010",
        price="10000.0",
        newClientOrderId="open-1",
    )
    err = api_error(
        client.futures_create_order,
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.010",
        price="10000.0",
        newClientOrderId="open-1",
    )
    assert err.code == -4116
