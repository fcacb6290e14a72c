"""Writes of the models context: meta regime, training, live predictions, scoring, supervisor.

The ensemble signal source that the trading loop plugs in lives in apps.models.signal_sources.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
from celery import current_app
from django.conf import settings
from django.db import transaction
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from apps.core import jsoncodec, keys
from apps.core.money import money_str
from apps.core.redis import get_redis
from apps.core.timeutil import utcnow
from apps.market.models import Kline
from apps.models import evaluation, selectors
from apps.models import features as F
from apps.models.artifacts import artifact_save
from apps.models.models import (
    ModelEvent,
    ModelKind,
    ModelStatus,
    ModelVersion,
    Prediction,
    RegimeObservation,
    TrainingRun,
)

logger = logging.getLogger(__name__)

INTERVAL_MS = {"1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000}
PNL_PLACES = Decimal("0.00000001")
# A forecast of 0.5 every time scores a Brier of 0.25: the reference a skill is measured against.
BRIER_REFERENCE = 0.25
STREAM_MAXLEN = 10_000


def _interval() -> str:
    return settings.MARKET_KLINE_INTERVAL


# --- meta regime ---------------------------------------------------------------------------------


def regime_detect(*, symbol: str, before_ms: int | None = None) -> RegimeObservation | None:
    """Classify the symbol's regime from its own stored klines (opened before `before_ms`) and
    store the reading once per bar. None without enough history."""
    klines = selectors.klines_until(
        symbol=symbol, interval=_interval(), count=F.REGIME_BASELINE + 1, before_ms=before_ms
    )
    reading = F.regime_classify(F.arrays(klines)["close"]) if klines else None
    if reading is None:
        return None
    stats = reading.as_dict()
    obs, _ = RegimeObservation.objects.get_or_create(
        symbol=symbol,
        as_of_ms=klines[-1].open_time_ms,
        defaults={"regime": reading.regime, "stats": stats},
    )
    return obs


def regimes_publish(*, symbols: list[str]) -> list[RegimeObservation]:
    """Detect each symbol's regime, store it, and publish it to quantum:stream:meta.regime (JSON
    fields) plus a latest-value hash, for consumers that only want the current regime."""
    found = [o for o in (regime_detect(symbol=s) for s in symbols) if o is not None]
    if found:
        pipe = get_redis().pipeline(transaction=False)
        for obs in found:
            fields = {
                "symbol": obs.symbol,
                "regime": obs.regime,
                "as_of_ms": obs.as_of_ms,
                **obs.stats,
            }
            encoded = {k: jsoncodec.dumps(v) for k, v in fields.items()}
            pipe.xadd(keys.STREAM_META_REGIME, encoded, maxlen=STREAM_MAXLEN, approximate=True)
            pipe.hset(keys.meta_regime(obs.symbol), mapping=encoded)
        pipe.execute()
    return found


# --- training ------------------------------------------------------------------------------------


def training_run_create(*, kind: str, params: dict | None = None) -> TrainingRun:
    """A pending run, handed to the research queue once the row is committed."""
    run = TrainingRun.objects.create(kind=ModelKind(kind), params=params or {})
    transaction.on_commit(lambda: current_app.send_task("quantum.models.train", args=[run.id]))
    return run


BOOTSTRAP_KINDS = (ModelKind.LOGREG, ModelKind.HGB)
BOOTSTRAP_RETRY_AFTER_S = 3600  # a failed first training is tried again after this long


def models_bootstrap(*, symbols: list[str]) -> list[TrainingRun]:
    """The first models, by themselves (quantum.models.bootstrap, every 5 min): when the desk has
    no model version and no training run under way or done, and its history is ready, one
    training run per kind. Nothing once any model exists: the nightly retrain takes over."""
    if ModelVersion.objects.exists():
        return []
    runs = TrainingRun.objects.all()
    if runs.filter(status__in=[TrainingRun.Status.PENDING, TrainingRun.Status.RUNNING]).exists():
        return []
    recent = utcnow().timestamp() - BOOTSTRAP_RETRY_AFTER_S
    if runs.filter(created_at__gte=datetime.fromtimestamp(recent, tz=UTC)).exists():
        return []
    if not selectors.history_ready(symbols=symbols)["ready"]:
        return []
    return [training_run_create(kind=kind) for kind in BOOTSTRAP_KINDS]


def _progress(run: TrainingRun, percent: int, stage: str) -> None:
    # A plain UPDATE, committed at once (tasks run in autocommit): the API shows it mid-run.
    TrainingRun.objects.filter(id=run.id).update(progress=percent, stage=stage)


def klines_history(symbol: str, bars: int) -> list[Kline]:
    """The desk's own kline store; when it holds too little, the missing history (klines,
    settled funding, the basis against the reference venue) is filled from the venues first,
    so the features of fetched bars carry funding and basis as the observed ones do."""
    klines = selectors.klines_until(symbol=symbol, interval=_interval(), count=bars)
    if len(klines) >= bars:
        return klines
    from apps.core.timeutil import to_ms
    from apps.market import services as market

    now_ms = to_ms(utcnow())
    market.market_history_fill(
        venue=market.market_venue(),
        reference=market.reference_venue(),
        symbol=symbol,
        interval=_interval(),
        start_ms=now_ms - (bars + 2) * INTERVAL_MS[_interval()],
        now_ms=now_ms,
    )
    return selectors.klines_until(symbol=symbol, interval=_interval(), count=bars)


def dataset_build(
    *, symbols: list[str], bars: int, horizon: int, holdout_fraction: float, folds: int = 0
) -> dict[str, np.ndarray]:
    """Features (klines + funding and basis as of each close) and up/down labels per symbol,
    split in time: each symbol's last bars are the hold-out, never seen in fitting.

    For walk-forward folds each symbol's fitted rows are cut into folds + 1 blocks in time:
    `fold_fit` is a row's block, `tail_fit` marks a block's last `horizon` rows, whose labels
    reach into the next block (a fold trains on the blocks before its own, minus that tail)."""
    parts: dict[str, list[np.ndarray]] = {
        "x_fit": [],
        "y_fit": [],
        "x_hold": [],
        "y_hold": [],
        "fold_fit": [],
        "tail_fit": [],
    }
    for symbol in symbols:
        klines = klines_history(symbol, bars)
        a = F.arrays(klines, **selectors.market_inputs(symbol=symbol, klines=klines))
        if len(a["close"]) <= F.LOOKBACK + horizon + 10:
            continue
        x = F.matrix(a)[: -horizon or None]
        y = F.labels_up(a["close"], horizon)
        cut = int(len(y) * (1 - holdout_fraction))
        parts["x_fit"].append(x[:cut])
        parts["y_fit"].append(y[:cut])
        parts["x_hold"].append(x[cut:])
        parts["y_hold"].append(y[cut:])
        block = max(cut // (folds + 1), 1)
        index = np.arange(cut)
        parts["fold_fit"].append(np.minimum(index // block, folds))
        parts["tail_fit"].append(index % block >= block - horizon)
    if not parts["x_fit"]:
        raise ValueError("no symbol has enough klines to train on")
    return {k: np.concatenate(v) for k, v in parts.items()}


def _estimator(kind: str, params: dict):
    if kind == ModelKind.LOGREG:
        return make_pipeline(StandardScaler(), LogisticRegression(C=params.get("C", 1.0)))
    return HistGradientBoostingClassifier(
        max_iter=0,  # grown in steps below with warm_start, so progress can be reported
        learning_rate=params.get("learning_rate", 0.05),
        max_depth=params.get("max_depth", 3),
        min_samples_leaf=params.get("min_samples_leaf", 50),
        warm_start=True,
        random_state=params.get("seed", 7),
    )


def walk_forward_evaluate(
    *, run: TrainingRun, kind: str, params: dict, data: dict[str, np.ndarray], folds: int
) -> dict | None:
    """Walk-forward folds over the fitted rows (the hold-out stays unseen): fold k fits a fresh
    model on blocks 0..k-1 (minus the tail whose labels reach block k) and is scored on block k
    beside that block's base rates (evaluation.holdout_report). Each fold is stored on the run
    as it ends, so its figures show while the next one fits."""
    if folds < 1:
        return None
    horizon = params["horizon"]
    fold, tail = data["fold_fit"], data["tail_fit"]
    done: list[dict] = []
    for k in range(1, folds + 1):
        train = (fold < k) & ~((fold == k - 1) & tail)
        test = fold == k
        if train.sum() < 50 or test.sum() < 10 or len(np.unique(data["y_fit"][train])) < 2:
            continue
        model = _estimator(kind, params)
        if kind == ModelKind.HGB:
            model.set_params(max_iter=params.get("max_iter", 100), warm_start=False)
        model.fit(data["x_fit"][train], data["y_fit"][train])
        report = evaluation.holdout_report(
            model.predict_proba(data["x_fit"][test])[:, 1],
            data["y_fit"][test],
            horizon=horizon,
            fit_base_rate=float(np.mean(data["y_fit"][train])),
        )
        done.append(
            {
                "fold": k,
                "n_train": int(train.sum()),
                "n_test": report["n"],
                "accuracy": report["accuracy"],
                "accuracy_ci": report["accuracy_ci"],
                "best_base": report["best_base"],
                "log_loss": report["log_loss"],
                "brier_skill": report["brier_skill"],
                "edge": report["edge"],
            }
        )
        TrainingRun.objects.filter(id=run.id).update(
            folds=done,
            progress=20 + int(30 * k / folds),
            stage=f"walk-forward fold {k}/{folds}",
        )
    if not done:
        return None
    return {
        "folds": done,
        "accuracy_mean": round(float(np.mean([f["accuracy"] for f in done])), 4),
        "best_base_mean": round(float(np.mean([f["best_base"]["accuracy"] for f in done])), 4),
        "brier_skill_mean": round(float(np.mean([f["brier_skill"] for f in done])), 5),
        "folds_with_edge": sum(f["edge"] for f in done),
    }


def model_train(*, run_id: int) -> ModelVersion:
    """Fit one model kind on the desk's market history, evaluate it on the hold-out, save the
    artifact, register the version as live and supersede the previous live one of its kind."""
    run = TrainingRun.objects.get(id=run_id)
    TrainingRun.objects.filter(id=run.id).update(
        status=TrainingRun.Status.RUNNING, started_at=utcnow(), progress=1, stage="loading"
    )
    try:
        folds = settings.INTEL_WF_FOLDS
        params = {
            "symbols": settings.TRADING_SYMBOLS,
            "bars": settings.INTEL_TRAIN_BARS,
            "horizon": settings.INTEL_HORIZON_BARS,
            **run.params,
        }
        data = dataset_build(
            symbols=params["symbols"],
            bars=params["bars"],
            horizon=params["horizon"],
            holdout_fraction=settings.INTEL_HOLDOUT_FRACTION,
            folds=folds,
        )
        _progress(run, 20, "features built")
        walk_forward = walk_forward_evaluate(
            run=run, kind=run.kind, params=params, data=data, folds=folds
        )
        model = _estimator(run.kind, params)
        if run.kind == ModelKind.HGB:
            steps = params.get("max_iter", 100)
            for done in range(20, steps + 1, 20):
                model.set_params(max_iter=done)
                model.fit(data["x_fit"], data["y_fit"])
                _progress(run, 50 + int(30 * done / steps), f"boosting {done}/{steps}")
        else:
            model.fit(data["x_fit"], data["y_fit"])
            _progress(run, 80, "fitted")
        # Beside the base rates it must beat, with an interval and a verdict (evaluation.py).
        metrics = evaluation.holdout_report(
            model.predict_proba(data["x_hold"])[:, 1],
            data["y_hold"],
            horizon=params["horizon"],
            fit_base_rate=float(np.mean(data["y_fit"])),
        )
        metrics["n_fit"] = int(len(data["y_fit"]))
        if walk_forward:
            metrics["walk_forward"] = walk_forward
        # The first weight, by the supervisor's rule on the hold-out (0 without a significant
        # edge there); the supervisor replaces it once live predictions are scored.
        metrics["weight_rule"] = weight_rule(
            hits=metrics["accuracy"] * metrics["n"],
            n=metrics["n"],
            base=metrics["best_base"]["accuracy"],
            horizon=params["horizon"],
        )
        _progress(run, 90, "evaluated")
        path, sha = artifact_save(
            payload={"model": model, "features": F.FEATURE_NAMES, "horizon": params["horizon"]},
            stem=f"{run.kind}-run{run.id}",
        )
        with transaction.atomic():
            previous = list(ModelVersion.objects.filter(kind=run.kind, status=ModelStatus.LIVE))
            version = ModelVersion.objects.create(
                kind=run.kind,
                params=params,
                metrics=metrics,
                weight=metrics["weight_rule"]["weight"] if metrics["weight_rule"]["apply"] else 1.0,
                artifact_path=path,
                artifact_sha256=sha,
                status=ModelStatus.LIVE,
                status_changed_at=utcnow(),
            )
            for old in previous:
                model_demote(version=old, reason=f"superseded by v{version.id}", detail={})
            TrainingRun.objects.filter(id=run.id).update(
                status=TrainingRun.Status.OK,
                progress=100,
                stage="registered",
                model_version=version,
                finished_at=utcnow(),
            )
        return version
    except Exception as exc:
        TrainingRun.objects.filter(id=run.id).update(
            status=TrainingRun.Status.ERROR, error=repr(exc)[:2000], finished_at=utcnow()
        )
        raise


# --- predictions, scoring, supervisor -----------------------------------------------------------


def predictions_record(*, rows: list[Prediction]) -> None:
    # Once per model, symbol and bar: a second trading cycle on the same bar adds nothing.
    Prediction.objects.bulk_create(rows, ignore_conflicts=True)


def predictions_score(*, limit: int = 5000) -> int:
    """Score every prediction whose horizon has closed: outcome, hit, Brier, and the PnL its
    direction would have made on the unit notional (TRADING_ORDER_NOTIONAL)."""
    step = INTERVAL_MS[_interval()]
    unit = settings.TRADING_ORDER_NOTIONAL
    pending = list(Prediction.objects.filter(scored_at__isnull=True).order_by("id")[:limit])
    by_symbol: dict[str, list[Prediction]] = {}
    for p in pending:
        by_symbol.setdefault(p.symbol, []).append(p)
    now = utcnow()
    scored: list[Prediction] = []
    for symbol, preds in by_symbol.items():
        wanted = {p.as_of_ms + p.horizon * step for p in preds}
        closes = dict(
            Kline.objects.filter(
                symbol=symbol, interval=_interval(), open_time_ms__in=wanted
            ).values_list("open_time_ms", "close")
        )
        for p in preds:
            later = closes.get(p.as_of_ms + p.horizon * step)
            if later is None:
                continue  # the horizon has not closed yet (or the bar is missing)
            move = later - p.price
            p.outcome_up = move > 0
            p.correct = (p.direction > 0) == p.outcome_up
            p.brier = (p.prob_up - (1.0 if p.outcome_up else 0.0)) ** 2
            p.pnl = (p.direction * move / p.price * unit).quantize(PNL_PLACES)
            p.scored_at = now
            scored.append(p)
    Prediction.objects.bulk_update(
        scored, ["outcome_up", "correct", "brier", "pnl", "scored_at"], batch_size=500
    )
    return len(scored)


def model_demote(*, version: ModelVersion, reason: str, detail: dict) -> None:
    ModelVersion.objects.filter(id=version.id).update(
        status=ModelStatus.DEMOTED, status_changed_at=utcnow()
    )
    ModelEvent.objects.create(
        model_version=version, action="demoted", detail={"reason": reason, **detail}
    )


def live_metrics_compute(*, version: ModelVersion, window: int) -> dict:
    rows = list(
        Prediction.objects.filter(model_version=version, scored_at__isnull=False)
        .order_by("-id")
        .values_list("correct", "brier", "pnl", "outcome_up", "horizon")[:window]
    )
    if not rows:
        return {"n": 0}
    correct = np.asarray([r[0] for r in rows], dtype=float)
    brier = np.asarray([r[1] for r in rows], dtype=float)
    pnl = sum((r[2] for r in rows), Decimal(0))
    share_up = float(np.mean([r[3] for r in rows]))
    return {
        "n": len(rows),
        "hits": int(correct.sum()),
        "horizon": max(r[4] for r in rows),
        # The best free accuracy on the same outcomes: always-up, always-down or a coin flip.
        "best_base": round(max(share_up, 1 - share_up), 4),
        "accuracy": round(correct.mean().item(), 4),
        "brier": round(brier.mean().item(), 5),
        "brier_skill": round(1 - brier.mean().item() / BRIER_REFERENCE, 5),
        "pnl": money_str(pnl),
    }


def weight_rule(*, hits: float, n: int, base: float, horizon: int) -> dict:
    """The ensemble weight a model has earned (evaluation.significance_weight: 0 until its hit
    rate beats the best base rate at INTEL_WEIGHT_ALPHA). With INTEL_ENSEMBLE_WEIGHTS=manual the
    figures are still computed and shown, but `apply` is false: the weight is the one a person
    set in the admin."""
    rule = evaluation.significance_weight(
        hits=hits, n=n, base=base, horizon=horizon, alpha=settings.INTEL_WEIGHT_ALPHA
    )
    rule["apply"] = settings.INTEL_ENSEMBLE_WEIGHTS != "manual"
    return rule


def supervisor_run() -> list[dict]:
    """Measure each live model on its recent scored predictions; set its ensemble weight from its
    own skill, shrunk to 0 until that skill is significant (weight_rule: a model is weighed by
    being right beyond luck, not by agreeing with the others); demote it, with a record, when it
    falls below a floor."""
    out = []
    for version in selectors.models_live():
        metrics = live_metrics_compute(version=version, window=settings.INTEL_SKILL_WINDOW)
        update: dict = {"live_metrics": metrics}
        if metrics["n"] >= settings.INTEL_SKILL_MIN_SCORED:
            rule = weight_rule(
                hits=metrics["hits"],
                n=metrics["n"],
                base=metrics["best_base"],
                horizon=metrics["horizon"],
            )
            metrics["weight_rule"] = rule
            if rule["apply"]:
                update["weight"] = rule["weight"]
        ModelVersion.objects.filter(id=version.id).update(**update)
        verdict = "kept"
        if metrics["n"] >= settings.INTEL_SKILL_MIN_SCORED and (
            metrics["accuracy"] < settings.INTEL_ACCURACY_FLOOR
            or metrics["brier_skill"] < settings.INTEL_BRIER_SKILL_FLOOR
        ):
            model_demote(
                version=version,
                reason="below skill floor",
                detail={
                    **metrics,
                    "accuracy_floor": settings.INTEL_ACCURACY_FLOOR,
                    "brier_skill_floor": settings.INTEL_BRIER_SKILL_FLOOR,
                },
            )
            verdict = "demoted"
        out.append({"model": version.id, "verdict": verdict, **update})
    return out
