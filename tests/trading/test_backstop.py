"""The exchange-side backstop: a wide STOP_MARKET closePosition per open position on the venue,
withdrawn when the desk closes the position, recorded as the desk's exit when it fires while the
desk is away, and never sent twice after a timeout (on both client-id rules of the venue)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP as UP
from decimal import Decimal

import pytest

from apps.core import jsoncodec, keys
from apps.core.money import quantize_step
from apps.trading.execution import intent_execute
from apps.trading.models import (
    Backstop,
    BackstopStatus,
    ExchangeOrder,
    IntentState,
    Position,
    PositionIntent,
)
from apps.trading.selectors import ledger_amounts
from apps.trading.services import trading_cycle
from tests.support.paper_exchange import market

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

TICK = Decimal("0.1")  # BTCUSDT


@pytest.fixture
def levels(settings):
    settings.TRADING_SYMBOLS = ["BTCUSDT"]
    settings.TRADING_TAKE_PROFIT_PCT = Decimal("1.5")
    settings.TRADING_STOP_LOSS_PCT = Decimal("1.0")
    settings.TRADING_BACKSTOP_PCT = Decimal("3.0")


def _cycle(desk) -> dict:
    return trading_cycle(account_id=desk.account.id, with_signals=False)


def _on_venue(desk, backstop: Backstop) -> dict:
    return desk.client.futures_get_order(symbol="BTCUSDT", clientAlgoId=backstop.client_algo_id)


def _open_algos(desk) -> list[dict]:
    return desk.client.futures_get_open_orders(symbol="BTCUSDT", conditional=True)


def _long_at_40000(desk) -> Position:
    desk.venue.set_price("BTCUSDT", "40000.0")
    market(desk.client, "BTCUSDT", "BUY", "0.010")  # an operator's order; adopted by the cycle
    summary = _cycle(desk)
    assert len(summary["adopted"]) == 1
    return Position.objects.get(symbol="BTCUSDT")


def test_an_open_position_gets_one_backstop_and_loses_it_when_the_desk_closes_it(
    desk, levels, redis_client, api
):
    pos = _long_at_40000(desk)
    (backstop,) = Backstop.objects.filter(account=desk.account)
    expected = quantize_step(pos.entry_price * Decimal("0.97"), TICK, rounding=UP)
    assert (backstop.status, backstop.side, backstop.trigger_price) == (
        BackstopStatus.OPEN,
        "SELL",
        expected,
    )
    venue = _on_venue(desk, backstop)
    assert (venue["orderType"], venue["algoStatus"], venue["closePosition"]) == (
        "STOP_MARKET",
        "NEW",
        True,
    )
    assert Decimal(venue["triggerPrice"]) == expected and venue["workingType"] == "MARK_PRICE"
    # well outside the monitor's stop loss, which stays the first guard
    assert backstop.trigger_price < pos.stop_loss
    (shown,) = api.get("/api/trading/positions/").json()["results"]
    assert shown["backstop_price"] == f"{expected:.8f}"

    assert _cycle(desk)["backstops"] == {"placed": [], "withdrawn": []}  # idempotent
    assert len(_open_algos(desk)) == 1

    desk.venue.set_price("BTCUSDT", "40800.0")  # take profit: the desk closes
    (close,) = PositionIntent.objects.filter(id__in=_cycle(desk)["exits"])
    assert Backstop.objects.get(id=backstop.id).status == BackstopStatus.OPEN  # kept meanwhile
    intent_execute(intent_id=close.id)
    summary = _cycle(desk)
    assert summary["backstops"]["withdrawn"] == [backstop.id]
    assert Backstop.objects.get(id=backstop.id).status == BackstopStatus.CANCELED
    assert _on_venue(desk, backstop)["algoStatus"] == "CANCELED"
    assert _open_algos(desk) == []
    assert api.get("/api/trading/positions/").json()["results"] == []


def test_with_the_desk_away_the_backstop_closes_and_the_desk_records_it_as_its_exit(
    desk, levels, redis_client
):
    _long_at_40000(desk)
    (backstop,) = Backstop.objects.filter(account=desk.account, status=BackstopStatus.OPEN)
    # The desk runs no cycle while the market falls through its stop loss and the backstop.
    desk.venue.set_price("BTCUSDT", "38000.0")
    assert desk.position_amounts() == {}  # the venue closed it by itself

    summary = _cycle(desk)
    (recorded,) = PositionIntent.objects.filter(id__in=summary["adopted"])
    backstop.refresh_from_db()
    assert (recorded.reason, recorded.state, recorded.reduce_only) == (
        "backstop",
        IntentState.FILLED,
        True,
    )
    assert recorded.executed_qty == Decimal("0.010") and recorded.side == "SELL"
    assert (backstop.status, backstop.intent_id) == (BackstopStatus.TRIGGERED, recorded.id)
    fired = ExchangeOrder.objects.get(account=desk.account, order_id=backstop.order_id)
    assert fired.client_order_id == backstop.client_algo_id
    assert (fired.external, fired.intent_id) == (False, recorded.id)
    assert ledger_amounts(account_id=desk.account.id) == desk.position_amounts()
    assert not PositionIntent.objects.filter(reason="adopted", reduce_only=True).exists()

    # its realized PnL from the venue's fills, and the PnL stream's exit reason per fill
    fills = desk.client.futures_account_trades(symbol="BTCUSDT", orderId=backstop.order_id)
    realized = sum((Decimal(f["realizedPnl"]) for f in fills), Decimal(0))
    assert recorded.realized_pnl == realized < 0
    for fill in fills:
        key = keys.exit_reason(desk.account.id, fill["id"])
        assert jsoncodec.loads(redis_client.get(key))["reason"] == "backstop"

    # once: the next cycle records nothing more and places nothing (no position)
    summary = _cycle(desk)
    assert summary["adopted"] == [] and summary["backstops"]["placed"] == []


def test_a_backstop_the_venue_took_but_did_not_confirm_is_asked_for_not_sent_again(
    desk, levels, redis_client, settings
):
    settings.TRADING_ORDER_TIMEOUT_SECONDS = 1
    desk.venue.set_price("BTCUSDT", "40000.0")
    market(desk.client, "BTCUSDT", "BUY", "0.010")
    desk.venue.set_fault(
        "accept_then_timeout", count=1, delay=2, paths=["/fapi/v1/algoOrder"], methods=["POST"]
    )
    try:
        summary = _cycle(desk)
    finally:
        desk.venue.clear_faults()
    assert summary["backstops"]["placed"] == []
    (backstop,) = Backstop.objects.filter(account=desk.account)
    assert backstop.status == BackstopStatus.PENDING
    assert len(_open_algos(desk)) == 1  # the venue has it

    summary = _cycle(desk)
    backstop.refresh_from_db()
    assert backstop.status == BackstopStatus.OPEN and backstop.algo_id
    assert Backstop.objects.filter(account=desk.account).count() == 1
    assert [a["clientAlgoId"] for a in _open_algos(desk)] == [backstop.client_algo_id]


def test_a_refused_backstop_is_recorded_with_binance_s_code_and_not_retried_at_once(
    desk, levels, redis_client, settings
):
    # Found already past its backstop (and inside a wide stop loss): the venue refuses a stop
    # that would trigger at once (-2021).
    settings.TRADING_STOP_LOSS_PCT = settings.TRADING_TRAILING_PCT = Decimal("10")
    desk.venue.set_price("BTCUSDT", "40000.0")
    market(desk.client, "BTCUSDT", "BUY", "0.010")
    desk.venue.set_price("BTCUSDT", "38000.0")
    _cycle(desk)
    _cycle(desk)
    refused = list(Backstop.objects.filter(account=desk.account))
    assert len(refused) == 1, refused
    assert (refused[0].status, refused[0].error_code) == (BackstopStatus.FAILED, -2021)
    assert _open_algos(desk) == []


def test_the_operator_can_switch_backstops_off(desk, levels, redis_client, settings):
    settings.TRADING_BACKSTOP_PCT = Decimal("0")
    _long_at_40000(desk)
    assert not Backstop.objects.exists()
    assert _open_algos(desk) == []
