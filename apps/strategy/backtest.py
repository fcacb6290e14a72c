"""A vectorised backtester over close prices (numpy, no Python loop over bars), and the
strategy families it runs. Positions are decided on bar i's close and earn bar i + 1's return;
every change of position pays the fee. Scores are statistics (floats), not money."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

BARS_PER_YEAR = 525_600  # 1-minute bars


@dataclass(frozen=True)
class Param:
    low: float
    high: float
    integer: bool


# The search space of each family: bounds keep evolution inside meaningful values.
FAMILIES: dict[str, dict[str, Param]] = {
    "ma_cross": {"fast": Param(3, 60, True), "slow": Param(10, 240, True)},
    "mean_revert": {"lookback": Param(10, 240, True), "z_entry": Param(0.5, 3.0, False)},
}


def params_valid(family: str, params: dict[str, Any]) -> bool:
    if family == "ma_cross":
        return params["fast"] < params["slow"]
    return True


def _sma(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    c = np.cumsum(np.insert(x, 0, 0.0))
    out[n - 1 :] = (c[n:] - c[:-n]) / n
    return out


def _rolling_std(x: np.ndarray, n: int) -> np.ndarray:
    mean = _sma(x, n)
    mean_sq = _sma(x * x, n)
    return np.sqrt(np.maximum(mean_sq - mean * mean, 0.0))


def positions(family: str, params: dict[str, Any], close: np.ndarray) -> np.ndarray:
    """-1 / 0 / +1 per bar, from information up to that bar's close only."""
    if family == "ma_cross":
        diff = _sma(close, int(params["fast"])) - _sma(close, int(params["slow"]))
        return np.nan_to_num(np.sign(diff))
    if family == "mean_revert":
        n = int(params["lookback"])
        sd = _rolling_std(close, n)
        z = np.divide(close - _sma(close, n), sd, out=np.zeros(len(close)), where=sd > 0)
        z = np.nan_to_num(z)
        return np.where(z > params["z_entry"], -1.0, np.where(z < -params["z_entry"], 1.0, 0.0))
    raise ValueError(f"unknown strategy family {family!r}")


def net_returns(
    family: str,
    params: dict[str, Any],
    close: np.ndarray,
    *,
    fee_bps: float,
    start: int = 0,
    end: int | None = None,
) -> np.ndarray:
    """Net per-bar log returns i -> i + 1 for i in [start, end) (end defaults to the last bar).
    Positions are computed from close[: end + 1], so a window that starts late is warmed up by
    the bars before it (information up to each bar's own close, never a later one), and a
    window's first bar pays the fee of entering whatever position it holds then."""
    end = len(close) - 1 if end is None else end
    window = close[: end + 1]
    pos = positions(family, params, window)
    rets = np.diff(np.log(window))
    held = pos[:-1]
    prev = np.concatenate(([0.0], pos[:-1]))
    turnover = np.abs(pos - prev)[:-1]
    if start > 0:
        turnover[start] = abs(pos[start])  # entering the window's first position
    net = held * rets - turnover * fee_bps / 10_000
    return net[start:end]


def backtest(
    family: str, params: dict[str, Any], close: np.ndarray, *, fee_bps: float
) -> dict[str, float]:
    """Net per-bar log returns of the strategy -> annualised Sharpe (the score), total return,
    number of position changes."""
    pos = positions(family, params, close)
    net = net_returns(family, params, close, fee_bps=fee_bps)
    return summary(net, changes=int(np.abs(np.diff(pos, prepend=0.0))[:-1].sum()))


def summary(net: np.ndarray, *, changes: int | None = None) -> dict[str, Any]:
    std = net.std() if len(net) else 0.0
    score = (net.mean() / std * np.sqrt(BARS_PER_YEAR)).item() if std > 0 else 0.0
    out: dict[str, Any] = {
        "score": round(score, 4),
        "total_return": round(np.expm1(net.sum()).item(), 6),
        "bars": len(net),
    }
    if changes is not None:
        out["changes"] = changes
    return out
