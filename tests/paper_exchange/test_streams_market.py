"""Market streams on the venue's port, read with a real WebSocket client (websockets)."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support.paper_exchange import PaperExchange

# Binance's documented payloads (USD-M "Mark Price Stream", "Kline/Candlestick Streams",
# "Aggregate Trade Streams", "Individual Symbol Book Ticker Streams").
MARK_FIELDS = {"e", "E", "s", "p", "i", "P", "r", "T"}
KLINE_FIELDS = {"e", "E", "s", "k"}
KLINE_K_FIELDS = {
    "t",
    "T",
    "s",
    "i",
    "f",
    "L",
    "o",
    "c",
    "h",
    "l",
    "v",
    "n",
    "x",
    "q",
    "V",
    "Q",
    "B",
}
AGG_TRADE_FIELDS = {"e", "E", "s", "a", "p", "q", "f", "l", "T", "m"}
BOOK_TICKER_FIELDS = {"e", "u", "E", "T", "s", "b", "B", "a", "A"}


def ws_url(venue: PaperExchange, path: str) -> str:
    return f"ws://127.0.0.1:{venue.port}{path}"


def next_json(ws: ClientConnection, timeout: float = 5.0) -> Any:
    return json.loads(ws.recv(timeout=timeout))


def first(ws: ClientConnection, match: Any, timeout: float = 8.0) -> Any:
    """The first message for which match(message) holds."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no matching message")
        message = next_json(ws, left)
        if match(message):
            return message


def test_raw_mark_price_stream_has_binances_fields(venue: PaperExchange) -> None:
    with connect(ws_url(venue, "/market/ws/btcusdt@markPrice@1s")) as ws:
        event = next_json(ws)
    assert set(event) == MARK_FIELDS
    assert event["e"] == "markPriceUpdate" and event["s"] == "BTCUSDT"
    assert Decimal(event["p"]) > 0 and isinstance(event["T"], int)
    assert event["T"] % (8 * 3600 * 1000) == 0


def test_combined_stream_wraps_each_event(venue: PaperExchange) -> None:
    streams = "btcusdt@kline_1m/ethusdt@markPrice@1s"
    with connect(ws_url(venue, f"/market/stream?streams={streams}")) as ws:
        kline = first(ws, lambda m: m["stream"] == "btcusdt@kline_1m")
        mark = first(ws, lambda m: m["stream"] == "ethusdt@markPrice@1s")
    assert set(kline) == {"stream", "data"}
    assert set(kline["data"]) == KLINE_FIELDS and set(kline["data"]["k"]) == KLINE_K_FIELDS
    k = kline["data"]["k"]
    assert k["i"] == "1m" and k["T"] - k["t"] == 59_999 and k["x"] is False
    assert Decimal(k["l"]) <= Decimal(k["c"]) <= Decimal(k["h"])
    assert mark["data"]["s"] == "ETHUSDT" and set(mark["data"]) == MARK_FIELDS


def test_book_ticker_on_public_route_and_agg_trade(venue: PaperExchange) -> None:
    with connect(ws_url(venue, "/public/ws/btcusdt@bookTicker")) as ws:
        book = next_json(ws)
    assert set(book) == BOOK_TICKER_FIELDS
    assert Decimal(book["b"]) < Decimal(book["a"])
    # The tape prints every 5 s of exchange time: wait for one print.
    with connect(ws_url(venue, "/market/ws/btcusdt@aggTrade")) as ws:
        trade = next_json(ws, timeout=8)
    assert set(trade) == AGG_TRADE_FIELDS and trade["e"] == "aggTrade"
    assert trade["a"] == trade["f"] == trade["l"] and trade["T"] % 5000 == 0


def test_wrong_route_delivers_nothing_as_on_binance(venue: PaperExchange) -> None:
    # bookTicker belongs to /public: on /market it is accepted and silent.
    with connect(ws_url(venue, "/market/ws/btcusdt@bookTicker")) as ws, pytest.raises(TimeoutError):
        ws.recv(timeout=1.0)


def test_subscribe_list_unsubscribe(venue: PaperExchange) -> None:
    with connect(ws_url(venue, "/ws")) as ws:
        ws.send(
            json.dumps(
                {
                    "method": "SUBSCRIBE",
                    "params": ["btcusdt@markPrice@1s", "!markPrice@arr@1s"],
                    "id": 1,
                }
            )
        )
        assert first(ws, lambda m: "id" in m) == {"result": None, "id": 1}
        arr = first(ws, lambda m: isinstance(m, list))
        assert {e["s"] for e in arr} >= {"BTCUSDT", "ETHUSDT"}
        assert all(set(e) == MARK_FIELDS for e in arr)
        ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 2}))
        listed = first(ws, lambda m: isinstance(m, dict) and m.get("id") == 2)
        assert listed == {"result": ["btcusdt@markPrice@1s", "!markPrice@arr@1s"], "id": 2}
        ws.send(
            json.dumps(
                {
                    "method": "UNSUBSCRIBE",
                    "params": ["btcusdt@markPrice@1s", "!markPrice@arr@1s"],
                    "id": 3,
                }
            )
        )
        assert first(ws, lambda m: isinstance(m, dict) and m.get("id") == 3) == {
            "result": None,
            "id": 3,
        }
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["nosuch@markPrice"], "id": 4}))
        error = first(ws, lambda m: isinstance(m, dict) and m.get("id") == 4)
        assert error["error"]["code"] == 2
        # Nothing subscribed any more: the connection is quiet.
        with pytest.raises(TimeoutError):
            ws.recv(timeout=1.5)


def test_admin_price_move_pushes_mark_within_100ms(venue: PaperExchange) -> None:
    with connect(ws_url(venue, "/market/ws/solusdt@markPrice")) as ws:
        next_json(ws)  # the subscription's first event; the next is 3 s away unless pushed
        price = "123.45"
        sent = time.monotonic()
        requests.post(
            f"{venue.base_url}/paper/v1/price",
            json={"symbol": "SOLUSDT", "price": price},
            headers={"X-PAPER-ADMIN-TOKEN": venue.admin_token},
            timeout=5,
        ).raise_for_status()
        event = next_json(ws, timeout=2)
        elapsed = time.monotonic() - sent
    assert elapsed < 0.1 + 0.1, elapsed  # the admin call's own round trip included
    assert abs(Decimal(event["p"]) - Decimal(price)) / Decimal(price) < Decimal("0.01")
    clock = requests.get(f"{venue.base_url}/paper/v1/clock", timeout=5).json()["time"]
    assert 0 <= clock - event["E"] < 2000  # E is the venue clock's time of sending


def test_the_venue_stamps_the_mark_it_sent_and_the_order_it_received(
    venue: PaperExchange, account: dict[str, Any]
) -> None:
    since = venue.events("ETHUSDT")["now"]
    with connect(ws_url(venue, "/market/ws/ethusdt@markPrice")) as ws:
        next_json(ws)
        venue.set_price("ETHUSDT", "2500.00")
        event = next_json(ws, timeout=2)  # pushed by the move (the next beat is 3 s away)
        client = venue.client(account)
        client.futures_create_order(
            symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.010", newClientOrderId="e-1"
        )
    doc = venue.events("ETHUSDT", since)
    marks = [e for e in doc["sent"] if e["kind"] == "mark"]
    assert Decimal(event["p"]) in [Decimal(e["detail"]) for e in marks]
    (order,) = doc["orders"]
    assert (order["clientOrderId"], order["side"], order["reduceOnly"]) == ("e-1", "BUY", "false")
    assert since < marks[-1]["ms"] < order["ms"] <= doc["now"]  # one clock, in order
    assert venue.events("ETHUSDT", doc["now"])["orders"] == []  # `since` leaves the read out
    unauthorised = requests.get(f"{venue.base_url}/paper/v1/events?symbol=ETHUSDT", timeout=5)
    assert unauthorised.status_code == 401


def test_drop_fault_closes_stream_sockets(venue: PaperExchange) -> None:
    with connect(ws_url(venue, "/market/ws/btcusdt@markPrice@1s")) as ws:
        next_json(ws)
        venue.set_fault("drop", paths=["/market/"], count=1)
        with pytest.raises(ConnectionClosed):
            for _ in range(10):
                ws.recv(timeout=3)
    venue.clear_faults()
    # REST is untouched by a stream fault.
    assert requests.get(f"{venue.base_url}/fapi/v1/ping", timeout=5).json() == {}


def test_python_binance_socket_manager_reads_the_venue(venue: PaperExchange) -> None:
    import asyncio

    from binance import AsyncClient, BinanceSocketManager

    async def read() -> dict[str, Any]:
        client = AsyncClient()
        client.FUTURES_URL = f"{venue.base_url}/fapi"
        manager = BinanceSocketManager(client)
        manager.FSTREAM_URL = f"ws://127.0.0.1:{venue.port}/"
        try:
            async with manager.symbol_mark_price_socket("BTCUSDT", fast=True) as stream:
                return await asyncio.wait_for(stream.recv(), 8)
        finally:
            await client.close_connection()

    message = asyncio.run(read())
    assert message["stream"] == "btcusdt@markPrice@1s"
    assert set(message["data"]) == MARK_FIELDS
