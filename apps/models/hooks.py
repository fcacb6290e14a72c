"""The models app's answers to the trading loop's hooks (apps/trading/hooks.py)."""

from __future__ import annotations

from apps.models import selectors
from apps.models.models import ModelStatus, ModelVersion


def market_context(*, symbol: str) -> dict:
    """The symbol's latest stored meta regime and its volatility ratio (None before the first
    reading: the agent then sizes in its `unknown` context)."""
    reading = selectors.regime_latest(symbol=symbol)
    if reading is None:
        return {"regime": None, "vol_ratio": None, "regime_as_of_ms": None}
    vol = reading.stats.get("vol_ratio")
    return {
        "regime": reading.regime,
        "vol_ratio": float(vol) if vol is not None else None,
        "regime_as_of_ms": reading.as_of_ms,
    }


def live_models() -> bool:
    return ModelVersion.objects.filter(status=ModelStatus.LIVE).exists()
