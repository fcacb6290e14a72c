"""GET /api/trading/symbols/{symbol}/chart/: a symbol's stored klines as candles, its open
position's entry / take profit / stop loss / trailing stop / working backstop, and the desk's
fills in the candles' range, on known rows; a malformed symbol is a 400 naming the field, one the
desk knows nothing of a 404 saying so, and anonymous callers are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.exchange.models import ExchangeAccount
from apps.market.models import Kline
from apps.trading.models import Backstop, BackstopStatus, Position, PositionIntent

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)
URL = "/api/trading/symbols/{}/chart/"


def _kline(symbol: str, minute: int, o: str, h: str, low: str, c: str, interval="1m") -> None:
    start = T0 + timedelta(minutes=minute)
    Kline.objects.create(
        symbol=symbol,
        interval=interval,
        open_time_ms=T0_MS + minute * 60_000,
        open_time=start,
        open=Decimal(o),
        high=Decimal(h),
        low=Decimal(low),
        close=Decimal(c),
        volume=Decimal("12.5"),
        close_time_ms=T0_MS + minute * 60_000 + 59_999,
    )


def _intent(account, symbol, side, action, state, qty, avg, at, reason="signal") -> None:
    PositionIntent.objects.create(
        account=account,
        symbol=symbol,
        side=side,
        action=action,
        quantity=Decimal(qty),
        reason=reason,
        state=state,
        executed_qty=Decimal(qty) if state == "FILLED" else Decimal(0),
        avg_price=Decimal(avg) if avg else None,
        finished_at=at,
    )


@pytest.fixture
def desk(settings):
    settings.TRADING_SYMBOLS = ["BTCUSDT", "ETHUSDT"]
    settings.MARKET_KLINE_INTERVAL = "1m"
    settings.MARKET_KLINE_HISTORY = 120
    account = ExchangeAccount.objects.create(
        name="chart-desk",
        venue="paper",
        base_url="http://127.0.0.1:9",
        api_key_encrypted="unused",
        api_secret_encrypted="unused",
    )
    _kline("BTCUSDT", 0, "60000", "60100", "59900", "60050")
    _kline("BTCUSDT", 1, "60050", "60200", "60000", "60150.5")
    _kline("BTCUSDT", 2, "60150.5", "60300", "60100", "60250")
    _kline("BTCUSDT", 2, "1", "1", "1", "1", interval="5m")  # another interval: not drawn
    _kline("ETHUSDT", 0, "3000", "3010", "2990", "3005")
    Position.objects.create(
        account=account,
        symbol="BTCUSDT",
        amount=Decimal("0.010"),
        entry_price=Decimal("60100"),
        mark_price=Decimal("60250"),
        unrealized_pnl=Decimal("1.5"),
        take_profit=Decimal("61001.5"),
        stop_loss=Decimal("59499"),
        trailing_pct=Decimal("0.8"),
        best_price=Decimal("60300"),
        trailing_stop=Decimal("59817.6"),
        opened_at=T0,
    )
    for status, trigger in ((BackstopStatus.CANCELED, "57000"), (BackstopStatus.OPEN, "58297")):
        Backstop.objects.create(
            account=account,
            symbol="BTCUSDT",
            side="SELL",
            trigger_price=Decimal(trigger),
            entry_price=Decimal("60100"),
            status=status,
        )
    before = T0 - timedelta(minutes=5)
    _intent(account, "BTCUSDT", "SELL", "CLOSE", "FILLED", "0.020", "59000", before)  # too old
    _intent(
        account, "BTCUSDT", "BUY", "OPEN", "FILLED", "0.010", "60100", T0 + timedelta(seconds=70)
    )
    _intent(account, "BTCUSDT", "BUY", "ADD", "REJECTED", "0.010", None, T0 + timedelta(seconds=80))
    _intent(
        account, "ETHUSDT", "BUY", "OPEN", "FILLED", "0.100", "3001", T0 + timedelta(seconds=90)
    )
    _intent(
        account,
        "BTCUSDT",
        "SELL",
        "REDUCE",
        "FILLED",
        "0.005",
        "60260.25",
        T0 + timedelta(minutes=3),
    )
    return account


def _get(api: APIClient, url: str, status: int = 200) -> dict:
    response = api.get(url)
    assert response.status_code == status, response.content
    return response.json()


def test_it_answers_candles_levels_and_fills_of_the_symbol(api, desk):
    body = _get(api, URL.format("btcusdt"))
    assert (body["symbol"], body["interval"], body["traded"]) == ("BTCUSDT", "1m", True)
    assert body["candles"] == [
        {
            "time_ms": T0_MS + n * 60_000,
            "open": o,
            "high": h,
            "low": low,
            "close": c,
            "volume": "12.50000000",
        }
        for n, (o, h, low, c) in enumerate(
            [
                ("60000.00000000", "60100.00000000", "59900.00000000", "60050.00000000"),
                ("60050.00000000", "60200.00000000", "60000.00000000", "60150.50000000"),
                ("60150.50000000", "60300.00000000", "60100.00000000", "60250.00000000"),
            ]
        )
    ]
    assert body["positions"] == [
        {
            "account": "chart-desk",
            "amount": "0.0100000000",
            "entry_price": "60100.00000000",
            "mark_price": "60250.00000000",
            "take_profit": "61001.50000000",
            "stop_loss": "59499.00000000",
            "trailing_stop": "59817.60000000",
            "backstop_price": "58297.00000000",  # the working one, not the cancelled
        }
    ]
    fills = [(f["side"], f["action"], f["price"], f["qty"], f["time"]) for f in body["fills"]]
    assert fills == [  # since the first candle, oldest first; no rejected, no other symbol
        ("BUY", "OPEN", "60100.00000000", "0.0100000000", "2026-01-10T12:01:10Z"),
        ("SELL", "REDUCE", "60260.25000000", "0.0050000000", "2026-01-10T12:03:00Z"),
    ]
    assert body["fills"][0]["account"] == "chart-desk" and body["fills"][0]["reason"] == "signal"


def test_limit_keeps_the_newest_candles_and_fills_follow_them(api, desk):
    body = _get(api, URL.format("BTCUSDT") + "?limit=1")
    assert [c["time_ms"] for c in body["candles"]] == [T0_MS + 120_000]
    assert [f["action"] for f in body["fills"]] == ["REDUCE"]


def test_a_flat_symbol_has_no_levels_and_an_untraded_one_with_records_is_known(api, desk):
    eth = _get(api, URL.format("ETHUSDT"))
    assert eth["positions"] == [] and len(eth["candles"]) == 1
    assert [f["price"] for f in eth["fills"]] == ["3001.00000000"]
    PositionIntent.objects.filter(symbol="ETHUSDT").update(symbol="SOLUSDT")
    sol = _get(api, URL.format("SOLUSDT"))
    assert sol["traded"] is False and sol["candles"] == [] and len(sol["fills"]) == 1


def test_a_bad_symbol_is_a_clear_error(api, desk):
    assert _get(api, URL.format("B-T"), 400) == {
        "symbol": ["A symbol is 2-32 letters or digits, e.g. BTCUSDT."]
    }
    assert "limit" in _get(api, URL.format("BTCUSDT") + "?limit=0", 400)
    unknown = _get(api, URL.format("DOGEUSDT"), 404)
    assert unknown["detail"] == (
        "DOGEUSDT is not traded on this desk and it has no klines, position or fills here "
        "(traded: BTCUSDT, ETHUSDT)."
    )


def test_it_refuses_anonymous_callers(desk):
    assert APIClient().get(URL.format("BTCUSDT")).status_code == 403


def test_the_schema_describes_it(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    op = schema["paths"]["/api/trading/symbols/{symbol}/chart/"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"symbol", "limit"}
    assert {"200", "400", "403", "404"} <= set(op["responses"])
    props = schema["components"]["schemas"]["SymbolChartOut"]["properties"]
    assert set(props) == {"symbol", "interval", "traded", "candles", "positions", "fills"}
