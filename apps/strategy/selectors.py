"""Reads of the strategy context."""

from __future__ import annotations

import numpy as np
from django.db.models import Avg, Count, QuerySet, Sum

from apps.market.models import Kline
from apps.strategy.models import EvolutionRun, StrategyChoice, StrategyOutcome, StrategyVersion


def versions_list(*, status: str | None = None) -> QuerySet[StrategyVersion]:
    rows = StrategyVersion.objects.prefetch_related("events")
    return rows.filter(status=status) if status else rows


def runs_list() -> QuerySet[EvolutionRun]:
    return EvolutionRun.objects.all()


def memory_table() -> list[dict]:
    """Outcomes per strategy version x regime."""
    return list(
        StrategyOutcome.objects.values("version_id", "version__family", "regime")
        .annotate(n=Count("id"), mean_reward=Avg("reward"), pnl=Sum("pnl"))
        .order_by("version_id", "regime")
    )


def choices_latest(*, symbols: list[str]) -> list[StrategyChoice]:
    found = (StrategyChoice.objects.filter(symbol=s).first() for s in symbols)
    return [c for c in found if c is not None]


def closes_since(
    *, symbol: str, interval: str, since_ms: int, warmup: int
) -> tuple[np.ndarray, int | None]:
    """Closes of a symbol's stored klines from `warmup` bars before `since_ms` on, and the index
    of the first bar opened at or after `since_ms` (None when there is none yet)."""
    rows = Kline.objects.filter(symbol=symbol, interval=interval)
    before = list(
        rows.filter(open_time_ms__lt=since_ms)
        .order_by("-open_time_ms")
        .values_list("close", flat=True)[:warmup]
    )[::-1]
    after = list(
        rows.filter(open_time_ms__gte=since_ms)
        .order_by("open_time_ms")
        .values_list("close", flat=True)
    )
    if not after:
        return np.asarray([], dtype=float), None
    # Statistics, not money: the backtest works on float log returns.
    return np.asarray([float(c) for c in before + after]), len(before)
