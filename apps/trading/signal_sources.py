"""Signal sources: one interface, one default strategy.

A source turns the recent closed klines of a symbol into a `Signal`: a direction (+1 long, -1
short, 0 stand aside) and a confidence in [0, 1]. Sources are pure and deterministic (same
klines, same signal), so a decision can be replayed from the snapshot stored on its intent.
Another source (the models app's ensemble) plugs in through settings.TRADING_SIGNAL_SOURCE
(auto | rule | ensemble | a dotted path).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from apps.core.money import ZERO, money_str
from apps.trading import hooks

ONE = Decimal(1)
HALF = Decimal("0.5")
CONF_PLACES = Decimal("0.0001")


class KlineLike(Protocol):
    high: Decimal
    low: Decimal
    close: Decimal
    open_time_ms: int


@dataclass(frozen=True)
class Signal:
    symbol: str
    direction: int  # +1 long, -1 short, 0 none
    confidence: Decimal
    price: Decimal | None
    source: str
    features: dict[str, Any] = field(default_factory=dict)

    def snapshot(self) -> dict[str, Any]:
        """JSON for the intent's signal column: Decimals as strings."""
        return {
            "symbol": self.symbol,
            "direction": self.direction,
            "confidence": money_str(self.confidence),
            "price": money_str(self.price) if self.price is not None else None,
            "source": self.source,
            "features": {
                k: money_str(v) if isinstance(v, Decimal) else v for k, v in self.features.items()
            },
        }


class SignalSource(Protocol):
    name: str

    def history_needed(self) -> int:
        """How many closed klines `evaluate` wants."""
        ...

    def evaluate(self, *, symbol: str, klines: list[KlineLike]) -> Signal: ...


def _sma(values: list[Decimal]) -> Decimal:
    return sum(values, ZERO) / len(values)


def _atr(klines: list[KlineLike], period: int) -> Decimal:
    """Average true range over the last `period` klines (simple mean, not Wilder's smoothing:
    simpler to check by hand, and the filter only needs its order of magnitude)."""
    ranges = []
    for prev, cur in zip(klines[-period - 1 : -1], klines[-period:], strict=True):
        ranges.append(
            max(cur.high - cur.low, abs(cur.high - prev.close), abs(cur.low - prev.close))
        )
    return _sma(ranges)


class MaCrossAtr:
    """Trend following: long when the fast simple moving average of closes is above the slow one,
    short when below; stand aside when the ATR (as % of price) is outside [min, max] (too quiet
    to pay the fees, or too wild for the stop). Confidence = 0.5 + 0.5 x min(1, |fast - slow| /
    ATR): a gap of one ATR between the averages is full conviction."""

    name = "ma_cross_atr"

    def __init__(
        self,
        *,
        fast: int | None = None,
        slow: int | None = None,
        atr_period: int | None = None,
        atr_min_pct: Decimal | None = None,
        atr_max_pct: Decimal | None = None,
    ) -> None:
        self.fast = fast or settings.TRADING_MA_FAST
        self.slow = slow or settings.TRADING_MA_SLOW
        self.atr_period = atr_period or settings.TRADING_ATR_PERIOD
        self.atr_min_pct = atr_min_pct if atr_min_pct is not None else settings.TRADING_ATR_MIN_PCT
        self.atr_max_pct = atr_max_pct if atr_max_pct is not None else settings.TRADING_ATR_MAX_PCT
        if not 0 < self.fast < self.slow:
            raise ValueError("the fast average must be shorter than the slow one")

    def history_needed(self) -> int:
        return max(self.slow, self.atr_period + 1)

    def evaluate(self, *, symbol: str, klines: list[KlineLike]) -> Signal:
        if len(klines) < self.history_needed():
            return Signal(symbol, 0, ZERO, None, self.name, {"why": "not enough klines"})
        closes = [k.close for k in klines]
        price = closes[-1]
        fast = _sma(closes[-self.fast :])
        slow = _sma(closes[-self.slow :])
        atr = _atr(klines, self.atr_period)
        atr_pct = atr / price * 100 if price else ZERO
        features = {
            "ma_fast": fast.quantize(CONF_PLACES),
            "ma_slow": slow.quantize(CONF_PLACES),
            "atr": atr.quantize(CONF_PLACES),
            "atr_pct": atr_pct.quantize(CONF_PLACES),
            "last_open_time": klines[-1].open_time_ms,
        }
        if atr == 0 or not self.atr_min_pct <= atr_pct <= self.atr_max_pct:
            features["why"] = "atr filter"
            return Signal(symbol, 0, ZERO, price, self.name, features)
        gap = fast - slow
        direction = 1 if gap > 0 else -1 if gap < 0 else 0
        strength = min(ONE, abs(gap) / atr)
        confidence = (HALF + HALF * strength).quantize(CONF_PLACES) if direction else ZERO
        return Signal(symbol, direction, confidence, price, self.name, features)


def signal_source_name() -> str:
    """The source the loop uses now: `rule` or `ensemble` by name; `auto` is the ensemble once
    at least one model is live (the `live_models` hook), else the rule; anything else is a
    dotted path `module:Class` (or `module.Class`)."""
    choice = settings.TRADING_SIGNAL_SOURCE
    if choice == "auto":
        return "ensemble" if hooks.call("live_models") else "rule"
    return choice


def signal_source_default() -> SignalSource:
    name = signal_source_name()
    path = settings.TRADING_SIGNAL_SOURCES.get(name, name)
    if ":" in path:
        module, _, attr = path.partition(":")
        return getattr(importlib.import_module(module), attr)()
    return import_string(path)()
