"""Signed MARKET orders per second through python-binance against the paper exchange, next to
the same client's futures_ping in the same run (the HTTP floor).

    .venv/bin/python bench/paper_exchange.py [--orders 1500] [--pings 1500]

Ends with one line: RESULT name=<orders/s> baseline=<pings/s> ratio=<orders/pings>.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.paper_exchange import NO_RATE_LIMITS, PaperExchange  # noqa: E402


def measure(
    call: Callable[[int], object], count: int, budget_s: float
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    started = time.perf_counter()
    for i in range(count):
        t0 = time.perf_counter()
        call(i)
        latencies.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() - started > budget_s:
            break
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1500)
    parser.add_argument("--pings", type=int, default=1500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="paper-bench-") as tmp:
        venue = PaperExchange(Path(tmp), extra_args=list(NO_RATE_LIMITS))
        venue.start()
        try:
            client = venue.client(venue.create_account("bench", balance="100000000"))
            for _ in range(50):  # warm the connection and the code paths
                client.futures_ping()
            ping_rate, ping_ms = measure(lambda i: client.futures_ping(), args.pings, 20)

            def order(i: int) -> object:
                return client.futures_create_order(
                    symbol="BTCUSDT",
                    type="MARKET",
                    side="BUY" if i % 2 == 0 else "SELL",
                    quantity="0.002",
                )

            order_rate, order_ms = measure(order, args.orders, 25)
        finally:
            venue.stop()
    print(
        f"futures_ping       : {len(ping_ms)} calls, {ping_rate:8.1f}/s, "
        f"p50 {statistics.median(ping_ms):.3f} ms, p99 {pct(ping_ms, 0.99):.3f} ms"
    )
    print(
        f"signed MARKET order: {len(order_ms)} calls, {order_rate:8.1f}/s, "
        f"p50 {statistics.median(order_ms):.3f} ms, p99 {pct(order_ms, 0.99):.3f} ms"
    )
    print(
        f"RESULT name={order_rate:.1f} baseline={ping_rate:.1f} ratio={order_rate / ping_rate:.3f}"
    )


if __name__ == "__main__":
    main()
