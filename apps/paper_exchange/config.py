"""Runtime configuration of the venue: Django settings (PAPER_EXCHANGE_*), then CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings


def default_db_path() -> Path:
    env = os.environ.get("PAPER_EXCHANGE_DB")
    if env:
        return Path(env)
    configured = getattr(settings, "PAPER_EXCHANGE_DB", None)
    if configured:
        return Path(configured)
    var_dir = getattr(settings, "VAR_DIR", None) or Path(settings.BASE_DIR) / "var"
    return Path(var_dir) / "paper_exchange.sqlite3"


@dataclass(frozen=True)
class ExchangeConfig:
    db_path: Path
    host: str = "127.0.0.1"
    port: int = 8030
    speed: float = 1.0
    seed: int = 42
    replay_dir: Path | None = None
    taker_fee: Decimal = Decimal("0.0005")
    maker_fee: Decimal = Decimal("0.0002")
    # None: Binance's leverage brackets (apps/paper_exchange/brackets.py); a rate: one flat rate.
    maint_margin_rate: Decimal | None = None
    default_leverage: int = 20
    weight_limit_1m: int = 2400
    order_limit_10s: int = 300
    order_limit_1m: int = 1200
    loose_client_order_ids: bool = False
    admin_token: str = ""
    # FULL: every accepted mutation is fsynced before the reply (survives power loss, ~0.4 ms);
    # NORMAL survives kill -9 of the venue but not of the host.
    synchronous: str = "FULL"
    tick_seconds: float = 0.1
    # WebSocket streams, Binance's figures: a ping every 3 min, closed without a pong within
    # 10 min; every connection closed after 24 h; a listen key lapses 60 min after its last
    # keepalive. Tests shorten them.
    ws_ping_interval: float = 180.0
    ws_ping_timeout: float = 600.0
    ws_lifetime: float = 86_400.0
    listen_key_ttl: float = 3_600.0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, **overrides: Any) -> ExchangeConfig:
        s = settings
        base = cls(
            db_path=default_db_path(),
            host=getattr(s, "PAPER_EXCHANGE_HOST", "127.0.0.1"),
            port=int(getattr(s, "PAPER_EXCHANGE_PORT", 8030)),
            # a clock rate, not money
            speed=float(getattr(s, "PAPER_EXCHANGE_SPEED", 1.0)),  # exchange seconds per second
            seed=int(getattr(s, "PAPER_EXCHANGE_SEED", 42)),
            taker_fee=Decimal(str(getattr(s, "PAPER_EXCHANGE_TAKER_FEE", "0.0005"))),
            maker_fee=Decimal(str(getattr(s, "PAPER_EXCHANGE_MAKER_FEE", "0.0002"))),
            maint_margin_rate=_decimal_or_none(getattr(s, "PAPER_EXCHANGE_MAINT_MARGIN_RATE", "")),
            weight_limit_1m=int(getattr(s, "PAPER_EXCHANGE_WEIGHT_LIMIT_1M", 2400)),
            order_limit_10s=int(getattr(s, "PAPER_EXCHANGE_ORDER_LIMIT_10S", 300)),
            order_limit_1m=int(getattr(s, "PAPER_EXCHANGE_ORDER_LIMIT_1M", 1200)),
            loose_client_order_ids=bool(getattr(s, "PAPER_EXCHANGE_LOOSE_CLIENT_ORDER_IDS", False)),
            admin_token=os.environ.get("PAPER_EXCHANGE_ADMIN_TOKEN")
            or getattr(s, "PAPER_EXCHANGE_ADMIN_TOKEN", ""),
            synchronous=str(getattr(s, "PAPER_EXCHANGE_SYNCHRONOUS", "FULL")).upper(),
        )
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})


def _decimal_or_none(value: object) -> Decimal | None:
    text = str(value).strip() if value is not None else ""
    return Decimal(text) if text else None
