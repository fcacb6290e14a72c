"""Strategy ops promote a candidate only when it beats the active version out of sample by the
stated margin, record why, and roll a promoted version back when the one it replaced beats it by
the same test on the bars since; both can be switched to manual."""

from __future__ import annotations

import numpy as np
import pytest

from apps.core.timeutil import from_ms
from apps.strategy import services
from apps.strategy.models import StrategyEvent, StrategyVersion, VersionStatus
from tests.strategy.test_strategy import _prices, _store_klines

pytestmark = pytest.mark.django_db

CHURN = {"fast": 3, "slow": 10}  # flips on every wiggle: fees eat it
TREND = {"fast": 20, "slow": 100}  # holds a 400-bar trend


@pytest.fixture
def research(settings):
    settings.TRADING_SYMBOLS = ["BTCUSDT"]
    settings.STRATEGY_SEARCH_BARS, settings.STRATEGY_HOLDOUT_BARS = 4000, 1000
    settings.STRATEGY_GENERATIONS, settings.STRATEGY_POPULATION = 4, 10
    settings.STRATEGY_WF_FOLDS = 3
    settings.STRATEGY_PROMOTION = "auto"
    return settings


def _active(params: dict) -> StrategyVersion:
    version = StrategyVersion.objects.create(family="ma_cross", params=params)
    return services.version_promote(version_id=version.id, actor="ops", reason="by hand")


def _evolve(seed: int = 2) -> StrategyVersion:
    run = services.evolution_run_create(family="ma_cross", symbol="BTCUSDT", seed=seed)
    return services.evolution_execute(run_id=run.id)


def test_a_candidate_that_beats_the_active_version_out_of_sample_is_promoted(research):
    _store_klines(_prices(5000, seed=1))
    incumbent = _active(CHURN)

    version = _evolve()

    assert version.status == VersionStatus.ACTIVE
    event = StrategyEvent.objects.get(version=version, to_status=VersionStatus.ACTIVE)
    assert event.action == "promote" and event.actor == "strategy ops (auto)"
    assert event.replaced_id == incumbent.id and event.reason == "beats the incumbent out of sample"
    checks = event.detail["checks"]
    v = version.validation
    # The recorded figures are the version's own validation, each against the incumbent's.
    assert checks["deflated_sharpe"] == {"dsr": v["deflated"]["dsr"], "min": 0.95, "passed": True}
    wf = checks["walk_forward"]
    assert wf["score"] == v["walk_forward"]["score"]
    assert wf["baseline"] == v["incumbent"]["walk_forward"]["score"]
    assert wf["margin"] == pytest.approx(v["walk_forward"]["score_se"], abs=1e-4)
    assert wf["score"] - wf["baseline"] > wf["margin"] and wf["passed"]
    assert checks["holdout"]["score"] > checks["holdout"]["baseline"]
    assert StrategyVersion.objects.get(id=incumbent.id).status == VersionStatus.RETIRED


def test_a_search_that_found_luck_is_refused_and_the_refusal_recorded(research):
    rng = np.random.default_rng(7)
    _store_klines(100 * np.exp(np.cumsum(rng.normal(0, 0.001, 5000))))  # a random walk
    incumbent = _active({"fast": 9, "slow": 21})

    version = _evolve()

    assert version.status == VersionStatus.CANDIDATE
    review = StrategyEvent.objects.get(version=version)
    assert review.action == "review" and review.to_status == VersionStatus.CANDIDATE
    assert review.detail["promote"] is False and review.replaced_id == incumbent.id
    assert review.reason.startswith("fails: deflated_sharpe")
    assert review.detail["checks"]["deflated_sharpe"]["dsr"] <= 0.95
    assert StrategyVersion.objects.get(id=incumbent.id).status == VersionStatus.ACTIVE


def test_with_manual_promotion_a_passing_candidate_waits_for_a_person(research):
    research.STRATEGY_PROMOTION = "manual"
    _store_klines(_prices(5000, seed=1))
    incumbent = _active(CHURN)

    version = _evolve()

    assert version.status == VersionStatus.CANDIDATE
    review = StrategyEvent.objects.get(version=version)
    assert review.action == "review" and review.reason == "passes; promotion is manual"
    assert review.detail["promote"] is True and review.detail["mode"] == "manual"
    assert StrategyVersion.objects.get(id=incumbent.id).status == VersionStatus.ACTIVE


def _promoted_at(first: dict, then: dict, *, bar: int) -> tuple[StrategyVersion, StrategyVersion]:
    """`first` active, then replaced by `then` at kline `bar` (the event dated in kline time)."""
    old, new = _active(first), _active(then)
    StrategyEvent.objects.filter(version=new, to_status=VersionStatus.ACTIVE).update(
        created_at=from_ms(bar * 60_000)
    )
    return old, new


def test_a_promoted_version_the_replaced_one_beats_live_is_rolled_back(research):
    research.STRATEGY_LIVE_MIN_BARS = 1440
    _store_klines(_prices(3000, seed=4))
    old, new = _promoted_at(TREND, CHURN, bar=1000)

    checks = services.versions_live_check()

    assert [c["version"] for c in checks] == [new.id]
    check = checks[0]
    assert check["status"] == "below the replaced version" and check["bars"] == 1999
    assert check["replaced_score"] - check["active_score"] > check["margin"] > 0
    assert StrategyVersion.objects.get(id=old.id).status == VersionStatus.ACTIVE
    assert StrategyVersion.objects.get(id=new.id).status == VersionStatus.RETIRED
    back = StrategyEvent.objects.get(version=old, action="rollback", to_status="active")
    assert back.actor == "strategy ops (auto)"
    assert back.detail == {k: v for k, v in check.items() if k != "version"}  # the figures
    assert back.reason.startswith(f"live: v{old.id} ")
    # The restored version is not checked against the one just rolled back (no flapping).
    assert services.versions_live_check() == []


def test_a_promoted_version_that_holds_live_stays_and_manual_mode_only_reports(research):
    research.STRATEGY_LIVE_MIN_BARS = 1440
    _store_klines(_prices(3000, seed=4))
    old, new = _promoted_at(CHURN, TREND, bar=1000)
    assert services.versions_live_check()[0]["status"] == "holds"
    assert StrategyVersion.objects.get(id=new.id).status == VersionStatus.ACTIVE

    # Too few bars since the promotion: no verdict yet.
    research.STRATEGY_LIVE_MIN_BARS = 5000
    assert services.versions_live_check()[0]["status"] == "waiting"

    # The other way round, in manual mode: the verdict is shown, nothing is rolled back.
    research.STRATEGY_LIVE_MIN_BARS, research.STRATEGY_PROMOTION = 1440, "manual"
    StrategyVersion.objects.all().delete()
    old, new = _promoted_at(TREND, CHURN, bar=1000)
    assert services.versions_live_check()[0]["status"] == "below the replaced version"
    new.refresh_from_db()
    assert new.status == VersionStatus.ACTIVE
    assert new.live_check["status"] == "below the replaced version"
    assert not StrategyEvent.objects.filter(action="rollback").exists()


def test_the_api_and_the_admin_show_the_validation_and_the_decision(research, admin_client):
    _store_klines(_prices(5000, seed=1))
    incumbent = _active(CHURN)
    version = _evolve()
    v = version.validation

    rows = admin_client.get("/api/strategy/versions/").json()
    row = next(r for r in rows if r["id"] == version.id)
    assert row["validation"] == v and row["events"][0]["detail"]["promote"] is True
    assert row["events"][0]["reason"] == "beats the incumbent out of sample"

    page = admin_client.get("/admin/strategy/strategyversion/").content.decode()
    d, wf, inc = v["deflated"], v["walk_forward"], v["incumbent"]["walk_forward"]
    assert f"{d['dsr']} (SR0 {d['sr0_score']}, {d['trials']} trials)" in page
    assert f"{wf['score']} +- {wf['score_se']} vs {inc['score']}" in page
    assert row["events"][0]["replaced"] == incumbent.id
