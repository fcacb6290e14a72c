"""The reactors' two other reactions, on entries written as the stream process writes them (a
real Redis, the desk's own services) and the in-process venue (fake_desk): a closed kline runs
its symbol's signal once however often it is delivered; an ORDER_TRADE_UPDATE records the fill
on its intent when it happens, and a stale or foreign update changes nothing. (Marks and the
kill-before-ack drill: test_event_driven.py, on the paper venue over HTTP.)"""

from decimal import Decimal

import pytest

from apps.core import keys
from apps.core.timeutil import to_ms, utcnow
from apps.exchange.reports import KlineReport, OrderReport, OrderUpdateReport, report_dumps
from apps.market.services import INTERVAL_MS, kline_closed_publish
from apps.trading.models import IntentAction, IntentState, PositionIntent, Side
from apps.trading.reactions import entry_react

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def always_long(settings):
    settings.TRADING_SYMBOLS = ["BTCUSDT"]
    settings.TRADING_SIGNAL_SOURCE = "tests.support.signal_sources:AlwaysLong"


def _kline(interval: str, open_ms: int) -> KlineReport:
    p = Decimal("40000")
    return KlineReport(
        symbol="BTCUSDT",
        interval=interval,
        open_time_ms=open_ms,
        open=p,
        high=p,
        low=p,
        close=p,
        volume=Decimal("12.5"),
        close_time_ms=open_ms + INTERVAL_MS[interval] - 1,
    )


def _delivered(redis_client, stream: str) -> list[tuple[str, dict]]:
    return redis_client.xrange(stream)


def test_a_closed_kline_runs_its_symbols_signal_once(
    fake_desk, redis_client, aggressive_policy, always_long, settings
):
    step = INTERVAL_MS[settings.MARKET_KLINE_INTERVAL]
    open_ms = (to_ms(utcnow()) // step - 1) * step
    assert kline_closed_publish(kline=_kline(settings.MARKET_KLINE_INTERVAL, open_ms))
    stream = keys.stream_kline("BTCUSDT")
    [(entry_id, fields)] = _delivered(redis_client, stream)

    made = entry_react(stream, entry_id, fields)
    opened = PositionIntent.objects.filter(account=fake_desk.account, action=IntentAction.OPEN)
    assert [i.id for i in opened] == made and len(made) == 1
    assert opened.get().state == IntentState.FILLED  # the reactor sent it itself
    assert entry_react(stream, entry_id, fields) == []  # delivered again: nothing new
    assert PositionIntent.objects.count() == 1
    assert fake_desk.position_amounts()["BTCUSDT"] > 0


def test_a_kline_of_another_interval_or_an_older_one_is_not_acted_on(
    fake_desk, redis_client, aggressive_policy, always_long, settings
):
    step = INTERVAL_MS[settings.MARKET_KLINE_INTERVAL]
    newest = (to_ms(utcnow()) // step - 1) * step
    kline_closed_publish(kline=_kline(settings.MARKET_KLINE_INTERVAL, newest))
    stream = keys.stream_kline("BTCUSDT")
    [(entry_id, fields)] = _delivered(redis_client, stream)
    assert len(entry_react(stream, entry_id, fields)) == 1
    older = {**fields, "open_time": str(newest - step), "close_time": str(newest - 1)}
    assert entry_react(stream, "1-0", older) == []
    other = {**fields, "interval": "1h" if settings.MARKET_KLINE_INTERVAL != "1h" else "5m"}
    assert entry_react(stream, "2-0", other) == []
    assert PositionIntent.objects.count() == 1


def _submitted(fake_desk) -> PositionIntent:
    return PositionIntent.objects.create(
        account=fake_desk.account,
        symbol="BTCUSDT",
        side=Side.BUY,
        action=IntentAction.OPEN,
        quantity=Decimal("0.010"),
        reason="signal",
        state=IntentState.SUBMITTED,
        risk_verdict="approved",
        client_order_id="qt-999-1",
        order_id=555,
    )


def _update(client_id: str, status: str, executed: str, update_ms: int) -> dict[str, str]:
    """The user stream's entry for an ORDER_TRADE_UPDATE, as the stream process writes it."""
    order = OrderReport(
        order_id=555,
        client_order_id=client_id,
        symbol="BTCUSDT",
        status=status,
        side="BUY",
        type="MARKET",
        orig_qty=Decimal("0.010"),
        executed_qty=Decimal(executed),
        avg_price=Decimal("40010.5") if Decimal(executed) else Decimal(0),
        reduce_only=False,
        update_ms=update_ms,
    )
    kind = "TRADE" if Decimal(executed) else "NEW"
    report = OrderUpdateReport(order=order, fill=None, execution_type=kind, event_ms=update_ms)
    return {"report": report_dumps(report)}


def test_an_order_update_records_the_fill_on_its_intent_and_a_stale_one_changes_nothing(
    fake_desk, redis_client
):
    intent = _submitted(fake_desk)
    stream = keys.stream_exchange_user(fake_desk.account.id)
    now = to_ms(utcnow())
    assert entry_react(stream, "1-0", _update("qt-999-1", "FILLED", "0.010", now)) == [intent.id]
    intent.refresh_from_db()
    assert intent.state == IntentState.FILLED
    assert intent.executed_qty == Decimal("0.010") and intent.avg_price == Decimal("40010.5")
    # the NEW update arriving late (a reconnect's replay) does not move it back
    assert entry_react(stream, "2-0", _update("qt-999-1", "NEW", "0", now - 5)) == []
    intent.refresh_from_db()
    assert intent.state == IntentState.FILLED and intent.executed_qty == Decimal("0.010")


def test_an_update_of_an_order_that_is_not_the_desks_changes_nothing(fake_desk, redis_client):
    intent = _submitted(fake_desk)
    stream = keys.stream_exchange_user(fake_desk.account.id)
    update = _update("manual-order-7", "FILLED", "0.010", to_ms(utcnow()))
    assert entry_react(stream, "1-0", update) == []
    intent.refresh_from_db()
    assert intent.state == IntentState.SUBMITTED


def test_a_damaged_user_entry_raises_for_the_consumer_to_retry_then_drop(fake_desk):
    stream = keys.stream_exchange_user(fake_desk.account.id)
    with pytest.raises(Exception) as raised:
        entry_react(stream, "1-0", {"report": '{"type": "order_update", "order": {}}'})
    assert raised.type.__name__ in {"PayloadError", "KeyError", "BadNumber", "ValueError"}
    assert PositionIntent.objects.count() == 0
