"""SIGKILL a real worker after the order reached the venue and before the intent recorded it
(the TRADING_SEND_PAUSE_SECONDS drill): the redelivered task looks the order up and records it;
the venue never sees a second order. In both client-order-id modes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.trading import intents
from apps.trading.models import IntentAction, IntentState, PositionIntent, Side
from tests.support.processes import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

FAST_RESTORE = {
    "CELERY_VISIBILITY_TIMEOUT": "4",
    "CELERY_UNACKED_RESTORE_INTERVAL": "1",
    "TRADING_LEASE_SECONDS": "3",
}


def test_it_places_one_order_when_the_worker_dies_between_send_and_record(
    desk, aggressive_policy, redis_client, start_worker
):
    doomed = start_worker(
        queues="trading", name="doomed", env={**FAST_RESTORE, "TRADING_SEND_PAUSE_SECONDS": "60"}
    )
    intent = intents.intent_create(
        account=desk.account,
        symbol="ETHUSDT",
        side=Side.SELL,
        action=IntentAction.OPEN,
        quantity=Decimal("0.100"),
        reason="test",
        leverage=5,
        confidence=Decimal("0.9"),
        reference_price=Decimal("1"),
    )
    wait_for(lambda: desk.orders("ETHUSDT"), timeout=30, what="the order on the venue")
    doomed.kill()
    intent.refresh_from_db()
    assert intent.state == IntentState.SUBMITTING  # sent, not recorded: the gap of the drill

    start_worker(queues="trading", name="rescuer", env=FAST_RESTORE)
    wait_for(
        lambda: PositionIntent.objects.get(id=intent.id).state == IntentState.FILLED,
        timeout=60,
        interval=0.2,
        what="the redelivered execution to record the fill",
    )
    intent.refresh_from_db()
    orders = desk.orders("ETHUSDT")
    assert [o["clientOrderId"] for o in orders] == [intent.client_order_id]
    assert intent.order_id == orders[0]["orderId"]
    assert intent.executed_qty == Decimal("0.100")
    assert desk.position_amounts() == {"ETHUSDT": Decimal("-0.100")}
