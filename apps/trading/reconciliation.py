"""Reconciliation: the desk's positions, orders and intents made to agree with the exchange.

Every cycle (and at a worker's start, through the first cycle) working intents are refreshed, the
venue's positions, account and orders are read as reports, and anything changed outside the desk
(a manual order, a liquidation) is adopted as an intent with reason "adopted", so the intents
always add up to the exchange's positions; a close made by the desk's own backstop is recorded
with reason "backstop". Lost intents are re-enqueued.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings

from apps.core.money import ZERO
from apps.core.timeutil import from_ms, utcnow
from apps.exchange.gateway import Gateway
from apps.exchange.models import ExchangeAccount
from apps.exchange.reports import PositionReport
from apps.trading import selectors
from apps.trading.backstop import backstop_fired
from apps.trading.equity import equity_note
from apps.trading.execution import exit_link_record, intent_refresh
from apps.trading.exits import best_mark_follow, levels_set
from apps.trading.intents import intent_enqueue
from apps.trading.models import (
    LIVE_BACKSTOP_STATES,
    Backstop,
    BackstopStatus,
    ExchangeOrder,
    IntentAction,
    IntentState,
    Position,
    PositionIntent,
    Side,
    backstop_id_from,
)

logger = logging.getLogger(__name__)

# An APPROVED intent whose task has not claimed it after this long lost its message (a broker
# restart, say): the monitor enqueues it again. Claims are conditional, so a late original
# message is harmless.
APPROVED_STALE_SECONDS = 10


def _orders_sync(account: ExchangeAccount, gateway: Gateway, symbols: set[str]) -> int:
    """New and changed orders of each symbol (GET /fapi/v1/allOrders from the oldest order that
    was still working, or the newest seen): ours are linked to their intent, others flagged."""
    seen = 0
    for symbol in sorted(symbols):
        mine = ExchangeOrder.objects.filter(account=account, symbol=symbol)
        working = mine.filter(status__in=["NEW", "PARTIALLY_FILLED"]).order_by("order_id").first()
        newest = mine.order_by("-order_id").first()
        if working is not None:
            rows = gateway.orders_since(symbol=symbol, order_id=working.order_id)
        elif newest is not None:
            rows = gateway.orders_since(symbol=symbol, order_id=newest.order_id + 1)
        else:  # first sight of the symbol: the recent past is enough
            rows = gateway.orders_since(symbol=symbol, limit=100)
        for row in rows:
            cid = row.client_order_id
            intent_id = None
            backstop_id = backstop_id_from(cid)
            if backstop_id is not None:  # a backstop fired: the desk's order, not a stranger's
                Backstop.objects.filter(
                    id=backstop_id, account=account, status__in=LIVE_BACKSTOP_STATES
                ).update(status=BackstopStatus.TRIGGERED, order_id=row.order_id)
            if cid.startswith("qt-"):
                intent_id = (
                    PositionIntent.objects.filter(account=account, client_order_id=cid)
                    .values_list("id", flat=True)
                    .first()
                )
            ExchangeOrder.objects.update_or_create(
                account=account,
                order_id=row.order_id,
                defaults={
                    "symbol": symbol,
                    "client_order_id": cid,
                    "intent_id": intent_id,
                    "side": row.side,
                    "type": row.type,
                    "status": row.status,
                    "orig_qty": row.orig_qty,
                    "executed_qty": row.executed_qty,
                    "avg_price": row.avg_price,
                    "reduce_only": row.reduce_only,
                    "external": intent_id is None and backstop_id is None,
                    "update_time": from_ms(row.update_ms),
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


def positions_reconcile(*, account: ExchangeAccount, gateway: Gateway) -> dict:
    """Make the desk's positions, orders and intents agree with the exchange."""
    # Working orders first: a fill seen here is the desk's, not something to adopt.
    for intent in PositionIntent.objects.filter(account=account, state=IntentState.SUBMITTED):
        intent_refresh(gateway=gateway, intent=intent)
    ledger_before, in_flight_before, newest_before = selectors.ledger_state(account_id=account.id)
    risk_rows = gateway.positions()
    totals = gateway.account()
    ledger, in_flight, newest = selectors.ledger_state(account_id=account.id)
    stable = (ledger, in_flight, newest) == (ledger_before, in_flight_before, newest_before)
    exchange: dict[str, PositionReport] = {p.symbol: p for p in risk_rows}
    symbols = set(settings.TRADING_SYMBOLS) | set(exchange) | set(ledger)
    orders = _orders_sync(account, gateway, symbols)
    adopted = []
    now = utcnow()
    for symbol in sorted(symbols):
        state = exchange.get(symbol)
        amt = state.amt if state else ZERO
        diff = amt - ledger.get(symbol, ZERO)
        if diff != 0 and stable and symbol not in in_flight:
            recorded = _adopt(
                account,
                symbol,
                diff,
                amt,
                ledger.get(symbol, ZERO),
                state.entry_price if state else ZERO,
            )
            adopted.append(recorded.id)
            if recorded.reason == "backstop":
                exit_link_record(gateway, recorded)  # its realized PnL and the stream's reason
        if state is None:
            Position.objects.filter(account=account, symbol=symbol).delete()
            continue
        tick = gateway.filters(symbol=symbol).tick_size
        pos = Position.objects.filter(account=account, symbol=symbol).first()
        fresh = pos is None or (pos.amount > 0) != (amt > 0)
        if pos is None:
            pos = Position(account=account, symbol=symbol, opened_at=now, entries=0)
        elif fresh:
            pos.opened_at, pos.entries = now, 0
        changed_entry = fresh or pos.entry_price != state.entry_price
        if fresh or abs(amt) > abs(pos.amount):
            pos.entries += 1
        pos.amount, pos.entry_price = amt, state.entry_price
        pos.mark_price, pos.unrealized_pnl = state.mark_price, state.unrealized_pnl
        pos.leverage = totals.leverage.get(symbol, pos.leverage or 1)
        if changed_entry:
            levels_set(pos, tick)
        else:
            best_mark_follow(pos, tick)
        pos.save()
    equity_note(account=account, state=totals)
    return {"positions": len(exchange), "orders_seen": orders, "adopted": adopted, "stable": stable}


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
