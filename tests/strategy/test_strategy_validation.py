"""Honest validation of the strategy search: the deflated Sharpe ratio as Bailey & Lopez de
Prado define it, walk-forward folds that never look ahead, the incumbent scored on the same
bars, and the figures stored on the run and the candidate."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import kurtosis, norm, skew

from apps.strategy import services
from apps.strategy import validation as V
from apps.strategy.backtest import BARS_PER_YEAR, net_returns
from apps.strategy.models import EvolutionRun, StrategyVersion
from tests.strategy.test_strategy import _prices, _store_klines

MA = {"fast": 9, "slow": 21}
SEARCH = {"holdout_bars": 1440, "population": 12, "generations": 5, "fee_bps": 4}


def _random_walk(n: int, seed: int) -> np.ndarray:
    return 100 * np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.001, n)))


def test_the_deflated_sharpe_ratio_is_the_papers():
    """Bailey & Lopez de Prado (2014), section 4's example: 100 trials whose annualised Sharpe
    ratios vary by 0.5, a best of 2.5 annualised over 1,250 daily returns with skew -3 and
    kurtosis 10: SR0 = 0.1132 a day (1.79 annualised), DSR = 0.9004 (0.90 with rounding)."""
    sr0 = V.expected_max_sharpe(trials=100, variance=0.5 / 250)
    gamma = 0.5772156649015329
    by_hand = math.sqrt(0.5 / 250) * (
        (1 - gamma) * norm.ppf(0.99) + gamma * norm.ppf(1 - 1 / (100 * math.e))
    )
    assert sr0 == pytest.approx(by_hand) and sr0 == pytest.approx(0.1132, abs=2e-3)
    stats = {"sr": 2.5 / math.sqrt(250), "bars": 1250, "skew": -3.0, "kurtosis": 10.0}
    assert V.probabilistic_sharpe(stats=stats, benchmark_sr=sr0) == pytest.approx(0.90, abs=0.01)


def test_sharpe_stats_carry_their_standard_error():
    net = np.random.default_rng(1).normal(0.0001, 0.001, 5000)
    stats = V.sharpe_stats(net)
    sr = net.mean() / net.std()
    g3, g4 = skew(net), kurtosis(net, fisher=False)
    se = math.sqrt((1 - g3 * sr + (g4 - 1) / 4 * sr**2) / 4999)
    assert stats["score"] == pytest.approx(sr * math.sqrt(BARS_PER_YEAR), abs=1e-3)
    assert stats["score_se"] == pytest.approx(se * math.sqrt(BARS_PER_YEAR), abs=1e-3)
    # On 1,000 one-minute bars an annualised Sharpe is worth +-23: the issue's -57..+58 swings.
    assert V.sharpe_stats(net[:1000])["score_se"] == pytest.approx(22.9, abs=0.5)


def test_walk_forward_folds_search_the_past_and_score_the_next_block():
    close = _prices(10080, seed=1)
    result = services.evolve(
        family="ma_cross", close=close, seed=3, folds=4, incumbent=MA, **SEARCH
    )
    folds = result["folds"]
    block = (len(close) - 1440 - 1) // 5
    assert [(f["fold"], f["train_bars"], f["test_bars"]) for f in folds] == [
        (k, k * block, block) for k in range(1, 5)
    ]
    for f in folds:
        # The test block's figures are the fold winner's own returns on it, and the
        # incumbent's on the very same bars.
        start, end = f["train_bars"], f["train_bars"] + f["test_bars"]
        own = net_returns("ma_cross", f["params"], close, fee_bps=4, start=start, end=end)
        inc = net_returns("ma_cross", MA, close, fee_bps=4, start=start, end=end)
        assert f["test_score"] == V.sharpe_stats(own)["score"]
        assert f["incumbent_score"] == V.sharpe_stats(inc)["score"]

    # No look-ahead: a different future from fold 2's test block on changes neither fold 1 nor
    # what fold 2 picked (only how its pick scored).
    altered = close.copy()
    cut = folds[1]["train_bars"] + 1  # the first close fold 2's test returns reach
    altered[cut:] = close[cut - 1] * np.exp(-np.cumsum(np.diff(np.log(close[cut - 1 :]))))
    again = services.evolve(
        family="ma_cross", close=altered, seed=3, folds=4, incumbent=MA, **SEARCH
    )["folds"]
    assert again[0] == folds[0]
    assert again[1]["params"] == folds[1]["params"]
    assert again[1]["train_score"] == folds[1]["train_score"]
    assert again[1]["test_score"] != folds[1]["test_score"]

    wf = result["validation"]["walk_forward"]
    pooled = np.concatenate(
        [
            net_returns(
                "ma_cross",
                f["params"],
                close,
                fee_bps=4,
                start=f["train_bars"],
                end=f["train_bars"] + f["test_bars"],
            )
            for f in folds
        ]
    )
    assert wf["score"] == V.sharpe_stats(pooled)["score"]
    assert wf["mean"] == pytest.approx(np.mean([f["test_score"] for f in folds]), abs=1e-4)


def test_the_deflated_sharpe_ratio_tells_a_trend_from_luck():
    """The same search over a market with 400-bar trends and over a pure random walk: the
    winner's in-sample Sharpe is large on both, but only the trend's survives the deflation for
    the ~100 parameter sets tried."""
    trend = services.evolve(family="ma_cross", close=_prices(10080, seed=1), seed=3, **SEARCH)
    luck = services.evolve(family="ma_cross", close=_random_walk(10080, seed=2), seed=3, **SEARCH)
    for result in (trend, luck):
        deflated = result["validation"]["deflated"]
        assert deflated["trials"] > 40 and deflated["search_score"] > 0
    assert trend["validation"]["deflated"]["dsr"] > 0.99
    assert luck["validation"]["deflated"]["dsr"] < 0.95
    assert luck["validation"]["deflated"]["search_score"] > 5  # what the search alone claims


@pytest.mark.django_db
def test_a_run_stores_its_folds_and_validation_against_the_active_version(settings):
    settings.STRATEGY_SEARCH_BARS, settings.STRATEGY_HOLDOUT_BARS = 4000, 1000
    settings.STRATEGY_GENERATIONS, settings.STRATEGY_POPULATION = 4, 8
    settings.STRATEGY_WF_FOLDS = 3
    _store_klines(_prices(5000, seed=2))
    active = StrategyVersion.objects.create(family="ma_cross", params=MA)
    services.version_promote(version_id=active.id)

    run = services.evolution_run_create(family="ma_cross", symbol="BTCUSDT", seed=2)
    version = services.evolution_execute(run_id=run.id)

    run.refresh_from_db()
    assert run.status == EvolutionRun.Status.OK and run.stage == "registered"
    assert [f["fold"] for f in run.folds] == [1, 2, 3]
    assert version.validation == run.validation
    v = version.validation
    assert v["incumbent"]["version_id"] == active.id and v["incumbent"]["params"] == MA
    assert v["walk_forward"]["folds"] == 3
    assert v["holdout"]["bars"] == 1000 and v["holdout"]["score"] == version.holdout_score
    assert 0 <= v["deflated"]["dsr"] <= 1
