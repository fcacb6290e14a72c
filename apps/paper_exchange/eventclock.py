"""The venue's own stopwatch for the event path: per symbol, when each mark and closed kline
event left for the stream subscribers and when each new order arrived, on this process's
monotonic clock. `GET /paper/v1/events?symbol=&since=` (admin) reads it, so a bench can time
"event sent -> resulting order received" on one clock, with no skew between processes and
nothing of the desk's own bookkeeping trusted (bench/tick_to_order.py).

Recording is a tuple appended to a bounded deque (no lock, no I/O): stamps are taken on the
event loop when the event is queued for its sockets and when an order request reaches the app,
so the cost on the hot path is a few microseconds and the interval measured includes the
venue's own write and engine queue, never less than the truth.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any
from urllib.parse import parse_qsl

KEEP = 4096  # per symbol: far more than one bench round needs between two reads


def now_ms() -> float:
    """The venue process's monotonic clock, ms (sub-millisecond resolution)."""
    return time.perf_counter_ns() / 1e6


class EventClock:
    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        # symbol -> (ms, kind, detail); kind "mark" (detail: the mark), "kline" (its open time)
        self._sent: dict[str, deque[tuple[float, str, str]]] = {}
        # symbol -> (ms, client order id, side, reduceOnly)
        self._orders: dict[str, deque[tuple[float, str, str, str]]] = {}

    def _ring(self, table: dict[str, deque], symbol: str) -> deque:
        ring = table.get(symbol)
        if ring is None:
            ring = table[symbol] = deque(maxlen=self.keep)
        return ring

    def sent(self, symbol: str, kind: str, detail: str) -> None:
        self._ring(self._sent, symbol).append((now_ms(), kind, detail))

    def order_received(self, at_ms: float, query: str, body: str) -> None:
        """A POST /fapi/v1/order, stamped by the caller on arrival; its fields parsed here."""
        fields = dict(parse_qsl(query))
        fields.update(parse_qsl(body))
        symbol = fields.get("symbol", "").upper()
        if symbol:
            self._ring(self._orders, symbol).append(
                (
                    at_ms,
                    fields.get("newClientOrderId", ""),
                    fields.get("side", ""),
                    fields.get("reduceOnly", "false"),
                )
            )

    def doc(self, symbol: str, since_ms: float = 0.0) -> dict[str, Any]:
        """Everything recorded for `symbol` after `since_ms` (a value from `now` of an earlier
        read), oldest first, and the clock's reading now."""
        symbol = symbol.upper()
        return {
            "symbol": symbol,
            "now": now_ms(),
            "sent": [
                {"ms": ms, "kind": kind, "detail": detail}
                for ms, kind, detail in list(self._sent.get(symbol, ()))
                if ms > since_ms
            ],
            "orders": [
                {"ms": ms, "clientOrderId": cid, "side": side, "reduceOnly": reduce}
                for ms, cid, side, reduce in list(self._orders.get(symbol, ()))
                if ms > since_ms
            ],
        }
