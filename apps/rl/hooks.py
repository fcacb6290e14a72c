"""The RL app's answer to the trading loop's `size` hook (apps/trading/hooks.py)."""

from __future__ import annotations

from decimal import Decimal

from apps.core.money import money_str
from apps.rl import services


def size(
    *,
    symbol: str,
    confidence: Decimal,
    regime: str | None,
    vol_ratio: float | None,
    base_notional: Decimal,
    leverage: int,
) -> dict:
    """One sizing decision (a SizingDecision row) for a signal: its notional, and the JSON the
    intent keeps in its signal snapshot so the closed trade's reward finds this decision."""
    decision = services.size_decide(
        symbol=symbol,
        confidence=confidence,
        regime=regime,
        vol_ratio=vol_ratio,
        base_notional=base_notional,
        leverage=leverage,
    )
    return {
        "notional": decision.notional,
        "decision_id": decision.id,
        "multiplier": money_str(decision.multiplier),
        "context": decision.context,
        "explored": decision.explored,
        "base_notional": money_str(decision.base_notional),
        "cap": money_str(decision.cap),
        "capped": decision.capped,
    }
