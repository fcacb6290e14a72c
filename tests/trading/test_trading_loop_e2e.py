"""The whole loop on a real worker against the paper venue on a fast clock (1 exchange minute
per wall second, Binance's loose client-id rule): market data -> signals -> intents -> orders ->
monitor -> exits, with the Redis server restarted mid-run. Afterwards the desk and the venue
agree: every order is one intent's, no intent has two orders, no intent is lost or stuck, and
the intents add up to the venue's positions."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from apps.market.models import Kline
from apps.trading.models import (
    IN_FLIGHT_STATES,
    Backstop,
    BackstopStatus,
    ExchangeOrder,
    IntentState,
    PositionIntent,
)
from apps.trading.selectors import ledger_amounts
from apps.trading.services import trading_cycle
from tests.support.paper_exchange import NO_RATE_LIMITS, PaperExchange
from tests.support.processes import wait_for
from workers.market import publish
from workers.trading import run_cycle

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

SYMBOLS = "BTCUSDT,ETHUSDT,SOLUSDT"
LOOP_ENV = {
    # the loop is driven by the beat's cycle here (no stream process): it evaluates signals too
    "TRADING_SIGNALS_ON_BEAT": "true",
    "TRADING_SYMBOLS": SYMBOLS,
    "TRADING_MA_FAST": "3",
    "TRADING_MA_SLOW": "8",
    "TRADING_ATR_PERIOD": "5",
    "TRADING_ATR_MIN_PCT": "0",
    "TRADING_TAKE_PROFIT_PCT": "0.25",
    "TRADING_STOP_LOSS_PCT": "0.25",
    "TRADING_TRAILING_PCT": "0.15",
    "TRADING_ORDER_NOTIONAL": "300",
    "MARKET_KLINE_HISTORY": "30",
    "TRADING_LEASE_SECONDS": "5",
    "CELERY_VISIBILITY_TIMEOUT": "5",
    "CELERY_UNACKED_RESTORE_INTERVAL": "1",
}


@pytest.fixture(scope="module")
def venue(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("loop-venue")
    exchange = PaperExchange(
        workdir, speed=60, extra_args=[*NO_RATE_LIMITS, "--loose-client-order-ids"]
    )
    exchange.start()
    yield exchange
    exchange.stop()


def _as_setting(current, value: str):
    """The environment's string as the worker's settings parse it (the final reconcile runs in
    this process: a Decimal setting left a string fails there, not in the worker)."""
    if isinstance(current, bool):
        return value.lower() in {"1", "true", "yes", "on"}
    if isinstance(current, list):
        return value.split(",")
    if isinstance(current, Decimal | int | float):
        return type(current)(value)
    return value


def _send(task) -> None:
    # The broker may be restarting: kombu's retry re-establishes the connection (as beat's
    # publisher does); a tick lost anyway is what beat's `expires` would do.
    try:
        task.apply_async(
            retry=True, retry_policy={"max_retries": 5, "interval_start": 0.2, "interval_step": 0.2}
        )
    except Exception:  # noqa: BLE001
        time.sleep(0.3)


def _restart_if_silent(worker) -> bool:
    """If the worker has run no task for 20 s while cycles are sent, restart it (its log says
    `succeeded` for every task it runs)."""
    seen = len(worker.log_path.read_bytes())

    def consuming() -> bool:
        _send(run_cycle)
        return b" succeeded in " in worker.log_path.read_bytes()[seen:]

    try:
        wait_for(consuming, timeout=20, interval=0.5, what="the worker consuming again")
    except TimeoutError:
        worker.stop()
        worker.start()
        return True
    return False


def test_it_trades_many_cycles_and_agrees_with_the_venue(
    desk, aggressive_policy, redis_client, redis_server, start_worker, settings
):
    for key, value in LOOP_ENV.items():
        setattr(settings, key, _as_setting(getattr(settings, key, None), value))
    env = {**LOOP_ENV, "TRADING_ACCOUNT": desk.account.name}
    worker = start_worker(queues="market,trading", name="desk", env=env)

    cycles = 50
    for i in range(cycles):
        _send(publish)
        _send(run_cycle)
        if i == cycles // 2:
            redis_server.restart()  # queued and unacked messages, locks, streams: all gone
        time.sleep(0.5)

    # A Celery worker can stop consuming after its broker restarts (celery/celery#8030,
    # #10205: outside our reach); in production the health check names the silent queue and the
    # supervisor restarts the worker. Do the supervisor's part here, and say so on failure:
    # what this test proves is the desk's recovery, which a fresh worker does not fake.
    supervised = _restart_if_silent(worker)

    # Let the monitor finish what is in flight (it re-enqueues what the restart lost).
    def settled() -> bool:
        _send(run_cycle)
        time.sleep(0.5)
        return not PositionIntent.objects.filter(state__in=IN_FLIGHT_STATES).exists()

    try:
        wait_for(settled, timeout=60, interval=0.5, what="no intent in flight")
    except TimeoutError:
        stuck = PositionIntent.objects.filter(state__in=IN_FLIGHT_STATES)
        # what the worker said about them and about errors: the evidence for a stuck intent
        ids = [f"intent {i}" for i in stuck.values_list("id", flat=True)]
        said = [
            line
            for line in worker.log_path.read_text(errors="replace").splitlines()
            if any(i in line for i in ids)
            or "trading cycle" in line
            or "ERROR" in line
            or "Traceback" in line
        ]
        raise AssertionError(
            "\n".join(
                [str(list(stuck.values("id", "state", "lease_until", "updated_at", "attempts")))]
                + [f"worker restarted after the broker restart: {supervised}"]
                + said[-60:]
            )
        ) from None
    symbols = SYMBOLS.split(",")
    trading_cycle(account_id=desk.account.id, with_signals=False)  # a final reconcile, here

    intents = PositionIntent.objects.filter(account=desk.account)
    # orders the desk sent; a backstop that fired made its own (recorded, reason "backstop")
    sent = intents.exclude(order_id=None).exclude(reason="backstop")
    fired = Backstop.objects.filter(account=desk.account, status=BackstopStatus.TRIGGERED)
    assert Kline.objects.filter(symbol="BTCUSDT").count() >= 30
    assert sent.count() >= 4, list(intents.values_list("reason", "state", "risk_reason"))
    assert desk.duplicate_client_ids(*symbols) == {}
    venue_orders = {o["clientOrderId"]: o for s in symbols for o in desk.orders(s)}
    # Every order on the venue is an intent's or a fired backstop's; every sent intent's order
    # is on the venue.
    assert set(venue_orders) == set(sent.values_list("client_order_id", flat=True)) | {
        b.client_algo_id for b in fired
    }
    assert fired.filter(intent=None).count() == 0  # each fired backstop's close is recorded
    for intent in sent:
        order = venue_orders[intent.client_order_id]
        assert intent.order_id == order["orderId"]
        assert intent.executed_qty == Decimal(order["executedQty"])
    assert not intents.filter(reason="adopted").exists()
    assert ledger_amounts(account_id=desk.account.id) == desk.position_amounts()
    assert ExchangeOrder.objects.filter(account=desk.account, external=True).count() == 0
    assert intents.filter(reduce_only=True, state=IntentState.FILLED).exists(), "no exit ran"
