"""Execution against the paper venue in both client-order-id modes, in process: one order per
intent whatever the venue does to the reply; exchange rejections recorded, never retried."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.trading import intents
from apps.trading.execution import Outcome, intent_execute
from apps.trading.models import IntentAction, IntentState, PositionIntent, Side

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def _open(desk, qty: str = "0.010", symbol: str = "BTCUSDT") -> PositionIntent:
    intent = intents.intent_create(
        account=desk.account,
        symbol=symbol,
        side=Side.BUY,
        action=IntentAction.OPEN,
        quantity=Decimal(qty),
        reason="test",
        leverage=5,
        confidence=Decimal("0.9"),
        reference_price=Decimal("1"),
    )
    assert intent.state == IntentState.APPROVED, intent.risk_reason
    return intent


def test_it_fills_an_intent_with_the_client_order_id_derived_from_it(
    desk, aggressive_policy, trading_queue, redis_client
):
    intent = _open(desk)
    assert trading_queue() == [intent.id]  # published after commit
    assert intent_execute(intent_id=intent.id) == Outcome.DONE
    intent.refresh_from_db()
    assert intent.state == IntentState.FILLED
    assert intent.client_order_id == f"qt-{intent.id}-1"
    order = desk.client.futures_get_order(
        symbol="BTCUSDT", origClientOrderId=intent.client_order_id
    )
    assert Decimal(order["executedQty"]) == intent.executed_qty == Decimal("0.010")
    assert Decimal(order["avgPrice"]) == intent.avg_price
    # A second execution (a redelivered message) is a no-op.
    assert intent_execute(intent_id=intent.id) == Outcome.SKIPPED
    assert len(desk.orders("BTCUSDT")) == 1


def test_it_rounds_the_quantity_down_to_the_step_size(
    desk, aggressive_policy, trading_queue, redis_client
):
    intent = _open(desk, qty="0.0109")
    intent_execute(intent_id=intent.id)
    intent.refresh_from_db()
    assert intent.state == IntentState.FILLED
    assert intent.executed_qty == Decimal("0.010")  # BTCUSDT step 0.001


def test_it_looks_the_order_up_after_the_venue_accepted_it_and_timed_out(
    desk, aggressive_policy, trading_queue, redis_client, settings
):
    settings.TRADING_ORDER_TIMEOUT_SECONDS = 1
    intent = _open(desk)
    desk.venue.set_fault(
        "accept_then_timeout", count=1, delay=2, paths=["/fapi/v1/order"], methods=["POST"]
    )
    try:
        assert intent_execute(intent_id=intent.id) == Outcome.DONE
    finally:
        desk.venue.clear_faults()
    intent.refresh_from_db()
    assert intent.state == IntentState.FILLED
    assert [o["clientOrderId"] for o in desk.orders("BTCUSDT")] == [intent.client_order_id]


def test_it_resends_when_the_venue_never_saw_the_order(
    desk, aggressive_policy, trading_queue, redis_client
):
    intent = _open(desk)
    desk.venue.set_fault("error", count=1, status=503, paths=["/fapi/v1/order"], methods=["POST"])
    try:
        assert intent_execute(intent_id=intent.id) == Outcome.DONE
    finally:
        desk.venue.clear_faults()
    intent.refresh_from_db()
    assert intent.state == IntentState.FILLED
    assert len(desk.orders("BTCUSDT")) == 1


def test_it_records_a_fatal_rejection_with_binance_s_code_and_does_not_retry(
    desk, aggressive_policy, trading_queue, redis_client
):
    # Far beyond the margin of the account: -2019, fatal.
    intent = _open(desk, qty="90")
    assert intent_execute(intent_id=intent.id) == Outcome.DONE
    intent.refresh_from_db()
    assert intent.state == IntentState.FAILED
    assert intent.error_code == -2019
    assert "-2019" in intent.error_message
    assert desk.orders("BTCUSDT") == []
    assert intent_execute(intent_id=intent.id) == Outcome.SKIPPED


def test_it_leaves_the_intent_to_a_later_executor_while_the_venue_is_down(
    desk, aggressive_policy, trading_queue, redis_client, settings
):
    settings.TRADING_EXECUTE_RETRIES = 1
    intent = _open(desk)
    desk.venue.set_fault("error", status=503, paths=["/fapi/"])
    try:
        assert intent_execute(intent_id=intent.id) == Outcome.RETRY
    finally:
        desk.venue.clear_faults()
    intent.refresh_from_db()
    assert intent.state == IntentState.SUBMITTING  # unknown: never guessed FAILED
    assert intent_execute(intent_id=intent.id) == Outcome.DONE  # lease released: lookup, send
    intent.refresh_from_db()
    assert intent.state == IntentState.FILLED
    assert len(desk.orders("BTCUSDT")) == 1
