"""The exchange clock: wall time scaled by `speed`, continuous across restarts."""

from __future__ import annotations

import threading
import time


class ExchangeClock:
    def __init__(self, *, start_ms: int, speed: float) -> None:
        self.speed = speed
        self._lock = threading.Lock()
        self._anchor_exchange = start_ms
        # Monotonic, so an NTP step on the host never moves exchange time backwards.
        self._anchor_mono = time.monotonic()

    def now_ms(self) -> int:
        with self._lock:
            elapsed = time.monotonic() - self._anchor_mono
            return int(self._anchor_exchange + elapsed * 1000 * self.speed)


def wall_ms() -> int:
    return int(time.time() * 1000)
