"""The ensemble as a trading signal source (apps.trading.signal_sources.SignalSource).

Plug it in with TRADING_SIGNAL_SOURCE=apps.models.signal_sources:EnsembleSource. Each evaluation
runs every live model on the symbol's latest features, records one Prediction per model (scored
later against what the market did), and combines the probabilities with the supervisor's
weights, which follow each model's measured skill.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from threadpoolctl import threadpool_limits

from apps.models import features as F
from apps.models import selectors, services
from apps.models.artifacts import ArtifactRefused, artifact_load
from apps.models.models import Prediction
from apps.trading.signal_sources import KlineLike, Signal

logger = logging.getLogger(__name__)

CONF_PLACES = Decimal("0.0001")


def probabilities(*, row: np.ndarray, versions: list) -> list[tuple[Any, float]]:
    """(version, P(up)) for every live model whose artifact loads and verifies."""
    out = []
    x = row.reshape(1, -1)
    # One row per call: OpenMP threads (HistGradientBoosting's) only add start-up and contention
    # latency here, and the trading loop's budget is about the tail.
    with threadpool_limits(limits=1):
        out = _probabilities(x, versions)
    return out


def _probabilities(x: np.ndarray, versions: list) -> list[tuple[Any, float]]:
    out = []
    for version in versions:
        try:
            payload = artifact_load(
                relative_path=version.artifact_path, sha256=version.artifact_sha256
            )
        except (ArtifactRefused, OSError) as exc:
            logger.error("model v%s skipped: %s", version.id, exc)
            continue
        # The columns the model was trained on, by name: a model from before a feature was added
        # keeps its own inputs.
        names = payload.get("features") or F.FEATURE_NAMES
        cols = [F.FEATURE_NAMES.index(n) for n in names]
        out.append((version, payload["model"].predict_proba(x[:, cols])[0, 1].item()))
    return out


def combine(probs: list[tuple[Any, float]]) -> float:
    """Weighted mean probability; the weights are the supervisor's skill weights."""
    weights = np.asarray([v.weight for v, _ in probs], dtype=float)
    values = np.asarray([p for _, p in probs], dtype=float)
    if not len(values) or weights.sum() <= 0:
        return 0.5
    return (weights @ values / weights.sum()).item()


class EnsembleSource:
    name = "ensemble"

    def history_needed(self) -> int:
        return F.LOOKBACK + 1

    def evaluate(self, *, symbol: str, klines: list[KlineLike]) -> Signal:
        row = F.feature_row(klines, **selectors.market_inputs(symbol=symbol, klines=klines))
        if row is None:
            return Signal(symbol, 0, Decimal(0), None, self.name, {"why": "not enough klines"})
        price = klines[-1].close
        probs = probabilities(row=row, versions=selectors.models_live())
        horizon = settings.INTEL_HORIZON_BARS
        services.predictions_record(
            rows=[
                Prediction(
                    model_version=v,
                    symbol=symbol,
                    as_of_ms=klines[-1].open_time_ms,
                    horizon=horizon,
                    prob_up=p,
                    direction=1 if p >= 0.5 else -1,
                    price=price,
                )
                for v, p in probs
            ]
        )
        prob_up = combine(probs)
        edge = abs(prob_up - 0.5)
        direction = 0
        if probs and edge >= settings.INTEL_ENSEMBLE_MIN_EDGE:
            direction = 1 if prob_up > 0.5 else -1
        # Confidence is the ensemble's probability of the side it picks: honest, so the risk
        # policy's minimum confidence means what it says.
        confidence = Decimal(str(round(max(prob_up, 1 - prob_up), 4))) if direction else Decimal(0)
        features = {
            "prob_up": round(prob_up, 4),
            "funding_bps": round(row[F.FEATURE_NAMES.index("funding_bps")].item(), 4),
            "basis_bps": round(row[F.FEATURE_NAMES.index("basis_bps")].item(), 4),
            "models": {str(v.id): round(p, 4) for v, p in probs},
            "last_open_time": klines[-1].open_time_ms,
        }
        return Signal(
            symbol, direction, confidence.quantize(CONF_PLACES), price, self.name, features
        )


def ensemble_signal(*, symbol: str) -> dict:
    """The ensemble's signal for a symbol from the kline store, as the intent snapshot dict."""
    source = EnsembleSource()
    klines = selectors.klines_until(
        symbol=symbol, interval=settings.MARKET_KLINE_INTERVAL, count=source.history_needed()
    )
    return source.evaluate(symbol=symbol, klines=klines).snapshot()
