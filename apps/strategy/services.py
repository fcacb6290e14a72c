"""Writes of the strategy context: memory, brain, evolution and ops (docs/intelligence.md)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum

from apps.core.timeutil import to_ms, utcnow
from apps.models import features as F
from apps.models import selectors as model_selectors
from apps.models import services as model_services
from apps.pnl.models import Trade
from apps.strategy import selectors
from apps.strategy import validation as V
from apps.strategy.backtest import (
    BARS_PER_YEAR,
    FAMILIES,
    Param,
    backtest,
    net_returns,
    params_valid,
    summary,
)
from apps.strategy.models import (
    EvolutionRun,
    StrategyChoice,
    StrategyEvent,
    StrategyOutcome,
    StrategyVersion,
    VersionStatus,
)
from apps.trading import attribution

# Before memory has evidence: which family suits which regime (a prior, in reward units).
REGIME_PRIOR = {
    ("ma_cross", "trend_up"): 0.02,
    ("ma_cross", "trend_down"): 0.02,
    ("mean_revert", "range"): 0.02,
}
PRIOR_WEIGHT = 5  # the prior counts like this many outcomes
# Bars before a live window that warm its indicators up: the longest lookback of any family.
LIVE_WARMUP_BARS = 240


# --- memory and brain ----------------------------------------------------------------------------


def outcome_record(
    *, version_id: int, symbol: str, regime: str, pnl: Decimal, reward: float, time_ms: int
) -> StrategyOutcome:
    return StrategyOutcome.objects.create(
        version_id=version_id, symbol=symbol, regime=regime, pnl=pnl, reward=reward, time_ms=time_ms
    )


OUTCOME_LOOKBACK_MS = 7 * 86_400_000  # the exit links the attribution reads live 7 days


def outcome_from_trade(*, trade: Trade) -> StrategyOutcome | None:
    """Attribute one closed trade to the strategy version and regime its opening intent carried
    (the brain's pick when the loop opened it): reward = net PnL (realized + commission +
    funding) over the margin of the quantity it closed. None when the desk did not open it or
    no strategy was active then."""
    intent = attribution.trade_opening_intent(
        account_id=trade.account_id,
        symbol=trade.symbol,
        trade_id=trade.trade_id,
        time_ms=trade.time_ms,
    )
    strategy = ((intent.signal or {}).get("strategy") or {}) if intent else {}
    if not strategy.get("version_id"):
        return None
    regime = strategy.get("regime") or ((intent.signal.get("context") or {}).get("regime")) or ""
    net = trade.realized_pnl + trade.commission + trade.funding
    qty = trade.qty or intent.executed_qty
    price = trade.entry_price or intent.avg_price or intent.reference_price or Decimal(0)
    margin = qty * price / max(intent.leverage, 1)
    # memory scores are float means kept in JSON
    reward = float(net / margin) if margin > 0 else 0.0  # a return ratio, not money
    outcome, _ = StrategyOutcome.objects.get_or_create(
        trade=trade,
        defaults={
            "version_id": strategy["version_id"],
            "symbol": trade.symbol,
            "regime": regime,
            "pnl": net,
            "reward": reward,
            "time_ms": trade.time_ms,
        },
    )
    return outcome


def outcomes_ingest(*, now_ms: int | None = None) -> list[StrategyOutcome]:
    """Strategy memory from live trades: every closed trade of the ledger from the last 7 days
    without an outcome yet is attributed once (unique per trade). Trades the desk did not open
    stay unattributed and are looked at again until they leave the window."""
    since = (now_ms if now_ms is not None else to_ms(utcnow())) - OUTCOME_LOOKBACK_MS
    trades = list(
        Trade.objects.filter(strategy_outcome__isnull=True, time_ms__gte=since).order_by(
            "time_ms", "id"
        )
    )
    return [o for o in (outcome_from_trade(trade=t) for t in trades) if o is not None]


def memory_score(*, version: StrategyVersion, regime: str) -> dict[str, Any]:
    """Mean reward of the version in the regime, shrunk toward the family's prior for it."""
    agg = StrategyOutcome.objects.filter(version=version, regime=regime).aggregate(
        n=Count("id"), total=Sum("reward")
    )
    n, total = agg["n"], agg["total"] or 0.0
    prior = REGIME_PRIOR.get((version.family, regime), -0.01 if regime == "volatile" else 0.0)
    return {"n": n, "score": (total + prior * PRIOR_WEIGHT) / (n + PRIOR_WEIGHT)}


def brain_pick(*, symbol: str) -> StrategyChoice:
    """The active strategy for a symbol: among active versions, the best memory score in the
    symbol's current regime; none (stand aside) when every score is negative."""
    reading = model_selectors.regime_latest(symbol=symbol)
    regime = reading.regime if reading else "range"
    scores = {
        str(v.id): memory_score(version=v, regime=regime)
        for v in StrategyVersion.objects.filter(status=VersionStatus.ACTIVE)
    }
    best_id = max(scores, key=lambda k: scores[k]["score"], default=None)
    if best_id is None or scores[best_id]["score"] < 0:
        reason = "no active strategy" if best_id is None else "every score negative: stand aside"
        best_id = None
    else:
        reason = f"best memory score in {regime}"
    return StrategyChoice.objects.create(
        symbol=symbol,
        regime=regime,
        version_id=int(best_id) if best_id else None,
        scores=scores,
        reason=reason,
    )


# --- ops: lifecycle with an audit trail ---------------------------------------------------------


def _set(
    version: StrategyVersion,
    to: str,
    *,
    action: str,
    actor: str,
    reason: str,
    replaced=None,
    detail: dict | None = None,
) -> None:
    StrategyEvent.objects.create(
        version=version,
        action=action,
        from_status=version.status,
        to_status=to,
        replaced=replaced,
        actor=actor,
        reason=reason[:255],
        detail=detail or {},
    )
    version.status = to
    version.save(update_fields=["status"])


@transaction.atomic
def version_promote(
    *,
    version_id: int,
    actor: str = "",
    reason: str = "",
    action: str = "promote",
    detail: dict | None = None,
) -> StrategyVersion:
    """Make a version the active one of its family; the previous active one is retired."""
    version = StrategyVersion.objects.select_for_update().get(id=version_id)
    current = list(
        StrategyVersion.objects.select_for_update()
        .filter(family=version.family, status=VersionStatus.ACTIVE)
        .exclude(id=version.id)
    )
    for old in current:
        _set(
            old,
            VersionStatus.RETIRED,
            action=action,
            actor=actor,
            reason=f"replaced by v{version.id}",
        )
    _set(
        version,
        VersionStatus.ACTIVE,
        action=action,
        actor=actor,
        reason=reason,
        replaced=current[0] if current else None,
        detail=detail,
    )
    return version


@transaction.atomic
def version_retire(*, version_id: int, actor: str = "", reason: str = "") -> StrategyVersion:
    version = StrategyVersion.objects.select_for_update().get(id=version_id)
    _set(version, VersionStatus.RETIRED, action="retire", actor=actor, reason=reason)
    return version


def version_rollback(
    *, family: str, actor: str = "", reason: str = "", detail: dict | None = None
) -> StrategyVersion:
    """Re-activate the version the current active one replaced (from the audit trail)."""
    last = (
        StrategyEvent.objects.filter(
            version__family=family, to_status=VersionStatus.ACTIVE, replaced__isnull=False
        )
        .order_by("-id")
        .first()
    )
    if last is None:
        raise ValueError(f"nothing to roll back to for {family}")
    return version_promote(
        version_id=last.replaced_id,
        actor=actor,
        reason=reason or "rollback",
        action="rollback",
        detail=detail,
    )


# --- ops: automatic promotion and rollback, by the same out-of-sample test -----------------------

AUTO_ACTOR = "strategy ops (auto)"


def candidate_review(*, version_id: int) -> StrategyEvent | StrategyVersion:
    """Judge a fresh candidate against the family's active version by validation.promotion_test
    (deflated Sharpe > STRATEGY_PROMOTE_DSR, walk-forward beats the incumbent's by
    STRATEGY_PROMOTE_MARGIN_SE standard errors, hold-out beats the incumbent's). Passing with
    STRATEGY_PROMOTION=auto promotes it (a "promote" event whose detail is the test); otherwise
    a "review" event records the verdict and the version stays a candidate."""
    version = StrategyVersion.objects.get(id=version_id)
    verdict = V.promotion_test(
        version.validation,
        dsr_min=settings.STRATEGY_PROMOTE_DSR,
        margin_se=settings.STRATEGY_PROMOTE_MARGIN_SE,
    )
    active = incumbent_active(family=version.family)
    if active is not None and active.id != verdict["incumbent"]:
        # The active version changed since the search: its figures are not this baseline.
        verdict = {**verdict, "promote": False, "why": f"v{active.id} became active meanwhile"}
    verdict["mode"] = settings.STRATEGY_PROMOTION
    if verdict["promote"] and settings.STRATEGY_PROMOTION == "auto":
        return version_promote(
            version_id=version.id, actor=AUTO_ACTOR, reason=verdict["why"], detail=verdict
        )
    reason = verdict["why"] if not verdict["promote"] else "passes; promotion is manual"
    return StrategyEvent.objects.create(
        version=version,
        action="review",
        from_status=version.status,
        to_status=version.status,
        replaced=active,
        actor=AUTO_ACTOR,
        reason=reason[:255],
        detail=verdict,
    )


def _live_net(version: StrategyVersion, close: np.ndarray, start: int) -> np.ndarray:
    return net_returns(
        version.family, version.params, close, fee_bps=settings.STRATEGY_FEE_BPS, start=start
    )


def version_live_check(*, version: StrategyVersion) -> dict | None:
    """The promotion test run backwards on live bars: over every traded symbol's klines since the
    version became active (warmed up by the bars before), the version it replaced is scored
    beside it; when the replaced one beats it by the promotion margin (STRATEGY_PROMOTE_MARGIN_SE
    of the active's standard error), it is rolled back (STRATEGY_PROMOTION=auto) with the
    figures in the event. None for a version that replaced nothing, or that a rollback restored
    (it was judged before; checking it against the version just rolled back would flap)."""
    promoted = (
        StrategyEvent.objects.filter(version=version, to_status=VersionStatus.ACTIVE)
        .order_by("-id")
        .first()
    )
    if promoted is None or promoted.replaced is None or promoted.action == "rollback":
        return None
    since_ms = to_ms(promoted.created_at)
    active_net, replaced_net = [], []
    for symbol in settings.TRADING_SYMBOLS:
        close, start = selectors.closes_since(
            symbol=symbol,
            interval=settings.MARKET_KLINE_INTERVAL,
            since_ms=since_ms,
            warmup=LIVE_WARMUP_BARS,
        )
        if start is None or len(close) - 1 - start < 2:
            continue
        active_net.append(_live_net(version, close, start))
        replaced_net.append(_live_net(promoted.replaced, close, start))
    bars = int(sum(len(n) for n in active_net))
    check: dict[str, Any] = {
        "since_ms": since_ms,
        "replaced": promoted.replaced_id,
        "bars": bars,
        "min_bars": settings.STRATEGY_LIVE_MIN_BARS,
        "mode": settings.STRATEGY_PROMOTION,
    }
    if bars < settings.STRATEGY_LIVE_MIN_BARS:
        check["status"] = "waiting"
    else:
        active = V.sharpe_stats(np.concatenate(active_net))
        # The promotion test with the roles swapped, its margin from the active version's noise.
        test = V.beats(
            candidate=V.sharpe_stats(np.concatenate(replaced_net)),
            baseline=active,
            margin_se=settings.STRATEGY_PROMOTE_MARGIN_SE,
            se=active["score_se"],
        )
        check.update(
            active_score=test["baseline"],
            replaced_score=test["score"],
            margin=test["margin"],
            status="below the replaced version" if test["passed"] else "holds",
        )
    StrategyVersion.objects.filter(id=version.id).update(live_check=check)
    if check["status"] == "below the replaced version" and settings.STRATEGY_PROMOTION == "auto":
        version_rollback(
            family=version.family,
            actor=AUTO_ACTOR,
            reason=f"live: v{promoted.replaced_id} {check['replaced_score']:+.1f} beats"
            f" v{version.id} {check['active_score']:+.1f} by more than {check['margin']:.1f}",
            detail=check,
        )
    return check


def versions_live_check() -> list[dict]:
    """The live check of every active version (strategy ops' periodic task)."""
    out = []
    for version in StrategyVersion.objects.filter(status=VersionStatus.ACTIVE).order_by("id"):
        check = version_live_check(version=version)
        if check is not None:
            out.append({"version": version.id, **check})
    return out


# --- evolution -----------------------------------------------------------------------------------


def evolution_run_create(*, family: str, symbol: str, seed: int = 1) -> EvolutionRun:
    if family not in FAMILIES:
        raise ValueError(f"unknown strategy family {family!r}")
    run = EvolutionRun.objects.create(
        family=family,
        symbol=symbol,
        seed=seed,
        generations=settings.STRATEGY_GENERATIONS,
        population=settings.STRATEGY_POPULATION,
    )
    transaction.on_commit(lambda: current_app.send_task("quantum.strategy.evolve", args=[run.id]))
    return run


def strategies_bootstrap(*, symbols: list[str]) -> list[EvolutionRun]:
    """The first strategies, by themselves (quantum.strategy.bootstrap, every 5 min): when no
    strategy version exists and no evolution run is under way or was started within the hour,
    and the desk's history is ready (the models' rule), one run per family and symbol; each
    candidate is then reviewed against staying flat (candidate_review)."""
    if StrategyVersion.objects.exists():
        return []
    recent = utcnow().timestamp() - 3600
    busy = EvolutionRun.objects.filter(
        status__in=[EvolutionRun.Status.PENDING, EvolutionRun.Status.RUNNING]
    ) | EvolutionRun.objects.filter(created_at__gte=datetime.fromtimestamp(recent, tz=UTC))
    if busy.exists() or not model_selectors.history_ready(symbols=symbols)["ready"]:
        return []
    return evolution_runs_schedule(symbols=symbols, seed=1)


def evolution_runs_schedule(*, symbols: list[str], seed: int | None = None) -> list[EvolutionRun]:
    """One evolution run per strategy family and symbol (the weekly beat entry); the seed
    changes weekly unless given, so successive weeks search from different starting pools."""
    seed = seed if seed is not None else int(utcnow().strftime("%G%V"))
    return [
        evolution_run_create(family=family, symbol=symbol, seed=seed)
        for symbol in symbols
        for family in sorted(FAMILIES)
    ]


def _draw(space: dict[str, Param], rng: random.Random) -> dict[str, Any]:
    return {
        k: rng.randint(int(p.low), int(p.high))
        if p.integer
        else round(rng.uniform(p.low, p.high), 3)
        for k, p in space.items()
    }


def _mutate(params: dict, space: dict[str, Param], rng: random.Random, scale: float) -> dict:
    """Gaussian steps relative to each parameter's range, clipped to its bounds: children stay
    near their parents and inside the space (never an unrelated random value)."""
    out = {}
    for k, p in space.items():
        value = params[k] + rng.gauss(0, scale * (p.high - p.low))
        value = min(p.high, max(p.low, value))
        out[k] = int(round(value)) if p.integer else round(value, 3)
    return out


def _search(
    family: str,
    close: np.ndarray,
    *,
    rng: random.Random,
    population: int,
    generations: int,
    fee_bps: float,
    trials: dict[tuple, float] | None = None,
    on_generation: Callable[[int, float, dict, list], None] | None = None,
) -> tuple[float, dict, list[float]]:
    """Genetic search on `close` (all of it is in sample): elite quarter kept, uniform crossover,
    Gaussian mutation. Every distinct parameter set tried lands in `trials` with its per-bar
    Sharpe ratio: the deflated Sharpe ratio counts them."""
    space = FAMILIES[family]

    def fitness(p: dict) -> float:
        if not params_valid(family, p):
            return -99.0
        score = backtest(family, p, close, fee_bps=fee_bps)["score"]
        if trials is not None:
            trials[tuple(sorted(p.items()))] = score / math.sqrt(BARS_PER_YEAR)
        return score

    pool = [_draw(space, rng) for _ in range(population)]
    scored = sorted(((fitness(p), p) for p in pool), key=lambda t: -t[0])
    history: list[float] = []
    for gen in range(1, generations + 1):
        elite = [p for _, p in scored[: max(2, population // 4)]]
        children = []
        while len(children) < population - len(elite):
            a, b = rng.sample(elite, 2)
            child = {k: (a if rng.random() < 0.5 else b)[k] for k in space}
            children.append(_mutate(child, space, rng, scale=0.15 / gen**0.5))
        scored = sorted(
            [*scored[: len(elite)], *((fitness(p), p) for p in children)], key=lambda t: -t[0]
        )
        history.append(scored[0][0])
        if on_generation:
            on_generation(gen, scored[0][0], scored[0][1], history)
    return scored[0][0], scored[0][1], history


def _window(
    family: str, params: dict, close: np.ndarray, *, fee_bps: float, start: int, end: int
) -> tuple[np.ndarray, dict[str, Any]]:
    """Net returns of a fixed parameter set over returns [start, end), and their figures:
    annualised score with its standard error, total return, bars."""
    net = net_returns(family, params, close, fee_bps=fee_bps, start=start, end=end)
    stats = V.sharpe_stats(net)
    return net, {**summary(net), "score": stats["score"], "score_se": stats["score_se"]}


def evolve(
    *,
    family: str,
    close: np.ndarray,
    holdout_bars: int,
    population: int,
    generations: int,
    seed: int,
    fee_bps: float,
    folds: int = 0,
    incumbent: dict | None = None,
    on_generation: Callable[..., None] | None = None,
    on_fold: Callable[[list[dict]], None] | None = None,
) -> dict[str, Any]:
    """Walk-forward validation of the search, then the search itself, then one look at the
    held-out tail, which neither ever saw.

    - Walk-forward (`folds` > 0): the search window is cut into folds + 1 blocks; fold k runs the
      whole genetic search on blocks 0..k-1 and scores its winner on block k. The pooled
      out-of-sample returns of the folds estimate what the *search* is worth; the `incumbent`
      parameters (the active version's) are scored on the same blocks, as the baseline.
    - The final search on the whole window gives the candidate, with the deflated Sharpe ratio
      of its in-sample score against every parameter set the search tried.
    - The hold-out: the candidate and the incumbent, once each."""
    n = len(close)
    search_end = n - holdout_bars  # close[:search_end] is all the searches may read
    report: dict[str, Any] = {"fold_list": []}
    oos, inc_oos = [], []
    for k, (train_end, test_start, test_end) in enumerate(
        V.fold_bounds(bars=search_end - 1, folds=folds), start=1
    ):
        _, params, _ = _search(
            family,
            close[: train_end + 1],
            rng=random.Random(seed * 1009 + k),
            population=population,
            generations=generations,
            fee_bps=fee_bps,
            on_generation=(lambda *a, k=k: on_generation(f"fold {k}/{folds}", *a))
            if on_generation
            else None,
        )
        train = backtest(family, params, close[: train_end + 1], fee_bps=fee_bps)
        net, test = _window(family, params, close, fee_bps=fee_bps, start=test_start, end=test_end)
        oos.append(net)
        fold = {
            "fold": k,
            "train_bars": train_end,
            "test_bars": test_end - test_start,
            "params": params,
            "train_score": train["score"],
            "test_score": test["score"],
            "test_score_se": test["score_se"],
            "test_return": test["total_return"],
        }
        if incumbent is not None:
            inc_net, inc = _window(
                family, incumbent, close, fee_bps=fee_bps, start=test_start, end=test_end
            )
            inc_oos.append(inc_net)
            fold["incumbent_score"] = inc["score"]
        report["fold_list"].append(fold)
        if on_fold:
            on_fold(report["fold_list"])

    trials: dict[tuple, float] = {}
    best_score, best, history = _search(
        family,
        close[:search_end],
        rng=random.Random(seed),
        population=population,
        generations=generations,
        fee_bps=fee_bps,
        trials=trials,
        on_generation=(lambda *a: on_generation("search", *a)) if on_generation else None,
    )
    in_sample = V.sharpe_stats(
        net_returns(family, best, close, fee_bps=fee_bps, start=0, end=search_end - 1)
    )
    _, holdout = _window(family, best, close, fee_bps=fee_bps, start=search_end - 1, end=n - 1)
    validation: dict[str, Any] = {
        "deflated": {
            **V.deflated_sharpe(stats=in_sample, trial_srs=list(trials.values())),
            "search_score": in_sample["score"],
            "search_score_se": in_sample["score_se"],
        },
        "holdout": holdout,
        "incumbent": None,
    }
    if folds:
        pooled = V.sharpe_stats(np.concatenate(oos))
        fold_scores = [f["test_score"] for f in report["fold_list"]]
        validation["walk_forward"] = {
            "folds": folds,
            "fold_bars": report["fold_list"][0]["test_bars"],
            "score": pooled["score"],
            "score_se": pooled["score_se"],
            "mean": round(float(np.mean(fold_scores)), 4),
        }
    if incumbent is not None:
        _, inc_holdout = _window(
            family, incumbent, close, fee_bps=fee_bps, start=search_end - 1, end=n - 1
        )
        validation["incumbent"] = {"params": incumbent, "holdout": inc_holdout}
        if folds:
            inc_pooled = V.sharpe_stats(np.concatenate(inc_oos))
            validation["incumbent"]["walk_forward"] = {
                "score": inc_pooled["score"],
                "score_se": inc_pooled["score_se"],
                "mean": round(
                    float(np.mean([f["incumbent_score"] for f in report["fold_list"]])), 4
                ),
            }
    return {
        "best_params": best,
        "search_score": best_score,
        "holdout": holdout,
        "history": history,
        "folds": report["fold_list"],
        "validation": validation,
    }


def incumbent_active(*, family: str) -> StrategyVersion | None:
    """The active version of a family: the baseline a candidate has to beat."""
    return (
        StrategyVersion.objects.filter(family=family, status=VersionStatus.ACTIVE)
        .order_by("-id")
        .first()
    )


def evolution_execute(*, run_id: int) -> StrategyVersion:
    """Walk-forward folds, the search and the hold-out on the symbol's recent klines from the
    store, with progress on the row per fold and generation; the best is registered as a
    candidate version with its validation (promotion is strategy ops' decision)."""
    run = EvolutionRun.objects.get(id=run_id)
    EvolutionRun.objects.filter(id=run.id).update(status=EvolutionRun.Status.RUNNING, progress=1)
    try:
        bars = settings.STRATEGY_SEARCH_BARS + settings.STRATEGY_HOLDOUT_BARS
        # The store, topped up from the exchange when it holds less (as training does).
        close = F.arrays(model_services.klines_history(run.symbol, bars))["close"]
        holdout_bars = max(50, len(close) * settings.STRATEGY_HOLDOUT_BARS // bars)
        if len(close) < holdout_bars + 300:
            raise ValueError(f"{run.symbol}: {len(close)} klines stored, too few to evolve on")
        folds = settings.STRATEGY_WF_FOLDS
        incumbent = incumbent_active(family=run.family)
        steps = (folds + 1) * run.generations
        done = [0]

        def progress(stage: str, gen: int, best_score: float, best: dict, history: list) -> None:
            # A plain UPDATE per generation (autocommit in the task): the API shows it mid-run.
            done[0] += 1
            EvolutionRun.objects.filter(id=run.id).update(
                stage=f"{stage}, generation {gen}/{run.generations}",
                generation=gen,
                progress=max(1, min(99, int(100 * done[0] / steps))),
                best_score=best_score,
                best_params=best,
                history=history,
            )

        def fold_done(fold_list: list[dict]) -> None:
            EvolutionRun.objects.filter(id=run.id).update(folds=fold_list)

        result = evolve(
            family=run.family,
            close=close,
            holdout_bars=holdout_bars,
            population=run.population,
            generations=run.generations,
            seed=run.seed,
            fee_bps=settings.STRATEGY_FEE_BPS,
            folds=folds,
            incumbent=incumbent.params if incumbent else None,
            on_generation=progress,
            on_fold=fold_done,
        )
        validation = result["validation"]
        if incumbent is not None:
            validation["incumbent"]["version_id"] = incumbent.id
        with transaction.atomic():
            version = StrategyVersion.objects.create(
                family=run.family,
                params=result["best_params"],
                search_score=result["search_score"],
                holdout_score=result["holdout"]["score"],
                evolution_run=run,
                validation=validation,
            )
            EvolutionRun.objects.filter(id=run.id).update(
                status=EvolutionRun.Status.OK,
                progress=100,
                stage="registered",
                folds=result["folds"],
                validation=validation,
                search_bars=len(close) - holdout_bars,
                holdout_bars=holdout_bars,
                holdout_score=result["holdout"]["score"],
                result=version,
                finished_at=utcnow(),
            )
        candidate_review(version_id=version.id)
        version.refresh_from_db()
        return version
    except Exception as exc:
        EvolutionRun.objects.filter(id=run.id).update(
            status=EvolutionRun.Status.ERROR, error=repr(exc)[:2000], finished_at=utcnow()
        )
        raise
