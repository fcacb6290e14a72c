"""The event path's reactors on real parts: a real Redis (entries XADDed as the stream process
and the market poll write them), the real paper venue, real `manage.py react` processes and a
real Celery executor. A mark past take profit closes the position once, however often the event
is delivered, and a reactor killed between handling an entry and acknowledging it loses nothing:
another claims the entry and the venue still sees one close order."""

from __future__ import annotations

import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from apps.core import keys
from apps.core.consumers import GroupConsumer, group_health
from apps.core.timeutil import to_ms, utcnow
from apps.exchange.reports import MarkReport
from apps.market.services import mark_publish
from apps.trading import reactions
from apps.trading.execution import intent_execute
from apps.trading.models import IntentState, Position, PositionIntent
from apps.trading.services import trading_cycle
from tests.support.paper_exchange import market
from tests.support.processes import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]


def _open_long(desk, settings) -> Position:
    """A long BTCUSDT position the desk knows, with its exit levels (one reconcile)."""
    settings.TRADING_SYMBOLS = ["BTCUSDT"]
    settings.TRADING_TAKE_PROFIT_PCT = Decimal("1.5")
    settings.TRADING_STOP_LOSS_PCT = Decimal("1.0")
    settings.TRADING_BACKSTOP_PCT = Decimal("0")
    desk.venue.set_price("BTCUSDT", "40000.0")
    market(desk.client, "BTCUSDT", "BUY", "0.010")
    trading_cycle(account_id=desk.account.id, with_signals=False)
    return Position.objects.get(account=desk.account, symbol="BTCUSDT")


def _mark(symbol: str, price: Decimal) -> MarkReport:
    return MarkReport(
        symbol=symbol,
        mark_price=price,
        index_price=price,
        funding_rate=Decimal("0.0001"),
        next_funding_ms=0,
        time_ms=to_ms(utcnow()),
    )


def _closes(desk) -> list[PositionIntent]:
    return list(PositionIntent.objects.filter(account=desk.account, reason="take_profit"))


def _consumer(redis_client, name: str) -> GroupConsumer:
    return GroupConsumer(
        client=redis_client,
        group=reactions.GROUP,
        name=name,
        handler=reactions.entry_react,
        claim_idle_ms=60_000,
        block_ms=100,
    )


def test_a_mark_delivered_twice_makes_one_close_and_a_later_mark_none(
    desk, aggressive_policy, redis_client, settings, trading_queue
):
    settings.REACT_EXECUTE_INLINE = False  # the test runs the executor itself, in between
    pos = _open_long(desk, settings)
    consumer = _consumer(redis_client, "r1")
    consumer.poll(reactions.streams_read())  # the group exists before the marks arrive
    above = pos.take_profit + Decimal("10")
    mark = _mark("BTCUSDT", above)
    mark_publish(mark=mark)
    mark_publish(mark=mark)  # the same event twice: a reconnect's overlap, say
    wait_for(
        lambda: consumer.poll(reactions.streams_read()) == 0 and consumer.handled == 2,
        timeout=10,
        what="both entries handled",
    )

    (close,) = _closes(desk)
    assert (close.state, close.reduce_only, close.quantity) == (
        IntentState.APPROVED,
        True,
        Decimal("0.010"),
    )
    assert trading_queue() == [close.id]  # handed to the executor once
    pos.refresh_from_db()
    assert pos.mark_price == above  # the row took the event's mark

    # Filled, but no reconcile yet: the row still says long. A newer mark must not close again.
    assert intent_execute(intent_id=close.id) == "done"
    mark_publish(mark=_mark("BTCUSDT", above + Decimal("5")))
    wait_for(
        lambda: consumer.poll(reactions.streams_read()) == 0 and consumer.handled == 3,
        timeout=10,
        what="the later mark handled",
    )
    assert [c.id for c in _closes(desk)] == [close.id]
    closes = [o for o in desk.orders("BTCUSDT") if o["reduceOnly"]]
    assert [o["clientOrderId"] for o in closes] == [close.client_order_id]
    assert desk.position_amounts() == {}
    (group,) = group_health(redis_client, keys.STREAM_MARK)
    assert (group["pending"], group["lag"]) == (0, 0)


def test_a_reactor_sends_the_close_it_made_itself_with_no_celery_hop(
    desk, aggressive_policy, redis_client, settings, trading_queue
):
    pos = _open_long(desk, settings)
    consumer = _consumer(redis_client, "r1")
    consumer.poll(reactions.streams_read())
    mark_publish(mark=_mark("BTCUSDT", pos.take_profit + Decimal("10")))
    wait_for(lambda: consumer.poll(reactions.streams_read()), timeout=10, what="the mark")

    (close,) = _closes(desk)
    assert close.state == IntentState.FILLED  # sent and recorded by the reactor's own handling
    assert trading_queue() == []
    assert desk.position_amounts() == {}


def test_a_reactor_hands_a_send_that_failed_to_the_celery_executor(
    desk, aggressive_policy, redis_client, settings, trading_queue
):
    pos = _open_long(desk, settings)
    consumer = _consumer(redis_client, "r1")
    consumer.poll(reactions.streams_read())
    desk.venue.set_fault("error", status=503, paths=["/fapi/v1/order"])
    mark_publish(mark=_mark("BTCUSDT", pos.take_profit + Decimal("10")))
    wait_for(lambda: consumer.poll(reactions.streams_read()), timeout=10, what="the mark")

    (close,) = _closes(desk)
    assert close.state == IntentState.SUBMITTING and close.lease_until <= utcnow()  # given back
    assert trading_queue() == [close.id]  # once, to the executor that retries with backoff
    desk.venue.clear_faults()
    assert intent_execute(intent_id=close.id) == "done"  # what that task does: look up, send
    closes = [o for o in desk.orders("BTCUSDT") if o["reduceOnly"]]
    assert [o["clientOrderId"] for o in closes] == [close.client_order_id]
    assert desk.position_amounts() == {}


def test_a_reactor_killed_before_xack_loses_nothing_and_sends_nothing_twice(
    desk, aggressive_policy, redis_client, settings, subprocess_env, start_worker, tmp_path
):
    pos = _open_long(desk, settings)
    start_worker(queues="trading", name="executor")
    env = {
        **subprocess_env,
        "TRADING_ACCOUNT": desk.account.name,
        "TRADING_SYMBOLS": "BTCUSDT",
        "REACT_CLAIM_IDLE_SECONDS": "1",
        "REACT_BLOCK_MS": "200",
    }

    def reactor(name: str, **extra: str) -> subprocess.Popen:
        log = open(tmp_path / f"react-{name}.log", "wb")  # noqa: SIM115
        return subprocess.Popen(
            [sys.executable, "manage.py", "react", "--name", name],
            cwd=ROOT,
            env={**env, **extra},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    doomed = reactor("doomed", REACT_PAUSE_BEFORE_ACK_SECONDS="120")
    rescuer = None
    try:
        wait_for(
            lambda: group_health(redis_client, keys.STREAM_MARK),
            timeout=30,
            what="the reactor's group",
        )
        mark_publish(mark=_mark("BTCUSDT", pos.take_profit + Decimal("10")))
        wait_for(lambda: _closes(desk), timeout=30, what="the close intent")
        # the drill's gap is after the handling (the reactor sent the close itself, lock
        # released) and before the XACK
        wait_for(
            lambda: _closes(desk)[0].state == IntentState.FILLED, timeout=30, what="close sent"
        )
        lock = keys.lock(f"trading:cycle:{desk.account.id}")
        wait_for(lambda: not redis_client.exists(lock), timeout=10, what="the lock released")
        (group,) = group_health(redis_client, keys.STREAM_MARK)
        assert group["pending"] == 1  # handled, not acknowledged: the gap of the drill
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)

        rescuer = reactor("rescuer")
        wait_for(
            lambda: group_health(redis_client, keys.STREAM_MARK)[0]["pending"] == 0,
            timeout=30,
            interval=0.2,
            what="the dead reactor's entry claimed and acknowledged",
        )
        (close,) = _closes(desk)
        wait_for(
            lambda: PositionIntent.objects.get(id=close.id).state == IntentState.FILLED,
            timeout=30,
            what="the close filled",
        )
        closes = [o for o in desk.orders("BTCUSDT") if o["reduceOnly"]]
        assert [o["clientOrderId"] for o in closes] == [close.client_order_id]
        assert desk.position_amounts() == {}
    finally:
        for proc in (doomed, rescuer):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=15)
