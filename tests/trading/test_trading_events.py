"""quantum:stream:trading.events (apps.trading.events): what the desk's own services write is
announced once committed, with the API row's fields; nothing for a write that rolled back."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import transaction

from apps.core import keys
from apps.exchange.reports import OrderReport
from apps.exchange.services import account_add
from apps.trading.events import events_held
from apps.trading.execution import order_apply
from apps.trading.intents import intent_create
from apps.trading.models import IntentState, PositionIntent

pytestmark = pytest.mark.django_db(transaction=True)


def _events(redis_client) -> list[dict]:
    return [
        {**fields, "row": json.loads(fields["row"])}
        for _, fields in redis_client.xrange(keys.STREAM_TRADING_EVENTS)
    ]


@pytest.fixture
def account():
    return account_add(
        name="events-desk", base_url="http://127.0.0.1:9", api_key="k", api_secret="s", paper=True
    )


def _intent(account, **kw) -> PositionIntent:
    return intent_create(
        account=account,
        symbol="BTCUSDT",
        side="BUY",
        action="OPEN",
        quantity=Decimal("0.010"),
        reason="signal",
        reference_price=Decimal("60000"),
        **kw,
    )


def test_it_announces_an_intent_once_committed_and_nothing_for_a_rollback(redis_client, account):
    with pytest.raises(RuntimeError), transaction.atomic():
        _intent(account, reject_reason="test")
        assert _events(redis_client) == []  # not before the commit
        raise RuntimeError("rolled back")
    assert _events(redis_client) == []

    intent = _intent(account, reject_reason="exposure")
    events = _events(redis_client)
    assert [(e["kind"], e["account"], e["symbol"]) for e in events] == [
        ("intent", "events-desk", "BTCUSDT")
    ] * 2
    assert [e["row"]["state"] for e in events] == ["NEW", "REJECTED"]
    assert events[-1]["row"]["id"] == intent.id
    assert events[-1]["row"]["quantity"] == "0.0100000000"  # a decimal string, as the API's


def test_it_announces_the_executors_fill_written_by_a_conditional_update(redis_client, account):
    intent = _intent(account, reject_reason="test")
    # as the executor finds it: sent, its order on the venue
    PositionIntent.objects.filter(id=intent.id).update(state=IntentState.SUBMITTED)
    intent.refresh_from_db()
    redis_client.delete(keys.STREAM_TRADING_EVENTS)
    order_apply(
        intent=intent,
        order=OrderReport(
            order_id=555,
            client_order_id=intent.client_order_id,
            symbol="BTCUSDT",
            status="FILLED",
            side="BUY",
            type="MARKET",
            orig_qty=Decimal("0.010"),
            executed_qty=Decimal("0.010"),
            avg_price=Decimal("60000.5"),
            reduce_only=False,
            update_ms=1,
        ),
    )
    (event,) = _events(redis_client)
    assert event["kind"] == "intent"
    assert (event["row"]["id"], event["row"]["state"]) == (intent.id, "FILLED")
    assert Decimal(event["row"]["avg_price"]) == Decimal("60000.5")
    assert Decimal(event["row"]["executed_qty"]) == Decimal("0.010")


def test_events_held_by_a_reaction_are_sent_when_it_ends(redis_client, account):
    # The reactor holds a reaction's events so that its order leaves first: committed events
    # wait for the end of the block, then go together; a rollback inside still sends nothing.
    with events_held():
        _intent(account, reject_reason="exposure")  # committed: create and save
        with pytest.raises(RuntimeError), transaction.atomic():
            _intent(account, reject_reason="test")
            raise RuntimeError("rolled back")
        assert _events(redis_client) == []  # held
    events = _events(redis_client)
    assert [e["kind"] for e in events] == ["intent", "intent"]
    assert {e["row"]["state"] for e in events} == {IntentState.NEW, IntentState.REJECTED}
