"""Strategies: the vectorised backtest, evolution with a held-out period it never sees, ops
with an audit trail and rollback, memory per regime and the brain's pick."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from apps.core.timeutil import from_ms
from apps.market.models import Kline
from apps.models.models import RegimeObservation
from apps.strategy import selectors, services
from apps.strategy.backtest import FAMILIES, backtest
from apps.strategy.models import EvolutionRun, StrategyEvent, StrategyVersion, VersionStatus

pytestmark = pytest.mark.django_db


def _prices(n: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    drift = np.repeat(rng.choice([-1, 1], size=n // 400 + 1) * 0.0003, 400)[:n]
    return 100 * np.exp(np.cumsum(drift + rng.normal(0, 0.001, n)))


def _store_klines(close: np.ndarray, symbol: str = "BTCUSDT", start: int = 0) -> None:
    """One 1-minute kline per close, opened at minute `start` + i."""
    Kline.objects.bulk_create(
        Kline(
            symbol=symbol,
            interval="1m",
            open_time_ms=i * 60_000,
            open_time=from_ms(i * 60_000),
            open=Decimal(str(round(c, 4))),
            high=Decimal(str(round(c, 4))),
            low=Decimal(str(round(c, 4))),
            close=Decimal(str(round(c, 4))),
            volume=Decimal(1),
            close_time_ms=i * 60_000 + 59_999,
        )
        for i, c in enumerate(close, start=start)
    )


def test_the_backtest_holds_a_trend_and_pays_the_fee_once():
    close = np.exp(np.linspace(0, 0.1, 500))  # a straight rise
    result = backtest("ma_cross", {"fast": 5, "slow": 20}, close, fee_bps=10)
    assert result["changes"] == 1  # long from the first defined bar, never out
    held = np.log(close[-1] / close[19])
    assert result["total_return"] == pytest.approx(np.expm1(held - 0.001), abs=1e-6)


def test_evolution_never_looks_at_the_held_out_bars():
    close = _prices(3000)
    kwargs = {"family": "ma_cross", "holdout_bars": 600, "population": 10, "generations": 4}
    first = services.evolve(close=close, seed=5, fee_bps=4, **kwargs)
    altered = close.copy()
    altered[-600:] = altered[-600:][::-1]  # a different future
    second = services.evolve(close=altered, seed=5, fee_bps=4, **kwargs)
    assert first["best_params"] == second["best_params"]
    assert first["search_score"] == second["search_score"]
    assert first["holdout"] != second["holdout"]
    assert first["history"] == sorted(first["history"])  # elitism: the best never gets worse
    space = FAMILIES["ma_cross"]
    assert all(space[k].low <= v <= space[k].high for k, v in first["best_params"].items())


def test_an_evolution_run_reports_progress_and_registers_a_candidate(settings):
    settings.STRATEGY_SEARCH_BARS, settings.STRATEGY_HOLDOUT_BARS = 1600, 400
    settings.STRATEGY_GENERATIONS, settings.STRATEGY_POPULATION = 5, 8
    _store_klines(_prices(2000))
    run = services.evolution_run_create(family="mean_revert", symbol="BTCUSDT", seed=2)
    version = services.evolution_execute(run_id=run.id)
    run.refresh_from_db()
    assert run.status == EvolutionRun.Status.OK and run.progress == 100
    assert run.generation == 5 and len(run.history) == 5
    assert run.best_score == max(run.history) and run.holdout_score is not None
    assert run.search_bars == 1600 and run.holdout_bars == 400
    assert version.status == VersionStatus.CANDIDATE and version.params == run.best_params


def test_ops_promote_retire_and_roll_back_with_an_audit_trail():
    v1 = StrategyVersion.objects.create(family="ma_cross", params={"fast": 9, "slow": 21})
    v2 = StrategyVersion.objects.create(family="ma_cross", params={"fast": 12, "slow": 50})
    services.version_promote(version_id=v1.id, actor="ops", reason="baseline")
    services.version_promote(version_id=v2.id, actor="ops", reason="evolved")
    assert StrategyVersion.objects.get(id=v1.id).status == VersionStatus.RETIRED
    services.version_rollback(family="ma_cross", actor="ops", reason="v2 misbehaves")
    assert StrategyVersion.objects.get(id=v1.id).status == VersionStatus.ACTIVE
    assert StrategyVersion.objects.get(id=v2.id).status == VersionStatus.RETIRED
    trail = list(
        StrategyEvent.objects.order_by("id").values_list("version_id", "action", "to_status")
    )
    assert trail == [
        (v1.id, "promote", "active"),
        (v1.id, "promote", "retired"),
        (v2.id, "promote", "active"),
        (v2.id, "rollback", "retired"),
        (v1.id, "rollback", "active"),
    ]


def test_the_brain_picks_from_regime_and_memory():
    trend = StrategyVersion.objects.create(family="ma_cross", params={"fast": 9, "slow": 21})
    revert = StrategyVersion.objects.create(
        family="mean_revert", params={"lookback": 60, "z_entry": 2}
    )
    for v in (trend, revert):
        services.version_promote(version_id=v.id)
    RegimeObservation.objects.create(symbol="BTCUSDT", regime="range", as_of_ms=1, stats={})
    assert services.brain_pick(symbol="BTCUSDT").version_id == revert.id  # the prior
    for i in range(20):  # memory: in this market's ranges, trend following has done better
        services.outcome_record(
            version_id=revert.id,
            symbol="BTCUSDT",
            regime="range",
            pnl=Decimal("-1"),
            reward=-0.05,
            time_ms=i,
        )
        services.outcome_record(
            version_id=trend.id,
            symbol="BTCUSDT",
            regime="range",
            pnl=Decimal("2"),
            reward=0.04,
            time_ms=i,
        )
    choice = services.brain_pick(symbol="BTCUSDT")
    assert choice.version_id == trend.id and choice.regime == "range"
    table = {(r["version_id"], r["regime"]): r["n"] for r in selectors.memory_table()}
    assert table[(trend.id, "range")] == 20
    RegimeObservation.objects.create(symbol="BTCUSDT", regime="volatile", as_of_ms=2, stats={})
    assert services.brain_pick(symbol="BTCUSDT").version_id is None  # stand aside
