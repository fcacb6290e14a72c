"""Signal sources for tests, plugged in by dotted path as an operator plugs in theirs
(settings.TRADING_SIGNAL_SOURCE = "tests.support.signal_sources:AlwaysLong")."""

from decimal import Decimal

from apps.trading.signal_sources import Signal


class AlwaysLong:
    """Wants a long on every evaluation: which run evaluates signals is then visible as an
    intent."""

    name = "always-long"

    def history_needed(self) -> int:
        return 0

    def evaluate(self, *, symbol: str, klines: list) -> Signal:
        return Signal(symbol, 1, Decimal("0.9"), Decimal("40000"), self.name)
