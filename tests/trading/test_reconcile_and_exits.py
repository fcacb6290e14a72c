"""The monitor: a position opened outside the desk is adopted (an intent with reason "adopted"),
levels are set from the entry, and the exit brain closes at take profit, stop loss or the
trailing stop, reduce-only, with the exit's realized PnL on the intent. Rules, so on the
in-process venue (fake_desk): fills at the mark, so levels and PnL are exact."""

from __future__ import annotations

from decimal import ROUND_HALF_UP as UP
from decimal import Decimal

import pytest

from apps.core import jsoncodec, keys
from apps.core.money import quantize_step
from apps.trading.execution import intent_execute
from apps.trading.exits import exit_reason
from apps.trading.models import ExchangeOrder, IntentState, Position, PositionIntent
from apps.trading.selectors import ledger_amounts
from apps.trading.services import trading_cycle

# transaction=True: intents are published to the broker on commit
pytestmark = [pytest.mark.django_db(transaction=True)]


def _cycle(desk) -> dict:
    return trading_cycle(account_id=desk.account.id, with_signals=False)


@pytest.mark.parametrize(("move", "reason"), [("40800.0", "take_profit"), ("39500.0", "stop_loss")])
def test_it_adopts_an_outside_position_and_exits_it(
    fake_desk, trading_queue, redis_client, settings, move, reason
):
    desk = fake_desk
    settings.TRADING_SYMBOLS = ["BTCUSDT"]
    settings.TRADING_TAKE_PROFIT_PCT = Decimal("1.5")
    settings.TRADING_STOP_LOSS_PCT = Decimal("1.0")
    desk.venue.set_price("BTCUSDT", "40000.0")
    desk.market("BTCUSDT", "BUY", "0.010")  # an operator's manual order

    summary = _cycle(desk)
    adopted = PositionIntent.objects.get(id__in=summary["adopted"])
    assert (adopted.reason, adopted.state, adopted.executed_qty) == (
        "adopted",
        IntentState.FILLED,
        Decimal("0.010"),
    )
    assert ExchangeOrder.objects.filter(external=True, symbol="BTCUSDT").count() == 1
    assert ledger_amounts(account_id=desk.account.id) == desk.position_amounts()
    pos = Position.objects.get(symbol="BTCUSDT")
    assert pos.entry_price == Decimal("40000")
    tick = Decimal("0.1")
    assert pos.take_profit == quantize_step(pos.entry_price * Decimal("1.015"), tick, rounding=UP)
    assert pos.stop_loss == quantize_step(pos.entry_price * Decimal("0.99"), tick, rounding=UP)
    assert _cycle(desk)["adopted"] == []  # once

    desk.venue.set_price("BTCUSDT", move)
    summary = _cycle(desk)
    (close,) = PositionIntent.objects.filter(id__in=summary["exits"])
    assert (close.reason, close.reduce_only, close.state) == (reason, True, IntentState.APPROVED)
    intent_execute(intent_id=close.id)
    close.refresh_from_db()
    assert close.state == IntentState.FILLED
    assert close.realized_pnl == (Decimal(move) - pos.entry_price) * Decimal("0.010")
    assert desk.position_amounts() == {}
    # The exit reason waits under the trade id for the PnL tracker's closed-trade entry.
    (fill,) = desk.venue.gateway(desk.account.id).fills(symbol="BTCUSDT", order_id=close.order_id)
    link = jsoncodec.loads(redis_client.get(keys.exit_reason(desk.account.id, fill.trade_id)))
    assert link["reason"] == reason and link["intent_id"] == close.id
    _cycle(desk)
    assert not Position.objects.exists()
    assert ledger_amounts(account_id=desk.account.id) == {}


def test_the_trailing_stop_follows_the_best_mark_and_fires_on_the_pullback():
    pos = Position(
        amount=Decimal("1"),
        entry_price=Decimal("100"),
        mark_price=Decimal("100"),
        take_profit=Decimal("110"),
        stop_loss=Decimal("98"),
        trailing_pct=Decimal("1"),
        best_price=Decimal("100"),
        trailing_stop=Decimal("99"),
    )
    assert exit_reason(pos) is None
    pos.best_price, pos.trailing_stop = Decimal("105"), Decimal("103.95")
    pos.mark_price = Decimal("104")
    assert exit_reason(pos) is None
    pos.mark_price = Decimal("103.9")
    assert exit_reason(pos) == "trailing_stop"
    short = Position(
        amount=Decimal("-1"),
        entry_price=Decimal("100"),
        mark_price=Decimal("96"),
        take_profit=Decimal("97"),
        stop_loss=Decimal("101"),
    )
    assert exit_reason(short) == "take_profit"
