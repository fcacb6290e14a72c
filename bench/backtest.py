"""Backtester throughput: bars/s of apps.strategy.backtest on one year of 1-minute klines
(525,600 bars, generated deterministically from a seed), next to a plain numpy pass over the
same array (log returns, their mean and std: the least any backtest must do).

    .venv/bin/python bench/backtest.py [--repeat 5]

Ends with `RESULT name=<backtest bars/s> baseline=<numpy pass bars/s> ratio=<r>`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apps.strategy.backtest import backtest  # noqa: E402  (pure numpy, no Django needed)

BARS = 525_600
CASES = [
    ("ma_cross", {"fast": 9, "slow": 21}),
    ("mean_revert", {"lookback": 60, "z_entry": 2.0}),
]


def prices(seed: int = 20260101) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 65_000 * np.exp(np.cumsum(rng.normal(0, 0.0007, BARS)))


def baseline(close: np.ndarray) -> float:
    rets = np.diff(np.log(close))
    return (rets.mean() / rets.std()).item()


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    close = prices()
    base_s = timed(lambda: baseline(close), args.repeat)
    per_case = {}
    for family, params in CASES:
        seconds = timed(lambda f=family, p=params: backtest(f, p, close, fee_bps=4), args.repeat)
        per_case[family] = seconds
        result = backtest(family, params, close, fee_bps=4)
        print(f"{family:12s} {BARS / seconds:,.0f} bars/s  ({seconds * 1000:.1f} ms)  {result}")
    ours_s = statistics.mean(per_case.values())
    ours, base = BARS / ours_s, BARS / base_s
    print(f"numpy pass   {base:,.0f} bars/s  ({base_s * 1000:.1f} ms)")
    print(f"RESULT name={ours:.0f} baseline={base:.0f} ratio={ours / base:.3f}")


if __name__ == "__main__":
    main()
