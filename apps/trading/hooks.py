"""The trading loop's plug points for the intelligence apps, configured in settings.

The trading app sits below `models`, `rl` and `strategy` (they import it, never the reverse), yet
its loop needs their answers: the market context of a symbol, a size, the active strategy, the
live-model check of the `auto` signal source. Each is a dotted path in `settings.TRADING_HOOKS`,
resolved here with `import_string` when first called, so the dependency stays inverted and a
hook can be switched off (empty path) or replaced in a test with `settings`.

Hooks (all keyword-only; a hook that raises is logged and treated as absent: the loop trades on
its defaults rather than stopping):

- `market_context(symbol=) -> {"regime": str | None, "vol_ratio": float | None, ...}`
- `size(symbol=, confidence=, regime=, vol_ratio=, base_notional=, leverage=)
      -> {"notional": Decimal, "multiplier": str, "decision_id": int, ...}` (JSON-able but
      `notional`, which the loop still bounds by the risk policy)
- `strategy(symbol=) -> {"version_id": int | None, "family": str, "regime": str, ...} | None`
- `strategy_source(symbol=) -> SignalSource | None`: the source of the brain's active strategy
      version for the symbol (its family and parameters); None keeps the configured source
- `live_models() -> bool`: whether the ensemble has at least one live model
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def hook(name: str):
    """The callable configured for `name`, or None when none is."""
    path = settings.TRADING_HOOKS.get(name) or ""
    return import_string(path) if path else None


def call(name: str, **kwargs: Any) -> Any:
    """Run a hook; None when it is not configured or fails (logged with its traceback)."""
    try:
        fn = hook(name)
        return fn(**kwargs) if fn is not None else None
    except Exception:  # a broken plug-in must not stop exits, reconciliation or other symbols
        logger.exception("trading hook %s failed", name)
        return None
