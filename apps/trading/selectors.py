"""Reads of the trading context."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from apps.core.money import ZERO
from apps.exchange.models import ExchangeAccount
from apps.market.models import Kline
from apps.market.selectors import klines_recent
from apps.trading.models import (
    FILLED_STATES,
    IN_FLIGHT_STATES,
    Backstop,
    BackstopStatus,
    DeskState,
    ExchangeOrder,
    IntentAction,
    IntentState,
    Position,
    PositionIntent,
    RiskPolicy,
    Side,
)
from apps.trading.risk import Book


def policy_get() -> RiskPolicy:
    policy, _ = RiskPolicy.objects.get_or_create(pk=1)
    return policy


def desk_get() -> DeskState:
    desk, _ = DeskState.objects.get_or_create(pk=1)
    return desk


def trading_accounts() -> QuerySet[ExchangeAccount]:
    accounts = ExchangeAccount.objects.filter(is_active=True)
    if settings.TRADING_ACCOUNT:
        accounts = accounts.filter(name=settings.TRADING_ACCOUNT)
    return accounts.order_by("id")


def ledger_amounts(*, account_id: int) -> dict[str, Decimal]:
    """Signed position per symbol as the desk's own intents add up (adopted ones included).
    Reconciliation keeps this equal to the exchange's positionAmt (docs/trading.md)."""
    amounts: dict[str, Decimal] = {}
    rows = PositionIntent.objects.filter(
        account_id=account_id, state__in=FILLED_STATES, executed_qty__gt=0
    ).values_list("symbol", "side", "executed_qty")
    for symbol, side, qty in rows:
        signed = qty if side == Side.BUY else -qty
        amounts[symbol] = amounts.get(symbol, ZERO) + signed
    return {s: a for s, a in amounts.items() if a != 0}


def symbol_ledger(*, account_id: int, symbol: str) -> tuple[Decimal, bool]:
    """(the symbol's signed amount as the intents add up, whether one of its intents is in
    flight), in one query over that symbol's intents only: the reactor asks on every exit."""
    amount, in_flight = ZERO, False
    rows = PositionIntent.objects.filter(
        account_id=account_id,
        symbol=symbol,
        state__in={*FILLED_STATES, *IN_FLIGHT_STATES},
    ).values_list("state", "side", "executed_qty")
    for state, side, qty in rows:
        in_flight = in_flight or state in IN_FLIGHT_STATES
        if state in FILLED_STATES:
            amount += qty if side == Side.BUY else -qty
    return amount, in_flight


def last_action(*, account_id: int, symbol: str) -> str | None:
    """The action of the symbol's latest intent that changed (or may change) the position."""
    return (
        PositionIntent.objects.filter(account_id=account_id, symbol=symbol)
        .exclude(state__in=[IntentState.REJECTED, IntentState.FAILED])
        .order_by("-id")
        .values_list("action", flat=True)
        .first()
    )


def in_flight_symbols(*, account_id: int) -> set[str]:
    return set(
        PositionIntent.objects.filter(account_id=account_id, state__in=IN_FLIGHT_STATES)
        .values_list("symbol", flat=True)
        .distinct()
    )


def ledger_state(*, account_id: int) -> tuple[dict[str, Decimal], set[str], int]:
    """(ledger amounts, symbols in flight, newest intent id): read twice around a venue read to
    know nothing moved in between."""
    newest = PositionIntent.objects.filter(account_id=account_id).aggregate(m=Max("id"))["m"]
    return (
        ledger_amounts(account_id=account_id),
        in_flight_symbols(account_id=account_id),
        newest or 0,
    )


def book_for(*, account_id: int, exclude_intent_id: int | None = None) -> Book:
    """Exposure: open positions at their last mark, plus in-flight intents that add risk at
    their reference price (so two quick decisions cannot both squeeze under one limit)."""
    book = Book()
    for pos in Position.objects.filter(account_id=account_id).exclude(amount=0):
        book.exposure_by_symbol[pos.symbol] = abs(pos.amount) * pos.mark_price
        book.entries_by_symbol[pos.symbol] = pos.entries
    pending = PositionIntent.objects.filter(
        account_id=account_id,
        state__in=IN_FLIGHT_STATES,
        reduce_only=False,
        action__in=[IntentAction.OPEN, IntentAction.ADD],
    ).exclude(id=exclude_intent_id)
    for intent in pending:
        notional = intent.quantity * (intent.reference_price or ZERO)
        book.exposure_by_symbol[intent.symbol] = (
            book.exposure_by_symbol.get(intent.symbol, ZERO) + notional
        )
        book.entries_by_symbol[intent.symbol] = book.entries_by_symbol.get(intent.symbol, 0) + 1
    return book


def _filtered(qs: QuerySet, **filters: str | None) -> QuerySet:
    """Apply each given filter as an exact, upper-cased match (symbols, sides, states are)."""
    given = {field: value.upper() for field, value in filters.items() if value}
    return qs.filter(**given)


def _of_account(qs: QuerySet, account: ExchangeAccount | None) -> QuerySet:
    """One account's rows, or (None) every account's."""
    return qs if account is None else qs.filter(account=account)


def intents_list(
    *,
    symbol: str | None = None,
    side: str | None = None,
    state: str | None = None,
    account: ExchangeAccount | None = None,
) -> QuerySet[PositionIntent]:
    """Intents, newest first, filtered by whichever of symbol / side / state / account is
    given."""
    qs = _of_account(PositionIntent.objects.select_related("account").order_by("-id"), account)
    return _filtered(qs, symbol=symbol, side=side, state=state)


def orders_list(
    *,
    symbol: str | None = None,
    side: str | None = None,
    status: str | None = None,
    account: ExchangeAccount | None = None,
) -> QuerySet[ExchangeOrder]:
    """Orders as the exchange reported them, newest first, filtered likewise."""
    qs = ExchangeOrder.objects.select_related("account").order_by("-order_id")
    return _filtered(_of_account(qs, account), symbol=symbol, side=side, status=status)


def positions_open(*, account: ExchangeAccount | None = None) -> QuerySet[Position]:
    """Open positions (of one account, or of every account), each with `backstop_price`: its
    working exchange-side backstop, if any."""
    working = Backstop.objects.filter(
        account=OuterRef("account"), symbol=OuterRef("symbol"), status=BackstopStatus.OPEN
    ).order_by("-id")
    return _of_account(
        Position.objects.select_related("account")
        .exclude(amount=0)
        .annotate(backstop_price=Subquery(working.values("trigger_price")[:1])),
        account,
    )


# The newest fills a symbol's chart carries (markers; more would only crowd the candles).
CHART_MAX_FILLS = 200


@dataclass(frozen=True)
class SymbolChart:
    """A symbol's price chart: the stored closed klines (oldest first), its open positions with
    their exit levels and working backstop (`positions_open`), and the desk's fills in the
    candles' time range (intents with an executed quantity and a price, oldest first, each with
    `filled_at`). `known` is false for a symbol the desk neither trades nor has any record of."""

    symbol: str
    interval: str
    traded: bool
    candles: list[Kline]
    positions: list[Position]
    fills: list[PositionIntent]
    known: bool


def symbol_chart(*, symbol: str, interval: str, count: int) -> SymbolChart:
    symbol = symbol.upper()
    candles = klines_recent(symbol=symbol, interval=interval, count=count)
    positions = list(positions_open().filter(symbol=symbol).order_by("account_id"))
    fills = (
        PositionIntent.objects.select_related("account")
        .filter(symbol=symbol, state__in=FILLED_STATES, executed_qty__gt=0, avg_price__isnull=False)
        .annotate(filled_at=Coalesce("finished_at", "submitted_at", "created_at"))
    )
    if candles:
        fills = fills.filter(filled_at__gte=candles[0].open_time)
    newest = list(fills.order_by("-filled_at", "-id")[:CHART_MAX_FILLS])
    traded = symbol in settings.TRADING_SYMBOLS
    known = bool(
        traded
        or candles
        or positions
        or newest
        or PositionIntent.objects.filter(symbol=symbol).exists()
        or Kline.objects.filter(symbol=symbol).exists()
    )
    return SymbolChart(
        symbol=symbol,
        interval=interval,
        traded=traded,
        candles=candles,
        positions=positions,
        fills=newest[::-1],
        known=known,
    )
