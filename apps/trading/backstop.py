"""Exchange-side backstops: one wide STOP_MARKET closePosition per open position.

The exit brain (exits.py) enforces take profit, stop loss and the trailing stop, but only while
the desk runs. The backstop is the venue's guard for when it does not: `TRADING_BACKSTOP_PCT`
(3 %) beyond the entry, by the mark price, well outside the monitor's stop loss, so in normal
operation the monitor closes first and the backstop is withdrawn.

Each cycle makes the venue agree with the positions: a backstop for every open position that has
none (or whose entry moved), none for a symbol without a position. A backstop is a row before it
is an order (`qb-<id>` is its clientAlgoId), so after a timeout the venue is asked, never sent a
second one. When one fires, the monitor records the close it made as a FILLED intent with reason
`backstop` (reconciliation._adopt) and its exit reaches the PnL stream with that reason.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from apps.core.money import quantize_step
from apps.core.timeutil import utcnow
from apps.exchange.errors import (
    CANCEL_REJECTED,
    ORDER_NOT_FOUND,
    FatalExchangeError,
    RetryableExchangeError,
)
from apps.exchange.gateway import Gateway
from apps.exchange.models import ExchangeAccount
from apps.exchange.reports import AlgoOrderReport
from apps.trading import selectors
from apps.trading.models import (
    LIVE_BACKSTOP_STATES,
    Backstop,
    BackstopStatus,
    Position,
    Side,
)

logger = logging.getLogger(__name__)

# After the venue refused a backstop (e.g. -2021: the mark is already past it), wait this long
# before asking again: the monitor's own stop loss is the guard meanwhile.
RETRY_AFTER_FAILURE = timedelta(seconds=60)


def backstop_level(*, position: Position, tick: Decimal) -> tuple[str, Decimal]:
    """(closing side, trigger price): `TRADING_BACKSTOP_PCT` beyond the entry, to the tick."""
    pct = settings.TRADING_BACKSTOP_PCT / 100
    long = position.amount > 0
    price = position.entry_price * (1 - pct if long else 1 + pct)
    return (Side.SELL if long else Side.BUY), quantize_step(price, tick, rounding=ROUND_HALF_UP)


def _lookup(gateway: Gateway, backstop: Backstop) -> AlgoOrderReport | None:
    return gateway.algo_find(symbol=backstop.symbol, client_algo_id=backstop.client_algo_id)


def _apply(backstop: Backstop, doc: AlgoOrderReport) -> None:
    """Record what the venue says about the algo order."""
    backstop.algo_id = doc.algo_id or backstop.algo_id
    if doc.fired:
        backstop.status = BackstopStatus.TRIGGERED
        backstop.order_id = doc.actual_order_id or backstop.order_id
    elif doc.working:
        backstop.status = BackstopStatus.OPEN
    else:  # CANCELED, EXPIRED, REJECTED: not working
        backstop.status = BackstopStatus.CANCELED
    backstop.save(update_fields=["status", "algo_id", "order_id", "updated_at"])


def _send(gateway: Gateway, backstop: Backstop) -> None:
    try:
        doc = gateway.algo_place(
            symbol=backstop.symbol,
            side=backstop.side,
            trigger_price=backstop.trigger_price,
            client_algo_id=backstop.client_algo_id,
        )
    except FatalExchangeError as exc:
        backstop.status = BackstopStatus.FAILED
        backstop.error_code, backstop.error_message = exc.code, str(exc)[:500]
        backstop.save(update_fields=["status", "error_code", "error_message", "updated_at"])
        logger.warning("backstop %s refused: %s", backstop.client_algo_id, exc)
        return
    _apply(backstop, doc)


def _withdraw(gateway: Gateway, backstop: Backstop) -> None:
    """Cancel on the venue; if it is not working any more, record why (fired or gone)."""
    try:
        gateway.algo_cancel(symbol=backstop.symbol, client_algo_id=backstop.client_algo_id)
    except FatalExchangeError as exc:
        if exc.code not in (CANCEL_REJECTED, ORDER_NOT_FOUND):
            raise
        doc = _lookup(gateway, backstop)
        if doc is not None:
            _apply(backstop, doc)
            return
    backstop.status = BackstopStatus.CANCELED
    backstop.save(update_fields=["status", "updated_at"])


def _settle(
    gateway: Gateway,
    backstop: Backstop,
    want: tuple[str, Decimal] | None,
    in_flight: bool,
) -> str | None:
    """One live backstop against its symbol's wanted level: settle a PENDING one (ask before
    sending), keep a right one, withdraw one whose position is gone or whose entry moved.
    Returns "placed" or "kept" (the symbol is covered), "withdrawn", or None."""
    right = want == (backstop.side, backstop.trigger_price)
    sent = False
    if backstop.status == BackstopStatus.PENDING:
        doc = _lookup(gateway, backstop)
        if doc is None and right and not in_flight:
            _send(gateway, backstop)  # never reached the venue: send it now, same id
            sent = True
        elif doc is None:
            backstop.status = BackstopStatus.CANCELED  # never placed, no longer wanted
            backstop.save(update_fields=["status", "updated_at"])
        else:
            _apply(backstop, doc)
    if backstop.status != BackstopStatus.OPEN:
        return None
    if want is not None and (right or in_flight):
        # right, or an order is in flight: keep it until the position settles
        return "placed" if sent else "kept"
    _withdraw(gateway, backstop)  # no position, or its entry moved: replaced by the caller
    return "withdrawn"


def backstops_ensure(*, account: ExchangeAccount, gateway: Gateway) -> dict[str, list[int]]:
    """Make the venue's backstops agree with the reconciled positions (call after the monitor
    reconciled them). Idempotent; a timeout leaves a PENDING row that the next call settles."""
    if settings.TRADING_BACKSTOP_PCT <= 0:
        return {"placed": [], "withdrawn": []}
    positions = {p.symbol: p for p in Position.objects.filter(account=account).exclude(amount=0)}
    in_flight = selectors.in_flight_symbols(account_id=account.id)
    wanted: dict[str, tuple[str, Decimal]] = {}
    for symbol, pos in positions.items():
        tick = gateway.filters(symbol=symbol).tick_size
        wanted[symbol] = backstop_level(position=pos, tick=tick)
    placed, withdrawn = [], []
    covered: set[str] = set()
    for backstop in Backstop.objects.filter(account=account, status__in=LIVE_BACKSTOP_STATES):
        try:
            outcome = _settle(
                gateway, backstop, wanted.get(backstop.symbol), backstop.symbol in in_flight
            )
        except RetryableExchangeError as exc:
            # the venue did not answer: the row keeps its state, the next cycle asks again
            logger.warning("backstop %s: venue did not answer: %s", backstop.client_algo_id, exc)
            covered.add(backstop.symbol)
            continue
        if outcome in ("placed", "kept"):
            covered.add(backstop.symbol)
        if outcome == "placed":
            placed.append(backstop.id)
        elif outcome == "withdrawn":
            withdrawn.append(backstop.id)
    since = utcnow() - RETRY_AFTER_FAILURE
    recently_refused = set(
        Backstop.objects.filter(
            account=account, status=BackstopStatus.FAILED, updated_at__gte=since
        ).values_list("symbol", flat=True)
    )
    for symbol, (side, price) in sorted(wanted.items()):
        if symbol in covered or symbol in in_flight or symbol in recently_refused:
            continue
        pos = positions[symbol]
        backstop = Backstop.objects.create(
            account=account,
            symbol=symbol,
            side=side,
            trigger_price=price,
            entry_price=pos.entry_price,
        )
        try:
            _send(gateway, backstop)
        except RetryableExchangeError as exc:
            logger.warning("backstop %s: venue did not answer: %s", backstop.client_algo_id, exc)
            continue  # PENDING: the next cycle asks the venue before sending again
        if backstop.status == BackstopStatus.OPEN:
            placed.append(backstop.id)
    return {"placed": placed, "withdrawn": withdrawn}


def backstop_fired(*, account: ExchangeAccount, symbol: str) -> Backstop | None:
    """A fired backstop of the symbol whose close is not recorded yet."""
    return (
        Backstop.objects.filter(
            account=account, symbol=symbol, status=BackstopStatus.TRIGGERED, intent=None
        )
        .order_by("-id")
        .first()
    )
