"""Websocket events parsed strictly into the same reports as the REST replies (Binance's
documented USD-M payloads), and back from a Redis stream entry unchanged."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from apps.exchange.errors import PayloadError
from apps.exchange.reports import (
    AccountUpdateReport,
    KlineEvent,
    ListenKeyExpired,
    MarkReport,
    OrderReport,
    OrderUpdateReport,
    report_dumps,
    report_loads,
    stream_event_parse,
)

D = Decimal

MARK = {
    "e": "markPriceUpdate",
    "E": 1562305380000,
    "s": "BTCUSDT",
    "p": "11794.15000000",
    "i": "11784.62659091",
    "P": "11784.25641265",
    "r": "0.00038167",
    "T": 1562306400000,
}
KLINE = {
    "e": "kline",
    "E": 1638747660000,
    "s": "BTCUSDT",
    "k": {
        "t": 1638747660000,
        "T": 1638747719999,
        "s": "BTCUSDT",
        "i": "1m",
        "f": 100,
        "L": 200,
        "o": "0.0010",
        "c": "0.0020",
        "h": "0.0025",
        "l": "0.0015",
        "v": "1000",
        "n": 100,
        "x": False,
        "q": "1.0000",
        "V": "500",
        "Q": "0.500",
        "B": "123456",
    },
}
ORDER = {
    "e": "ORDER_TRADE_UPDATE",
    "E": 1568879465651,
    "T": 1568879465650,
    "o": {
        "s": "BTCUSDT",
        "c": "qt-7-1",
        "S": "SELL",
        "o": "MARKET",
        "f": "GTC",
        "q": "0.001",
        "p": "0",
        "ap": "9638.5",
        "sp": "0",
        "x": "TRADE",
        "X": "FILLED",
        "i": 8886774,
        "l": "0.001",
        "z": "0.001",
        "L": "9638.5",
        "N": "USDT",
        "n": "0.00385540",
        "T": 1568879465650,
        "t": 1234,
        "b": "0",
        "a": "9.91",
        "m": False,
        "R": True,
        "wt": "CONTRACT_PRICE",
        "ot": "MARKET",
        "ps": "BOTH",
        "cp": False,
        "rp": "0.52000000",
        "pP": False,
        "si": 0,
        "ss": 0,
        "V": "NONE",
        "pm": "NONE",
        "gtd": 0,
    },
}
ACCOUNT = {
    "e": "ACCOUNT_UPDATE",
    "E": 1564745798939,
    "T": 1564745798938,
    "a": {
        "m": "ORDER",
        "B": [{"a": "USDT", "wb": "122624.12345678", "cw": "100.12345678", "bc": "50.12345678"}],
        "P": [
            {
                "s": "BTCUSDT",
                "pa": "0",
                "ep": "0.00000",
                "bep": "0",
                "cr": "200",
                "up": "0",
                "mt": "isolated",
                "iw": "0.00000000",
                "ps": "BOTH",
            },
            {
                "s": "ETHUSDT",
                "pa": "-20",
                "ep": "6563.66500",
                "bep": "6563.6",
                "cr": "0",
                "up": "2850.21200",
                "mt": "isolated",
                "iw": "13200.70726908",
                "ps": "BOTH",
            },
        ],
    },
}


def test_a_mark_event_is_the_premium_index_report():
    mark = stream_event_parse({"stream": "btcusdt@markPrice@1s", "data": MARK})
    assert mark == MarkReport(
        symbol="BTCUSDT",
        mark_price=D("11794.15"),
        index_price=D("11784.62659091"),
        funding_rate=D("0.00038167"),
        next_funding_ms=1562306400000,
        time_ms=1562305380000,
    )


def test_a_kline_event_carries_the_kline_report_and_whether_it_closed():
    event = stream_event_parse(KLINE)
    assert isinstance(event, KlineEvent) and event.closed is False
    assert (event.kline.open_time_ms, event.kline.close, event.kline.interval) == (
        1638747660000,
        D("0.0020"),
        "1m",
    )
    closed = copy.deepcopy(KLINE)
    closed["k"]["x"] = True
    assert stream_event_parse(closed).closed is True


def test_an_order_update_is_the_order_report_and_its_fill():
    update = stream_event_parse(ORDER)
    assert isinstance(update, OrderUpdateReport)
    assert update.order == OrderReport(
        order_id=8886774,
        client_order_id="qt-7-1",
        symbol="BTCUSDT",
        status="FILLED",
        side="SELL",
        type="MARKET",
        orig_qty=D("0.001"),
        executed_qty=D("0.001"),
        avg_price=D("9638.5"),
        reduce_only=True,
        update_ms=1568879465650,
    )
    assert (update.fill.trade_id, update.fill.price, update.fill.realized_pnl) == (
        1234,
        D("9638.5"),
        D("0.52"),
    )
    new = copy.deepcopy(ORDER)
    new["o"].update(x="NEW", X="NEW")
    assert stream_event_parse(new).fill is None


def test_an_account_update_lists_balances_and_positions():
    update = stream_event_parse(ACCOUNT)
    assert isinstance(update, AccountUpdateReport)
    assert update.reason == "ORDER"
    assert [(p.symbol, p.amt) for p in update.positions] == [
        ("BTCUSDT", D("0")),
        ("ETHUSDT", D("-20")),
    ]
    assert update.balances[0].wallet_balance == D("122624.12345678")


def test_listen_key_expiry_and_ignored_types():
    assert stream_event_parse({"e": "listenKeyExpired", "E": 5}) == ListenKeyExpired(event_ms=5)
    assert stream_event_parse({"e": "TRADE_LITE", "E": 5}) is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**MARK, "p": "NaN"}, "markPriceUpdate.p"),
        ({**MARK, "p": 1e400}, "markPriceUpdate.p"),
        ({k: v for k, v in MARK.items() if k != "r"}, "markPriceUpdate.r"),
        ({**KLINE, "k": {**KLINE["k"], "x": "maybe"}}, "kline.k.x"),
        ({**KLINE, "k": {**KLINE["k"], "s": "ETHUSDT"}}, "kline.k.s"),
        ({**ORDER, "o": {**ORDER["o"], "i": "12a"}}, "ORDER_TRADE_UPDATE.o.i"),
        ({**ORDER, "o": {**ORDER["o"], "rp": None}}, "ORDER_TRADE_UPDATE.o.rp"),
        (
            {**ACCOUNT, "a": {**ACCOUNT["a"], "P": [{**ACCOUNT["a"]["P"][0], "ps": "LONG"}]}},
            "ACCOUNT_UPDATE.a.P[0].ps",
        ),
        ({"e": "somethingNew", "E": 1}, "unknown event type"),
        ([1, 2], "expected an object"),
    ],
)
def test_bad_events_raise_payload_error_naming_the_field(payload, field):
    with pytest.raises(PayloadError, match=field.replace("[", r"\[").replace("]", r"\]")):
        stream_event_parse(payload)


@pytest.mark.parametrize(
    "payload", [MARK, KLINE, ORDER, ACCOUNT, {"e": "listenKeyExpired", "E": 5}]
)
def test_a_report_survives_the_redis_entry_unchanged(payload):
    report = stream_event_parse(payload)
    assert report_loads(report_dumps(report)) == report


def test_a_damaged_redis_entry_is_a_payload_error():
    text = report_dumps(stream_event_parse(MARK)).replace('"11794.15000000"', '"eleven"')
    with pytest.raises(PayloadError, match="MarkReport.mark_price"):
        report_loads(text)
