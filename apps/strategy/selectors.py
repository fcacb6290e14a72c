"""Reads of the strategy context."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Avg, Count, QuerySet, Sum

from apps.market.models import Kline
from apps.models import selectors as model_selectors
from apps.strategy.models import EvolutionRun, StrategyChoice, StrategyOutcome, StrategyVersion
from apps.trading import hooks
from apps.trading.signal_sources import signal_source_name


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


def intelligence_now(*, symbols: list[str]) -> dict[str, Any]:
    """What the desk trades with right now, per symbol, and why: the same calls the trading loop
    makes (the `strategy_source` hook, then the configured signal source), with the facts behind
    each answer (the brain's pick, the live models and their weights, the first training)."""
    live = model_selectors.models_live()
    weighted = [v for v in live if v.weight > 0]
    default = signal_source_name()
    if default == "ensemble" and weighted:
        default_why = "the ensemble of the live models weighted by significant skill: " + ", ".join(
            f"v{v.id} {v.kind} {v.weight:g}" for v in weighted
        )
    elif default == "ensemble":
        default_why = (
            "the ensemble, standing aside: no live model's skill is significant yet (every"
            " weight 0); its predictions are recorded and scored until one earns a weight"
        )
    elif default == "rule" and settings.TRADING_SIGNAL_SOURCE == "auto":
        default_why = (
            "the rule-based MaCrossAtr: no model is live yet (TRADING_SIGNAL_SOURCE=auto uses"
            " the ensemble once one is)"
        )
    else:
        default_why = f"TRADING_SIGNAL_SOURCE={settings.TRADING_SIGNAL_SOURCE}"
    rows = []
    for symbol in symbols:
        choice = StrategyChoice.objects.filter(symbol=symbol).select_related("version").first()
        picked = hooks.call("strategy_source", symbol=symbol)
        if picked is not None and choice is not None and choice.version is not None:
            version = choice.version
            rows.append(
                {
                    "symbol": symbol,
                    "source": f"strategy:{version.family}",
                    "strategy_version": version.id,
                    "why": f"the brain's pick in {choice.regime}: {choice.reason}"
                    f" (v{version.id} {version.family} {version.params})",
                }
            )
            continue
        if choice is None:
            strategy_note = "no strategy pick yet"
        elif choice.version is None:
            strategy_note = f"the brain stands aside in {choice.regime} ({choice.reason})"
        else:
            strategy_note = f"the brain's pick v{choice.version_id} is no longer active"
        rows.append(
            {
                "symbol": symbol,
                "source": default,
                "strategy_version": None,
                "why": f"{default_why}; {strategy_note}",
            }
        )
    history = model_selectors.history_ready(symbols=symbols)
    return {
        "symbols": rows,
        "models": {
            "live": [
                {
                    "id": v.id,
                    "kind": v.kind,
                    "weight": v.weight,
                    "verdict": v.metrics.get("verdict"),
                }
                for v in live
            ],
            "weights": settings.INTEL_ENSEMBLE_WEIGHTS,
            "history_ready": history["ready"],
            "history_bars": history["bars"],
            "history_needed": history["need"],
        },
        "strategies": {
            "active": list(
                StrategyVersion.objects.filter(status="active")
                .order_by("id")
                .values("id", "family", "params")
            ),
            "promotion": settings.STRATEGY_PROMOTION,
        },
    }
