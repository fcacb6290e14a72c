"""An in-process venue for the trading-rule tests: the Gateway Protocol over plain dicts.

Rule tests (risk, exits, sizing, intents, cross-venue basis) need a venue that holds orders,
positions and a balance and answers with the typed reports; a paper venue process adds seconds
per module and nothing they check. Anything about the venue itself (idempotency after
timeouts, client-id rules under faults, the event path, e2e on a worker) stays on the paper
venue over HTTP.

`FakeExchange` is the exchange's side (not fake_binance.py's FakeVenue, which fakes Binance's
HTTP replies for the PnL tests): one book per account (wallet, positions, leverage, orders,
conditional orders, fills, income), a mark per symbol that the test sets, and a log of every
call. Market orders fill at once at the mark, with the paper venue's taker fee; a mark moved
through a STOP_MARKET closePosition fires it, as the venue does. `FakeGateway` is one account's
session on it and returns the same report types as apps.exchange.gateway.BinanceGateway; bad
input raises the same typed errors with Binance's codes (FatalExchangeError), and a test may
queue a fault for a method (`venue.fail_next("order_place", RetryableExchangeError(...))`).

    venue = FakeExchange(prices={"BTCUSDT": "40000"})
    with fake_gateways(venue, settings):  # every account session is now the fake's
        ...
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal

from apps.core.money import q8, to_e8
from apps.exchange.client import CallStats
from apps.exchange.errors import (
    CANCEL_REJECTED,
    DUPLICATE_CLIENT_ID,
    LISTEN_KEY_MISSING,
    ORDER_NOT_FOUND,
    ExchangeError,
    FatalExchangeError,
)
from apps.exchange.models import ExchangeAccount
from apps.exchange.reports import (
    QTY_PLACES,
    AccountReport,
    AlgoOrderReport,
    FillReport,
    FundingReport,
    IncomeReport,
    KlineReport,
    MarkReport,
    OrderReport,
    PositionReport,
    SymbolFilters,
    TickerReport,
)

D = Decimal
ZERO = D(0)
# The paper venue's filters and fees (apps/paper_exchange/symbols.py, config.py), so a rule test
# sizes against the same minimums as the e2e tests.
BTC_FILTERS = SymbolFilters("BTCUSDT", D("0.10"), D("0.001"), D("0.001"), D("100"))
ETH_FILTERS = SymbolFilters("ETHUSDT", D("0.01"), D("0.001"), D("0.001"), D("20"))
SOL_FILTERS = SymbolFilters("SOLUSDT", D("0.0100"), D("1"), D("1"), D("5"))
FILTERS = {f.symbol: f for f in (BTC_FILTERS, ETH_FILTERS, SOL_FILTERS)}
TAKER_FEE = D("0.0005")
DEFAULT_LEVERAGE = 20


def _refused(code: int, msg: str) -> FatalExchangeError:
    # The same text and fields as apps.exchange.client's mapping of a venue's 400 reply.
    return FatalExchangeError(f"HTTP 400 code {code}: {msg}", status=400, code=code)


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class _Position:
    amt: Decimal = ZERO
    entry: Decimal = ZERO


@dataclass
class Book:
    """One account as the venue keeps it."""

    wallet: Decimal
    positions: dict[str, _Position] = field(default_factory=dict)
    leverage: dict[str, int] = field(default_factory=dict)
    orders: dict[int, OrderReport] = field(default_factory=dict)  # by order id
    algos: dict[str, AlgoOrderReport] = field(default_factory=dict)  # by client algo id
    fills: list[FillReport] = field(default_factory=list)
    income: list[IncomeReport] = field(default_factory=list)
    used_client_ids: set[str] = field(default_factory=set)
    listen_keys: set[str] = field(default_factory=set)

    def amounts(self) -> dict[str, Decimal]:
        return {s: p.amt for s, p in sorted(self.positions.items()) if p.amt}


class FakeExchange:
    def __init__(
        self,
        *,
        prices: dict[str, str] | None = None,
        filters: dict[str, SymbolFilters] | None = None,
        wallet: str = "100000",
        strict_client_ids: bool = True,
    ) -> None:
        self.marks: dict[str, Decimal] = {s: D(p) for s, p in (prices or {}).items()}
        self.symbol_filters = dict(filters or FILTERS)
        self.klines: dict[tuple[str, str], list[KlineReport]] = {}
        self.funding: dict[str, list[FundingReport]] = {}  # settled rates, oldest first
        self.initial_wallet = D(wallet)
        # strict: -4116 for any client id ever used (the paper venue's default); loose: only
        # among open orders (Binance's rule; market orders here never stay open)
        self.strict_client_ids = strict_client_ids
        self.books: dict[int | None, Book] = {}
        self.calls: list[tuple[int | None, str]] = []
        self.faults: dict[str, list[ExchangeError]] = {}
        self._ids = itertools.count(1)

    # --- what a test does to the venue ---------------------------------------------------------

    def book(self, account_id: int | None) -> Book:
        if account_id not in self.books:
            self.books[account_id] = Book(wallet=self.initial_wallet)
        return self.books[account_id]

    def gateway(self, account_id: int | None = None) -> FakeGateway:
        return FakeGateway(venue=self, account_id=account_id)

    def set_price(self, symbol: str, price: str | Decimal) -> None:
        """Move the mark; conditional orders it crosses fire, as on the venue."""
        self.marks[symbol] = D(price)
        for account_id, book in self.books.items():
            for algo in list(book.algos.values()):
                if algo.symbol == symbol and algo.working and self._crossed(algo):
                    self._fire(account_id, book, algo)

    def fail_next(self, method: str, error: ExchangeError) -> None:
        """The next call of `method` (any account) raises `error` instead of answering."""
        self.faults.setdefault(method, []).append(error)

    def asked(self, method: str, account_id: int | None = None) -> int:
        return sum(1 for a, m in self.calls if m == method and (account_id in (None, a)))

    # --- matching ------------------------------------------------------------------------------

    def next_id(self) -> int:
        return next(self._ids)

    def mark_of(self, symbol: str) -> Decimal:
        if symbol not in self.symbol_filters:
            raise _refused(-1121, "Invalid symbol.")
        if symbol not in self.marks:
            raise AssertionError(f"FakeExchange: no mark for {symbol}; set_price it first")
        return self.marks[symbol]

    def _crossed(self, algo: AlgoOrderReport) -> bool:
        mark = self.marks[algo.symbol]
        return mark <= algo.trigger_price if algo.side == "SELL" else mark >= algo.trigger_price

    def _fire(self, account_id: int | None, book: Book, algo: AlgoOrderReport) -> None:
        pos = book.positions.get(algo.symbol)
        closing = pos is not None and pos.amt != 0 and (pos.amt > 0) == (algo.side == "SELL")
        if not closing:
            book.algos[algo.client_algo_id] = replace(algo, status="EXPIRED")
            return
        order = self.fill(
            book,
            symbol=algo.symbol,
            side=algo.side,
            qty=abs(pos.amt),
            client_order_id=algo.client_algo_id,
            reduce_only=True,
            order_type="STOP_MARKET",
        )
        book.algos[algo.client_algo_id] = replace(
            algo, status="FINISHED", actual_order_id=order.order_id
        )

    def fill(
        self,
        book: Book,
        *,
        symbol: str,
        side: str,
        qty: Decimal,
        client_order_id: str,
        reduce_only: bool,
        order_type: str = "MARKET",
    ) -> OrderReport:
        """Fill `qty` at the mark at once: the position, the wallet, one fill and its income."""
        price = self.mark_of(symbol)
        now = _now_ms()
        pos = book.positions.setdefault(symbol, _Position())
        signed = qty if side == "BUY" else -qty
        realized = ZERO
        if pos.amt and (pos.amt > 0) != (signed > 0):  # reduces (and maybe flips)
            closed = min(abs(signed), abs(pos.amt))
            realized = (price - pos.entry) * closed * (1 if pos.amt > 0 else -1)
        new_amt = pos.amt + signed
        if new_amt == 0:
            pos.entry = ZERO
        elif pos.amt == 0 or (pos.amt > 0) != (new_amt > 0):  # opened, or flipped
            pos.entry = price
        elif abs(new_amt) > abs(pos.amt):  # added: the average entry
            pos.entry = (pos.entry * abs(pos.amt) + price * qty) / abs(new_amt)
        pos.amt = new_amt
        commission = q8(qty * price * TAKER_FEE)
        book.wallet += realized - commission
        order = OrderReport(
            order_id=self.next_id(),
            client_order_id=client_order_id,
            symbol=symbol,
            status="FILLED",
            side=side,
            type=order_type,
            orig_qty=qty,
            executed_qty=qty,
            avg_price=price,
            reduce_only=reduce_only,
            update_ms=now,
        )
        book.orders[order.order_id] = order
        book.used_client_ids.add(client_order_id)
        trade = FillReport(
            trade_id=self.next_id(),
            order_id=order.order_id,
            symbol=symbol,
            side=side,
            price=price,
            qty=qty,
            realized_pnl=q8(realized),
            commission=commission,
            time_ms=now,
        )
        book.fills.append(trade)
        for kind, amount in (("REALIZED_PNL", q8(realized)), ("COMMISSION", -commission)):
            if amount:
                book.income.append(
                    IncomeReport(
                        tran_id=self.next_id(),
                        income_type=kind,
                        symbol=symbol,
                        amount=amount,
                        amount_e8=to_e8(amount),
                        asset="USDT",
                        info="",
                        trade_id=str(trade.trade_id),
                        time_ms=now,
                    )
                )
        return order


class FakeGateway:
    """One account's session on a FakeExchange: the Gateway Protocol, answered from the book."""

    def __init__(
        self,
        *,
        venue: FakeExchange | None = None,
        account_id: int | None = None,
        prices: dict[str, str] | None = None,
    ) -> None:
        self.venue = venue if venue is not None else FakeExchange(prices=prices)
        self.account_id = account_id
        self._stats = CallStats()

    @property
    def stats(self) -> CallStats:
        return self._stats

    @property
    def calls(self) -> list[str]:
        """What this account asked the venue, in order."""
        return [m for a, m in self.venue.calls if a == self.account_id]

    @property
    def _book(self) -> Book:
        return self.venue.book(self.account_id)

    def _asked(self, name: str) -> None:
        self.venue.calls.append((self.account_id, name))
        self._stats.calls += 1
        self._stats.by_method[name] = self._stats.by_method.get(name, 0) + 1
        queued = self.venue.faults.get(name)
        if queued:
            raise queued.pop(0)

    def _filters(self, symbol: str) -> SymbolFilters:
        try:
            return self.venue.symbol_filters[symbol]
        except KeyError:
            raise _refused(-1121, "Invalid symbol.") from None

    # --- account -------------------------------------------------------------------------------

    def server_time(self) -> int:
        self._asked("server_time")
        return _now_ms()

    def _position_reports(self, *, with_leverage: bool) -> list[PositionReport]:
        book = self._book
        out = []
        for symbol, pos in sorted(book.positions.items()):
            if not pos.amt:
                continue
            mark = self.venue.mark_of(symbol)
            leverage = book.leverage.get(symbol, DEFAULT_LEVERAGE)
            out.append(
                PositionReport(
                    symbol=symbol,
                    amt=pos.amt.quantize(QTY_PLACES),
                    entry_price=q8(pos.entry),
                    mark_price=mark,
                    unrealized_pnl=q8((mark - pos.entry) * pos.amt),
                    initial_margin=q8(abs(pos.amt) * mark / leverage),
                    notional=q8(pos.amt * mark),
                    leverage=leverage if with_leverage else None,  # positionRisk v3 has none
                )
            )
        return out

    def positions(self) -> list[PositionReport]:
        self._asked("positions")
        return self._position_reports(with_leverage=False)

    def account(self) -> AccountReport:
        self._asked("account")
        return self._account_report()

    def _account_report(self) -> AccountReport:
        book = self._book
        positions = self._position_reports(with_leverage=True)
        unrealized = sum((p.unrealized_pnl for p in positions), ZERO)
        margin = sum((p.initial_margin for p in positions), ZERO)
        return AccountReport(
            wallet_balance=q8(book.wallet),
            margin_balance=q8(book.wallet + unrealized),
            available_balance=q8(book.wallet + unrealized - margin),
            unrealized_pnl=q8(unrealized),
            initial_margin=q8(margin),
            maint_margin=ZERO,
            positions=tuple(positions),
            leverage={s: book.leverage.get(s, DEFAULT_LEVERAGE) for s in self.venue.symbol_filters},
        )

    def income_page(
        self, *, start_ms: int, end_ms: int, limit: int, page: int = 1
    ) -> list[IncomeReport]:
        self._asked("income_page")
        rows = [r for r in self._book.income if start_ms <= r.time_ms <= end_ms]
        rows.sort(key=lambda r: (r.time_ms, r.tran_id))
        return rows[(page - 1) * limit : page * limit]

    def fills(
        self,
        *,
        symbol: str,
        order_id: int | None = None,
        start_ms: int | None = None,
        from_id: int | None = None,
        limit: int = 1000,
    ) -> list[FillReport]:
        self._asked("fills")
        self._filters(symbol)
        rows = [f for f in self._book.fills if f.symbol == symbol]
        if order_id is not None:
            return [f for f in rows if f.order_id == order_id]
        if from_id is not None:
            return [f for f in rows if f.trade_id >= from_id][:limit]
        if start_ms is not None:
            rows = [f for f in rows if f.time_ms >= start_ms]
        return rows[:limit] if start_ms is not None else rows[-limit:]

    def leverage_set(self, *, symbol: str, leverage: int) -> int:
        self._asked("leverage_set")
        self._filters(symbol)
        if not 1 <= leverage <= 125:
            raise _refused(-4028, f"Leverage {leverage} is not valid")
        self._book.leverage[symbol] = leverage
        return leverage

    # --- orders --------------------------------------------------------------------------------

    def orders_since(
        self, *, symbol: str, order_id: int | None = None, limit: int = 500
    ) -> list[OrderReport]:
        self._asked("orders_since")
        self._filters(symbol)
        rows = sorted(
            (o for o in self._book.orders.values() if o.symbol == symbol),
            key=lambda o: o.order_id,
        )
        if order_id is None:
            return rows[-limit:]
        return [o for o in rows if o.order_id >= order_id][:limit]

    def order_find(self, *, symbol: str, client_order_id: str) -> OrderReport | None:
        self._asked("order_find")
        self._filters(symbol)
        found = [
            o
            for o in self._book.orders.values()
            if o.symbol == symbol and o.client_order_id == client_order_id
        ]
        return max(found, key=lambda o: o.order_id) if found else None

    def order_place(
        self,
        *,
        symbol: str,
        side: str,
        quantity: Decimal,
        client_order_id: str,
        reduce_only: bool = False,
    ) -> OrderReport:
        """A MARKET order, checked in the paper venue's order, filled at once at the mark."""
        self._asked("order_place")
        filters = self._filters(symbol)
        if side not in ("BUY", "SELL"):
            raise _refused(-1117, "Invalid side.")
        if _decimals(quantity) > _decimals(filters.step_size):
            raise _refused(-1111, "Precision is over the maximum defined for this asset.")
        if quantity <= 0:
            raise _refused(-4003, "Quantity less than or equal to zero.")
        if quantity % filters.step_size:
            raise _refused(-4023, "Quantity not increased by step size.")
        if quantity < filters.min_qty:
            raise _refused(-4004, "Quantity less than minimum quantity.")
        mark = self.venue.mark_of(symbol)
        if not reduce_only and quantity * mark < filters.min_notional:
            raise _refused(
                -4164,
                f"Order's notional must be no smaller than {filters.min_notional}"
                " (unless you choose reduce only).",
            )
        book = self._book
        if self.venue.strict_client_ids and client_order_id in book.used_client_ids:
            raise _refused(DUPLICATE_CLIENT_ID, "ClientOrderId is duplicated.")
        amt = book.positions.get(symbol, _Position()).amt
        if reduce_only:
            if amt == 0 or (amt > 0) == (side == "BUY"):
                raise _refused(-2022, "ReduceOnly Order is rejected.")
            quantity = min(quantity, abs(amt))
        else:
            opening = quantity if amt == 0 or (amt > 0) == (side == "BUY") else quantity - abs(amt)
            if opening > 0:
                leverage = book.leverage.get(symbol, DEFAULT_LEVERAGE)
                if opening * mark / leverage > self._account_report().available_balance:
                    raise _refused(-2019, "Margin is insufficient.")
        return self.venue.fill(
            book,
            symbol=symbol,
            side=side,
            qty=quantity,
            client_order_id=client_order_id,
            reduce_only=reduce_only,
        )

    def algo_find(self, *, symbol: str, client_algo_id: str) -> AlgoOrderReport | None:
        self._asked("algo_find")
        self._filters(symbol)
        algo = self._book.algos.get(client_algo_id)
        return algo if algo is not None and algo.symbol == symbol else None

    def algo_place(
        self, *, symbol: str, side: str, trigger_price: Decimal, client_algo_id: str
    ) -> AlgoOrderReport:
        """A STOP_MARKET closePosition triggered by the mark price."""
        self._asked("algo_place")
        filters = self._filters(symbol)
        if side not in ("BUY", "SELL"):
            raise _refused(-1117, "Invalid side.")
        if trigger_price <= 0 or trigger_price % filters.tick_size:
            raise _refused(-4014, "Price not increased by tick size.")
        book = self._book
        live = book.algos.get(client_algo_id)
        if live is not None and (self.venue.strict_client_ids or live.working):
            raise _refused(DUPLICATE_CLIENT_ID, "ClientOrderId is duplicated.")
        algo = AlgoOrderReport(
            algo_id=self.venue.next_id(),
            client_algo_id=client_algo_id,
            symbol=symbol,
            status="NEW",
            side=side,
            trigger_price=trigger_price,
            actual_order_id=None,
        )
        if self.venue._crossed(algo):
            raise _refused(-2021, "Order would immediately trigger.")
        book.algos[client_algo_id] = algo
        return algo

    def algo_cancel(self, *, symbol: str, client_algo_id: str) -> None:
        self._asked("algo_cancel")
        self._filters(symbol)
        algo = self._book.algos.get(client_algo_id)
        if algo is None or algo.symbol != symbol:
            raise _refused(ORDER_NOT_FOUND, "Order does not exist.")
        if not algo.working:
            raise _refused(CANCEL_REJECTED, "Unknown order sent.")
        self._book.algos[client_algo_id] = replace(algo, status="CANCELED")

    # --- market data ---------------------------------------------------------------------------

    def filters(self, *, symbol: str) -> SymbolFilters:
        self._asked("filters")
        return self._filters(symbol)

    def klines(
        self, *, symbol: str, interval: str, start_ms: int, end_ms: int, limit: int
    ) -> list[KlineReport]:
        self._asked("klines")
        self._filters(symbol)
        rows = self.venue.klines.get((symbol, interval), [])
        return [k for k in rows if start_ms <= k.open_time_ms <= end_ms][:limit]

    def funding_history(
        self, *, symbol: str, start_ms: int, end_ms: int, limit: int
    ) -> list[FundingReport]:
        self._asked("funding_history")
        self._filters(symbol)
        rows = self.venue.funding.get(symbol, [])
        return [f for f in rows if start_ms <= f.funding_time_ms <= end_ms][:limit]

    def mark(self, *, symbol: str) -> MarkReport:
        self._asked("mark")
        price = self.venue.mark_of(symbol)
        return MarkReport(symbol, price, price, ZERO, 0, _now_ms())

    def tickers(self) -> list[TickerReport]:
        self._asked("tickers")
        return [TickerReport(s, p) for s, p in sorted(self.venue.marks.items())]

    def listen_key_create(self) -> str:
        self._asked("listen_key_create")
        key = secrets.token_hex(16)
        self._book.listen_keys.add(key)
        return key

    def listen_key_keepalive(self, *, listen_key: str) -> None:
        self._asked("listen_key_keepalive")
        if listen_key not in self._book.listen_keys:
            raise _refused(LISTEN_KEY_MISSING, "This listenKey does not exist.")

    def listen_key_close(self, *, listen_key: str) -> None:
        self._asked("listen_key_close")
        self._book.listen_keys.discard(listen_key)


# --- the seam: settings.EXCHANGE_GATEWAY ---------------------------------------------------------
# apps.exchange.gateway builds every account session with the factory that setting names (and
# keys its cached sessions by it); while `fake_gateways` is active it names `connect` below,
# which hands out sessions on the venue installed last.

_installed: list[FakeExchange] = []


def connect(*, account: ExchangeAccount, timeout: float) -> FakeGateway:
    if not _installed:
        raise AssertionError("settings.EXCHANGE_GATEWAY names the fake, but no FakeExchange is set")
    return _installed[-1].gateway(account.id)


@contextmanager
def fake_gateways(venue: FakeExchange, settings) -> Iterator[FakeExchange]:
    """Every account session built while active is a FakeGateway on `venue`. `settings` is
    pytest-django's fixture: it restores EXCHANGE_GATEWAY when the test ends, in one stack with
    the test's own overrides (a separate override_settings would unwind out of order)."""
    _installed.append(venue)
    settings.EXCHANGE_GATEWAY = f"{__name__}.connect"
    try:
        yield venue
    finally:
        _installed.remove(venue)
