"""Conditional orders trigger on the price their `workingType` names (CONTRACT_PRICE, Binance's
default, on the last price; MARK_PRICE on the mark), and `priceProtect` holds a stop back while
the last and the mark prices are further apart than the symbol's `triggerProtect`.

The admin price move sets the last price and, here, a mark apart from it (`markPrice`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from binance.client import Client

from tests.support.paper_exchange import PaperExchange, last_price, market

TICK = Decimal("0.1")


def _off(price: Decimal, pct: str) -> str:
    return str((price * (1 + Decimal(pct) / 100)).quantize(TICK))


def _stop(client: Client, trigger: str, **extra: Any) -> dict[str, Any]:
    return client.futures_create_order(
        symbol="BTCUSDT",
        side="SELL",
        type="STOP_MARKET",
        triggerPrice=trigger,
        quantity="0.010",
        reduceOnly="true",
        **extra,
    )


def _status(client: Client, algo: dict[str, Any]) -> str:
    return client.futures_get_order(symbol="BTCUSDT", algoId=algo["algoId"])["algoStatus"]


def test_a_stop_without_working_type_works_on_the_last_price(
    venue: PaperExchange, client: Client
) -> None:
    market(client, "BTCUSDT", "BUY", "0.010")
    last = last_price(client, "BTCUSDT")
    stop = _stop(client, _off(last, "-1"))
    assert stop["workingType"] == "CONTRACT_PRICE"
    # The mark falls through the trigger, the last price does not: a last-price stop waits.
    venue.set_price("BTCUSDT", _off(last, "-0.5"), mark=_off(last, "-2"))
    assert _status(client, stop) == "NEW"
    venue.set_price("BTCUSDT", _off(last, "-2"), mark=_off(last, "-0.5"))
    assert _status(client, stop) == "FINISHED"
    assert client.futures_position_information(symbol="BTCUSDT") == []


def test_a_mark_price_stop_works_on_the_mark(venue: PaperExchange, client: Client) -> None:
    market(client, "BTCUSDT", "BUY", "0.010")
    last = last_price(client, "BTCUSDT")
    stop = _stop(client, _off(last, "-1"), workingType="MARK_PRICE")
    assert stop["workingType"] == "MARK_PRICE"
    venue.set_price("BTCUSDT", _off(last, "-2"), mark=_off(last, "-0.5"))
    assert _status(client, stop) == "NEW"
    venue.set_price("BTCUSDT", _off(last, "-0.5"), mark=_off(last, "-2"))
    assert _status(client, stop) == "FINISHED"


def test_price_protect_holds_a_stop_while_last_and_mark_are_far_apart(
    venue: PaperExchange, client: Client
) -> None:
    market(client, "BTCUSDT", "BUY", "0.020")
    last = last_price(client, "BTCUSDT")
    protected = _stop(client, _off(last, "-1"), priceProtect="TRUE")
    plain = _stop(client, _off(last, "-1"))
    assert protected["priceProtect"] is True and plain["priceProtect"] is False
    # Last 3 % down, mark 3 % up: 6 % apart, past BTCUSDT's triggerProtect of 5 %.
    info = client.futures_exchange_info()["symbols"]
    assert next(s for s in info if s["symbol"] == "BTCUSDT")["triggerProtect"] == "0.0500"
    venue.set_price("BTCUSDT", _off(last, "-3"), mark=_off(last, "3"))
    assert _status(client, plain) == "FINISHED"
    assert _status(client, protected) == "NEW"
    # Once the two prices come together again, the protected stop triggers.
    venue.set_price("BTCUSDT", _off(last, "-3"))
    assert _status(client, protected) == "FINISHED"
    assert client.futures_position_information(symbol="BTCUSDT") == []
