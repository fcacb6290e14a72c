"""Writes of the trading context: intents (the PIL), the desk's controls, the trading cycle."""

from __future__ import annotations

import logging
from decimal import ROUND_UP as UP
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from apps.core.locks import exclusive
from apps.core.money import ZERO, money_str, quantize_step
from apps.core.timeutil import utcnow
from apps.exchange.crypto import DecryptionFailed
from apps.exchange.errors import ExchangeError
from apps.exchange.gateway import Gateway, gateway_for, session_gateway
from apps.exchange.models import ExchangeAccount
from apps.market.selectors import klines_recent
from apps.trading import hooks, selectors
from apps.trading.backstop import backstops_ensure
from apps.trading.exits import close_intent, exits_evaluate
from apps.trading.intents import intent_create
from apps.trading.models import (
    DeskEvent,
    DeskMode,
    DeskState,
    IntentAction,
    Position,
    PositionIntent,
    RiskPolicy,
    Side,
)
from apps.trading.reconciliation import intents_resume, positions_reconcile
from apps.trading.signal_sources import Signal, SignalSource, signal_source_default

logger = logging.getLogger(__name__)


# --- the desk's controls ------------------------------------------------------------------------


@transaction.atomic
def desk_set(
    *, mode: str | None = None, kill_switch: bool | None = None, reason: str = "", user=None
) -> DeskState:
    desk = DeskState.objects.select_for_update().get(pk=selectors.desk_get().pk)
    if mode is not None:
        if mode not in DeskMode.values:
            raise ValueError(f"unknown desk mode {mode!r}")
        desk.mode = mode
    if kill_switch is not None:
        desk.kill_switch = kill_switch
    desk.reason = reason[:255]
    desk.changed_by = user if getattr(user, "pk", None) else None
    desk.changed_at = utcnow()
    desk.save()
    DeskEvent.objects.create(
        action="desk_set",
        detail={"mode": desk.mode, "kill_switch": desk.kill_switch, "reason": reason},
        user=desk.changed_by,
    )
    logger.warning("desk set to %s, kill switch %s: %s", desk.mode, desk.kill_switch, reason)
    return desk


def desk_flatten(*, reason: str = "flatten", user=None) -> list[PositionIntent]:
    """Close every position of every trading account reduce-only, through intents like any
    other decision. Does not change the mode: pair with halt to stay flat.

    What to close is read from the exchange, not the desk's table, which can lag it by a
    monitor pass (a stop or a liquidation may have closed a position since): each account is
    reconciled first, under its cycle lock, and closed from the result. A flatten is the
    emergency exit, so an account whose exchange cannot be read right now is still closed, from
    its table, and the audit trail says so: reduce-only closes cannot open anything, and they
    go out as soon as the exchange answers again."""
    intents = []
    sources: dict[str, str] = {}
    for account in selectors.trading_accounts():
        with exclusive(
            f"trading:cycle:{account.id}",
            timeout=settings.TRADING_CYCLE_LOCK_SECONDS,
            wait=settings.TRADING_CYCLE_LOCK_WAIT_SECONDS,
        ):
            try:
                # a session of its own: the cached one belongs to a worker process, and this
                # may run in a threaded web process
                gateway = gateway_for(
                    account=account, timeout=settings.TRADING_ORDER_TIMEOUT_SECONDS
                )
                positions_reconcile(account=account, gateway=gateway)
                sources[account.name] = "exchange"
            except (ExchangeError, DecryptionFailed) as exc:
                logger.warning("flatten %s: the exchange was not read (%s)", account.name, exc)
                sources[account.name] = f"table: the exchange was not read ({exc})"[:300]
            in_flight = selectors.in_flight_symbols(account_id=account.id)
            for pos in Position.objects.filter(account=account).exclude(amount=0):
                if pos.symbol in in_flight:
                    # A close may already be on its way; the next flatten or exit catches the rest.
                    continue
                intents.append(close_intent(position=pos, reason=reason))
    DeskEvent.objects.create(
        action="flatten",
        detail={"reason": reason, "intents": [i.id for i in intents], "sources": sources},
        user=user if getattr(user, "pk", None) else None,
    )
    return intents


# --- the trading cycle ----------------------------------------------------------------------------


def _sizing(*, signal: Signal, policy: RiskPolicy) -> tuple[Decimal, dict]:
    """The notional of an entry and what the snapshot keeps about how it was chosen.

    With TRADING_RL_SIZING the `size` hook (the RL agent) picks a multiplier of
    TRADING_ORDER_NOTIONAL in the signal's context (confidence, regime, volatility from the
    `market_context` hook); without it, or when the hook is absent or fails, the flat notional.
    Either way the risk policy's per-symbol exposure is a hard bound here, and risk_evaluate
    judges the rest (total exposure, entries, leverage) as for any intent."""
    base = settings.TRADING_ORDER_NOTIONAL
    context = hooks.call("market_context", symbol=signal.symbol) or {}
    extra: dict = {"context": context}
    notional = base
    if settings.TRADING_RL_SIZING:
        sizing = hooks.call(
            "size",
            symbol=signal.symbol,
            confidence=signal.confidence,
            regime=context.get("regime"),
            vol_ratio=context.get("vol_ratio"),
            base_notional=base,
            leverage=settings.TRADING_LEVERAGE,
        )
        if sizing is not None:
            notional = Decimal(sizing["notional"])
            extra["sizing"] = {**sizing, "notional": money_str(notional), "by": "rl"}
    if "sizing" not in extra:
        extra["sizing"] = {"notional": money_str(base), "multiplier": "1", "by": "fixed"}
    bound = policy.max_exposure_per_symbol
    if notional > bound:
        notional = bound
        extra["sizing"]["bounded_by_policy"] = money_str(bound)
    strategy = hooks.call("strategy", symbol=signal.symbol)
    if strategy is not None:
        extra["strategy"] = strategy
    return notional, extra


def _scale(
    *,
    account: ExchangeAccount,
    signal: Signal,
    amount: Decimal,
    gateway: Gateway,
    policy: RiskPolicy,
) -> PositionIntent | None:
    """Holding in the signal's direction: add to a winner the signal is sure of, or halve a
    position the signal has stopped being sure of (docs/trading.md, "Decisions")."""
    holding = 1 if amount > 0 else -1
    filters = gateway.filters(symbol=signal.symbol)
    position = Position.objects.filter(account=account, symbol=signal.symbol).first()
    if signal.confidence < policy.min_confidence:
        last = selectors.last_action(account_id=account.id, symbol=signal.symbol)
        cut = quantize_step(abs(amount) * settings.TRADING_REDUCE_FRACTION, filters.step_size)
        if (
            last == IntentAction.REDUCE
            or cut < filters.min_qty
            or abs(amount) - cut < filters.min_qty
        ):
            return None  # once per entry; a remainder too small to keep is the exits' to close
        return intent_create(
            account=account,
            symbol=signal.symbol,
            side=Side.SELL if amount > 0 else Side.BUY,
            action=IntentAction.REDUCE,
            quantity=cut,
            reason="signal_weak",
            reduce_only=True,
            leverage=position.leverage if position else settings.TRADING_LEVERAGE,
            confidence=signal.confidence,
            signal=signal.snapshot(),
            reference_price=signal.price,
        )
    if position is None or position.entry_price <= 0:
        return None
    gain_pct = (signal.price - position.entry_price) / position.entry_price * 100 * holding
    if (
        signal.confidence < settings.TRADING_ADD_MIN_CONFIDENCE
        or gain_pct < settings.TRADING_ADD_AFTER_PCT
        or position.entries >= policy.max_entries_per_symbol
    ):
        return None
    notional, extra = _sizing(signal=signal, policy=policy)
    room = policy.max_exposure_per_symbol - abs(amount) * signal.price
    quantity = quantize_step(min(notional, room) / signal.price, filters.step_size)
    if quantity < filters.min_qty or quantity * signal.price < filters.min_notional:
        return None  # no room left under the per-symbol exposure: not a decision worth logging
    return intent_create(
        account=account,
        symbol=signal.symbol,
        side=Side.BUY if holding > 0 else Side.SELL,
        action=IntentAction.ADD,
        quantity=quantity,
        reason="signal_add",
        leverage=settings.TRADING_LEVERAGE,
        confidence=signal.confidence,
        signal={**signal.snapshot(), **extra, "gain_pct": money_str(gain_pct)},
        reference_price=signal.price,
    )


def _propose(
    *,
    account: ExchangeAccount,
    signal: Signal,
    amount: Decimal,
    gateway: Gateway,
    policy: RiskPolicy,
) -> PositionIntent | None:
    """Signal + current position -> at most one intent. Flat: open in the signal's direction,
    sized by `_sizing`. Holding against a confident signal: close (the next cycle may open the
    other way). Holding with it: add or reduce (`_scale`)."""
    if signal.direction == 0 or signal.price is None:
        return None
    if amount != 0:
        holding = 1 if amount > 0 else -1
        if holding == signal.direction:
            return _scale(
                account=account, signal=signal, amount=amount, gateway=gateway, policy=policy
            )
        if signal.confidence < policy.min_confidence:
            return None
        return intent_create(
            account=account,
            symbol=signal.symbol,
            side=Side.SELL if amount > 0 else Side.BUY,
            action=IntentAction.CLOSE,
            quantity=abs(amount),
            reason="signal_flip",
            reduce_only=True,
            confidence=signal.confidence,
            signal=signal.snapshot(),
            reference_price=signal.price,
        )
    filters = gateway.filters(symbol=signal.symbol)
    notional, extra = _sizing(signal=signal, policy=policy)
    quantity = quantize_step(notional / signal.price, filters.step_size)
    if extra["sizing"]["by"] == "rl":
        # A small multiplier may fall under the symbol's minimum: trade the minimum instead
        # (recorded), or the arm would never be rewarded and be explored for ever.
        least = max(
            filters.min_qty,
            quantize_step(filters.min_notional / signal.price, filters.step_size, rounding=UP),
        )
        if quantity < least and least * signal.price <= policy.max_exposure_per_symbol:
            extra["sizing"]["raised_to_minimum"] = money_str(least)
            quantity = least
    reject = None
    if quantity < filters.min_qty or quantity * signal.price < filters.min_notional:
        reject = f"size {quantity} below the symbol's minimum quantity or notional"
    return intent_create(
        account=account,
        symbol=signal.symbol,
        side=Side.BUY if signal.direction > 0 else Side.SELL,
        action=IntentAction.OPEN,
        quantity=quantity,
        reason="signal",
        leverage=settings.TRADING_LEVERAGE,
        confidence=signal.confidence,
        signal={**signal.snapshot(), **extra},
        reference_price=signal.price,
        reject_reason=reject,
    )


def signals_evaluate(
    *,
    account: ExchangeAccount,
    gateway: Gateway,
    source: SignalSource | None = None,
    symbols: list[str] | None = None,
) -> list[PositionIntent]:
    """One pass of the strategy over the configured symbols: intents for what it decides."""
    explicit = source is not None
    source = source or signal_source_default()
    desk = selectors.desk_get()
    if not desk.allows_new_risk:
        return []  # closes come from the exit brain; no new risk while halted or defensive
    policy = selectors.policy_get()
    in_flight = selectors.in_flight_symbols(account_id=account.id)
    amounts = selectors.ledger_amounts(account_id=account.id)
    made = []
    for symbol in symbols or settings.TRADING_SYMBOLS:
        if symbol in in_flight:
            continue
        # The brain's active strategy version for the symbol drives its signal (hook
        # `strategy_source`); the configured source otherwise. A source passed in is used as is.
        picked = None if explicit else hooks.call("strategy_source", symbol=symbol)
        symbol_source = picked if picked is not None else source
        klines = klines_recent(
            symbol=symbol,
            interval=settings.MARKET_KLINE_INTERVAL,
            count=symbol_source.history_needed(),
        )
        signal = symbol_source.evaluate(symbol=symbol, klines=klines)
        intent = _propose(
            account=account,
            signal=signal,
            amount=amounts.get(symbol, ZERO),
            gateway=gateway,
            policy=policy,
        )
        if intent is not None:
            made.append(intent)
    return made


def trading_cycle(*, account_id: int, with_signals: bool = True) -> dict:
    """Reconcile with the exchange, run the exit brain, resume stuck intents, then (unless only
    monitoring) evaluate signals. The caller holds the account's cycle lock."""
    account = ExchangeAccount.objects.get(id=account_id)
    gateway = session_gateway(account=account)
    summary = positions_reconcile(account=account, gateway=gateway)
    summary["exits"] = [i.id for i in exits_evaluate(account=account)]
    summary["resumed"] = intents_resume(account=account)
    summary["backstops"] = backstops_ensure(account=account, gateway=gateway)
    if with_signals:
        summary["intents"] = [i.id for i in signals_evaluate(account=account, gateway=gateway)]
    return summary
