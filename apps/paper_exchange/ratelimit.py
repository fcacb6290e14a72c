"""Binance's fixed-window counters: request weight per IP per minute, orders per account per
10 s and per minute. Windows are aligned to the wall clock, as Binance's are."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Usage:
    used: int
    limit: int
    retry_after: int

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit


class RateLimiter:
    def __init__(self, *, weight_1m: int, orders_10s: int, orders_1m: int) -> None:
        self.weight_1m = weight_1m
        self.orders_10s = orders_10s
        self.orders_1m = orders_1m
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, object, int], int] = {}

    def _add(self, kind: str, who: object, window_s: int, amount: int) -> tuple[int, int]:
        now = time.time()
        window = int(now // window_s)
        key = (kind, who, window)
        with self._lock:
            if len(self._counts) > 10_000:
                self._counts = {k: v for k, v in self._counts.items() if k[2] >= window - 1}
            used = self._counts.get(key, 0) + amount
            self._counts[key] = used
        retry = max(1, int((window + 1) * window_s - now + 0.999))
        return used, retry

    def weight(self, ip: str, amount: int) -> Usage:
        used, retry = self._add("weight", ip, 60, amount)
        return Usage(used, self.weight_1m, retry)

    def current_weight(self, ip: str) -> int:
        return self._add("weight", ip, 60, 0)[0]

    def order(self, account_id: int) -> tuple[Usage, Usage]:
        used10, retry10 = self._add("orders10", account_id, 10, 1)
        used60, retry60 = self._add("orders60", account_id, 60, 1)
        return Usage(used10, self.orders_10s, retry10), Usage(used60, self.orders_1m, retry60)
