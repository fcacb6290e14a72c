"""The position monitor and exit brain.

Every cycle (and at a worker's start, through the first cycle) the desk's view is reconciled with
the exchange: positions, orders, equity. Anything changed outside the desk (a manual order, a
liquidation) is adopted as an intent with reason "adopted", so the intents always add up to the
exchange's positions. The exit brain then checks take profit, stop loss and the trailing stop of
each position against its mark and closes reduce-only through an intent (docs/trading.md says why
exits are enforced here and not as exchange conditional orders).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction

from apps.core.money import quantize_step, to_decimal
from apps.core.timeutil import from_ms, utcnow
from apps.exchange.client import ExchangeClient
from apps.exchange.errors import PayloadError
from apps.exchange.models import ExchangeAccount
from apps.trading import selectors
from apps.trading.backstop import backstop_fired
from apps.trading.execution import exit_link_record, intent_refresh
from apps.trading.intents import intent_create, intent_enqueue
from apps.trading.models import (
    LIVE_BACKSTOP_STATES,
    Backstop,
    BackstopStatus,
    DeskState,
    ExchangeOrder,
    IntentAction,
    IntentState,
    Position,
    PositionIntent,
    Side,
    backstop_id_from,
)
from apps.trading.venue import filters_get

logger = logging.getLogger(__name__)

ZERO = Decimal(0)
HUNDRED = Decimal(100)
# An APPROVED intent whose task has not claimed it after this long lost its message (a broker
# restart, say): the monitor enqueues it again. Claims are conditional, so a late original
# message is harmless.
APPROVED_STALE_SECONDS = 10


def _levels(pos: Position, tick: Decimal) -> None:
    """TP / SL / trailing from the entry, rounded to the tick, on the side of caution."""
    tp = Decimal(settings.TRADING_TAKE_PROFIT_PCT) / HUNDRED
    sl = Decimal(settings.TRADING_STOP_LOSS_PCT) / HUNDRED
    trail = Decimal(settings.TRADING_TRAILING_PCT)
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


def _trail(pos: Position, tick: Decimal) -> None:
    ratio = (pos.trailing_pct or ZERO) / HUNDRED
    long = pos.amount > 0
    if pos.best_price is None:
        return
    stop = pos.best_price * (1 - ratio if long else 1 + ratio)
    pos.trailing_stop = quantize_step(stop, tick, rounding=ROUND_HALF_UP)


def _equity_note(account: ExchangeAccount, totals: dict) -> None:
    """Equity marks for the drawdown and daily-loss limits (one desk: the sum would be the
    right figure for several accounts; we keep the trading account's)."""
    equity = to_decimal(totals.get("totalMarginBalance", "0"), field="totalMarginBalance")
    today = utcnow().date()
    with transaction.atomic():
        desk = DeskState.objects.select_for_update().get(pk=selectors.desk_get().pk)
        desk.equity = equity
        desk.equity_peak = max(desk.equity_peak or equity, equity)
        if desk.day != today or desk.day_start_equity is None:
            desk.day, desk.day_start_equity = today, equity
        desk.save(update_fields=["equity", "equity_peak", "day", "day_start_equity"])


def _orders_sync(account: ExchangeAccount, client: ExchangeClient, symbols: set[str]) -> int:
    """New and changed orders of each symbol (GET /fapi/v1/allOrders from the oldest order that
    was still working, or the newest seen): ours are linked to their intent, others flagged."""
    seen = 0
    for symbol in sorted(symbols):
        mine = ExchangeOrder.objects.filter(account=account, symbol=symbol)
        working = mine.filter(status__in=["NEW", "PARTIALLY_FILLED"]).order_by("order_id").first()
        newest = mine.order_by("-order_id").first()
        params = {"symbol": symbol, "limit": 500}
        if working is not None:
            params["orderId"] = working.order_id
        elif newest is not None:
            params["orderId"] = newest.order_id + 1
        else:
            params["limit"] = 100  # first sight of the symbol: the recent past is enough
        rows = client.call("futures_get_all_orders", **params)
        for row in rows:
            cid = row.get("clientOrderId", "")
            intent_id = None
            backstop_id = backstop_id_from(cid)
            if backstop_id is not None:  # a backstop fired: the desk's order, not a stranger's
                Backstop.objects.filter(
                    id=backstop_id, account=account, status__in=LIVE_BACKSTOP_STATES
                ).update(status=BackstopStatus.TRIGGERED, order_id=int(row["orderId"]))
            if cid.startswith("qt-"):
                intent_id = (
                    PositionIntent.objects.filter(account=account, client_order_id=cid)
                    .values_list("id", flat=True)
                    .first()
                )
            ExchangeOrder.objects.update_or_create(
                account=account,
                order_id=int(row["orderId"]),
                defaults={
                    "symbol": symbol,
                    "client_order_id": cid,
                    "intent_id": intent_id,
                    "side": row["side"],
                    "type": row.get("origType") or row["type"],
                    "status": row["status"],
                    "orig_qty": to_decimal(row["origQty"], field="origQty"),
                    "executed_qty": to_decimal(row["executedQty"], field="executedQty"),
                    "avg_price": to_decimal(row.get("avgPrice", "0"), field="avgPrice"),
                    "reduce_only": bool(row.get("reduceOnly")),
                    "external": intent_id is None and backstop_id is None,
                    "update_time": from_ms(int(row.get("updateTime") or row.get("time") or 0)),
                },
            )
            seen += 1
    return seen


def _adopt(
    account: ExchangeAccount,
    symbol: str,
    diff: Decimal,
    exchange_amt: Decimal,
    ledger_amt: Decimal,
    entry: Decimal,
) -> PositionIntent:
    """The exchange moved without us: record it as a filled intent so the ledger adds up. A
    close made by the desk's own backstop is recorded with reason "backstop"."""
    fired = backstop_fired(account=account, symbol=symbol)
    if fired is not None and fired.side == (Side.BUY if diff > 0 else Side.SELL):
        return _backstop_close(account, fired, diff, exchange_amt, ledger_amt)
    external = list(
        ExchangeOrder.objects.filter(account=account, symbol=symbol, external=True)
        .order_by("-order_id")
        .values_list("order_id", flat=True)[:20]
    )
    logger.warning(
        "adopting %s %s: exchange %s, desk ledger %s", symbol, diff, exchange_amt, ledger_amt
    )
    opening = ledger_amt == 0 or (ledger_amt > 0) == (diff > 0)
    if ledger_amt == 0:
        action = IntentAction.OPEN
    elif opening:
        action = IntentAction.ADD
    else:
        action = IntentAction.CLOSE if exchange_amt == 0 else IntentAction.REDUCE
    now = utcnow()
    return PositionIntent.objects.create(
        account=account,
        symbol=symbol,
        side=Side.BUY if diff > 0 else Side.SELL,
        action=action,
        quantity=abs(diff),
        reason="adopted",
        state=IntentState.FILLED,
        risk_verdict="adopted",
        risk_reason="changed outside the desk; recorded, not judged",
        executed_qty=abs(diff),
        avg_price=entry or None,
        reduce_only=not opening,
        signal={
            "exchange_amount": str(exchange_amt),
            "ledger_amount": str(ledger_amt),
            "external_orders": external,
        },
        submitted_at=now,
        finished_at=now,
    )


def _backstop_close(
    account: ExchangeAccount,
    fired: Backstop,
    diff: Decimal,
    exchange_amt: Decimal,
    ledger_amt: Decimal,
) -> PositionIntent:
    order = ExchangeOrder.objects.filter(account=account, order_id=fired.order_id).first()
    logger.warning(
        "backstop %s fired: %s %s (exchange %s, desk ledger %s)",
        fired.client_algo_id,
        fired.symbol,
        diff,
        exchange_amt,
        ledger_amt,
    )
    now = utcnow()
    intent = PositionIntent.objects.create(
        account=account,
        symbol=fired.symbol,
        side=fired.side,
        action=IntentAction.CLOSE if exchange_amt == 0 else IntentAction.REDUCE,
        quantity=abs(diff),
        reason="backstop",
        state=IntentState.FILLED,
        risk_verdict="backstop",
        risk_reason=f"the exchange-side backstop at {fired.trigger_price} (mark) fired",
        executed_qty=abs(diff),
        avg_price=order.avg_price if order and order.avg_price else None,
        reduce_only=True,
        order_id=fired.order_id,
        signal={
            "backstop": fired.client_algo_id,
            "trigger_price": str(fired.trigger_price),
            "entry": str(fired.entry_price),
            "exchange_amount": str(exchange_amt),
            "ledger_amount": str(ledger_amt),
        },
        submitted_at=now,
        finished_at=now,
    )
    Backstop.objects.filter(id=fired.id).update(intent=intent, updated_at=now)
    if order is not None:
        ExchangeOrder.objects.filter(id=order.id).update(intent=intent)
    return intent


def positions_reconcile(*, account: ExchangeAccount, client: ExchangeClient) -> dict:
    """Make the desk's positions, orders and intents agree with the exchange."""
    # Working orders first: a fill seen here is the desk's, not something to adopt.
    for intent in PositionIntent.objects.filter(account=account, state=IntentState.SUBMITTED):
        intent_refresh(client=client, intent=intent)
    ledger_before, in_flight_before, newest_before = selectors.ledger_state(account_id=account.id)
    risk_rows = client.call("futures_position_information")
    totals = client.call("futures_account")
    ledger, in_flight, newest = selectors.ledger_state(account_id=account.id)
    stable = (ledger, in_flight, newest) == (ledger_before, in_flight_before, newest_before)
    if not isinstance(risk_rows, list) or not isinstance(totals, dict):
        raise PayloadError("positionRisk / account: unexpected shape")
    leverage = {p["symbol"]: int(p.get("leverage") or 1) for p in totals.get("positions", [])}
    exchange: dict[str, dict] = {}
    for row in risk_rows:
        amt = to_decimal(row["positionAmt"], field="positionAmt")
        if amt != 0:
            exchange[row["symbol"]] = {
                "amount": amt,
                "entry": to_decimal(row["entryPrice"], field="entryPrice"),
                "mark": to_decimal(row["markPrice"], field="markPrice"),
                "unrealized": to_decimal(row["unRealizedProfit"], field="unRealizedProfit"),
            }
    symbols = set(settings.TRADING_SYMBOLS) | set(exchange) | set(ledger)
    orders = _orders_sync(account, client, symbols)
    adopted = []
    now = utcnow()
    for symbol in sorted(symbols):
        state = exchange.get(symbol)
        amt = state["amount"] if state else ZERO
        diff = amt - ledger.get(symbol, ZERO)
        if diff != 0 and stable and symbol not in in_flight:
            recorded = _adopt(
                account,
                symbol,
                diff,
                amt,
                ledger.get(symbol, ZERO),
                state["entry"] if state else ZERO,
            )
            adopted.append(recorded.id)
            if recorded.reason == "backstop":
                exit_link_record(client, recorded)  # its realized PnL and the stream's reason
        if state is None:
            Position.objects.filter(account=account, symbol=symbol).delete()
            continue
        tick = filters_get(client=client, symbol=symbol).tick_size
        pos = Position.objects.filter(account=account, symbol=symbol).first()
        fresh = pos is None or (pos.amount > 0) != (amt > 0)
        if pos is None:
            pos = Position(account=account, symbol=symbol, opened_at=now, entries=0)
        elif fresh:
            pos.opened_at, pos.entries = now, 0
        changed_entry = fresh or pos.entry_price != state["entry"]
        if fresh or abs(amt) > abs(pos.amount):
            pos.entries += 1
        pos.amount, pos.entry_price = amt, state["entry"]
        pos.mark_price, pos.unrealized_pnl = state["mark"], state["unrealized"]
        pos.leverage = leverage.get(symbol, pos.leverage or 1)
        if changed_entry:
            _levels(pos, tick)
        elif pos.best_price is not None:
            better = state["mark"] > pos.best_price if amt > 0 else state["mark"] < pos.best_price
            if better:
                pos.best_price = state["mark"]
                _trail(pos, tick)
        pos.save()
    _equity_note(account, totals)
    return {"positions": len(exchange), "orders_seen": orders, "adopted": adopted, "stable": stable}


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


def intents_resume(*, account: ExchangeAccount) -> list[int]:
    """Intents whose task was lost (broker restart) or whose executor died: enqueue again."""

    now = utcnow()
    stale = PositionIntent.objects.filter(
        account=account,
        state=IntentState.APPROVED,
        updated_at__lt=now - timedelta(seconds=APPROVED_STALE_SECONDS),
    ).values_list("id", flat=True)
    orphaned = PositionIntent.objects.filter(
        account=account, state=IntentState.SUBMITTING, lease_until__lt=now
    ).values_list("id", flat=True)
    ids = sorted(set(stale) | set(orphaned))
    for intent_id in ids:
        try:
            intent_enqueue(intent_id=intent_id)
        except Exception as exc:  # noqa: BLE001 - broker down: the next cycle tries again
            logger.warning("intent %s not re-enqueued: %s", intent_id, exc)
    return ids
