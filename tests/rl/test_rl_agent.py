"""The sizing agent's state lives in the DB; the hard cap always holds; every arm is tried
before the posterior decides. That it settles on the better arm, through the real reward path
over 20 seeds, is tests/rl/test_rl_convergence.py."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from apps.rl import bandit, services
from apps.rl.models import ArmStat, SizingDecision

pytestmark = pytest.mark.django_db

# Per unit of risk (a 1.0x position): mean and spread of a trade's net return, by context.
MARKET = {
    # Confident signal in a trend: positive edge, so bigger is better (utility rises to 2.0).
    ("0.80", "trend_up"): (0.06, 0.10),
    # Weak signal in a range: negative edge, so the smallest size loses least.
    ("0.55", "range"): (-0.04, 0.10),
}


def _play(rounds: int, env: random.Random) -> dict[tuple, list[Decimal]]:
    chosen: dict[tuple, list[Decimal]] = {k: [] for k in MARKET}
    for i in range(rounds):
        key = list(MARKET)[i % 2]
        confidence, regime = key
        decision = services.size_decide(
            symbol="BTCUSDT",
            confidence=Decimal(confidence),
            regime=regime,
            vol_ratio=1.0,
            base_notional=Decimal("100"),
        )
        mu, sigma = MARKET[key]
        pnl_per_unit = mu + sigma * env.gauss(0, 1)
        # What the market pays scales with the size taken.
        reward_score = float(decision.multiplier) * pnl_per_unit
        services.arm_update(
            context=decision.context, multiplier=decision.multiplier, reward=reward_score
        )
        chosen[key].append(decision.multiplier)
    return chosen


def test_its_state_is_the_database_so_a_restart_changes_nothing():
    _play(60, random.Random(7))
    before = list(ArmStat.objects.values_list("context", "multiplier", "n", "mean"))
    # A new process would start from exactly these rows: nothing is kept in memory.
    after = list(ArmStat.objects.values_list("context", "multiplier", "n", "mean"))
    assert before == after and sum(r[2] for r in after) == 60


def test_it_never_sizes_past_the_risk_policys_cap():
    from apps.trading.models import RiskPolicy

    RiskPolicy.objects.update_or_create(pk=1, defaults={"max_exposure_per_symbol": Decimal("250")})
    for _ in range(12):  # the untried 2.0 arm comes up within the first pulls
        decision = services.size_decide(
            symbol="ETHUSDT",
            confidence=Decimal("0.9"),
            regime="trend_up",
            vol_ratio=1.0,
            base_notional=Decimal("200"),
        )
        assert decision.notional <= Decimal("250")
        assert decision.capped == (decision.base_notional * decision.multiplier > Decimal("250"))
        services.arm_update(context=decision.context, multiplier=decision.multiplier, reward=0.0)
    assert SizingDecision.objects.filter(capped=True).exists()
    assert services.hard_cap()[1] == "risk policy max_exposure_per_symbol"


def test_it_tries_every_arm_before_trusting_values():
    arms = [bandit.ArmView(Decimal(m), 0, 0.0, 0.0) for m in ("0.5", "1.0", "1.5", "2.0")]
    multiplier, explored = bandit.choose(arms, epsilon=0.0, risk_aversion=0.5, rng=random.Random(1))
    assert explored and multiplier == Decimal("0.5")
