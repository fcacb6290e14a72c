"""Reads of the market context."""

from __future__ import annotations

from decimal import Decimal

from apps.core.money import to_decimal
from apps.core.redis import get_redis
from apps.market import keys
from apps.market.models import Kline


def klines_recent(*, symbol: str, interval: str, count: int) -> list[Kline]:
    rows = Kline.objects.filter(symbol=symbol, interval=interval).order_by("-open_time_ms")
    return list(reversed(rows[:count]))


def mark_latest(*, symbol: str) -> Decimal | None:
    value = get_redis().hget(keys.mark(symbol), "mark_price")
    return to_decimal(value) if value else None
