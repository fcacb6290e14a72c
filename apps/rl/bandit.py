"""The policy of the sizing agent, as pure functions of its state (no I/O): easy to test and to
replay. A contextual epsilon-greedy bandit over size multipliers, valuing each arm by the
mean-variance utility of its rewards, so a larger size has to earn its larger swings."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

MIN_PULLS = 3  # every arm of a context is tried this often before values are trusted
UCB_C = 0.5  # weight of the uncertainty bonus, in pooled standard deviations


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


def arm_value(arm: ArmView, risk_aversion: float) -> float:
    return arm.mean - risk_aversion * arm.var


def choose(
    arms: list[ArmView], *, epsilon: float, risk_aversion: float, rng: random.Random
) -> tuple[Decimal, bool]:
    """(multiplier, explored). Untried arms first, then epsilon-greedy on the utility; ties go to
    the smaller multiplier (less risk for the same value)."""
    untried = [a for a in arms if a.n < MIN_PULLS]
    if untried:
        return min(untried, key=lambda a: (a.n, a.multiplier)).multiplier, True
    if rng.random() < epsilon:
        return rng.choice(arms).multiplier, True
    # An upper-confidence bonus on top of epsilon: an arm that was unlucky in its first pulls
    # is still revisited while its estimate is uncertain, instead of being written off for ever.
    total = sum(a.n for a in arms)
    pooled = math.sqrt(sum(a.m2 for a in arms) / max(total - len(arms), 1))

    def optimistic(a: ArmView) -> float:
        return arm_value(a, risk_aversion) + UCB_C * pooled * math.sqrt(math.log(total) / a.n)

    best = max(arms, key=lambda a: (optimistic(a), -a.multiplier))
    return best.multiplier, False


def welford(n: int, mean: float, m2: float, value: float) -> tuple[int, float, float]:
    n += 1
    delta = value - mean
    mean += delta / n
    m2 += delta * (value - mean)
    return n, mean, m2
