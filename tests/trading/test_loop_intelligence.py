"""The loop closed end to end on the paper venue: the RL agent sizes the entry in its market
context, the intent carries the sizing decision and the brain's strategy, the exit's reason
and the position's duration reach the PnL tracker's closed-trade entry, and the trade's reward
goes back to the decision that opened it (not a later one) and into strategy memory."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F

from apps.core import jsoncodec, keys
from apps.core.money import quantize_step
from apps.exchange.gateway import session_gateway
from apps.models.models import RegimeObservation
from apps.pnl.models import Trade
from apps.pnl.services import account_poll
from apps.rl import services as rl
from apps.rl.models import ArmStat, Reward, SizingDecision
from apps.strategy import services as strategy
from apps.strategy.models import StrategyOutcome, StrategyVersion
from apps.trading.execution import intent_execute
from apps.trading.models import IntentState, PositionIntent
from apps.trading.services import signals_evaluate
from apps.trading.signal_sources import Signal
from tests.support.paper_exchange import NO_RATE_LIMITS, PaperExchange, last_price

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]
D = Decimal


@pytest.fixture(scope="module")
def venue(tmp_path_factory):
    """One venue (Binance's client-id rule): the wiring does not depend on the id mode."""
    exchange = PaperExchange(tmp_path_factory.mktemp("venue-intel"), extra_args=NO_RATE_LIMITS)
    exchange.mode = "loose"
    exchange.start()
    yield exchange
    exchange.stop()


class Fixed:
    """A signal source that says what the test wants, at the venue's price."""

    name = "fixed"

    def __init__(self, direction: int, confidence: str, price: Decimal) -> None:
        self.direction, self.confidence, self.price = direction, D(confidence), price

    def history_needed(self) -> int:
        return 1

    def evaluate(self, *, symbol: str, klines) -> Signal:
        return Signal(symbol, self.direction, self.confidence, self.price, self.name, {})


def test_the_closed_trade_rewards_the_decision_that_opened_it(
    desk, aggressive_policy, trading_queue, redis_client, settings
):
    settings.TRADING_SYMBOLS = ["BTCUSDT"]
    settings.TRADING_RL_SIZING = True
    # every arm (x0.5 .. x2) clears the venue's minimum
    settings.TRADING_ORDER_NOTIONAL = Decimal("400")
    settings.PNL_INCOME_SETTLE_SECONDS = 0
    RegimeObservation.objects.create(
        symbol="BTCUSDT", regime="trend_up", as_of_ms=60_000, stats={"vol_ratio": 1.0}
    )
    version = StrategyVersion.objects.create(family="ma_cross", params={"fast": 5, "slow": 20})
    strategy.version_promote(version_id=version.id, actor="test")
    assert strategy.brain_pick(symbol="BTCUSDT").version_id == version.id

    desk.venue.set_price("BTCUSDT", "40000.0")
    gateway = session_gateway(account=desk.account)
    price = last_price(desk.client, "BTCUSDT")
    (opening,) = signals_evaluate(
        account=desk.account, gateway=gateway, source=Fixed(1, "0.8", price), symbols=["BTCUSDT"]
    )

    # Sized by the agent in the signal's context, the choice kept on the intent.
    sizing = opening.signal["sizing"]
    decision = SizingDecision.objects.get(id=sizing["decision_id"])
    assert sizing["by"] == "rl" and D(sizing["multiplier"]) == decision.multiplier
    assert decision.regime == "trend_up" and decision.context == "conf_high|trend_up|vol_normal"
    assert decision.notional == D(settings.TRADING_ORDER_NOTIONAL) * decision.multiplier
    step = gateway.filters(symbol="BTCUSDT").step_size
    assert opening.quantity == quantize_step(decision.notional / price, step)
    assert opening.signal["context"]["regime"] == "trend_up"
    assert opening.signal["strategy"]["version_id"] == version.id
    assert opening.signal["strategy"]["regime"] == "trend_up"
    intent_execute(intent_id=opening.id)
    opening.refresh_from_db()
    assert opening.state == IntentState.FILLED
    # The position has been open 90 s by the desk's clock when the exit fills.
    PositionIntent.objects.filter(id=opening.id).update(
        finished_at=F("finished_at") - timedelta(seconds=90)
    )

    # A later decision that never traded (e.g. its intent was rejected) must not take the reward.
    stray = rl.size_decide(
        symbol="BTCUSDT",
        confidence=D("0.8"),
        regime="trend_up",
        vol_ratio=1.0,
        base_notional=D("400"),
        leverage=5,
    )

    (closing,) = signals_evaluate(
        account=desk.account, gateway=gateway, source=Fixed(-1, "0.9", price), symbols=["BTCUSDT"]
    )
    assert (closing.reason, closing.reduce_only) == ("signal_flip", True)
    intent_execute(intent_id=closing.id)
    closing.refresh_from_db()
    assert closing.state == IntentState.FILLED and desk.position_amounts() == {}

    # The PnL tracker's closed-trade entry carries the exit reason and the duration.
    account_poll(account_id=desk.account.id)
    trades = list(Trade.objects.filter(account=desk.account))
    assert trades
    entries = [
        {k: jsoncodec.loads(v) for k, v in fields.items()}
        for _, fields in redis_client.xrange(keys.STREAM_EXITBRAIN_PNL)
    ]
    assert len(entries) == len(trades)
    for entry in entries:
        assert entry["exit_reason"] == "signal_flip"
        assert 90 <= entry["duration"] <= 120

    # Feedback: the reward goes to the decision that opened the position, and its arm learns.
    rewards = rl.rewards_ingest()
    assert [r.decision_id for r in rewards if r.decision_id] == [decision.id]
    assert not Reward.objects.filter(decision=stray).exists()
    arm = ArmStat.objects.get(context=decision.context, multiplier=decision.multiplier)
    assert arm.n == 1

    # Strategy memory: one outcome per closed trade, under the version and regime it ran in.
    outcomes = strategy.outcomes_ingest()
    assert len(outcomes) == len(trades)
    assert {(o.version_id, o.regime) for o in outcomes} == {(version.id, "trend_up")}
    net = sum((t.realized_pnl + t.commission + t.funding for t in trades), D(0))
    assert sum((o.pnl for o in outcomes), D(0)) == net
    assert strategy.outcomes_ingest() == []
    assert StrategyOutcome.objects.count() == len(trades)
