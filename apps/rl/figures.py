"""The figures the calibrator acts on (docs/intelligence.md, "The calibrator's changes and their
effect"): one definition, read by the calibrator when it changes a parameter and by the API when
it shows the same figure over the trades since. Statistics over rewards: floats."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ROBUST_SIGMA = "robust_sigma"
MEAN_REWARD = "mean_reward"
# The figure each calibrated parameter is fitted from: the clip is 4 robust sigmas of the
# rewards; exploration is judged by what the trades pay per unit of risk.
PARAMETER_FIGURE = {"reward_clip": ROBUST_SIGMA, "epsilon": MEAN_REWARD}
MAD_TO_SIGMA = 1.4826  # a normal's sigma per median absolute deviation


def robust_sigma(values: Sequence[float]) -> float:
    arr = np.asarray(values, dtype=float)
    return (np.median(np.abs(arr - np.median(arr))) * MAD_TO_SIGMA).item()


def figure(name: str, values: Sequence[float]) -> dict:
    """{value, n, se} of a figure over rewards; value and se None over no reward (se None for
    the robust sigma and under two rewards)."""
    n = len(values)
    if n == 0:
        return {"value": None, "n": 0, "se": None}
    arr = np.asarray(values, dtype=float)
    if name == ROBUST_SIGMA:
        return {"value": round(robust_sigma(arr), 6), "n": n, "se": None}
    se = round((arr.std(ddof=1) / np.sqrt(n)).item(), 6) if n > 1 else None
    return {"value": round(arr.mean().item(), 6), "n": n, "se": se}
