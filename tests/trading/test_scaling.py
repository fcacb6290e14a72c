"""Decisions while holding: the signal still with the position and sure of it adds to a winner
(within the per-symbol exposure and entries); no longer sure of it, the desk halves the position
once per entry. Each decision is an intent first, executed like any other, and the desk's ledger
stays equal to the venue's position. Rules, so on the in-process venue (fake_desk)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from apps.trading.execution import intent_execute
from apps.trading.models import IntentAction, IntentState, Position
from apps.trading.selectors import ledger_amounts
from apps.trading.services import signals_evaluate, trading_cycle
from apps.trading.signal_sources import Signal

# transaction=True: intents are published to the broker on commit
pytestmark = [pytest.mark.django_db(transaction=True)]
D = Decimal


@dataclass
class Scripted:
    """A signal source that says what the test tells it to (the strategy is a plug point)."""

    direction: int
    confidence: str
    price: str
    name: str = "scripted"

    def history_needed(self) -> int:
        return 1

    def evaluate(self, *, symbol: str, klines) -> Signal:
        return Signal(symbol, self.direction, D(self.confidence), D(self.price), self.name, {})


@pytest.fixture
def book(fake_desk, aggressive_policy, trading_queue, redis_client, settings):
    """Long 0.010 BTCUSDT at about 40000, opened by a signal and reconciled."""
    settings.TRADING_SYMBOLS = ["BTCUSDT"]
    settings.TRADING_RL_SIZING = False
    settings.TRADING_ORDER_NOTIONAL = Decimal("400")
    settings.TRADING_BACKSTOP_PCT = Decimal("0")
    fake_desk.venue.set_price("BTCUSDT", "40000.0")
    (opened,) = _decide(fake_desk, Scripted(1, "0.9", "40000"))
    assert opened.action == IntentAction.OPEN and opened.quantity == D("0.010")
    _execute(fake_desk, opened)
    return fake_desk


def _decide(desk, source: Scripted) -> list:
    return signals_evaluate(account=desk.account, gateway=_gateway(desk), source=source)


def _gateway(desk):
    from apps.exchange.gateway import session_gateway

    return session_gateway(account=desk.account)


def _execute(desk, intent) -> None:
    intent_execute(intent_id=intent.id)
    intent.refresh_from_db()
    assert intent.state == IntentState.FILLED, (intent.error_code, intent.error_message)
    trading_cycle(account_id=desk.account.id, with_signals=False)  # reconcile the position
    assert ledger_amounts(account_id=desk.account.id) == desk.position_amounts()


def test_a_sure_signal_adds_to_a_winner_within_the_exposure_and_entries(book, settings):
    entry = Position.objects.get(symbol="BTCUSDT").entry_price
    # not far enough in profit, or not sure enough: nothing
    assert _decide(book, Scripted(1, "0.9", str(entry * D("1.002")))) == []
    book.venue.set_price("BTCUSDT", "40400.0")
    assert _decide(book, Scripted(1, "0.7", "40400")) == []

    (add,) = _decide(book, Scripted(1, "0.9", "40400"))
    assert (add.action, add.side, add.reason, add.state) == (
        IntentAction.ADD,
        "BUY",
        "signal_add",
        IntentState.APPROVED,
    )
    # 400 USDT / 40400 = 0.0099 -> 0.009 at the 0.001 step (room left: 1000 - 404 USDT)
    assert add.quantity == D("0.009") and D(add.signal["gain_pct"]) >= D("0.5")
    _execute(book, add)
    pos = Position.objects.get(symbol="BTCUSDT")
    assert pos.amount == D("0.019") and pos.entries == 2

    # the next add is measured from the new average entry; with no room left under the
    # per-symbol exposure (1000 USDT), none is proposed at all
    book.venue.set_price("BTCUSDT", "52000.0")
    assert _decide(book, Scripted(1, "0.9", "52000")) == []


def test_a_signal_no_longer_sure_halves_the_position_once(book):
    (cut,) = _decide(book, Scripted(1, "0.51", "40000"))
    assert (cut.action, cut.side, cut.reason, cut.reduce_only, cut.quantity) == (
        IntentAction.REDUCE,
        "SELL",
        "signal_weak",
        True,
        D("0.005"),
    )
    _execute(book, cut)
    assert book.position_amounts() == {"BTCUSDT": D("0.005")}
    # once per entry: still unsure, the desk keeps the half (the exit brain guards it)
    assert _decide(book, Scripted(1, "0.51", "40000")) == []


def test_a_confident_opposite_signal_still_closes(book):
    (close,) = _decide(book, Scripted(-1, "0.9", "40000"))
    assert (close.action, close.reason, close.quantity) == (
        IntentAction.CLOSE,
        "signal_flip",
        D("0.010"),
    )
