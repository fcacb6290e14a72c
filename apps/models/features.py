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


# Model inputs: kline-derived, plus the market app's funding rate and cross-exchange basis joined
# to each bar's close (last known value, 0 before the first), so a model trained on history sees
# the same columns live.
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
    "funding_bps",  # funding rate last settled at or before the bar's close, in basis points
    "basis_bps",  # price here vs the reference venue at the bar's close, in basis points
)
LOOKBACK = 60  # bars of history one feature row needs (plus one for the first return)

REGIMES = ("trend_up", "trend_down", "range", "volatile")
REGIME_WINDOW = 120  # bars judged: long enough for a drift to show, short enough to follow
REGIME_BASELINE = 1440  # bars of the symbol's own past its "normal" volatility is read from
REGIME_VOL_RATIO = 1.6  # robust volatility this many times the baseline: volatile
REGIME_TREND_T = 1.0  # |net move| over this many window standard deviations: a trend


def close_times(klines: Sequence[KlineLike]) -> np.ndarray:
    """Each bar's close time in ms (the stored close_time_ms, else the open time + 1 minute - 1)."""
    return np.asarray(
        [getattr(k, "close_time_ms", None) or k.open_time_ms + 59_999 for k in klines],
        dtype=np.int64,
    )


def asof(times_ms: np.ndarray, history: Sequence[tuple[int, Any]], *, scale: int = 1) -> np.ndarray:
    """The last value of `history` ((time_ms, value), oldest first) known at each time, x scale;
    0 before the first observation. A value is known from its own time on: never the future."""
    if not len(history):
        return np.zeros(len(times_ms))
    obs_t = np.asarray([t for t, _ in history], dtype=np.int64)
    obs_v = np.asarray([v for _, v in history], dtype=float) * scale
    pos = np.searchsorted(obs_t, times_ms, side="right") - 1
    return np.where(pos >= 0, obs_v[np.maximum(pos, 0)], 0.0)


def arrays(
    klines: Sequence[KlineLike],
    *,
    funding: Sequence[tuple[int, Any]] = (),
    basis: Sequence[tuple[int, Any]] = (),
) -> dict[str, np.ndarray]:
    """close/high/low as float arrays (Decimal -> float is fine for statistics, not for money),
    and the funding rate (bps) and basis (bps) histories joined to each bar's close."""
    times = close_times(klines)
    return {
        "close": np.asarray([k.close for k in klines], dtype=float),
        "high": np.asarray([k.high for k in klines], dtype=float),
        "low": np.asarray([k.low for k in klines], dtype=float),
        "funding": asof(times, funding, scale=10_000),
        "basis": asof(times, basis),
    }


def _rolling_std(values: np.ndarray, window: int) -> np.ndarray:
    return sliding_window_view(values, window).std(axis=1)


def feature_matrix(
    close: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    funding: np.ndarray | None = None,
    basis: np.ndarray | None = None,
) -> np.ndarray:
    """One row per bar i >= LOOKBACK, using bars [i - LOOKBACK, i] only (never the future);
    `funding` and `basis` are per-bar values already joined as of each close (zeros if None).

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
    funding_bps = funding[idx] if funding is not None else np.zeros(len(idx))
    basis_bps = basis[idx] if basis is not None else np.zeros(len(idx))
    return np.column_stack(
        [
            ret(1),
            ret(5),
            ret(15),
            ret(60),
            vol_15,
            vol_60,
            vol_ratio,
            trend_t,
            range_pos,
            funding_bps,
            basis_bps,
        ]
    )


def matrix(a: dict[str, np.ndarray]) -> np.ndarray:
    """feature_matrix of an `arrays` dict."""
    return feature_matrix(a["close"], a["high"], a["low"], a.get("funding"), a.get("basis"))


def feature_row(
    klines: Sequence[KlineLike],
    *,
    funding: Sequence[tuple[int, Any]] = (),
    basis: Sequence[tuple[int, Any]] = (),
) -> np.ndarray | None:
    """The features of the last kline, or None without enough history."""
    if len(klines) <= LOOKBACK:
        return None
    return matrix(arrays(klines[-(LOOKBACK + 1) :], funding=funding, basis=basis))[-1]


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
