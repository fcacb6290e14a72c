"""The sizing agent converges through the real reward path, over 20 seeds.

Per trade, as the desk does it: the trading loop's `size` hook (apps.rl.hooks.size) makes the
sizing decision; the filled OPEN intent keeps it in its signal snapshot as the loop does; the
venue's income for the closing fill (REALIZED_PNL and COMMISSION, scaled by the notional taken)
goes into the ledger through the PnL tracker's own service, which derives the closed trade;
`rewards_ingest` (what `quantum.rl.feedback` runs) attributes the trade to its opening intent,
turns it into a reward and folds it into the arm. Nothing calls arm_update by hand.

The market is the one the old test used: per unit of risk (a 1.0x position) a trade returns
N(mu, sigma), so a confident signal in a trend is worth sizing up (2.0x is best at risk
aversion 0.5) and a weak one in a range is worth the least size (0.5x). Figures stated in
docs/intelligence.md.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from apps.core.timeutil import from_ms
from apps.exchange.reports import IncomeReport
from apps.exchange.services import account_add
from apps.pnl.services import income_rows_store
from apps.rl import hooks, selectors, services
from apps.rl.models import ArmStat
from apps.trading.models import IntentAction, IntentState, PositionIntent, Side
from tests.rl.test_rl_feedback import _income  # an income row as the venue reports it

pytestmark = pytest.mark.django_db

SEEDS = range(1, 21)
TRADES = 25  # per context and seed
SETTLED_BY = 20  # the agent's pick is the better arm from this trade of its context on
BASE = Decimal("400")  # TRADING_ORDER_NOTIONAL of the run
LEVERAGE = 5
FEE = Decimal("0.0004")  # taker commission per unit of notional, paid on the closing fill
# (confidence, regime) -> per-unit-of-risk return mean and spread, and the better arm.
MARKET = {
    ("0.80", "trend_up"): (0.06, 0.10, Decimal("2.0")),
    ("0.55", "range"): (-0.04, 0.10, Decimal("0.5")),
}
COIN = {"trend_up": "BTC", "range": "ETH"}
MINUTE = 60_000
PLACES = Decimal("0.00000001")


class Desk:
    """One account; a clock and an id counter. The 20 seeds trade side by side, each with its
    own symbols (so each closed trade finds its own opening intent) and its own regime names
    (so each seed is an agent of its own: the context key is confidence x regime x volatility,
    as in production), and one PnL poll and one feedback run serve them all per round."""

    def __init__(self) -> None:
        self.account = account_add(
            name="rl-converge", base_url="http://127.0.0.1:9", api_key="k" * 16, api_secret="s" * 16
        )
        self.t = 1_767_000_000_000
        self.ids = 0

    def trade(
        self, seed: int, key: tuple[str, str], env: random.Random
    ) -> tuple[dict, list[IncomeReport]]:
        """Open a position sized by the agent; close it one minute later at the market's
        return: the closing fill's income rows, for the next poll to store."""
        confidence, regime = key
        symbol = f"{COIN[regime]}{seed:02d}USDT"
        sizing = hooks.size(
            symbol=symbol,
            confidence=Decimal(confidence),
            regime=f"{regime}#{seed}",
            vol_ratio=1.0,
            base_notional=BASE,
            leverage=LEVERAGE,
        )
        notional = sizing["notional"]
        price = Decimal("100")
        # The snapshot the trading loop keeps on the OPEN intent (apps.trading.services._sizing).
        snapshot = {"sizing": {**sizing, "notional": str(notional), "by": "rl"}}
        self.t += 1000
        PositionIntent.objects.create(
            account=self.account,
            symbol=symbol,
            side=Side.BUY,
            action=IntentAction.OPEN,
            quantity=notional / price,
            leverage=LEVERAGE,
            reason="signal",
            confidence=Decimal(confidence),
            signal=snapshot,
            state=IntentState.FILLED,
            executed_qty=notional / price,
            avg_price=price,
            finished_at=from_ms(self.t),
        )
        mu, sigma, _ = MARKET[key]
        # What the market pays scales with the margin at work (notional / leverage); the fee
        # with the notional.
        per_unit = Decimal(str(round(mu + sigma * env.gauss(0, 1), 6)))
        realized = (notional / LEVERAGE * per_unit).quantize(PLACES)
        commission = -(notional * FEE).quantize(PLACES)
        self.ids += 1
        close_ms, trade_id = self.t + MINUTE, f"t{self.ids}"
        return sizing, [
            _income(2 * self.ids, "REALIZED_PNL", realized, trade_id, close_ms, symbol),
            _income(2 * self.ids + 1, "COMMISSION", commission, trade_id, close_ms, symbol),
        ]


def _context(seed: int, key: tuple[str, str]) -> str:
    return f"{'conf_high' if key[0] == '0.80' else 'conf_low'}|{key[1]}#{seed}|vol_normal"


def test_it_settles_on_the_better_arm_in_19_of_20_seeds(redis_client, settings):
    settings.TRADING_ORDER_NOTIONAL = BASE
    settings.TRADING_LEVERAGE = LEVERAGE
    desk = Desk()
    envs = {seed: random.Random(seed) for seed in SEEDS}
    runs = [(seed, key) for seed in SEEDS for key in MARKET]
    greedy: dict[tuple, list[Decimal]] = {run: [] for run in runs}
    picks: dict[tuple, list[Decimal]] = {run: [] for run in runs}
    for _ in range(TRADES):
        income: list[IncomeReport] = []
        for seed, key in runs:
            sizing, rows = desk.trade(seed, key, envs[seed])
            picks[(seed, key)].append(Decimal(sizing["multiplier"]))
            income += rows
        desk.t += 2 * MINUTE  # every position of the round has closed
        # The PnL poll stores the page of income (closed trades derived from it); the feedback
        # task's run turns every closed trade into its reward and folds it into its arm.
        income_rows_store(account=desk.account, rows=income)
        assert len(services.rewards_ingest()) == len(runs)
        best = {c["context"]: c["best_multiplier"] for c in selectors.agent_state()["contexts"]}
        for seed, key in runs:
            greedy[(seed, key)].append(best[_context(seed, key)])

    for key, (_, _, arm) in MARKET.items():
        settled_at, shares = [], []
        for seed in SEEDS:
            # The first trade from which the agent's pick is the better arm to the end.
            wrong = [i for i, m in enumerate(greedy[(seed, key)]) if m != arm]
            settled_at.append(wrong[-1] + 2 if wrong else 1)
            shares.append(sum(m == arm for m in picks[(seed, key)][-10:]) / 10)
        print(key, "settled at trade", sorted(settled_at), "last-10 share", sorted(shares))
        assert sum(n <= SETTLED_BY for n in settled_at) >= 19, settled_at
        # Settled means acting on it: the better arm takes most of the last trades (the rest
        # is the epsilon floor and the posterior's own doubt).
        assert sorted(shares)[len(shares) // 2] >= 0.7, shares
    # The arms learned from the ledger's trades only: one reward per trade, none by hand.
    assert sum(a.n for a in ArmStat.objects.all()) == len(runs) * TRADES
