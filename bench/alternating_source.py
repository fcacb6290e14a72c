"""A signal source for bench/tick_to_order.py's kline phase: long on klines whose open time is
an even number of intervals, short on odd ones, confidence 0.9. Against the desk's ledger that
is an order on every closed kline (flat -> OPEN, held against it -> CLOSE, `signal_flip`), so
each kline's path to its order can be timed; the strategy is trivial on purpose, the path it
takes (kline stream -> reactor -> signals_evaluate -> intent -> risk -> executor) is the desk's.

    TRADING_SIGNAL_SOURCE=bench.alternating_source:Alternating
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from apps.market.services import INTERVAL_MS
from apps.trading.signal_sources import KlineLike, Signal

CONFIDENCE = Decimal("0.9")  # above every tier's floor: a flip always closes


class Alternating:
    name = "bench_alternating"

    def history_needed(self) -> int:
        return 1

    def evaluate(self, *, symbol: str, klines: list[KlineLike]) -> Signal:
        if not klines:
            return Signal(symbol, 0, Decimal(0), None, self.name, {"why": "no kline"})
        last = klines[-1]
        step = INTERVAL_MS[settings.MARKET_KLINE_INTERVAL]
        direction = 1 if (last.open_time_ms // step) % 2 == 0 else -1
        return Signal(symbol, direction, CONFIDENCE, last.close, self.name, {})
