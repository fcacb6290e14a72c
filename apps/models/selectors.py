"""Reads of the models context."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from apps.market import selectors as market_selectors
from apps.market.models import Kline
from apps.models.models import (
    ModelStatus,
    ModelVersion,
    Prediction,
    RegimeObservation,
    TrainingRun,
)


def klines_until(*, symbol: str, interval: str, count: int, before_ms: int | None = None) -> list:
    """The last `count` stored klines of a symbol, oldest first, opened before `before_ms`."""
    rows = Kline.objects.filter(symbol=symbol, interval=interval)
    if before_ms is not None:
        rows = rows.filter(open_time_ms__lt=before_ms)
    return list(reversed(rows.order_by("-open_time_ms")[:count]))


def klines_count(*, symbol: str, interval: str) -> int:
    return Kline.objects.filter(symbol=symbol, interval=interval).count()


def history_ready(*, symbols: list[str]) -> dict:
    """Whether the desk has observed enough market to train on: every traded symbol has at least
    INTEL_BOOTSTRAP_BARS klines in its own store (a day by default; training tops the rest up
    from the venues, funding and basis with the klines: market_history_fill)."""
    interval = settings.MARKET_KLINE_INTERVAL
    counts = {s: klines_count(symbol=s, interval=interval) for s in symbols}
    need = settings.INTEL_BOOTSTRAP_BARS
    return {"ready": bool(counts) and min(counts.values()) >= need, "bars": counts, "need": need}


def market_inputs(*, symbol: str, klines: list) -> dict[str, list]:
    """The funding and basis histories covering `klines` (for features.arrays / feature_row):
    from the value in force at the first bar to the last bar's close."""
    if not klines:
        return {"funding": [], "basis": []}
    first = klines[0].open_time_ms
    last = getattr(klines[-1], "close_time_ms", None) or klines[-1].open_time_ms + 59_999
    return {
        "funding": market_selectors.funding_history(symbol=symbol, until_ms=last, since_ms=first),
        "basis": market_selectors.basis_history(symbol=symbol, until_ms=last, since_ms=first),
    }


def models_live() -> list[ModelVersion]:
    return list(ModelVersion.objects.filter(status=ModelStatus.LIVE).order_by("id"))


def model_verdict(*, version: ModelVersion) -> str:
    """'edge' / 'no edge' from the hold-out report (apps.models.evaluation); versions trained
    before base rates were stored have no verdict rather than a guessed one."""
    return version.metrics.get("verdict") or "not evaluated"


def models_list() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.all()


def training_runs_list() -> QuerySet[TrainingRun]:
    return TrainingRun.objects.select_related("model_version")


def predictions_list(*, symbol: str | None = None, model_id: int | None = None) -> QuerySet:
    rows = Prediction.objects.select_related("model_version")
    if symbol:
        rows = rows.filter(symbol=symbol.upper())
    if model_id:
        rows = rows.filter(model_version_id=model_id)
    return rows


def regime_latest(*, symbol: str) -> RegimeObservation | None:
    return RegimeObservation.objects.filter(symbol=symbol.upper()).order_by("-as_of_ms").first()


def regimes_latest(*, symbols: list[str]) -> list[RegimeObservation]:
    found = (regime_latest(symbol=s) for s in symbols)
    return [r for r in found if r is not None]


def regimes_list(*, symbol: str | None = None) -> QuerySet[RegimeObservation]:
    rows = RegimeObservation.objects.all()
    return rows.filter(symbol=symbol.upper()) if symbol else rows
