"""A fresh desk trains its first models and evolves its first strategies by itself once it has
a day of its own klines; the intelligence API says what it trades with and why; evolution shows
its folds and generations while it runs (a real research worker, the paper venue's klines)."""

from __future__ import annotations

import numpy as np
import pytest
from celery import current_app

from apps.market.models import Kline
from apps.models import services
from apps.models.models import ModelVersion, TrainingRun
from apps.strategy.models import EvolutionRun, StrategyEvent, StrategyVersion
from tests.models.intel_support import MINUTE_MS, load_klines, venue_now_ms
from tests.strategy.test_strategy import _store_klines
from tests.support.processes import wait_for

SYMBOLS = ["BTCUSDT", "ETHUSDT"]


@pytest.mark.django_db
def test_the_first_training_waits_for_a_day_of_history_and_starts_once(settings):
    settings.TRADING_SYMBOLS, settings.INTEL_BOOTSTRAP_BARS = SYMBOLS, 1440
    _store_klines(np.full(1440, 100.0), "BTCUSDT")
    _store_klines(np.full(1439, 100.0), "ETHUSDT")  # one bar short
    assert services.models_bootstrap(symbols=SYMBOLS) == []
    _store_klines(np.full(1, 100.0), "ETHUSDT", start=1439)
    runs = services.models_bootstrap(symbols=SYMBOLS)
    assert sorted(r.kind for r in runs) == ["hgb", "logreg"]
    assert services.models_bootstrap(symbols=SYMBOLS) == []  # under way: not twice
    TrainingRun.objects.update(status=TrainingRun.Status.OK)
    ModelVersion.objects.create(kind="logreg", artifact_path="x", artifact_sha256="0" * 64)
    assert services.models_bootstrap(symbols=SYMBOLS) == []  # a model exists: nightly retrains


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_fresh_desk_trains_and_evolves_by_itself_and_says_what_it_trades_with(
    fast_venue, start_worker, settings, api
):
    now = venue_now_ms(fast_venue)
    for symbol in SYMBOLS:
        load_klines(fast_venue, symbol, now - 3000 * MINUTE_MS, now)
    settings.TRADING_SYMBOLS, settings.INTEL_BOOTSTRAP_BARS = SYMBOLS, 2000
    settings.TRADING_SIGNAL_SOURCE = "auto"

    before = api.get("/api/intelligence/now/").json()
    assert [s["source"] for s in before["symbols"]] == ["rule", "rule"]
    assert "no model is live yet" in before["symbols"][0]["why"]
    assert before["models"]["history_ready"] is True
    stored = {s: Kline.objects.filter(symbol=s).count() for s in SYMBOLS}
    assert before["models"]["history_bars"] == stored and min(stored.values()) > 2900

    start_worker(
        queues="research",
        env={
            "TRADING_SYMBOLS": ",".join(SYMBOLS),
            "INTEL_TRAIN_BARS": "2500",
            "INTEL_BOOTSTRAP_BARS": "2000",
            "STRATEGY_SEARCH_BARS": "2300",
            "STRATEGY_HOLDOUT_BARS": "600",
            "STRATEGY_GENERATIONS": "12",
            "EXCHANGE_BASE_URL": fast_venue.base_url,
        },
    )
    # What beat sends every 5 minutes.
    current_app.send_task("quantum.models.bootstrap")
    current_app.send_task("quantum.strategy.bootstrap")

    stages_while_running: set[str] = set()

    def done() -> bool:
        runs = list(EvolutionRun.objects.all())
        stages_while_running.update(
            r.stage.split(",")[0] for r in runs if r.status == EvolutionRun.Status.RUNNING
        )
        training = list(TrainingRun.objects.all())
        errors = [r.error for r in [*runs, *training] if r.error]
        assert not errors, errors
        return (
            len(training) == 2
            and all(r.status == TrainingRun.Status.OK for r in training)
            and len(runs) == 4
            and all(r.status == EvolutionRun.Status.OK for r in runs)
        )

    wait_for(done, timeout=180, interval=0.02, what="the first trainings and evolutions")
    assert sorted(TrainingRun.objects.values_list("kind", flat=True)) == ["hgb", "logreg"]
    assert ModelVersion.objects.filter(status="live").count() == 2
    runs = EvolutionRun.objects.all()
    assert {(r.family, r.symbol) for r in runs} == {
        (f, s) for f in ("ma_cross", "mean_revert") for s in SYMBOLS
    }
    # Progress was seen mid-run, per fold and in the final search.
    assert {"fold 1/4", "fold 2/4", "fold 3/4", "fold 4/4", "search"} & stages_while_running
    assert any(s.startswith("fold") for s in stages_while_running), stages_while_running
    # Every candidate was reviewed, promoted or refused with the checks in the trail; the first
    # of each family against staying flat (a later one may meet the first one promoted).
    for version in StrategyVersion.objects.all():
        event = StrategyEvent.objects.filter(version=version).order_by("id").first()
        assert event.action in ("promote", "review") and event.reason
        assert set(event.detail["checks"]) == {"deflated_sharpe", "walk_forward", "holdout"}
    for family in ("ma_cross", "mean_revert"):
        first = StrategyVersion.objects.filter(family=family).order_by("id").first()
        assert StrategyEvent.objects.filter(version=first).first().detail["incumbent"] is None

    after = api.get("/api/intelligence/now/").json()
    live = {m["id"]: m for m in after["models"]["live"]}
    assert len(live) == 2
    assert [s["source"] for s in after["symbols"]] == ["ensemble", "ensemble"]
    weighted = [m for m in live.values() if m["weight"] > 0]
    why = after["symbols"][0]["why"]
    assert ("standing aside" in why) == (not weighted)
    assert all(f"v{m['id']} " in why for m in weighted)
