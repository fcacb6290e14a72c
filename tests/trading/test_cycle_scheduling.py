"""The trading cycle and the monitor share one lock per account, and neither starves the other.

Beat sends both within milliseconds; with two non-blocking attempts at one lock the cycle lost
that race for minutes on end. Now the cycle waits for a monitor pass to end, and the monitor gives
way to a waiting cycle (it does a subset of the cycle's work). About locks, not the venue: the
cycles run on the in-process venue (fake_desk)."""

import threading
import time

import pytest

from apps.core import keys
from apps.core.locks import exclusive
from apps.core.loops import loop_state
from apps.trading.models import IntentAction, PositionIntent
from workers.trading import monitor_positions, run_cycle

pytestmark = pytest.mark.django_db(transaction=True)


def hold_lock(name: str, seconds: float, held: threading.Event) -> threading.Thread:
    def run() -> None:
        with exclusive(name, timeout=30):
            held.set()
            time.sleep(seconds)

    thread = threading.Thread(target=run)
    thread.start()
    held.wait(5)
    return thread


def test_the_cycle_waits_for_a_monitor_pass_instead_of_being_skipped(fake_desk, redis_client):
    held = threading.Event()
    monitor_pass = hold_lock(f"trading:cycle:{fake_desk.account.id}", 1.5, held)
    started = time.monotonic()
    run_cycle()
    waited = time.monotonic() - started
    monitor_pass.join()
    state = loop_state(run_cycle.name)
    assert state.get("completed") == 1, state
    assert state.get("skipped", 0) == 0, state
    assert waited >= 1.0, "the cycle ran while the lock was held"


def test_the_monitor_gives_way_to_a_waiting_cycle(fake_desk, redis_client):
    redis_client.set(keys.trading_cycle_wanted(fake_desk.account.id), 1, ex=10)
    monitor_positions()
    state = loop_state(monitor_positions.name)
    assert state.get("skipped") == 1 and state.get("completed", 0) == 0, state


def test_sent_together_the_cycle_is_never_skipped(fake_desk, redis_client):
    """Beat's race, ten times over: monitor and cycle started at the same moment."""
    for _ in range(10):
        threads = [threading.Thread(target=task) for task in (monitor_positions, run_cycle)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    cycle = loop_state(run_cycle.name)
    assert cycle.get("completed") == 10 and cycle.get("skipped", 0) == 0, cycle
    monitor = loop_state(monitor_positions.name)
    assert monitor.get("failed", 0) == 0 and cycle.get("failed", 0) == 0


@pytest.mark.parametrize("on_beat", [False, True])
def test_the_beats_cycle_evaluates_signals_only_when_told(
    fake_desk, redis_client, aggressive_policy, settings, on_beat
):
    """Event-driven by default: a closed kline's reactor evaluates the signal, the beat's cycle
    is the REST safety net and sends nothing new (TRADING_SIGNALS_ON_BEAT for a desk without
    the stream process)."""
    settings.TRADING_SYMBOLS = ["BTCUSDT"]
    settings.TRADING_SIGNAL_SOURCE = "tests.support.signal_sources:AlwaysLong"
    settings.TRADING_SIGNALS_ON_BEAT = on_beat
    run_cycle()
    assert loop_state(run_cycle.name).get("completed") == 1
    opened = PositionIntent.objects.filter(account=fake_desk.account, action=IntentAction.OPEN)
    assert opened.exists() is on_beat
