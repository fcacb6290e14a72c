"""The default signal source: two moving averages, an ATR filter, confidence in [0, 1]."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from apps.trading.signal_sources import MaCrossAtr

D = Decimal


@dataclass
class K:
    close: Decimal
    high: Decimal
    low: Decimal
    open_time_ms: int = 0


def klines(closes: list[str], spread: str = "1") -> list[K]:
    return [K(D(c), D(c) + D(spread), D(c) - D(spread), i * 60_000) for i, c in enumerate(closes)]


def source(**kw) -> MaCrossAtr:
    base = {"fast": 3, "slow": 6, "atr_period": 4, "atr_min_pct": D("0"), "atr_max_pct": D("50")}
    return MaCrossAtr(**{**base, **kw})


def test_it_goes_long_in_an_uptrend_and_short_in_a_downtrend():
    up = source().evaluate(symbol="X", klines=klines([str(100 + i) for i in range(10)]))
    down = source().evaluate(symbol="X", klines=klines([str(100 - i) for i in range(10)]))
    assert (up.direction, down.direction) == (1, -1)
    assert D("0.5") < up.confidence <= 1 and up.confidence == down.confidence


def test_it_is_deterministic_and_snapshots_decimals_as_strings():
    data = klines([str(100 + i % 4) for i in range(12)])
    a, b = source().evaluate(symbol="X", klines=data), source().evaluate(symbol="X", klines=data)
    assert a == b
    snap = a.snapshot()
    assert isinstance(snap["confidence"], str) and isinstance(snap["features"]["atr"], str)


def test_it_stands_aside_without_enough_history_or_outside_the_atr_band():
    assert source().evaluate(symbol="X", klines=klines(["100"] * 3)).direction == 0
    quiet = source(atr_min_pct=D("5")).evaluate(
        symbol="X", klines=klines([str(100 + i) for i in range(10)])
    )
    assert quiet.direction == 0 and quiet.features["why"] == "atr filter"


def test_confidence_is_one_when_the_averages_are_an_atr_apart():
    sig = source().evaluate(symbol="X", klines=klines([str(100 + 10 * i) for i in range(10)]))
    assert sig.confidence == 1
