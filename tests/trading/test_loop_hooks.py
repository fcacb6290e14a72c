"""The loop's plug points (apps/trading/hooks.py): sizing with the RL agent or flat, always within
the risk policy; a broken hook falls back to the defaults; the signal source auto | rule |
ensemble; the active strategy on the snapshot."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.models.models import ModelStatus, ModelVersion, RegimeObservation
from apps.models.signal_sources import EnsembleSource
from apps.rl.models import SizingDecision
from apps.trading.models import RiskPolicy
from apps.trading.services import _sizing
from apps.trading.signal_sources import MaCrossAtr, Signal, signal_source_default
from tests.support.fake_gateway import FakeGateway

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
    # a dotted path still works
    settings.TRADING_SIGNAL_SOURCE = "apps.trading.signal_sources:MaCrossAtr"
    assert isinstance(signal_source_default(), MaCrossAtr)


def test_without_a_brain_pick_the_snapshot_has_no_strategy(policy, settings):
    settings.TRADING_RL_SIZING = False
    _, extra = _sizing(signal=_signal(), policy=policy)
    assert "strategy" not in extra and extra["context"]["regime"] is None


# --- the brain's pick drives the signal (hook strategy_source) -----------------------------------


def _klines(closes: list[str]) -> None:
    from apps.core.timeutil import from_ms
    from apps.market.models import Kline

    t0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000
    Kline.objects.bulk_create(
        Kline(
            symbol="BTCUSDT",
            interval="1m",
            open_time_ms=t0 + i * 60_000,
            open_time=from_ms(t0 + i * 60_000),
            open=D(c),
            high=D(c) + 10,
            low=D(c) - 10,
            close=D(c),
            volume=D(1),
            close_time_ms=t0 + i * 60_000 + 59_999,
        )
        for i, c in enumerate(closes)
    )


@pytest.fixture
def loop_account(db, redis_client, settings):
    from apps.exchange.models import ExchangeAccount

    settings.TRADING_SIGNAL_SOURCE = "rule"
    settings.TRADING_RL_SIZING = False
    settings.TRADING_SYMBOLS = ["BTCUSDT"]
    return ExchangeAccount.objects.create(
        name="hooks",
        venue="paper",
        base_url="http://127.0.0.1:9",
        api_key_encrypted="unused",
        api_secret_encrypted="unused",
    )


def _evaluate(account):
    from apps.trading.models import PositionIntent
    from apps.trading.services import signals_evaluate

    made = signals_evaluate(account=account, gateway=FakeGateway(account_id=account.id))
    PositionIntent.objects.all().delete()  # each call starts flat and with nothing in flight
    return made


def test_the_brain_pick_drives_the_signal_with_its_version_params(loop_account, policy):
    from apps.strategy import services as strategy
    from apps.strategy.models import StrategyVersion

    # 60 bars rising 10 a bar, then 6 falling 80: the 3-bar fast average is below the 50-bar one.
    closes = [str(40000 + 10 * i) for i in range(60)] + [str(40590 - 80 * i) for i in range(1, 7)]
    _klines(closes)
    RegimeObservation.objects.create(
        symbol="BTCUSDT", regime="trend_up", as_of_ms=60_000, stats={"vol_ratio": 1.0}
    )

    # No pick yet: the rule with its settings (9 / 21).
    (rule,) = _evaluate(loop_account)
    assert rule.signal["source"] == "ma_cross_atr" and "strategy_version" not in rule.signal
    last9 = [D(c) for c in closes[-9:]]
    assert D(rule.signal["features"]["ma_fast"]) == (sum(last9) / 9).quantize(D("0.0001"))

    version = StrategyVersion.objects.create(
        family="ma_cross", params={"fast": 3, "slow": 50, "atr_period": 5}
    )
    strategy.version_promote(version_id=version.id, actor="test")
    assert strategy.brain_pick(symbol="BTCUSDT").version_id == version.id
    (picked,) = _evaluate(loop_account)
    snap = picked.signal
    assert snap["source"] == "strategy:ma_cross"
    fast = sum(D(c) for c in closes[-3:]) / 3
    slow = sum(D(c) for c in closes[-50:]) / 50
    assert D(snap["features"]["ma_fast"]) == fast.quantize(D("0.0001"))
    assert D(snap["features"]["ma_slow"]) == slow.quantize(D("0.0001"))
    assert fast < slow and snap["direction"] == -1 and picked.side == "SELL"
    assert snap["features"]["strategy_version"] == version.id
    assert snap["features"]["strategy_params"] == {"fast": 3, "slow": 50, "atr_period": 5}
    assert snap["strategy"]["version_id"] == version.id  # the label agrees with the driver

    # Retired: back to the rule, even though the brain's last pick still names it.
    strategy.version_retire(version_id=version.id, actor="test")
    (fallback,) = _evaluate(loop_account)
    assert fallback.signal["source"] == "ma_cross_atr"


def test_a_mean_revert_pick_signals_as_its_backtest_does(loop_account, policy):
    import numpy as np

    from apps.strategy.backtest import positions
    from apps.strategy.models import StrategyChoice, StrategyVersion

    closes = [str(40000 + (5 if i % 2 else -5)) for i in range(40)] + ["40200"]  # a spike up
    _klines(closes)
    params = {"lookback": 30, "z_entry": 1.5}
    version = StrategyVersion.objects.create(family="mean_revert", params=params, status="active")
    StrategyChoice.objects.create(symbol="BTCUSDT", regime="range", version=version, reason="t")
    (intent,) = _evaluate(loop_account)
    close = np.asarray([D(c) for c in closes], dtype=float)
    assert intent.signal["source"] == "strategy:mean_revert"
    assert intent.signal["direction"] == positions("mean_revert", params, close)[-1] == -1
    assert intent.signal["features"]["z"] > 1.5 and D(intent.signal["confidence"]) > D("0.5")
    assert intent.signal["features"]["strategy_version"] == version.id
