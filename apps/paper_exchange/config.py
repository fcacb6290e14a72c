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
    if settings.PAPER_EXCHANGE_DB:
        return Path(settings.PAPER_EXCHANGE_DB)
    return Path(settings.VAR_DIR) / "paper_exchange.sqlite3"


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
        # Declared (with their defaults and parsing) once, in quantum_project/settings.py.
        s = settings
        base = cls(
            db_path=default_db_path(),
            host=s.PAPER_EXCHANGE_HOST,
            port=s.PAPER_EXCHANGE_PORT,
            speed=s.PAPER_EXCHANGE_SPEED,  # exchange seconds per second: a clock rate, not money
            seed=s.PAPER_EXCHANGE_SEED,
            taker_fee=s.PAPER_EXCHANGE_TAKER_FEE,
            maker_fee=s.PAPER_EXCHANGE_MAKER_FEE,
            maint_margin_rate=s.PAPER_EXCHANGE_MAINT_MARGIN_RATE,
            weight_limit_1m=s.PAPER_EXCHANGE_WEIGHT_LIMIT_1M,
            order_limit_10s=s.PAPER_EXCHANGE_ORDER_LIMIT_10S,
            order_limit_1m=s.PAPER_EXCHANGE_ORDER_LIMIT_1M,
            loose_client_order_ids=s.PAPER_EXCHANGE_LOOSE_CLIENT_ORDER_IDS,
            # the environment wins over a settings module's value (the chaos harness sets it)
            admin_token=os.environ.get("PAPER_EXCHANGE_ADMIN_TOKEN")
            or s.PAPER_EXCHANGE_ADMIN_TOKEN,
            synchronous=s.PAPER_EXCHANGE_SYNCHRONOUS,
        )
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})
