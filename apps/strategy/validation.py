"""Honest validation of strategy searches: walk-forward folds, Sharpe ratios with their standard
error, and the deflated Sharpe ratio (Bailey & Lopez de Prado, "The Deflated Sharpe Ratio:
Correcting for Selection Bias, Backtest Overfitting and Non-Normality", 2014).

Pure functions of arrays (no I/O). Sharpe ratios here are per bar (not annualised) unless the
name says otherwise: the deflation works on the per-bar statistic and its sample length.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.stats import kurtosis, norm, skew

from apps.strategy.backtest import BARS_PER_YEAR

EULER_GAMMA = 0.5772156649015329


def sharpe_stats(net: np.ndarray) -> dict[str, float]:
    """Per-bar Sharpe ratio of net returns, its sample length, skewness and (Pearson, non-excess)
    kurtosis, and the annualised score with its standard error (Lo 2002 / Mertens 2002:
    se(SR) = sqrt((1 - skew SR + (kurt - 1) / 4 SR^2) / (T - 1)))."""
    t = len(net)
    std = float(net.std()) if t else 0.0
    sr = float(net.mean()) / std if std > 0 else 0.0
    g3 = float(skew(net)) if std > 0 and t > 2 else 0.0
    g4 = float(kurtosis(net, fisher=False)) if std > 0 and t > 3 else 3.0
    var = max(1 - g3 * sr + (g4 - 1) / 4 * sr * sr, 1e-12) / max(t - 1, 1)
    annual = math.sqrt(BARS_PER_YEAR)
    return {
        "sr": sr,
        "bars": t,
        "skew": g3,
        "kurtosis": g4,
        "score": round(sr * annual, 4),
        "score_se": round(math.sqrt(var) * annual, 4),
    }


def expected_max_sharpe(*, trials: int, variance: float) -> float:
    """SR0: the highest per-bar Sharpe ratio expected among N unskilled trials whose Sharpe
    ratios vary with `variance` (the false strategy theorem):
    sqrt(V) x ((1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e)))."""
    n = trials
    if n < 2:
        return 0.0
    sd = math.sqrt(variance)
    return sd * float(
        (1 - EULER_GAMMA) * norm.ppf(1 - 1 / n) + EULER_GAMMA * norm.ppf(1 - 1 / (n * math.e))
    )


def probabilistic_sharpe(*, stats: dict[str, float], benchmark_sr: float) -> float:
    """P(true SR > benchmark) given the observed per-bar SR, its length, skew and kurtosis."""
    sr, t = stats["sr"], stats["bars"]
    denom = math.sqrt(max(1 - stats["skew"] * sr + (stats["kurtosis"] - 1) / 4 * sr * sr, 1e-12))
    return float(norm.cdf((sr - benchmark_sr) * math.sqrt(max(t - 1, 1)) / denom))


def deflated_sharpe(*, stats: dict[str, float], trial_srs: list[float]) -> dict[str, float]:
    """The deflated Sharpe ratio of the search's winner: the probability its Sharpe ratio beats
    the best that `len(trial_srs)` unskilled trials would show by luck (SR0)."""
    variance = float(np.var(trial_srs, ddof=1)) if len(trial_srs) > 1 else 0.0
    sr0 = expected_max_sharpe(trials=len(trial_srs), variance=variance)
    return {
        "dsr": round(probabilistic_sharpe(stats=stats, benchmark_sr=sr0), 4),
        "sr0_score": round(sr0 * math.sqrt(BARS_PER_YEAR), 4),
        "trials": len(trial_srs),
    }


def fold_bounds(*, bars: int, folds: int) -> list[tuple[int, int, int]]:
    """Walk-forward folds over `bars`: the series is cut into folds + 1 equal blocks; fold k
    searches on blocks 0..k-1 (expanding window) and is scored on block k, which it never saw.
    (train_end, test_start, test_end) per fold; test_start == train_end (no gap is needed: a
    backtest's position on bar i earns only bar i + 1's return)."""
    block = bars // (folds + 1)
    return [(k * block, k * block, (k + 1) * block) for k in range(1, folds + 1)]


def beats(
    *,
    candidate: dict[str, float],
    baseline: dict[str, float],
    margin_se: float,
    se: float | None = None,
) -> dict[str, Any]:
    """Whether `candidate`'s annualised score beats `baseline`'s (same bars) by `margin_se`
    standard errors (the candidate's own unless `se` is given): the noise a difference has to
    clear to count."""
    margin = margin_se * (candidate["score_se"] if se is None else se)
    return {
        "score": candidate["score"],
        "baseline": baseline["score"],
        "margin": round(margin, 4),
        "passed": bool(candidate["score"] - baseline["score"] > margin),
    }


FLAT = {"score": 0.0, "score_se": 0.0}  # the baseline without an incumbent: staying out


def promotion_test(
    validation: dict[str, Any], *, dsr_min: float, margin_se: float
) -> dict[str, Any]:
    """The candidate is promoted only when all three hold (docs/intelligence.md):
    - its deflated Sharpe ratio is above `dsr_min` (the search's luck is accounted for);
    - the search's pooled walk-forward score beats the incumbent's on the same blocks by
      `margin_se` standard errors;
    - its hold-out score beats the incumbent's on the same (never searched) bars.
    Without an incumbent the baseline is staying flat (score 0)."""
    incumbent = validation.get("incumbent") or {}
    wf = validation.get("walk_forward")
    checks = {
        "deflated_sharpe": {
            "dsr": validation["deflated"]["dsr"],
            "min": dsr_min,
            "passed": validation["deflated"]["dsr"] > dsr_min,
        },
        "walk_forward": beats(
            candidate=wf, baseline=incumbent.get("walk_forward", FLAT), margin_se=margin_se
        )
        if wf
        else {"passed": False, "why": "no walk-forward folds"},
        "holdout": beats(
            candidate=validation["holdout"],
            baseline=incumbent.get("holdout", FLAT),
            margin_se=0.0,
        ),
    }
    failed = [name for name, check in checks.items() if not check["passed"]]
    return {
        "promote": not failed,
        "checks": checks,
        "incumbent": incumbent.get("version_id"),
        "why": "beats the incumbent out of sample" if not failed else "fails: " + ", ".join(failed),
    }
