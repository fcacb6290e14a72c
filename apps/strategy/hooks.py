"""The strategy app's answers to the trading loop's `strategy` and `strategy_source` hooks
(apps/trading/hooks.py)."""

from __future__ import annotations

from apps.strategy.models import StrategyChoice, VersionStatus
from apps.strategy.signal_sources import VersionSource


def active_strategy(*, symbol: str) -> dict | None:
    """The brain's latest pick for the symbol (quantum.strategy.brain, every 60 s): the version
    the intent is attributed to, and the regime it was picked in. None before the first pick."""
    choice = StrategyChoice.objects.filter(symbol=symbol).select_related("version").first()
    if choice is None:
        return None
    return {
        "version_id": choice.version_id,
        "family": choice.version.family if choice.version else "",
        "regime": choice.regime,
        "choice_id": choice.id,
        "reason": choice.reason,
    }


def strategy_source(*, symbol: str) -> VersionSource | None:
    """The signal source of the brain's latest pick for the symbol when that version is still
    active: its family with its parameters drive the symbol's signal. None (the loop keeps its
    default source) before the first pick, when the brain stood aside, or once the version was
    retired."""
    choice = StrategyChoice.objects.filter(symbol=symbol).select_related("version").first()
    if choice is None or choice.version is None:
        return None
    if choice.version.status != VersionStatus.ACTIVE:
        return None
    return VersionSource(choice.version)
