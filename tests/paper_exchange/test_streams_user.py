"""The user data stream: listen keys and the events of an account's orders and fills."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

from binance.client import Client
from websockets.sync.client import connect

from tests.support.paper_exchange import PaperExchange, api_error, last_price, limit, market

# Binance's documented ORDER_TRADE_UPDATE "o" fields (USD-M user data streams).
ORDER_FIELDS = {
    "s",
    "c",
    "S",
    "o",
    "f",
    "q",
    "p",
    "ap",
    "sp",
    "x",
    "X",
    "i",
    "l",
    "z",
    "L",
    "N",
    "n",
    "T",
    "t",
    "b",
    "a",
    "m",
    "R",
    "wt",
    "ot",
    "ps",
    "cp",
    "rp",
    "pP",
    "si",
    "ss",
    "V",
    "pm",
    "gtd",
}
ALGO_FIELDS = {
    "caid",
    "aid",
    "at",
    "o",
    "s",
    "S",
    "ps",
    "f",
    "q",
    "X",
    "ai",
    "ap",
    "aq",
    "act",
    "tp",
    "p",
    "V",
    "wt",
    "pm",
    "cp",
    "pP",
    "R",
    "tt",
    "gtd",
    "rm",
}


def events(ws: Any, until: Any, timeout: float = 8.0) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not until(seen):
        seen.append(json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic()))))
    return seen


def test_fill_pushes_order_and_account_updates(venue: PaperExchange, client: Client) -> None:
    key = client.futures_stream_get_listen_key()
    assert client.futures_stream_keepalive(key) == {"listenKey": key}
    with connect(f"ws://127.0.0.1:{venue.port}/private/ws/{key}") as ws:
        order = market(client, "BTCUSDT", "BUY", "0.01")
        seen = events(
            ws,
            lambda s: (
                any(e["e"] == "ACCOUNT_UPDATE" for e in s)
                and any(e["e"] == "ORDER_TRADE_UPDATE" and e["o"]["x"] == "TRADE" for e in s)
            ),
        )
    updates = [e for e in seen if e["e"] == "ORDER_TRADE_UPDATE"]
    assert [u["o"]["x"] for u in updates] == ["NEW", "TRADE"]
    trade = updates[-1]["o"]
    assert set(trade) == ORDER_FIELDS and trade["i"] == order["orderId"]
    assert trade["X"] == "FILLED" and trade["z"] == trade["l"] == "0.010"
    account = next(e for e in seen if e["e"] == "ACCOUNT_UPDATE")
    assert account["a"]["m"] == "ORDER"
    assert account["a"]["P"][0]["s"] == "BTCUSDT" and account["a"]["P"][0]["pa"] == "0.010"
    assert account["a"]["B"][0]["a"] == "USDT"


def test_algo_order_pushes_algo_update(venue: PaperExchange, client: Client) -> None:
    key = client.futures_stream_get_listen_key()
    with connect(f"ws://127.0.0.1:{venue.port}/ws/{key}") as ws:  # the legacy path
        price = float(client.futures_mark_price(symbol="BTCUSDT")["markPrice"])
        client.futures_create_order(
            symbol="BTCUSDT",
            side="BUY",
            type="STOP_MARKET",
            quantity="0.01",
            triggerPrice=f"{price * 1.5:.1f}",
        )
        seen = events(ws, lambda s: any(e["e"] == "ALGO_UPDATE" for e in s))
    algo = seen[-1]["o"]
    assert set(algo) == ALGO_FIELDS and algo["X"] == "NEW" and algo["o"] == "STOP_MARKET"


def test_listen_key_expires_without_keepalive(venue_factory: Any) -> None:
    venue = venue_factory("--listen-key-ttl", "1")
    client = venue.client(venue.create_account("lapse"))
    key = client.futures_stream_get_listen_key()
    with connect(f"ws://127.0.0.1:{venue.port}/private/ws/{key}") as ws:
        seen = events(ws, lambda s: bool(s), timeout=5)
    assert seen[0]["e"] == "listenKeyExpired" and seen[0]["listenKey"] == key
    assert api_error(client.futures_stream_keepalive, key).code == -1125
    assert client.futures_stream_get_listen_key() != key  # POST makes a new one


def test_a_modified_order_is_pushed_as_an_amendment(venue: PaperExchange, client: Client) -> None:
    price = float(client.futures_mark_price(symbol="BTCUSDT")["markPrice"])
    order = limit(client, "BTCUSDT", "BUY", "0.010", f"{price * 0.9:.1f}")
    key = client.futures_stream_get_listen_key()
    with connect(f"ws://127.0.0.1:{venue.port}/private/ws/{key}") as ws:
        client.futures_modify_order(
            symbol="BTCUSDT",
            orderId=order["orderId"],
            side="BUY",
            quantity="0.020",
            price=f"{price * 0.85:.1f}",
        )
        (update,) = events(ws, lambda s: any(e["e"] == "ORDER_TRADE_UPDATE" for e in s))
    o = update["o"]
    assert (o["i"], o["x"], o["X"]) == (order["orderId"], "AMENDMENT", "NEW")
    assert o["q"] == "0.020" and float(o["p"]) == float(f"{price * 0.85:.1f}")


def test_a_triggered_algo_order_reports_what_its_order_executed(
    venue: PaperExchange, client: Client
) -> None:
    market(client, "BTCUSDT", "BUY", "0.010")
    last = last_price(client, "BTCUSDT")
    client.futures_create_order(
        symbol="BTCUSDT",
        side="SELL",
        type="STOP_MARKET",
        triggerPrice=str((last * Decimal("0.99")).quantize(Decimal("0.1"))),
        quantity="0.010",
        reduceOnly="true",
    )
    key = client.futures_stream_get_listen_key()
    with connect(f"ws://127.0.0.1:{venue.port}/private/ws/{key}") as ws:
        venue.set_price("BTCUSDT", str((last * Decimal("0.98")).quantize(Decimal("0.1"))))
        seen = events(ws, lambda s: any(e["e"] == "ALGO_UPDATE" for e in s))
    algo = next(e["o"] for e in seen if e["e"] == "ALGO_UPDATE")
    assert algo["X"] == "FINISHED" and algo["ai"]
    # Binance: ap and aq are the average price and quantity executed by the triggered order.
    order = client.futures_get_order(symbol="BTCUSDT", orderId=int(algo["ai"]))
    assert order["status"] == "FILLED"
    assert Decimal(algo["aq"]) == Decimal(order["executedQty"]) == Decimal("0.010")
    assert Decimal(algo["ap"]) == Decimal(order["avgPrice"])
