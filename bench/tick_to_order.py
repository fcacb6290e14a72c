"""Tick to order: from a mark-price event on the Redis stream to the order acknowledged by the
paper exchange, through the desk's own path (read the event, decide, log the intent with its
risk verdict, claim it, send with its client order id, record the fill), next to python-binance's
futures_ping round trip in the same run (the HTTP floor). Then the loop's sustained full cycles/s
(reconcile, exits, signals) with 20 symbol evaluations per cycle.

    .venv/bin/python bench/tick_to_order.py [--orders 300] [--cycles 30]

The executor runs in process: the Celery hop in front of it is measured by
bench/celery_roundtrip.py. Ends with
`RESULT name=<tick-to-order p50 ms> baseline=<futures_ping p50 ms> ratio=<r>`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchenv import desk_env  # noqa: E402

from tests.support.paper_exchange import NO_RATE_LIMITS, PaperExchange  # noqa: E402
from tests.support.processes import RedisServer  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--pings", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=30)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tick-bench-"))
    redis = RedisServer(tmp / "redis").start()
    os.environ.update(desk_env(tmp, redis.url, LOG_LEVEL="ERROR"))
    import django

    django.setup()
    from decimal import Decimal

    from django.conf import settings
    from django.core.management import call_command

    from apps.core.redis import get_redis
    from apps.exchange.gateway import public_gateway
    from apps.exchange.services import account_add
    from apps.market import keys
    from apps.market.services import market_publish_symbol
    from apps.trading import services
    from apps.trading.execution import intent_execute
    from apps.trading.models import DeskState, IntentAction, RiskPolicy, RiskTier, Side

    call_command("migrate", verbosity=0)
    services.intent_enqueue = lambda *, intent_id: None  # the executor runs here, in process
    venue = PaperExchange(tmp / "venue", extra_args=list(NO_RATE_LIMITS)).start()
    try:
        created = venue.create_account("bench", balance="100000000")
        client = venue.client(created)
        account = account_add(
            name="bench",
            base_url=venue.base_url,
            api_key=created["api_key"],
            api_secret=created["api_secret"],
            paper=True,
        )
        RiskPolicy.objects.update_or_create(
            pk=1,
            defaults={
                "tier": RiskTier.AGGRESSIVE,
                "max_exposure_total": 10**9,
                "max_exposure_per_symbol": 10**9,
                "max_entries_per_symbol": 10**6,
            },
        )
        DeskState.objects.get_or_create(pk=1)
        for _ in range(50):
            client.futures_ping()
        ping_ms = []
        for _ in range(args.pings):
            t0 = time.perf_counter()
            client.futures_ping()
            ping_ms.append((time.perf_counter() - t0) * 1000)

        redis_client = get_redis()
        public = public_gateway(base_url=venue.base_url)
        market_publish_symbol(venue=public, symbol="BTCUSDT")
        last_id = "$"
        tick_ms = []
        for i in range(args.orders):
            # The event: a mark on the stream (what quantum.market.publish appends).
            redis_client.xadd(keys.STREAM_MARK, {"symbol": "BTCUSDT", "mark_price": "40000"})
            t0 = time.perf_counter()
            events = redis_client.xread({keys.STREAM_MARK: last_id if i else "0"}, count=1)
            last_id = events[0][1][-1][0]
            mark = Decimal(events[0][1][-1][1]["mark_price"])
            opening = i % 2 == 0  # open then close: the book stays flat
            intent = services.intent_create(
                account=account,
                symbol="BTCUSDT",
                side=Side.BUY if opening else Side.SELL,
                action=IntentAction.OPEN if opening else IntentAction.CLOSE,
                quantity=Decimal("0.002"),
                reason="bench",
                leverage=5,
                confidence=Decimal("0.9"),
                reference_price=mark,
                reduce_only=not opening,
            )
            intent_execute(intent_id=intent.id)
            tick_ms.append((time.perf_counter() - t0) * 1000)

        symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT"]
        for symbol in symbols:
            market_publish_symbol(venue=public, symbol=symbol)
        settings.TRADING_SYMBOLS = symbols * 4  # 20 evaluations; the venue lists 5 symbols
        services.trading_cycle(account_id=account.id)  # warm: filters, first reconcile
        t0 = time.perf_counter()
        for _ in range(args.cycles):
            services.trading_cycle(account_id=account.id)
        cycles_per_s = args.cycles / (time.perf_counter() - t0)
    finally:
        venue.stop()
        redis.stop()

    p50, p99 = pct(tick_ms, 0.5), pct(tick_ms, 0.99)
    ping50, ping99 = pct(ping_ms, 0.5), pct(ping_ms, 0.99)
    print(f"tick-to-order ({len(tick_ms)} orders): p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    print(f"futures_ping ({len(ping_ms)}): p50 {ping50:.2f} ms, p99 {ping99:.2f} ms")
    print(f"trading cycle, 20 symbol evaluations: {cycles_per_s:.1f} cycles/s sustained")
    print(f"RESULT name={p50:.2f} baseline={ping50:.2f} ratio={p50 / ping50:.2f}")


if __name__ == "__main__":
    main()
