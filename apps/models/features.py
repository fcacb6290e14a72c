"""Features and the meta regime, computed from klines with numpy.

Kline prices are Decimal; here they become float arrays (`np.asarray(..., dtype=float)`) because
features and scores are statistics, not money: nothing computed here is ever sent as a price or
quantity. Every function is pure (same klines, same result) so training, live inference and the
backtests agree bar for bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class KlineLike(Protocol):
    open_time_ms: int
    high: Any
    low: Any
    close: Any


# Model inputs: kline-derived only, so a model trained on history sees the same columns live.
FEATURE_NAMES: tuple[str, ...] = (
    "ret_1",
    "ret_5",
    "ret_15",
    "ret_60",
    "vol_15",
    "vol_60",
    "vol_ratio",
    "trend_t",
    "range_pos",
)
LOOKBACK = 60  # bars of history one feature row needs (plus one for the first return)

REGIMES = ("trend_up", "trend_down", "range", "volatile")
REGIME_WINDOW = 120  # bars judged: long enough for a drift to show, short enough to follow
REGIME_BASELINE = 1440  # bars of the symbol's own past its "normal" volatility is read from
REGIME_VOL_RATIO = 1.6  # robust volatility this many times the baseline: volatile
REGIME_TREND_T = 1.0  # |net move| over this many window standard deviations: a trend


def arrays(klines: Sequence[KlineLike]) -> dict[str, np.ndarray]:
    """close/high/low as float arrays (Decimal -> float is fine for statistics, not for money)."""
    return {
        "close": np.asarray([k.close for k in klines], dtype=float),
        "high": np.asarray([k.high for k in klines], dtype=float),
        "low": np.asarray([k.low for k in klines], dtype=float),
    }


def _rolling_std(values: np.ndarray, window: int) -> np.ndarray:
    return sliding_window_view(values, window).std(axis=1)


def feature_matrix(close: np.ndarray, high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """One row per bar i >= LOOKBACK, using bars [i - LOOKBACK, i] only (never the future).

    Row k describes bar LOOKBACK + k. Vectorised: the whole history in one pass.
    """
    n = len(close)
    if n <= LOOKBACK:
        return np.empty((0, len(FEATURE_NAMES)))
    logc = np.log(close)
    rets = np.diff(logc)  # rets[j] = return of bar j + 1
    idx = np.arange(LOOKBACK, n)

    def ret(k: int) -> np.ndarray:
        return logc[idx] - logc[idx - k]

    # std of the 15 / 60 one-bar returns ending at bar i: windows of rets ending at i - 1.
    vol_15 = _rolling_std(rets, 15)[LOOKBACK - 15 :]
    vol_60 = _rolling_std(rets, 60)[: n - LOOKBACK]
    safe_60 = np.where(vol_60 > 0, vol_60, np.nan)
    vol_ratio = np.nan_to_num(vol_15 / safe_60, nan=1.0)
    trend_t = np.nan_to_num(ret(60) / (safe_60 * np.sqrt(60)), nan=0.0)
    hi = sliding_window_view(high, LOOKBACK + 1).max(axis=1)
    lo = sliding_window_view(low, LOOKBACK + 1).min(axis=1)
    span = np.where(hi > lo, hi - lo, np.nan)
    range_pos = np.nan_to_num((close[idx] - lo) / span - 0.5, nan=0.0)
    return np.column_stack(
        [ret(1), ret(5), ret(15), ret(60), vol_15, vol_60, vol_ratio, trend_t, range_pos]
    )


def feature_row(klines: Sequence[KlineLike]) -> np.ndarray | None:
    """The features of the last kline, or None without enough history."""
    if len(klines) <= LOOKBACK:
        return None
    a = arrays(klines[-(LOOKBACK + 1) :])
    return feature_matrix(a["close"], a["high"], a["low"])[-1]


def labels_up(close: np.ndarray, horizon: int) -> np.ndarray:
    """1 where the close `horizon` bars later is higher, for bars LOOKBACK .. n - horizon - 1."""
    n = len(close)
    idx = np.arange(LOOKBACK, n - horizon)
    return (close[idx + horizon] > close[idx]).astype(int)


# --- meta regime -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegimeReading:
    regime: str
    vol_ratio: float  # robust window volatility / the symbol's baseline
    trend_score: float  # net log move / (robust sigma x sqrt(window))
    sigma: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "regime": self.regime,
            "vol_ratio": round(self.vol_ratio, 4),
            "trend_score": round(self.trend_score, 4),
            "sigma": round(self.sigma, 8),
        }


def _robust_sigma(values: np.ndarray) -> float:
    # MAD x 1.4826: a 2 % jump in the window must not make a quiet trend look "volatile".
    return np.median(np.abs(values - np.median(values))) * 1.4826


def regime_classify(close: np.ndarray) -> RegimeReading | None:
    """Regime of the last bar from the symbol's own closes, unsupervised: volatility against its
    own baseline first (volatile), then the size of the net move against that volatility
    (trend up / down), else range. None with fewer than REGIME_WINDOW + 1 closes."""
    if len(close) <= REGIME_WINDOW:
        return None
    rets = np.diff(np.log(close[-(REGIME_BASELINE + 1) :]))
    window = rets[-REGIME_WINDOW:]
    sigma = _robust_sigma(window)
    baseline = _robust_sigma(rets)
    vol_ratio = sigma / baseline if baseline > 0 else 1.0
    trend = window.sum() / (sigma * np.sqrt(REGIME_WINDOW)) if sigma > 0 else 0.0
    if vol_ratio > REGIME_VOL_RATIO:
        regime = "volatile"
    elif trend > REGIME_TREND_T:
        regime = "trend_up"
    elif trend < -REGIME_TREND_T:
        regime = "trend_down"
    else:
        regime = "range"
    # np.float64 is already a Python float subclass: JSON-safe without conversion.
    return RegimeReading(regime, vol_ratio, trend, sigma)
