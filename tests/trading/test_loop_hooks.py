"""The loop's plug points (apps/trading/hooks.py): sizing with the RL agent or flat, always within
the risk policy; a broken hook falls back to the defaults; the signal source auto | rule |
ensemble; the active strategy on the snapshot."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.models.models import ModelStatus, ModelVersion, RegimeObservation
from apps.models.signals import EnsembleSource
from apps.rl.models import SizingDecision
from apps.trading.models import RiskPolicy
from apps.trading.services import _sizing
from apps.trading.signals import MaCrossAtr, Signal, signal_source_default

pytestmark = pytest.mark.django_db
D = Decimal


def huge(**kwargs) -> dict:
    return {"notional": D("50000"), "multiplier": "250", "decision_id": None}


def broken(**kwargs) -> dict:
    raise RuntimeError("agent down")


def _signal() -> Signal:
    return Signal("BTCUSDT", 1, D("0.7"), D("40000"), "test", {})


@pytest.fixture
def policy() -> RiskPolicy:
    policy, _ = RiskPolicy.objects.get_or_create(pk=1)
    return policy


def test_it_sizes_with_the_agent_in_the_stored_regime(policy, settings):
    settings.TRADING_RL_SIZING = True
    RegimeObservation.objects.create(
        symbol="BTCUSDT", regime="range", as_of_ms=60_000, stats={"vol_ratio": 0.5}
    )
    notional, extra = _sizing(signal=_signal(), policy=policy)
    decision = SizingDecision.objects.get(id=extra["sizing"]["decision_id"])
    assert decision.context == "conf_mid|range|vol_calm"
    assert notional == decision.notional == D("200") * decision.multiplier
    assert extra["context"]["regime"] == "range" and extra["sizing"]["by"] == "rl"


def test_it_sizes_flat_when_rl_sizing_is_off(policy, settings):
    settings.TRADING_RL_SIZING = False
    notional, extra = _sizing(signal=_signal(), policy=policy)
    assert notional == D("200") and extra["sizing"] == {
        "notional": "200",
        "multiplier": "1",
        "by": "fixed",
    }
    assert not SizingDecision.objects.exists()


def test_the_risk_policy_bounds_whatever_the_sizer_says(policy, settings):
    settings.TRADING_HOOKS = {**settings.TRADING_HOOKS, "size": f"{__name__}.huge"}
    notional, extra = _sizing(signal=_signal(), policy=policy)
    assert notional == policy.max_exposure_per_symbol == D("1000")
    assert extra["sizing"]["bounded_by_policy"] == "1000"


def test_a_failing_sizer_falls_back_to_the_flat_notional(policy, settings):
    settings.TRADING_HOOKS = {**settings.TRADING_HOOKS, "size": f"{__name__}.broken"}
    notional, extra = _sizing(signal=_signal(), policy=policy)
    assert notional == D("200") and extra["sizing"]["by"] == "fixed"


def test_auto_picks_the_rule_until_a_model_is_live_then_the_ensemble(settings):
    settings.TRADING_SIGNAL_SOURCE = "auto"
    assert isinstance(signal_source_default(), MaCrossAtr)
    ModelVersion.objects.create(
        kind="hgb", artifact_path="x.joblib", artifact_sha256="0" * 64, status=ModelStatus.LIVE
    )
    assert isinstance(signal_source_default(), EnsembleSource)
    settings.TRADING_SIGNAL_SOURCE = "rule"
    assert isinstance(signal_source_default(), MaCrossAtr)
    ModelVersion.objects.update(status=ModelStatus.DEMOTED)
    settings.TRADING_SIGNAL_SOURCE = "ensemble"
    assert isinstance(signal_source_default(), EnsembleSource)
    settings.TRADING_SIGNAL_SOURCE = "apps.trading.signals:MaCrossAtr"  # a dotted path still works
    assert isinstance(signal_source_default(), MaCrossAtr)


def test_without_a_brain_pick_the_snapshot_has_no_strategy(policy, settings):
    settings.TRADING_RL_SIZING = False
    _, extra = _sizing(signal=_signal(), policy=policy)
    assert "strategy" not in extra and extra["context"]["regime"] is None
