"""The exit brain: take profit, stop loss and the trailing stop of each position, set from its
entry (rounded to the tick, on the side of caution), and the CLOSE intent, reduce-only, when the
mark reaches one. docs/trading.md says why exits are enforced here and not as exchange
conditional orders (the backstop, apps/trading/backstop.py, is the venue's guard while the desk
is down)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from apps.core.money import HUNDRED, ZERO, quantize_step
from apps.exchange.models import ExchangeAccount
from apps.trading import selectors
from apps.trading.intents import intent_create
from apps.trading.models import IntentAction, Position, PositionIntent, Side


def levels_set(pos: Position, tick: Decimal) -> None:
    """TP / SL / trailing from the entry, rounded to the tick, on the side of caution."""
    tp = settings.TRADING_TAKE_PROFIT_PCT / HUNDRED
    sl = settings.TRADING_STOP_LOSS_PCT / HUNDRED
    trail = settings.TRADING_TRAILING_PCT
    long = pos.amount > 0
    entry = pos.entry_price
    pos.take_profit = quantize_step(
        entry * (1 + tp if long else 1 - tp), tick, rounding=ROUND_HALF_UP
    )
    pos.stop_loss = quantize_step(
        entry * (1 - sl if long else 1 + sl), tick, rounding=ROUND_HALF_UP
    )
    pos.trailing_pct = trail
    pos.best_price = entry
    _trail(pos, tick)


def best_mark_follow(pos: Position, tick: Decimal) -> None:
    """A better mark since entry moves the trailing stop with it (never back)."""
    if pos.best_price is None:
        return
    long = pos.amount > 0
    if pos.mark_price > pos.best_price if long else pos.mark_price < pos.best_price:
        pos.best_price = pos.mark_price
        _trail(pos, tick)


def _trail(pos: Position, tick: Decimal) -> None:
    ratio = (pos.trailing_pct or ZERO) / HUNDRED
    long = pos.amount > 0
    if pos.best_price is None:
        return
    stop = pos.best_price * (1 - ratio if long else 1 + ratio)
    pos.trailing_stop = quantize_step(stop, tick, rounding=ROUND_HALF_UP)


def close_intent(*, position: Position, reason: str) -> PositionIntent:

    return intent_create(
        account=position.account,
        symbol=position.symbol,
        side=Side.SELL if position.amount > 0 else Side.BUY,
        action=IntentAction.CLOSE,
        quantity=abs(position.amount),
        reason=reason,
        reduce_only=True,
        signal={
            "mark": str(position.mark_price),
            "entry": str(position.entry_price),
            "take_profit": str(position.take_profit),
            "stop_loss": str(position.stop_loss),
            "trailing_stop": str(position.trailing_stop),
            "best": str(position.best_price),
        },
        reference_price=position.mark_price,
        leverage=position.leverage,
    )


def exit_reason(pos: Position) -> str | None:
    """Which exit, if any, the mark has reached. Trailing only once it locks in more than the
    stop loss does (before that the stop loss is the tighter guard)."""
    mark, long = pos.mark_price, pos.amount > 0
    if pos.take_profit is not None and (
        mark >= pos.take_profit if long else mark <= pos.take_profit
    ):
        return "take_profit"
    if pos.stop_loss is not None and (mark <= pos.stop_loss if long else mark >= pos.stop_loss):
        return "stop_loss"
    if pos.trailing_stop is not None and pos.stop_loss is not None:
        tighter = pos.trailing_stop > pos.stop_loss if long else pos.trailing_stop < pos.stop_loss
        if tighter and (mark <= pos.trailing_stop if long else mark >= pos.trailing_stop):
            return "trailing_stop"
    return None


def exits_evaluate(*, account: ExchangeAccount) -> list[PositionIntent]:
    in_flight = selectors.in_flight_symbols(account_id=account.id)
    made = []
    for pos in Position.objects.filter(account=account).exclude(amount=0):
        if pos.symbol in in_flight:
            continue
        reason = exit_reason(pos)
        if reason:
            made.append(close_intent(position=pos, reason=reason))
    return made
