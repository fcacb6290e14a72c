"""The policy of the sizing agent, as pure functions of its state (no I/O): easy to test and to
replay. A contextual Thompson-sampling bandit over size multipliers, valuing each arm by the
mean-variance utility of its rewards, so a larger size has to earn its larger swings.

Why the arms share one posterior: a trade's PnL scales with its size (reward = net PnL per
unit of risk; fees and funding scale with the notional too), so reward / multiplier is a draw
of the same per-unit return whichever arm took it. Every trade of a context therefore teaches
the agent about every arm: value(m) = m x mu - risk_aversion x m^2 x sigma^2, with mu and sigma
the per-unit mean and standard deviation pooled over the context's arms. Arms valued apart
(the epsilon-greedy agent before) needed hundreds of trades to tell 1.5x from 2.0x and often
settled on neither (issue 16); pooled, 20 of 20 seeds settle within 64 trades
(docs/intelligence.md, tests/rl/test_rl_convergence.py). A decision cut by the hard cap took
less than its multiplier, so its reward / multiplier reads low: a bias against large arms, the
safe side.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

MIN_PULLS = 1  # every arm is tried once, so each shows its own figures; then the posterior rules


@dataclass
class ArmView:
    multiplier: Decimal
    n: int
    mean: float
    m2: float

    @property
    def var(self) -> float:
        return self.m2 / (self.n - 1) if self.n > 1 else 0.0


def confidence_bucket(confidence: Decimal) -> str:
    if confidence < Decimal("0.6"):
        return "conf_low"
    return "conf_mid" if confidence < Decimal("0.75") else "conf_high"


def vol_bucket(vol_ratio: float | None) -> str:
    if vol_ratio is None:
        return "vol_na"
    if vol_ratio < 0.8:
        return "vol_calm"
    return "vol_normal" if vol_ratio < 1.3 else "vol_wild"


def context_key(*, confidence: Decimal, regime: str | None, vol_ratio: float | None) -> str:
    return f"{confidence_bucket(confidence)}|{regime or 'regime_na'}|{vol_bucket(vol_ratio)}"


def per_unit(arms: list[ArmView]) -> tuple[int, float, float]:
    """(n, mean, M2) of reward / multiplier over all the context's rewards: each arm's running
    statistics rescaled to one unit of size, merged with Chan's parallel form of Welford."""
    n, mean, m2 = 0, 0.0, 0.0
    for a in arms:
        k = float(a.multiplier)
        if a.n == 0 or k <= 0:
            continue
        a_mean, a_m2 = a.mean / k, a.m2 / (k * k)
        total = n + a.n
        delta = a_mean - mean
        mean += delta * a.n / total
        m2 += a_m2 + delta * delta * n * a.n / total
        n = total
    return n, mean, m2


def _utility(multiplier: Decimal, mu: float, var: float, risk_aversion: float) -> float:
    k = float(multiplier)
    return k * mu - risk_aversion * k * k * var


def arm_values(arms: list[ArmView], risk_aversion: float) -> dict[Decimal, float]:
    """Each arm's value at the pooled per-unit estimates (the greedy view, what the API shows)."""
    n, mean, m2 = per_unit(arms)
    var = m2 / (n - 1) if n > 1 else 0.0
    return {a.multiplier: _utility(a.multiplier, mean, var, risk_aversion) for a in arms}


def greedy(arms: list[ArmView], risk_aversion: float) -> Decimal:
    """The arm of the highest estimated value; ties go to the smaller multiplier."""
    values = arm_values(arms, risk_aversion)
    return max(arms, key=lambda a: (values[a.multiplier], -a.multiplier)).multiplier


def _student_t(df: int, rng: random.Random) -> float:
    return rng.gauss(0.0, 1.0) / math.sqrt(rng.gammavariate(df / 2, 2.0) / df)


def choose(
    arms: list[ArmView], *, epsilon: float, risk_aversion: float, rng: random.Random
) -> tuple[Decimal, bool]:
    """(multiplier, explored). Untried arms first (smallest first); with probability epsilon
    (the calibrator's knob: it raises it when the market moved) a uniform arm; otherwise
    Thompson sampling: draw the per-unit mean from its posterior (Student t around the pooled
    mean, scale s / sqrt(n): flat prior, unknown variance) and take the arm that is best for
    that draw. `explored` is true when the pick is not the greedy arm. Ties go to the smaller
    multiplier (less risk for the same value)."""
    untried = [a for a in arms if a.n < MIN_PULLS]
    if untried:
        return min(untried, key=lambda a: (a.n, a.multiplier)).multiplier, True
    if rng.random() < epsilon:
        return rng.choice(arms).multiplier, True
    n, mean, m2 = per_unit(arms)
    var = m2 / (n - 1) if n > 1 else 0.0
    mu = mean + math.sqrt(var / n) * _student_t(n - 1, rng) if n > 1 else mean
    pick = max(arms, key=lambda a: (_utility(a.multiplier, mu, var, risk_aversion), -a.multiplier))
    return pick.multiplier, pick.multiplier != greedy(arms, risk_aversion)


def welford(n: int, mean: float, m2: float, value: float) -> tuple[int, float, float]:
    n += 1
    delta = value - mean
    mean += delta / n
    m2 += delta * (value - mean)
    return n, mean, m2
