"""Reads of the strategy context."""

from __future__ import annotations

from django.db.models import Avg, Count, QuerySet, Sum

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
