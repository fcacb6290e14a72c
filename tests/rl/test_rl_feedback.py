"""Rewards from real ledger rows: income stored by the PnL tracker's own service becomes closed
trades; a real worker turns them into rewards (net of fees, per unit of risk), folds them into
the arm that sized the trade, and the monitor publishes history, statistics and alerts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.core import jsoncodec, keys
from apps.exchange.reports import IncomeReport
from apps.exchange.services import account_add
from apps.pnl.services import income_rows_store
from apps.rl import selectors, services
from apps.rl.models import ArmStat, CalibrationRun, Reward, RLAlert
from tests.support.processes import wait_for

T0 = 1_767_000_000_000


def _income(tran_id: int, kind: str, amount: str, trade_id: str, t: int, symbol="BTCUSDT"):
    value = Decimal(amount)
    return IncomeReport(
        tran_id=tran_id,
        income_type=kind,
        symbol=symbol,
        amount=value,
        amount_e8=int(value * 100_000_000),
        asset="USDT",
        info="",
        trade_id=trade_id,
        time_ms=t,
    )


def _account():
    return account_add(
        name="rl-desk", base_url="http://127.0.0.1:9", api_key="k" * 16, api_secret="s" * 16
    )


def _decide(t: int):
    return services.size_decide(
        symbol="BTCUSDT",
        confidence=Decimal("0.8"),
        regime="trend_up",
        vol_ratio=1.0,
        base_notional=Decimal("200"),
        leverage=5,
        time_ms=t,
    )


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_it_turns_ledger_trades_into_rewards_on_a_real_worker(start_worker, redis_client):
    from workers.rl import feedback

    account = _account()
    first = _decide(T0)  # the agent sized the position the first trade closes
    income_rows_store(
        account=account,
        rows=[
            _income(1, "REALIZED_PNL", "12.5", "t1", T0 + 60_000),
            _income(2, "COMMISSION", "-0.4", "t1", T0 + 60_000),
        ],
    )
    start_worker(queues="rl")
    feedback.delay()
    reward = wait_for(lambda: Reward.objects.first(), timeout=30, what="a reward")

    # Independent arithmetic: (12.5 - 0.4) / (200 / 5) = 0.3025 per unit of risk.
    assert reward.net_pnl == Decimal("12.1")
    assert reward.risk_unit == Decimal("40")
    assert reward.reward == pytest.approx(0.3025)
    assert reward.decision_id == first.id and reward.multiplier == first.multiplier
    arm = ArmStat.objects.get(context=first.context, multiplier=first.multiplier)
    assert arm.n == 1 and arm.mean == pytest.approx(0.3025)
    members = [jsoncodec.loads(m) for m in redis_client.zrange(keys.rl_history("BTCUSDT"), 0, -1)]
    assert [m["reward"] for m in members if m["kind"] == "trade"] == [0.3025]

    # Another losing trade, and a second delivery of the same work: one reward per trade.
    _decide(T0 + 120_000)
    income_rows_store(account=account, rows=[_income(3, "REALIZED_PNL", "-4", "t2", T0 + 180_000)])
    feedback.delay()
    feedback.delay()
    wait_for(lambda: Reward.objects.count() == 2, timeout=30, what="the second reward")
    assert Reward.objects.count() == 2
    assert sum(a.n for a in ArmStat.objects.all()) == 2
    # The monitor's statistics are written after the rewards are stored: wait for them too.
    stats = wait_for(
        lambda: (s := selectors.reward_stats_get(symbol="BTCUSDT")).get("n") == 2 and s,
        timeout=30,
        what="the monitor's statistics of both rewards",
    )
    assert stats["n"] == 2 and stats["loss_streak"] == 1 and stats["win_rate"] == 0.5


@pytest.mark.django_db
def test_it_alerts_on_a_losing_streak_once_and_clears_it(redis_client, settings):
    settings.RL_ALERT_LOSS_STREAK = 3
    account = _account()
    rows = [_income(10 + i, "REALIZED_PNL", "-1", f"l{i}", T0 + i * 1000) for i in range(4)]
    income_rows_store(account=account, rows=rows)
    services.rewards_ingest()
    assert RLAlert.objects.filter(kind="loss_streak", cleared_at__isnull=True).count() == 1
    services.rewards_ingest()  # nothing new: no second alert
    income_rows_store(account=account, rows=[_income(99, "REALIZED_PNL", "5", "w", T0 + 9000)])
    services.rewards_ingest()
    assert not RLAlert.objects.filter(kind="loss_streak", cleared_at__isnull=True).exists()
    assert RLAlert.objects.filter(kind="loss_streak").count() == 1


@pytest.mark.django_db
def test_the_calibrator_refits_from_history_and_records_what_changed(redis_client):
    account = _account()
    rows = []
    for i in range(120):
        _decide(T0 + i * 10_000)
        amount = "3" if i % 3 else "-2"
        rows.append(_income(1000 + i, "REALIZED_PNL", amount, f"c{i}", T0 + i * 10_000 + 5000))
        income_rows_store(account=account, rows=rows[-1:])
        services.rewards_ingest()
    before = services.agent_config()

    run = services.calibrate()

    after = services.agent_config()
    assert run.rewards_used == 120
    assert set(run.changes) == {"epsilon", "reward_clip"}
    assert after.epsilon < before.epsilon  # evidence grew: less exploration
    assert run.changes["epsilon"][:2] == [before.epsilon, after.epsilon]
    assert after.version == before.version + 1
    assert CalibrationRun.objects.count() == 1
