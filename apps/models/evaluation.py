"""Hold-out evaluation of a signal model against the base rates it has to beat.

Pure functions of arrays (no I/O), so a test can recompute every figure by hand. Scores are
floats: statistics, never money.

Why each baseline:
- always-up / always-down: the accuracy a model gets for free from the hold-out's drift (a
  falling market makes "always down" right 58 % of the time). As forecasts they say P(up) = 1
  or 0, so their Brier is the share of the other side and their log loss is unbounded (one miss
  costs -ln 0): stored as None.
- coin flip: P(up) = 0.5 every time: accuracy 0.5, Brier 0.25, log loss ln 2.
- base rate: P(up) = the share of ups in the fitted data every time (known at training time,
  so it is a forecast a model could have made): the probability baseline to beat.

The accuracy interval is Wilson's at 95 % on the effective sample: labels of overlapping
horizons (each bar's label spans the next `horizon` bars) are not independent, so n is divided
by the horizon, which widens the interval instead of claiming an edge the data cannot carry.
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054  # two-sided 95 % normal quantile
LN2 = math.log(2)
# Log loss of a probability clipped away from 0 and 1: a model's certain miss costs ~34.5, not inf.
EPS = 1e-15


def wilson_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion (successes / n); (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def log_losses(prob_up: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-sample log loss -ln P(outcome)."""
    p = np.clip(prob_up.astype(float), EPS, 1 - EPS)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def _r(x: float, places: int = 5) -> float:
    return round(float(x), places)


def holdout_report(
    prob_up: np.ndarray, y: np.ndarray, *, horizon: int = 1, fit_base_rate: float | None = None
) -> dict:
    """The model's hold-out figures beside the base rates', with the verdict.

    `edge` is true only when the lower bound of the accuracy interval is above the best base
    accuracy (always-up, always-down or the coin flip, whichever scored most on this hold-out).
    `probability_skill` is true only when the model's log loss is below the better of the coin
    flip and the base rate by more than its own 95 % interval (paired per-sample differences,
    normal approximation on the effective sample)."""
    y = np.asarray(y, dtype=float)
    prob_up = np.asarray(prob_up, dtype=float)
    n = len(y)
    if n == 0:
        raise ValueError("an empty hold-out cannot be evaluated")
    share_up = float(y.mean())
    base_p = share_up if fit_base_rate is None else float(fit_base_rate)
    correct = (prob_up > 0.5) == (y == 1)
    accuracy = float(correct.mean())
    brier = float(np.mean((prob_up - y) ** 2))
    losses = log_losses(prob_up, y)
    n_eff = n / max(int(horizon), 1)
    lo, hi = wilson_interval(accuracy * n_eff, n_eff)

    base_losses = log_losses(np.full(n, base_p), y)
    baselines = {
        "always_up": {"accuracy": _r(share_up, 4), "brier": _r(1 - share_up), "log_loss": None},
        "always_down": {
            "accuracy": _r(1 - share_up, 4),
            "brier": _r(share_up),
            "log_loss": None,
        },
        "coin_flip": {"accuracy": 0.5, "brier": 0.25, "log_loss": _r(LN2)},
        "base_rate": {
            "p_up": _r(base_p, 4),
            "accuracy": _r(share_up if base_p > 0.5 else 1 - share_up, 4),
            "brier": _r(np.mean((base_p - y) ** 2)),
            "log_loss": _r(base_losses.mean()),
        },
    }
    accuracies = {k: v["accuracy"] for k, v in baselines.items() if k != "base_rate"}
    best_name = max(accuracies, key=lambda k: accuracies[k])

    # The better probability baseline on this hold-out, then the model's paired gain over it.
    coin_losses = np.full(n, LN2)
    ref_name, ref_losses = (
        ("base_rate", base_losses) if base_losses.mean() < LN2 else ("coin_flip", coin_losses)
    )
    diff = losses - ref_losses
    half = Z95 * float(diff.std(ddof=1)) / math.sqrt(n_eff) if n > 1 else math.inf
    gain_hi = float(diff.mean()) + half

    edge = lo > accuracies[best_name]
    return {
        "n": n,
        "n_effective": _r(n_eff, 1),
        "accuracy": _r(accuracy, 4),
        "accuracy_ci": [_r(lo, 4), _r(hi, 4)],
        "ci_level": 0.95,
        "brier": _r(brier),
        "brier_skill": _r(1 - brier / 0.25),
        "log_loss": _r(losses.mean()),
        "base_rate_up": _r(share_up, 4),
        "baselines": baselines,
        "best_base": {"name": best_name, "accuracy": accuracies[best_name]},
        "edge": bool(edge),
        "log_loss_vs": {
            "baseline": ref_name,
            "diff": _r(diff.mean()),
            "ci": [_r(diff.mean() - half), _r(gain_hi)],
        },
        "probability_skill": bool(gain_hi < 0),
        "verdict": "edge" if edge else "no edge",
    }


def significance_weight(
    *, hits: float, n: int, base: float, horizon: int = 1, alpha: float = 0.05
) -> dict:
    """Ensemble weight of a model that has to prove its hit rate is not luck.

    One-sided test of accuracy over `base` (the best of always-up, always-down and the coin
    flip on the same outcomes): z = (acc - base) / sqrt(base (1 - base) / n_eff), p = 1 - Phi(z),
    on n_eff = n / horizon (overlapping labels, as in holdout_report). The weight is the excess
    hit rate shrunk by the evidence: max(0, acc - base) x max(0, 1 - p / alpha). It is exactly 0
    until p < alpha, so a model at the base rate (the 50 % case) weighs nothing however many
    predictions it made, and a significant one keeps a weight that grows with its edge."""
    n_eff = n / max(int(horizon), 1)
    accuracy = hits / n if n else 0.0
    excess = accuracy - base
    if n_eff <= 0 or base <= 0 or base >= 1:
        p_value = 1.0
    else:
        z = excess / math.sqrt(base * (1 - base) / n_eff)
        p_value = 0.5 * math.erfc(z / math.sqrt(2))  # 1 - Phi(z)
    shrink = max(0.0, 1 - p_value / alpha)
    return {
        "rule": "significance",
        "accuracy": _r(accuracy, 4),
        "base": _r(base, 4),
        "n_effective": _r(n_eff, 1),
        "excess": _r(excess),
        "p_value": _r(p_value),
        "alpha": alpha,
        "shrink": _r(shrink),
        "weight": _r(max(0.0, excess) * shrink, 6),
    }
