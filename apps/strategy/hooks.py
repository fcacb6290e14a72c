"""The strategy app's answer to the trading loop's `strategy` hook (apps/trading/hooks.py)."""

from __future__ import annotations

from apps.strategy.models import StrategyChoice


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
