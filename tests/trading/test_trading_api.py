"""The trading API: reads for authenticated users, desk changes for staff only; halt stops new
risk at once and flatten closes every position reduce-only, through intents (rules: on the
in-process venue, fake_desk)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.trading.execution import intent_execute
from apps.trading.intents import intent_create
from apps.trading.models import (
    DeskEvent,
    DeskMode,
    DeskState,
    IntentAction,
    IntentState,
    PositionIntent,
    Side,
)
from apps.trading.services import trading_cycle

pytestmark = [pytest.mark.django_db(transaction=True)]


def _client(*, staff: bool) -> APIClient:
    user = get_user_model().objects.create_user(
        "staff" if staff else "viewer", password="x-very-long-pw", is_staff=staff
    )
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_it_refuses_anonymous_reads():
    for url in ("intents", "orders", "positions", "desk"):
        assert APIClient().get(f"/api/trading/{url}/").status_code in (401, 403)


def test_it_shows_the_desk_and_its_policy_to_any_user():
    body = _client(staff=False).get("/api/trading/desk/").json()
    assert body["mode"] == "normal" and body["kill_switch"] is False
    assert body["policy"]["max_exposure_total"] == "5000.00000000"
    assert body["policy"]["effective_max_leverage"] == 20


def test_it_lets_only_staff_change_the_desk():
    assert (
        _client(staff=False).post("/api/trading/desk/", {"mode": "halt"}, format="json").status_code
        == 403
    )
    answer = _client(staff=True).post(
        "/api/trading/desk/",
        {"mode": "halt", "kill_switch": True, "reason": "drill"},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["mode"] == "halt" and answer.json()["kill_switch"] is True
    desk = DeskState.objects.get()
    assert desk.changed_by.username == "staff"
    assert DeskEvent.objects.filter(action="desk_set").count() == 1


def _open_btc_and_eth_longs(desk) -> None:
    """BTC 0.010 and ETH 0.100 long on the venue, each through an intent like the desk's own."""
    for symbol, qty in (("BTCUSDT", "0.010"), ("ETHUSDT", "0.100")):
        intent = intent_create(
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
        intent_execute(intent_id=intent.id)


def test_halt_rejects_new_risk_and_flatten_closes_everything(
    fake_desk, aggressive_policy, trading_queue, redis_client
):
    desk = fake_desk
    _open_btc_and_eth_longs(desk)
    # One approved before the halt, not yet sent: halt applies at once, at send time too.
    late = intent_create(
        account=desk.account,
        symbol="SOLUSDT",
        side=Side.BUY,
        action=IntentAction.OPEN,
        quantity=Decimal("1"),
        reason="test",
        leverage=5,
        confidence=Decimal("0.9"),
        reference_price=Decimal("1"),
    )
    trading_cycle(account_id=desk.account.id, with_signals=False)
    staff = _client(staff=True)
    staff.post("/api/trading/desk/", {"mode": DeskMode.HALT}, format="json")
    refused = intent_create(
        account=desk.account,
        symbol="BTCUSDT",
        side=Side.BUY,
        action=IntentAction.ADD,
        quantity=Decimal("0.010"),
        reason="test",
        leverage=5,
        confidence=Decimal("0.9"),
        reference_price=Decimal("1"),
    )
    assert refused.state == IntentState.REJECTED and "halt" in refused.risk_reason
    intent_execute(intent_id=late.id)
    late.refresh_from_db()
    assert late.state == IntentState.REJECTED and "at send" in late.risk_reason

    answer = staff.post("/api/trading/desk/", {"flatten": True}, format="json").json()
    assert len(answer["flatten_intents"]) == 2
    for intent_id in answer["flatten_intents"]:
        intent_execute(intent_id=intent_id)
    closes = PositionIntent.objects.filter(id__in=answer["flatten_intents"])
    assert {(c.reduce_only, c.state, c.reason) for c in closes} == {
        (True, IntentState.FILLED, "flatten")
    }
    assert all(c.realized_pnl is not None for c in closes)
    assert desk.position_amounts() == {}
    trading_cycle(account_id=desk.account.id, with_signals=False)

    viewer = _client(staff=False)
    assert viewer.get("/api/trading/positions/").json()["results"] == []
    intents = viewer.get("/api/trading/intents/?state=filled&symbol=btcusdt").json()
    assert {r["reason"] for r in intents["results"]} == {"test", "flatten"}
    orders = viewer.get("/api/trading/orders/").json()["results"]
    assert {o["client_order_id"] for o in orders} >= {
        f"qt-{i}-1" for i in answer["flatten_intents"]
    }


def test_flatten_closes_what_the_exchange_holds_not_what_the_desk_table_says(
    fake_desk, aggressive_policy, trading_queue, redis_client
):
    """Between two monitor passes the table lags the venue: a position closed on the venue (a
    stop, a liquidation, a person) is still listed, one opened there is not yet. A flatten from
    the table sent a reduce-only close for the first (-2022) and missed the second."""
    desk = fake_desk
    _open_btc_and_eth_longs(desk)
    trading_cycle(account_id=desk.account.id, with_signals=False)
    # behind the desk's back, on the venue: BTC closed, SOL opened
    desk.market("BTCUSDT", "SELL", "0.010", reduce_only=True)
    desk.market("SOLUSDT", "SELL", "1")
    assert set(desk.position_amounts()) == {"ETHUSDT", "SOLUSDT"}

    answer = _client(staff=True).post("/api/trading/desk/", {"flatten": True}, format="json")
    assert answer.status_code == 200, answer.content
    closes = PositionIntent.objects.filter(id__in=answer.json()["flatten_intents"])
    assert sorted((c.symbol, c.side) for c in closes) == [("ETHUSDT", "SELL"), ("SOLUSDT", "BUY")]
    for close in closes:
        intent_execute(intent_id=close.id)
        close.refresh_from_db()
        assert close.state == IntentState.FILLED, (close.symbol, close.error_message)
    assert desk.position_amounts() == {}


def test_a_flatten_the_exchange_cannot_answer_closes_from_the_table_and_says_so(settings):
    """The emergency exit still works while the exchange is away: reduce-only closes from the
    desk's table (they cannot open anything and go out once it answers), and the audit trail
    names where what to close came from."""
    from apps.core.timeutil import utcnow
    from apps.exchange.services import account_add
    from apps.trading.models import Position

    account = account_add(
        name="unreachable",
        base_url="http://127.0.0.1:9",
        api_key="k" * 64,
        api_secret="s" * 64,
        paper=True,
    )
    Position.objects.create(
        account=account,
        symbol="BTCUSDT",
        amount=Decimal("-0.004"),
        entry_price=Decimal("60000"),
        mark_price=Decimal("60100"),
        unrealized_pnl=Decimal("-0.4"),
        opened_at=utcnow(),
    )
    settings.TRADING_ACCOUNT = "unreachable"
    answer = _client(staff=True).post("/api/trading/desk/", {"flatten": True}, format="json")
    assert answer.status_code == 200, answer.content
    (close,) = PositionIntent.objects.filter(id__in=answer.json()["flatten_intents"])
    assert (close.symbol, close.side, close.quantity, close.reduce_only) == (
        "BTCUSDT",
        "BUY",
        Decimal("0.004"),
        True,
    )
    event = DeskEvent.objects.get(action="flatten")
    assert event.detail["sources"]["unreachable"].startswith("table: the exchange was not read")
