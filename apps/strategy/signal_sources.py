"""The brain's pick as the live signal: a strategy version's family and parameters turned into a
trading `SignalSource` (apps.trading.signal_sources), handed to the loop by the `strategy_source`
hook.

- `ma_cross`: the trading app's MaCrossAtr with the version's `fast` / `slow` (and `atr_period`,
  `atr_min_pct`, `atr_max_pct` when the version carries them; the TRADING_* settings otherwise).
- `mean_revert`: the backtest's own rule on the closes (z-score of the close vs its
  `lookback` SMA beyond `z_entry`: short above, long below), so live and backtest agree bar for
  bar. Confidence 0.5 + 0.5 x min(1, (|z| - z_entry) / z_entry).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from apps.core.money import ZERO
from apps.strategy.backtest import positions
from apps.strategy.models import StrategyVersion
from apps.trading.signal_sources import KlineLike, MaCrossAtr, Signal

CONF_PLACES = Decimal("0.0001")


class VersionSource:
    """The signal of one strategy version; every signal names the version it came from."""

    def __init__(self, version: StrategyVersion) -> None:
        self.version = version
        self.family = version.family
        self.params: dict[str, Any] = dict(version.params)
        self.name = f"strategy:{self.family}"
        if self.family == "ma_cross":
            self.rule = MaCrossAtr(
                fast=int(self.params["fast"]),
                slow=int(self.params["slow"]),
                atr_period=int(self.params["atr_period"]) if "atr_period" in self.params else None,
                atr_min_pct=_dec(self.params.get("atr_min_pct")),
                atr_max_pct=_dec(self.params.get("atr_max_pct")),
            )
        elif self.family != "mean_revert":
            raise ValueError(f"no live signal for strategy family {self.family!r}")

    def history_needed(self) -> int:
        if self.family == "ma_cross":
            return self.rule.history_needed()
        return int(self.params["lookback"]) + 1

    def _tag(self, signal: Signal) -> Signal:
        features = {
            **signal.features,
            "strategy_version": self.version.id,
            "strategy_family": self.family,
            "strategy_params": self.params,
        }
        return Signal(
            signal.symbol, signal.direction, signal.confidence, signal.price, self.name, features
        )

    def evaluate(self, *, symbol: str, klines: list[KlineLike]) -> Signal:
        if self.family == "ma_cross":
            return self._tag(self.rule.evaluate(symbol=symbol, klines=klines))
        if len(klines) < self.history_needed():
            return self._tag(Signal(symbol, 0, ZERO, None, self.name, {"why": "not enough klines"}))
        close = np.asarray([k.close for k in klines], dtype=float)  # statistics, not money
        n = int(self.params["lookback"])
        z_entry = self.params["z_entry"]
        window = close[-n:]
        sd = window.std()
        z = (close[-1] - window.mean()) / sd if sd > 0 else 0.0
        direction = int(positions(self.family, self.params, close)[-1])
        strength = min(1.0, (abs(z) - z_entry) / z_entry) if direction else 0.0
        confidence = Decimal(str(round(0.5 + 0.5 * strength, 4))) if direction else ZERO
        features = {"z": round(z.item() if hasattr(z, "item") else z, 4)}
        features["last_open_time"] = klines[-1].open_time_ms
        price = klines[-1].close
        return self._tag(
            Signal(symbol, direction, confidence.quantize(CONF_PLACES), price, self.name, features)
        )


def _dec(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None
