"""kill -9 and start again: the account is exactly as it was."""

from tests.support.paper_exchange import api_error, market


def _snapshot(client):
    account = client.futures_account()
    return {
        "wallet": account["totalWalletBalance"],
        "positions": [
            (p["symbol"], p["positionAmt"], p["entryPrice"], p["leverage"])
            for p in account["positions"]
        ],
        "open": client.futures_get_open_orders(),
        "algos": client.futures_get_open_orders(conditional=True),
        "orders": client.futures_get_all_orders(symbol="BTCUSDT"),
        "trades": client.futures_account_trades(symbol="BTCUSDT"),
        "income": client.futures_income_history(limit=1000),
    }


def test_it_keeps_the_whole_account_across_a_kill_9(venue_factory):
    venue = venue_factory()
    account = venue.create_account("durable")
    client = venue.client(account)
    client.futures_change_leverage(symbol="BTCUSDT", leverage=5)
    market(client, "BTCUSDT", "BUY", "0.010", newClientOrderId="before-crash")
    market(client, "BTCUSDT", "SELL", "0.004")
    client.futures_create_order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.010",
        price="10000.0",
        newClientOrderId="resting",
    )
    client.futures_create_order(
        symbol="BTCUSDT", side="SELL", type="STOP_MARKET", stopPrice="10000.0", closePosition="true"
    )
    history = client.futures_klines(symbol="BTCUSDT", interval="1h", limit=24)
    before = _snapshot(client)

    venue.kill()
    venue.start()
    client = venue.client(account)

    assert _snapshot(client) == before
    assert client.futures_klines(symbol="BTCUSDT", interval="1h", limit=24)[:-2] == history[:-2]
    err = api_error(market, client, "BTCUSDT", "BUY", "0.002", newClientOrderId="before-crash")
    assert err.code == -4116


def test_it_stops_cleanly_on_sigterm(venue_factory):
    venue = venue_factory()
    assert venue.stop() == 0
