"""The whole event path as separate processes: the paper venue, `manage.py stream`, a
`manage.py react` reactor and a Celery trading worker. The venue's price crosses the position's
stop loss and the venue sees the position closed within 0.75 s (was 1 s), with no poll involved (the
reconcile's Celery beat is not running)."""

from __future__ import annotations

import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from apps.core import keys
from apps.core.consumers import group_health
from apps.trading.models import PositionIntent
from tests.support.processes import wait_for
from tests.trading.test_event_driven import _open_long

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]


def test_a_crossed_stop_closes_the_position_within_three_quarters_of_a_second(
    desk, aggressive_policy, redis_client, settings, subprocess_env, start_worker, tmp_path
):
    exits = {
        "TRADING_SYMBOLS": "BTCUSDT",
        "TRADING_TAKE_PROFIT_PCT": "1.5",
        "TRADING_STOP_LOSS_PCT": "1.0",
        "TRADING_BACKSTOP_PCT": "0",  # no exchange-side stop: the close must be the reactor's
        "MARKET_KLINE_INTERVAL": "1h",  # no kline closes during the test: no signal acts
    }
    pos = _open_long(desk, settings)  # TP 1.5 %, SL 1 %, no backstop: as `exits` above
    assert pos.stop_loss is not None

    env = {**subprocess_env, **exits, "TRADING_ACCOUNT": desk.account.name, "REACT_BLOCK_MS": "200"}
    start_worker(queues="trading", name="executor", env=exits)
    procs = []

    def start(*args: str) -> None:
        log = open(tmp_path / f"{args[0]}.log", "wb")  # noqa: SIM115
        procs.append(
            subprocess.Popen(
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    try:
        # The stream first: its backfilled klines are in the stream before the reactor's group
        # is made at the tail, so no signal is evaluated on history (a signal flip would close
        # the position before the stop is crossed).
        start("stream")
        wait_for(
            # the backfill runs before the first event is read: a streamed mark means it is done
            lambda: redis_client.hget(keys.exchange_stream_state("market"), "last_event_ms"),
            timeout=60,
            what="backfilled klines and streamed marks",
        )
        start("react", "--name", "e2e")
        wait_for(
            lambda: group_health(redis_client, keys.STREAM_MARK),
            timeout=60,
            what="the reactor's group",
        )
        time.sleep(1)  # the reactor has taken the marks so far: the next one is the crossing
        assert desk.position_amounts() == {"BTCUSDT": Decimal("0.010")}
        crossing = (pos.stop_loss - Decimal("200")).quantize(Decimal("0.1"))
        started = time.monotonic()
        desk.venue.set_price("BTCUSDT", str(crossing))
        wait_for(lambda: desk.position_amounts() == {}, timeout=10, interval=0.02, what="flat")
        elapsed = time.monotonic() - started
        print(f"stop crossed on the venue -> position closed on the venue: {elapsed * 1000:.0f} ms")
        (close,) = PositionIntent.objects.filter(account=desk.account, reduce_only=True)
        assert close.reason == "stop_loss"
        closes = [o for o in desk.orders("BTCUSDT") if o["reduceOnly"]]
        assert [o["clientOrderId"] for o in closes] == [close.client_order_id]
        assert elapsed < 0.75
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=15)
