"""`manage.py stream` as a real process against the real paper venue and a real Redis: marks and
closed klines reach the Redis streams, a price move is streamed within a second, a killed or
dropped process comes back and backfills so that no kline is missing or doubled, and an order
fill reaches the account's user data stream.

The venue runs at 60x (a 1m kline closes every wall second), so closes come quickly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from apps.core import keys
from apps.core.timeutil import to_ms
from apps.exchange.reports import OrderUpdateReport, report_loads
from apps.market.models import Kline
from apps.market.services import INTERVAL_MS, kline_gaps
from tests.support.paper_exchange import (
    NO_RATE_LIMITS,
    PaperExchange,
    desk_account,
    market,
    position,
)
from tests.support.processes import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
STEP = INTERVAL_MS["1m"]


@pytest.fixture(scope="module")
def venue(tmp_path_factory):
    exchange = PaperExchange(
        tmp_path_factory.mktemp("stream-venue"), speed=60, extra_args=list(NO_RATE_LIMITS)
    )
    exchange.start()
    yield exchange
    exchange.stop()


@pytest.fixture
def desk(venue):
    account, created = desk_account(venue, "stream", balance="100000")
    return account, venue.client(created)


@pytest.fixture
def stream_process(desk, subprocess_env, redis_client, tmp_path):
    account, _ = desk
    env = {
        **subprocess_env,
        "TRADING_ACCOUNT": account.name,
        "TRADING_SYMBOLS": "BTCUSDT",
        "MARKET_KLINE_INTERVAL": "1m",
        "MARKET_KLINE_HISTORY": "20",
        "STREAM_BACKOFF_FIRST_SECONDS": "0.2",
        "STREAM_BACKOFF_MAX_SECONDS": "1",
    }
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"stream-{len(started)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "stream"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _klines_streamed(redis_client) -> list[int]:
    return [int(i.split("-")[0]) for i, _ in redis_client.xrange(keys.stream_kline("BTCUSDT"))]


def _klines_stored() -> list[int]:
    return list(
        Kline.objects.filter(symbol="BTCUSDT", interval="1m")
        .order_by("open_time_ms")
        .values_list("open_time_ms", flat=True)
    )


def _state(redis_client, name: str) -> dict[str, str]:
    return redis_client.hgetall(keys.exchange_stream_state(name))


def _gapless(redis_client) -> tuple[list[int], list[int]] | None:
    """(stored, streamed) when the DB has every minute of its span and the stream is its tail,
    in order, each minute once; None while the stream process is still catching up (a kline is
    stored, then streamed; a backfill stores a run of them before re-sending the stream's tail,
    and a live kline may land while it runs)."""
    stored = _klines_stored()
    streamed = [t for t in _klines_streamed(redis_client) if t <= stored[-1]]
    if kline_gaps(symbol="BTCUSDT", interval="1m", start_ms=stored[0], end_ms=stored[-1]):
        return None
    if streamed and streamed == stored[-len(streamed) :]:
        return stored, streamed
    return None


def _assert_gapless(redis_client) -> None:
    # a gap that stays past the wait fails the test: after a reconnect a gap never stays one
    stored, streamed = wait_for(
        lambda: _gapless(redis_client),
        timeout=15,
        interval=0.2,
        what="every minute stored and the stream = the DB's tail",
    )
    assert len(stored) == len(set(stored))
    assert all(b - a == STEP for a, b in zip(streamed, streamed[1:], strict=False))


def test_marks_and_closed_klines_stream_and_a_price_move_arrives_within_a_second(
    venue, stream_process, redis_client
):
    proc = stream_process()
    wait_for(
        lambda: redis_client.xlen(keys.STREAM_MARK) >= 3, timeout=30, what="marks in the stream"
    )
    backfilled = len(_klines_streamed(redis_client))
    assert backfilled >= 15  # the kept window (20 klines) backfilled at connect
    wait_for(
        lambda: len(_klines_streamed(redis_client)) >= backfilled + 3,
        timeout=15,
        what="closed klines pushed live",
    )
    state = _state(redis_client, "market")
    assert state["state"] == "connected"
    assert int(state["reconnects"]) == 0

    latencies = []
    for price in ("41000.0", "39000.0", "40500.0"):
        last_id = redis_client.xrevrange(keys.STREAM_MARK, count=1)[0][0]
        started = time.monotonic()
        moved = venue.set_price("BTCUSDT", price)["markPrice"]

        def arrived(last_id=last_id, moved=moved):
            for _, fields in redis_client.xrange(keys.STREAM_MARK, min=f"({last_id}"):
                # the venue's clock runs at 60x: by the push the mark has drifted a few ticks
                # from the admin reply's, never by the 1000+ between the moves
                if abs(Decimal(fields["mark_price"]) - Decimal(moved)) < 50:
                    return True
            return False

        wait_for(arrived, timeout=1, interval=0.005, what=f"the mark {moved}")
        latencies.append(time.monotonic() - started)
    print(f"price move -> mark entry in Redis: {[round(s * 1000, 1) for s in latencies]} ms")

    # The venue drops the market socket: the process reconnects, counts it, and backfills.
    venue.set_fault("drop", paths=["/market/"], count=1)
    wait_for(
        lambda: int(_state(redis_client, "market").get("reconnects", 0)) >= 1,
        timeout=20,
        what="a reconnect after the drop",
    )
    venue.clear_faults()
    count = len(_klines_streamed(redis_client))
    wait_for(
        lambda: len(_klines_streamed(redis_client)) >= count + 2,
        timeout=15,
        what="klines after the reconnect",
    )
    assert proc.poll() is None
    _assert_gapless(redis_client)


def test_a_killed_stream_process_restarted_backfills_without_gap_or_double(
    venue, stream_process, redis_client
):
    first = stream_process()
    # the kept window (20) backfilled at connect, then a few pushed live before the kill
    wait_for(lambda: len(_klines_streamed(redis_client)) >= 23, timeout=40, what="klines")
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = _klines_stored()[-1]
    time.sleep(4)  # four minutes of the venue's clock pass unseen

    stream_process()
    wait_for(
        lambda: _klines_stored()[-1] >= killed_at + 6 * STEP,
        timeout=30,
        what="klines past the outage",
    )
    _assert_gapless(redis_client)


def test_an_order_fill_reaches_the_user_data_stream(desk, stream_process, redis_client):
    account, client = desk
    stream_process()
    wait_for(
        lambda: _state(redis_client, f"user:{account.id}").get("state") == "connected",
        timeout=30,
        what="the user data connection",
    )
    order = market(client, "BTCUSDT", "BUY", "0.010")
    stream = keys.stream_exchange_user(account.id)

    def fill():
        for _, fields in redis_client.xrange(stream):
            report = report_loads(fields["report"])
            if isinstance(report, OrderUpdateReport) and report.fill is not None:
                return report
        return None

    report = wait_for(fill, timeout=5, what="ORDER_TRADE_UPDATE TRADE in the user stream")
    assert report.order.order_id == order["orderId"]
    assert report.fill.qty == Decimal("0.010")
    assert report.order.status == "FILLED"


def _order_updates(redis_client, account_id: int) -> list[OrderUpdateReport]:
    reports = (
        report_loads(f["report"])
        for _, f in redis_client.xrange(keys.stream_exchange_user(account_id))
    )
    return [r for r in reports if isinstance(r, OrderUpdateReport)]


def test_a_fill_made_while_the_stream_process_was_down_is_backfilled_on_reconnect(
    desk, stream_process, redis_client
):
    account, client = desk
    first = stream_process()
    connected = lambda: _state(redis_client, f"user:{account.id}").get("state") == "connected"  # noqa: E731
    wait_for(connected, timeout=90, what="the user data connection")
    seen = market(client, "BTCUSDT", "BUY", "0.010")  # pushed live: the account's cursor
    wait_for(
        lambda: any(
            r.order.order_id == seen["orderId"] for r in _order_updates(redis_client, account.id)
        ),
        timeout=10,
        what="the live update",
    )
    first.send_signal(signal.SIGKILL)
    first.wait()
    missed = market(client, "BTCUSDT", "SELL", "0.010")  # no socket is open: only REST knows

    stream_process()

    def backfilled():
        return [
            r
            for r in _order_updates(redis_client, account.id)
            if r.order.order_id == missed["orderId"]
        ]

    [update] = wait_for(backfilled, timeout=90, what="the missed fill, backfilled")
    assert update.execution_type == "BACKFILL"
    assert update.order.status == "FILLED" and update.order.executed_qty == Decimal("0.010")
    # from the cursor on: nothing older than the last order the stream had published
    ids = [r.order.order_id for r in _order_updates(redis_client, account.id)]
    assert min(ids) == seen["orderId"]


def _board(api) -> dict:
    return api.get("/api/rl-dashboard/", {"window": "24h"}).json()


def test_the_dashboards_unrealized_pnl_is_the_venues_within_one_mark_interval(
    desk, stream_process, redis_client, django_user_model
):
    """The poll's snapshot is taken once; after it only the streamed marks move the dashboard:
    each answer is the venue's unrealized PnL (amount x (mark - the venue's entry)) at a mark the
    venue sent at most one mark interval (1 s, 60 s of this 60x venue's time) before, plus
    slack for a loaded machine (docs/figures.md, live marks)."""
    from rest_framework.test import APIClient

    from apps.pnl.services import account_poll

    account, client = desk
    api = APIClient()
    api.force_authenticate(django_user_model.objects.create_user("t", password="pw-long-1"))
    market(client, "BTCUSDT", "BUY", "0.010")
    account_poll(account_id=account.id)  # the ledger's snapshot: the last poll of the test
    stream_process()
    wait_for(
        lambda: redis_client.hexists(keys.MARKET_MARKS, "BTCUSDT"),
        timeout=60,
        what="a streamed mark",
    )
    venue_pos = position(client, "BTCUSDT")
    entry, amount = Decimal(venue_pos["entryPrice"]), Decimal(venue_pos["positionAmt"])
    snapshot_mark = Decimal(
        next(r for r in _board(api)["symbols"] if r["symbol"] == "BTCUSDT")["mark_price"]
    )
    time.sleep(2)  # marks newer than the snapshot have been streamed (the 60x venue moves fast)
    marks = set()
    for _ in range(5):
        board = _board(api)
        venue_now = client.futures_time()["serverTime"]
        ours = next(r for r in board["symbols"] if r["symbol"] == "BTCUSDT")
        mark_ms = to_ms(datetime.fromisoformat(board["marks_as_of"].replace("Z", "+00:00")))
        assert venue_now - mark_ms <= 3 * 60_000  # at most 3 wall seconds old
        mark = Decimal(ours["mark_price"])
        assert Decimal(ours["unrealized_pnl"]) == amount * (mark - entry)
        marks.add(mark)
        assert Decimal(board["totals"]["unrealized_pnl"]) == amount * (mark - entry)
        assert board["as_of"] < board["marks_as_of"]  # still the one poll's snapshot
        time.sleep(0.5)
    assert marks - {snapshot_mark}  # the figures moved with the venue, not with the poll


def test_an_expired_listen_key_is_replaced_and_the_user_stream_goes_on(
    tmp_path, subprocess_env, redis_client
):
    """A venue whose listen keys lapse after 2 s and a desk that does not keep them alive in
    time: the venue sends listenKeyExpired, the stream process takes a new key and reconnects,
    and an order filled after that still reaches the account's user stream."""
    lapsing = PaperExchange(
        tmp_path / "lapsing-venue", extra_args=["--listen-key-ttl", "2", *NO_RATE_LIMITS]
    )
    lapsing.start()
    procs: list[subprocess.Popen] = []
    try:
        account, created = desk_account(lapsing, "lapse", balance="100000")
        client = lapsing.client(created)
        env = {
            **subprocess_env,
            "TRADING_ACCOUNT": account.name,
            "TRADING_SYMBOLS": "BTCUSDT",
            "MARKET_KLINE_HISTORY": "20",
            "STREAM_KEEPALIVE_SECONDS": "3600",
            "STREAM_BACKOFF_FIRST_SECONDS": "0.2",
            "STREAM_BACKOFF_MAX_SECONDS": "1",
        }
        log = open(tmp_path / "stream.log", "wb")  # noqa: SIM115
        procs.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "stream"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        name = f"user:{account.id}"
        wait_for(
            lambda: (
                int(_state(redis_client, name).get("reconnects", 0)) >= 2
                and _state(redis_client, name).get("state") == "connected"
            ),
            timeout=90,
            what="two listen keys replaced and the user socket connected again",
        )
        order = market(client, "BTCUSDT", "BUY", "0.010")
        wait_for(
            lambda: any(
                r.order.order_id == order["orderId"]
                for r in _order_updates(redis_client, account.id)
            ),
            timeout=30,
            what="the order's update on the renewed connection",
        )
        assert b"listen key expired" in (tmp_path / "stream.log").read_bytes()
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        lapsing.stop()
