"""Tick to order, on the path the running desk takes, through real processes: the paper venue,
Redis, `manage.py stream`, a `manage.py react` reactor and a Celery trading worker, each its own
process. Timed on the venue's own clock (GET /paper/v1/events): from the moment the venue queued
an event for its websocket subscribers to the moment the order it caused reached the venue.

1. marks: a long position is opened (a manual order the desk adopts on a reconcile, its exit
   levels set), then the venue's admin control moves the mark past its stop loss; the venue
   stamps the first mark event at or under the stop and the reduce-only order that closes it.
   `--crossings` times (at least 200 by default).
2. klines: a second venue at 60x speed (a 1m kline closes every second) and the desk's signal
   source `bench.alternating_source:Alternating` (long on even minutes, short on odd: an order
   on every closed kline); the venue stamps each closed kline event and the next order.

Next to python-binance's `futures_ping` round trip in the same run (the HTTP floor). Ends with
`RESULT name=<mark-to-order p99 ms> baseline=<futures_ping p50 ms> ratio=<r>`.

    .venv/bin/python bench/tick_to_order.py [--crossings 200] [--klines 60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchenv import desk_env  # noqa: E402

from tests.support.paper_exchange import NO_RATE_LIMITS, PaperExchange, desk_account  # noqa: E402
from tests.support.processes import CeleryWorker, RedisServer, wait_for  # noqa: E402

SYMBOL = "BTCUSDT"
QTY = "0.010"
# The desk's settings in every process of a phase: one symbol, one account, no exchange-side
# backstop (the close must be the reactor's), exits at 1.5 % / 1 %.
DESK = {
    "TRADING_SYMBOLS": SYMBOL,
    "TRADING_BACKSTOP_PCT": "0",
    "TRADING_TAKE_PROFIT_PCT": "1.5",
    "TRADING_STOP_LOSS_PCT": "1.0",
    "LOG_LEVEL": "WARNING",
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Desk:
    """The desk's processes for one phase, started against one venue and stopped together."""

    def __init__(self, tmp: Path, env: dict[str, str], name: str) -> None:
        self.tmp, self.env, self.name = tmp, env, name
        self.procs: list[subprocess.Popen] = []
        self.worker: CeleryWorker | None = None

    def _manage(self, *args: str) -> None:
        log = open(self.tmp / f"{self.name}-{args[0]}.log", "wb")  # noqa: SIM115
        self.procs.append(
            subprocess.Popen(
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    def start(self) -> Desk:
        from apps.core import keys
        from apps.core.consumers import group_health
        from apps.core.redis import get_redis

        client = get_redis()
        self.worker = CeleryWorker(
            queues="trading",
            env=self.env,
            name=f"bench-{self.name}",
            concurrency=2,
            log_path=self.tmp / f"{self.name}-worker.log",
        ).start()
        client.delete(keys.exchange_stream_state("market"))
        self._manage("stream")
        wait_for(
            lambda: client.hget(keys.exchange_stream_state("market"), "last_event_ms"),
            timeout=120,
            what="the stream process's first event (its kline backfill done)",
        )
        self._manage("react", "--name", f"bench-{self.name}")
        wait_for(
            lambda: group_health(client, keys.STREAM_MARK),
            timeout=120,
            what="the reactor's group",
        )
        time.sleep(1)  # the reactor is in its read loop
        return self

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.worker is not None:
            self.worker.stop()


def venue_events(venue: PaperExchange, since: float) -> dict:
    return venue.admin("GET", f"/paper/v1/events?symbol={SYMBOL}&since={since}")


def account_register(venue: PaperExchange, prefix: str):
    """A funded venue account as the desk's only active one; the phase's TRADING_ACCOUNT
    names it. Returns (the ExchangeAccount, a python-binance client of it)."""
    from apps.exchange.models import ExchangeAccount

    ExchangeAccount.objects.update(is_active=False)
    account, created = desk_account(venue, prefix, balance="100000000")
    return account, venue.client(created)


def marks_phase(tmp: Path, env: dict[str, str], crossings: int) -> tuple[list[float], list[float]]:
    """(mark-to-order ms per crossing, futures_ping ms)."""
    from django.conf import settings

    from apps.core.locks import exclusive
    from apps.trading.models import DeskMode, DeskState, IntentState, Position, PositionIntent
    from apps.trading.services import trading_cycle

    # Exits only: a kline closing meanwhile must not flip the position with a signal (the
    # bench's positions are opened by hand and adopted).
    DeskState.objects.filter(pk=1).update(mode=DeskMode.DEFENSIVE)
    venue = PaperExchange(tmp / "venue", extra_args=list(NO_RATE_LIMITS)).start()
    desk = None
    try:
        account, client = account_register(venue, "bench")
        env = {**env, "TRADING_ACCOUNT": account.name}
        for _ in range(50):
            client.futures_ping()
        ping_ms = []
        for _ in range(1000):
            t0 = time.perf_counter()
            client.futures_ping()
            ping_ms.append((time.perf_counter() - t0) * 1000)

        venue.set_price(SYMBOL, "40000.0")
        desk = Desk(tmp, env, "marks").start()
        lags: list[float] = []
        for i in range(crossings):
            # Open: a manual order the desk adopts on one reconcile (as monitor_positions would),
            # which also sets the exit levels. Not timed.
            venue.set_price(SYMBOL, "40000.0")
            client.futures_create_order(
                symbol=SYMBOL, side="BUY", type="MARKET", quantity=QTY, newOrderRespType="RESULT"
            )
            with exclusive(
                f"trading:cycle:{account.id}", timeout=settings.TRADING_CYCLE_LOCK_SECONDS, wait=30
            ):
                trading_cycle(account_id=account.id, with_signals=False)
            pos = Position.objects.get(account=account, symbol=SYMBOL)
            assert pos.amount == Decimal(QTY) and pos.stop_loss is not None, pos
            time.sleep(0.3)  # the reactor has taken the marks of the move back: idle again
            since = venue_events(venue, 0)["now"]
            crossing = (pos.stop_loss * Decimal("0.998")).quantize(Decimal("0.1"))
            venue.set_price(SYMBOL, str(crossing))
            events = wait_for(
                lambda since=since: _closed(venue_events(venue, since)),
                timeout=10,
                interval=0.01,
                what=f"crossing {i}: the close order on the venue",
            )
            sent, received = _crossing_pair(events, pos.stop_loss)
            lags.append(received - sent)
            wait_for(
                lambda: (
                    not PositionIntent.objects.filter(
                        account=account, state__in=[IntentState.APPROVED, IntentState.SUBMITTING]
                    ).exists()
                ),
                timeout=10,
                what="the close recorded",
            )
        return lags, ping_ms
    finally:
        if desk is not None:
            desk.stop()
        venue.stop()


def _closed(doc: dict) -> dict | None:
    return doc if any(o["reduceOnly"] == "true" for o in doc["orders"]) else None


def _crossing_pair(doc: dict, stop: Decimal) -> tuple[float, float]:
    """The first mark event at or past the stop, and the first reduce-only order after it."""
    sent = next(
        e["ms"] for e in doc["sent"] if e["kind"] == "mark" and Decimal(e["detail"]) <= stop
    )
    received = next(o["ms"] for o in doc["orders"] if o["reduceOnly"] == "true" and o["ms"] > sent)
    return sent, received


def klines_phase(tmp: Path, env: dict[str, str], klines: int) -> tuple[list[float], int]:
    """(closed-kline-to-order ms, closed klines that made no order)."""
    from apps.trading.models import DeskMode, DeskState

    DeskState.objects.filter(pk=1).update(mode=DeskMode.NORMAL)
    venue = PaperExchange(tmp / "venue-fast", speed=60, extra_args=list(NO_RATE_LIMITS)).start()
    desk = None
    try:
        account, _ = account_register(venue, "bench-klines")
        desk_env = {
            **env,
            "TRADING_ACCOUNT": account.name,
            "MARKET_KLINE_INTERVAL": "1m",
            "TRADING_SIGNAL_SOURCE": "bench.alternating_source:Alternating",
            # a 60x clock moves 1 % in seconds: exits would interleave with the signal's orders
            "TRADING_TAKE_PROFIT_PCT": "50",
            "TRADING_STOP_LOSS_PCT": "50",
            "TRADING_TRAILING_PCT": "50",
        }
        desk = Desk(tmp, desk_env, "klines").start()
        since = venue_events(venue, 0)["now"]
        time.sleep(klines + 1.5)  # a closed kline each second of wall time
        doc = venue_events(venue, since)
    finally:
        if desk is not None:
            desk.stop()
        venue.stop()
    closes = [e["ms"] for e in doc["sent"] if e["kind"] == "kline"]
    orders = [o["ms"] for o in doc["orders"]]
    lags, missed = [], 0
    for k, sent in enumerate(closes[:-1]):
        after = [ms for ms in orders if sent < ms < closes[k + 1]]
        if after:
            lags.append(after[0] - sent)
        else:
            missed += 1
    return lags, missed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--crossings", type=int, default=200)
    parser.add_argument("--klines", type=int, default=60)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tick-bench-"))
    redis = RedisServer(tmp / "redis").start()
    env = desk_env(tmp, redis.url, **DESK)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    from apps.trading.models import DeskState, RiskPolicy, RiskTier

    call_command("migrate", verbosity=0)
    RiskPolicy.objects.update_or_create(
        pk=1,
        defaults={
            "tier": RiskTier.AGGRESSIVE,
            "max_exposure_total": 10**9,
            "max_exposure_per_symbol": 10**9,
            "max_entries_per_symbol": 10**6,
            # the marks phase's 200 stop losses are a loss of the day: the klines phase's
            # entries must not be refused for it
            "max_daily_loss": 10**9,
            "max_drawdown_pct": 100,
        },
    )
    DeskState.objects.get_or_create(pk=1)
    try:
        mark_ms, ping_ms = marks_phase(tmp, env, args.crossings)
        kline_ms, missed = klines_phase(tmp, env, args.klines) if args.klines else ([], 0)
    finally:
        redis.stop()

    p50, p99 = pct(mark_ms, 0.5), pct(mark_ms, 0.99)
    ping50 = pct(ping_ms, 0.5)
    print(
        f"mark past the stop -> close order at the venue ({len(mark_ms)} crossings): "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(mark_ms):.1f} ms"
    )
    if args.klines:
        figures = (
            f"p50 {pct(kline_ms, 0.5):.1f} ms, p99 {pct(kline_ms, 0.99):.1f} ms"
            if kline_ms
            else "no order at all"
        )
        print(
            f"closed kline -> its order at the venue ({len(kline_ms)} klines with an order, "
            f"{missed} without): {figures}"
        )
    print(f"futures_ping ({len(ping_ms)}): p50 {ping50:.2f} ms, p99 {pct(ping_ms, 0.99):.2f} ms")
    print(f"RESULT name={p99:.2f} baseline={ping50:.2f} ratio={p99 / ping50:.2f}")


if __name__ == "__main__":
    main()
