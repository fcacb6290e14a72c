"""An in-process gateway for the trading-rule tests: the Gateway Protocol over a few dicts.

Rule tests (sizing, risk, signals into intents, cross-venue basis) need a venue only to answer
with filters and prices; a paper venue process adds seconds and nothing they check. Anything
about the venue itself (idempotency, reconciliation, backstops, e2e) stays on the paper venue
over HTTP. The fake returns the same report types as apps.exchange.gateway.BinanceGateway and
keeps a log of what it was asked (`calls`), so a test can also say what was *not* asked.
"""

from __future__ import annotations

from decimal import Decimal

from apps.exchange.client import CallStats
from apps.exchange.gateway import Gateway
from apps.exchange.reports import (
    AccountReport,
    MarkReport,
    PositionReport,
    SymbolFilters,
    TickerReport,
)

D = Decimal
BTC_FILTERS = SymbolFilters("BTCUSDT", D("0.1"), D("0.001"), D("0.001"), D("5"))
ETH_FILTERS = SymbolFilters("ETHUSDT", D("0.01"), D("0.001"), D("0.001"), D("5"))


class FakeGateway:
    """Answers from its dicts; what it cannot know it refuses loudly (AssertionError), so a rule
    test that starts needing the venue fails instead of passing on a made-up answer."""

    def __init__(
        self,
        *,
        account_id: int | None = None,
        prices: dict[str, str] | None = None,
        filters: dict[str, SymbolFilters] | None = None,
        positions: list[PositionReport] | None = None,
        wallet: str = "10000",
    ) -> None:
        self.account_id = account_id
        self.prices = {s: D(p) for s, p in (prices or {}).items()}
        self.symbol_filters = filters or {"BTCUSDT": BTC_FILTERS, "ETHUSDT": ETH_FILTERS}
        self.open_positions = list(positions or [])
        self.wallet = D(wallet)
        self.calls: list[str] = []
        self._stats = CallStats()

    @property
    def stats(self) -> CallStats:
        return self._stats

    def _asked(self, name: str) -> None:
        self.calls.append(name)
        self._stats.calls += 1
        self._stats.by_method[name] = self._stats.by_method.get(name, 0) + 1

    def filters(self, *, symbol: str) -> SymbolFilters:
        self._asked("filters")
        return self.symbol_filters[symbol]

    def tickers(self) -> list[TickerReport]:
        self._asked("tickers")
        return [TickerReport(s, p) for s, p in sorted(self.prices.items())]

    def mark(self, *, symbol: str) -> MarkReport:
        self._asked("mark")
        return MarkReport(symbol, self.prices[symbol], self.prices[symbol], D(0), 0, 0)

    def positions(self) -> list[PositionReport]:
        self._asked("positions")
        return sorted(self.open_positions, key=lambda p: p.symbol)

    def account(self) -> AccountReport:
        self._asked("account")
        unrealized = sum((p.unrealized_pnl for p in self.open_positions), D(0))
        margin = sum((p.initial_margin for p in self.open_positions), D(0))
        return AccountReport(
            wallet_balance=self.wallet,
            margin_balance=self.wallet + unrealized,
            available_balance=self.wallet + unrealized - margin,
            unrealized_pnl=unrealized,
            initial_margin=margin,
            maint_margin=D(0),
            positions=tuple(self.positions()),
            leverage={p.symbol: p.leverage or 1 for p in self.open_positions},
        )

    def __getattr__(self, name: str):
        # Orders, fills, income, klines: the paper venue's business, not a rule test's.
        if name in Gateway.__dict__:
            raise AssertionError(f"FakeGateway.{name}: a rule test asked the venue for {name}")
        raise AttributeError(name)
