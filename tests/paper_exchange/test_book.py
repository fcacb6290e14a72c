"""The book the venue publishes is the book it fills against: a market order walks its levels,
an IOC fills partly and expires, a FOK fills whole or not at all, a resting limit fills when
the price trades through it; the same seed gives the same book.

The book refreshes at every 5-second point of the exchange clock and its levels sit around the
last price, which moves inside a point. These tests run the venue's clock at a thousandth of the
wall clock (a point lasts 83 minutes), so the book holds still between a test's reads and its
orders on a loaded machine; a test still starts over when the clock moved the book under it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from binance.client import Client
from websockets.sync.client import connect

from apps.paper_exchange.engine.book import ASKS, BIDS, Book
from apps.paper_exchange.market import MINUTE_MS, Market
from tests.paper_exchange.ccxt_venue import ccxt_exchange
from tests.paper_exchange.test_streams_user import events
from tests.support.paper_exchange import NO_RATE_LIMITS, PaperExchange

SOL = "SOL/USDT:USDT"
POINT_MS = 5_000
Level = tuple[Decimal, Decimal]


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperExchange]:
    exchange = PaperExchange(
        tmp_path_factory.mktemp("book"), speed=0.001, extra_args=NO_RATE_LIMITS
    )
    exchange.start()
    yield exchange
    exchange.stop()


def _levels(rows: list[list[Any]]) -> list[Level]:
    return [(Decimal(str(p)), Decimal(str(q))) for p, q, *_ in rows]


def _book(client: Client, symbol: str = "SOLUSDT") -> dict[str, Any]:
    doc = client.futures_order_book(symbol=symbol, limit=5)
    return {"T": doc["T"], "bids": _levels(doc["bids"]), "asks": _levels(doc["asks"])}


def _on_one_book(attempt: Callable[[], bool], tries: int = 6) -> None:
    """Run `attempt` until it saw one book from start to end (it says so)."""
    for _ in range(tries):
        if attempt():
            return
    raise AssertionError(f"the book moved under every one of {tries} attempts")


def _trades(client: Client, order_id: int) -> list[dict[str, Any]]:
    return client.futures_account_trades(symbol="SOLUSDT", orderId=order_id)


def _limit(
    client: Client, side: str, tif: str, qty: Decimal, price: Decimal, symbol: str = "SOLUSDT"
) -> dict[str, Any]:
    return client.futures_create_order(
        symbol=symbol,
        side=side,
        type="LIMIT",
        timeInForce=tif,
        quantity=str(qty),
        price=str(price),
        newOrderRespType="RESULT",
    )


def _fills(trades: list[dict[str, Any]]) -> list[Level]:
    return [(Decimal(t["price"]), Decimal(t["qty"])) for t in trades]


def test_it_walks_the_published_levels_with_a_market_order(venue: PaperExchange) -> None:
    account = venue.create_account("walker", balance="1000000")
    ex = ccxt_exchange(venue, account)
    ex.load_markets()
    client = venue.client(account)
    seen: dict[str, Any] = {}

    def attempt() -> bool:
        before = ex.fetch_order_book(SOL, 5)
        asks = _levels(before["asks"])
        qty = asks[0][1] + asks[1][1] + asks[2][1] + 7
        order = ex.create_order(SOL, "market", "buy", float(qty))
        trades = _trades(client, int(order["id"]))
        after = _book(client)
        times = {before["timestamp"] // POINT_MS, after["T"] // POINT_MS}
        times |= {t["time"] // POINT_MS for t in trades}
        seen.update(asks=asks, order=order, trades=trades, after=after, qty=qty)
        return len(times) == 1 and after["bids"][0] == _levels(before["bids"])[0]

    _on_one_book(attempt)
    asks, trades, qty = seen["asks"], seen["trades"], seen["qty"]
    # Three levels taken whole, seven from the fourth: one trade each, all as taker.
    assert _fills(trades) == [*asks[:3], (asks[3][0], Decimal(7))]
    assert all(t["maker"] is False for t in trades)
    order = ex.fetch_order(seen["order"]["id"], SOL)
    vwap = sum(p * q for p, q in _fills(trades)) / qty
    assert order["status"] == "closed" and Decimal(str(order["filled"])) == qty
    assert Decimal(order["info"]["avgPrice"]) == vwap.quantize(Decimal("0.00000001"))
    assert Decimal(order["info"]["avgPrice"]) > asks[0][0]  # slippage past the touch
    # What was taken is gone from the published book until it refreshes.
    assert seen["after"]["asks"][0] == (asks[3][0], asks[3][1] - 7)
    assert seen["after"]["asks"][1] == asks[4]


def test_an_ioc_limit_fills_the_levels_within_its_price_and_expires(
    venue: PaperExchange,
) -> None:
    client = venue.client(venue.create_account("ioc", balance="1000000"))
    key = client.futures_stream_get_listen_key()
    seen: dict[str, Any] = {}

    def attempt() -> bool:
        with connect(f"ws://127.0.0.1:{venue.port}/private/ws/{key}") as ws:
            bids = _book(client)["bids"]
            qty = bids[0][1] + bids[1][1] + 5
            order = _limit(client, "SELL", "IOC", qty, bids[1][0])
            updates = events(
                ws,
                lambda s: any(
                    e["e"] == "ORDER_TRADE_UPDATE" and e["o"]["X"] == "EXPIRED" for e in s
                ),
            )
        seen.update(bids=bids, order=order, updates=updates, qty=qty)
        return _fills(_trades(client, order["orderId"])) == bids[:2]

    _on_one_book(attempt)
    bids, order = seen["bids"], seen["order"]
    taken = bids[0][1] + bids[1][1]
    assert order["status"] == "EXPIRED" and Decimal(order["executedQty"]) == taken
    updates = [e["o"] for e in seen["updates"] if e["e"] == "ORDER_TRADE_UPDATE"]
    assert [(u["x"], u["X"]) for u in updates] == [
        ("NEW", "NEW"),
        ("TRADE", "PARTIALLY_FILLED"),
        ("TRADE", "PARTIALLY_FILLED"),
        ("EXPIRED", "EXPIRED"),
    ]
    assert [(Decimal(u["L"]), Decimal(u["l"])) for u in updates[1:3]] == bids[:2]
    assert Decimal(updates[-1]["z"]) == taken


def test_a_fok_limit_fills_whole_or_not_at_all(venue: PaperExchange) -> None:
    client = venue.client(venue.create_account("fok", balance="1000000"))
    seen: dict[str, Any] = {}

    def fok(price: Decimal, qty: Decimal) -> dict[str, Any]:
        return _limit(client, "BUY", "FOK", qty, price)

    def attempt() -> bool:
        asks = _book(client)["asks"]
        within = asks[0][1] + asks[1][1]
        refused = fok(asks[1][0], within + 1)
        unchanged = _book(client)["asks"]
        filled = fok(asks[1][0], within)
        seen.update(asks=asks, refused=refused, unchanged=unchanged, filled=filled)
        return _fills(_trades(client, filled["orderId"])) == asks[:2]

    _on_one_book(attempt)
    asks, refused = seen["asks"], seen["refused"]
    assert refused["status"] == "EXPIRED" and Decimal(refused["executedQty"]) == 0
    assert _trades(client, refused["orderId"]) == []
    assert seen["unchanged"] == asks  # nothing was taken
    assert seen["filled"]["status"] == "FILLED"


def test_a_crossing_gtc_limit_rests_its_rest_and_fills_when_the_price_trades_through(
    venue: PaperExchange,
) -> None:
    client = venue.client(venue.create_account("gtc", balance="1000000"))
    seen: dict[str, Any] = {}

    def attempt() -> bool:
        client.futures_cancel_all_open_orders(symbol="SOLUSDT")
        asks = _book(client)["asks"]
        order = _limit(client, "BUY", "GTC", asks[0][1] + 3, asks[0][0])
        seen.update(asks=asks, order=order)
        return _fills(_trades(client, order["orderId"])) == asks[:1]

    _on_one_book(attempt)
    asks, order = seen["asks"], seen["order"]
    assert order["status"] == "PARTIALLY_FILLED"
    assert Decimal(order["executedQty"]) == asks[0][1]
    # The rest is priced above the last price, so the clock's next tick (100 ms) fills it: on
    # a loaded machine that may come before this read.
    open_ids = [o["orderId"] for o in client.futures_get_open_orders(symbol="SOLUSDT")]
    if not open_ids:
        assert client.futures_get_order(symbol="SOLUSDT", orderId=order["orderId"])["status"] == (
            "FILLED"
        )
    else:
        assert open_ids == [order["orderId"]]
    venue.set_price("SOLUSDT", str(asks[0][0] - Decimal("0.50")))
    done = client.futures_get_order(symbol="SOLUSDT", orderId=order["orderId"])
    assert done["status"] == "FILLED" and Decimal(done["executedQty"]) == asks[0][1] + 3
    rest = _trades(client, order["orderId"])[-1]
    assert rest["maker"] is True and Decimal(rest["price"]) == asks[0][0]


def test_a_resting_limit_waits_at_its_own_price_and_fills_through_it(
    venue: PaperExchange,
) -> None:
    client = venue.client(venue.create_account("through", balance="100000"))
    last = Decimal(client.futures_symbol_ticker(symbol="XRPUSDT")["price"])
    price = last - Decimal("0.0100")
    order = _limit(client, "BUY", "GTC", Decimal(20), price, symbol="XRPUSDT")
    venue.set_price("XRPUSDT", str(price))  # reached, not traded through
    assert client.futures_get_order(symbol="XRPUSDT", orderId=order["orderId"])["status"] == "NEW"
    venue.set_price("XRPUSDT", str(price - Decimal("0.0010")))
    done = client.futures_get_order(symbol="XRPUSDT", orderId=order["orderId"])
    assert done["status"] == "FILLED" and Decimal(done["avgPrice"]) == price


def test_bookticker_shows_the_depth_touch_and_its_stream_what_a_fill_left(
    venue: PaperExchange,
) -> None:
    client = venue.client(venue.create_account("ticker", balance="1000000"))

    def same_point() -> bool:
        ticker = client.futures_orderbook_ticker(symbol="SOLUSDT")
        book = _book(client)
        if ticker["time"] // POINT_MS != book["T"] // POINT_MS:
            return False
        assert (Decimal(ticker["askPrice"]), Decimal(ticker["askQty"])) == book["asks"][0]
        assert (Decimal(ticker["bidPrice"]), Decimal(ticker["bidQty"])) == book["bids"][0]
        return True

    _on_one_book(same_point)

    def pushed_after_fill() -> bool:
        with connect(f"ws://127.0.0.1:{venue.port}/public/ws/solusdt@bookTicker") as ws:
            price, qty = _book(client)["asks"][0]
            half = qty // 2
            client.futures_create_order(
                symbol="SOLUSDT", side="BUY", type="MARKET", quantity=str(half)
            )
            left = (f"{price:.4f}", str(qty - half))
            try:
                events(ws, lambda s: any((e["a"], e["A"]) == left for e in s), timeout=3)
            except TimeoutError:
                return False  # the book refreshed before the stream looked
        return True

    _on_one_book(pushed_after_fill)


def test_the_same_seed_gives_the_same_book_and_another_seed_another() -> None:
    genesis = 1_700_000_000_000 // MINUTE_MS * MINUTE_MS
    t = genesis + 3 * 86_400_000 + 12_345
    one, two, other = (Book(Market(seed=s, genesis_ms=genesis)) for s in (7, 7, 8))
    for side in (BIDS, ASKS):
        assert one.depth("BTCUSDT", side, t, 50) == two.depth("BTCUSDT", side, t, 50)
        assert one.depth("BTCUSDT", side, t, 50) != other.depth("BTCUSDT", side, t, 50)
    # A later point draws the levels again.
    later = [q for _, q in one.depth("BTCUSDT", ASKS, t + POINT_MS, 50)]
    assert later != [q for _, q in one.depth("BTCUSDT", ASKS, t, 50)]


def test_a_resting_limit_is_published_at_its_price_level(venue: PaperExchange) -> None:
    client = venue.client(venue.create_account("rester", balance="1000000"))
    other = venue.client(venue.create_account("looker", balance="1000000"))
    qty = Decimal(3)
    seen: dict[str, Any] = {}

    def attempt() -> bool:
        before = _book(other)
        touch, deeper = before["bids"][0][0], before["bids"][2][0]
        orders = [_limit(client, "BUY", "GTC", qty, price) for price in (touch, deeper)]
        during = _book(other)
        ticker = other.futures_orderbook_ticker(symbol="SOLUSDT")
        for order in orders:
            client.futures_cancel_order(symbol="SOLUSDT", orderId=order["orderId"])
        after = _book(other)
        seen.update(before=before, during=during, ticker=ticker)
        return before == after and all(o["status"] == "NEW" for o in orders)

    _on_one_book(attempt)
    before, during = seen["before"], seen["during"]
    # Every account sees the orders' quantity added to the seeded levels at their prices.
    expected = [(p, q + qty if k in (0, 2) else q) for k, (p, q) in enumerate(before["bids"])]
    assert during["bids"] == expected
    assert during["asks"] == before["asks"]
    ticker = seen["ticker"]
    assert (Decimal(ticker["bidPrice"]), Decimal(ticker["bidQty"])) == expected[0]


def test_a_crossing_order_from_another_account_fills_a_resting_limit_first(
    venue: PaperExchange,
) -> None:
    maker = venue.client(venue.create_account("maker", balance="1000000"))
    taker = venue.client(venue.create_account("taker", balance="1000000"))
    qty = Decimal(3)
    seen: dict[str, Any] = {}

    def attempt() -> bool:
        bids = _book(taker)["bids"]
        price = bids[2][0]
        resting = _limit(maker, "BUY", "GTC", qty, price)
        # Down to the resting order's price: the two levels above, the order, 1 more there.
        size = bids[0][1] + bids[1][1] + qty + 1
        order = _limit(taker, "SELL", "IOC", size, price)
        after = _book(taker)
        seen.update(bids=bids, resting=resting, order=order, after=after)
        return order["status"] == "FILLED" and after["bids"][1] == bids[3]

    _on_one_book(attempt)
    bids, resting, order = seen["bids"], seen["resting"], seen["order"]
    price = bids[2][0]
    taken = _fills(_trades(taker, order["orderId"]))
    # Price then time: the resting order before the seeded quantity at its level.
    assert taken == [bids[0], bids[1], (price, qty), (price, Decimal(1))]
    made = _trades(maker, resting["orderId"])
    assert _fills(made) == [(price, qty)] and made[0]["maker"] is True
    assert made[0]["time"] == _trades(taker, order["orderId"])[2]["time"]
    filled = maker.futures_get_order(symbol="SOLUSDT", orderId=resting["orderId"])
    assert filled["status"] == "FILLED" and Decimal(filled["avgPrice"]) == price
    assert Decimal(maker.futures_position_information(symbol="SOLUSDT")[0]["positionAmt"]) == qty
    # The level keeps its seeded quantity less the one taken there; the order is gone.
    assert seen["after"]["bids"][0] == (price, bids[2][1] - 1)
