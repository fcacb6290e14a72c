"""quantum:rl:history:{SYMBOL} has one writer, the RL monitor, one member shape and one trim rule
(the last RL_HISTORY_KEEP members). The PnL tracker's live state used to add dashboard-reward
points with another shape and trim them by age; it writes only its own keys now."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.core import jsoncodec, keys
from apps.exchange.reports import IncomeReport, account_parse
from apps.exchange.services import account_add
from apps.pnl import services as pnl_services
from apps.rl import services
from tests.support.fake_binance import account_payload, position

T0 = 1_767_000_000_000


def _realized(tran_id: int, amount: str, t: int) -> IncomeReport:
    value = Decimal(amount)
    return IncomeReport(
        tran_id=tran_id,
        income_type="REALIZED_PNL",
        symbol="BTCUSDT",
        amount=value,
        amount_e8=int(value * 100_000_000),
        asset="USDT",
        info="",
        trade_id=f"t{tran_id}",
        time_ms=t,
    )


def _history(redis_client) -> list[str]:
    return redis_client.zrange(keys.rl_history("BTCUSDT"), 0, -1)


@pytest.mark.django_db
def test_it_keeps_the_last_rl_history_keep_trades_in_one_shape(redis_client, settings):
    settings.RL_HISTORY_KEEP = 3
    account = account_add(
        name="rl-desk", base_url="http://127.0.0.1:9", api_key="k" * 16, api_secret="s" * 16
    )
    pnl_services.income_rows_store(
        account=account, rows=[_realized(i, str(i), T0 + i * 1000) for i in range(1, 6)]
    )
    rewards = services.rewards_ingest()
    assert len(rewards) == 5

    members = [jsoncodec.loads(m) for m in _history(redis_client)]
    # the newest three trades, oldest first (scored by the trade's ms)
    assert [m["t"] for m in members] == [T0 + 3000, T0 + 4000, T0 + 5000]
    assert {frozenset(m) for m in members} == {
        frozenset({"kind", "t", "trade", "reward", "net_pnl", "multiplier", "context"})
    }
    assert {m["kind"] for m in members} == {"trade"}


@pytest.mark.django_db
def test_the_pnl_live_state_leaves_the_reward_history_alone(redis_client, settings):
    account = account_add(
        name="pnl-desk", base_url="http://127.0.0.1:9", api_key="k" * 16, api_secret="s" * 16
    )
    pnl_services.income_rows_store(account=account, rows=[_realized(1, "12.5", T0)])
    services.rewards_ingest()
    before = _history(redis_client)
    assert len(before) == 1

    state = account_parse(
        account_payload(positions=[position("BTCUSDT", "0.01", "60000", "61000", leverage=5)])
    )
    pnl_services.snapshot_store(account=account, state=state, exchange_ms=T0 + 60_000)
    pnl_services.live_state_write(account=account)

    # the live state was written (the poll's own keys) ...
    assert redis_client.hget(keys.rl_reward("BTCUSDT"), "reward") is not None
    assert redis_client.hlen(keys.PORTFOLIO_REALTIME) > 0
    # ... and the history still holds the monitor's member only
    assert _history(redis_client) == before
