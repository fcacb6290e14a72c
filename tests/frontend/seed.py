"""Seeds the PnL ledger (through the poll's store: rows, daily rollup, closed trades) and the
snapshots the dashboard reads (apps.pnl).

Figures chosen to exercise the formatting: a gain, a loss that rounds (−5.005 → −5.01 shown),
fees, funding, an income row outside the 24 h window, two open positions (long and short).
Returns what the 24 h figures must be, computed here independently, or None when the PnL app
is not installed on this desk.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.apps import apps as django_apps

E8 = Decimal(100_000_000)

# (hours ago, type, symbol, amount)
INCOME = [
    (2.0, "REALIZED_PNL", "BTCUSDT", "12.34"),
    (2.0, "COMMISSION", "BTCUSDT", "-0.61"),
    (1.0, "REALIZED_PNL", "ETHUSDT", "-5.005"),
    (1.0, "COMMISSION", "ETHUSDT", "-0.3"),
    (0.5, "FUNDING_FEE", "BTCUSDT", "0.02"),
    (72.0, "REALIZED_PNL", "BTCUSDT", "100"),  # three days ago: in the daily bars, not in 24 h
]
POSITIONS = [
    # symbol, amt, entry, mark, unrealized, initial margin, notional, leverage
    ("BTCUSDT", "0.010", "60000", "61000", "10", "61", "610", 10),
    ("ETHUSDT", "-0.5", "3000", "3010.5", "-5.25", "75.2625", "-1505.25", 20),
]


def income_store(account, entries: list, *, first_tran_id: int, first_trade_id: int) -> None:
    """(time, income type, symbol, amount) rows into the ledger through the poll's own store
    (rows, daily rollup, closed trades), numbered from the given transaction and trade ids."""
    from apps.core.timeutil import to_ms
    from apps.exchange import reports
    from apps.pnl import services

    services.income_rows_store(
        account=account,
        rows=[
            reports.IncomeReport(
                tran_id=first_tran_id + i,
                income_type=kind,
                symbol=symbol,
                amount=Decimal(amount),
                amount_e8=int(Decimal(amount) * E8),
                asset="USDT",
                info="",
                trade_id=str(first_trade_id + i),
                time_ms=to_ms(at),
            )
            for i, (at, kind, symbol, amount) in enumerate(entries)
        ],
    )


def seed_pnl() -> dict | None:
    if not django_apps.is_installed("apps.pnl"):
        return None
    from apps.core.timeutil import utcnow
    from apps.pnl.models import AccountSnapshot, PositionSnapshot

    now = utcnow().replace(microsecond=0)
    account = _account()
    # Through the poll's own store: the ledger rows, their daily rollup and closed trades.
    income_store(
        account,
        [(now - timedelta(hours=h), kind, symbol, amount) for h, kind, symbol, amount in INCOME],
        first_tran_id=9_000_001,
        first_trade_id=7_001,
    )
    # An equity curve: a snapshot every 30 min for 6 h, the last one with the open positions.
    for step in range(12, -1, -1):
        at = now - timedelta(minutes=30 * step)
        wallet = Decimal("10000") + Decimal(12 - step)
        snapshot = AccountSnapshot.objects.create(
            account=account,
            taken_at=at,
            exchange_time=at,
            wallet_balance=wallet,
            margin_balance=wallet + Decimal("4.75"),
            available_balance=wallet - Decimal("136.2625"),
            unrealized_pnl=Decimal("4.75"),
            initial_margin=Decimal("136.2625"),
            maint_margin=Decimal("5"),
            num_positions=len(POSITIONS),
        )
        for symbol, amt, entry, mark, upnl, margin, notional, lev in POSITIONS:
            PositionSnapshot.objects.create(
                snapshot=snapshot,
                symbol=symbol,
                position_amt=Decimal(amt),
                entry_price=Decimal(entry),
                mark_price=Decimal(mark),
                unrealized_pnl=Decimal(upnl),
                initial_margin=Decimal(margin),
                notional=Decimal(notional),
                leverage=lev,
            )
    realized_24h = sum(
        (Decimal(a) for h, k, _, a in INCOME if k == "REALIZED_PNL" and h <= 24), Decimal(0)
    )
    return {
        "account": account.name,
        "realized_pnl_24h": format(realized_24h.quantize(Decimal("1e-8")), "f"),
        "unrealized_pnl": format(
            sum((Decimal(p[4]) for p in POSITIONS), Decimal(0)).quantize(Decimal("1e-8")), "f"
        ),
    }


def unseed_pnl() -> None:
    if not django_apps.is_installed("apps.pnl"):
        return
    from apps.exchange.models import ExchangeAccount
    from apps.pnl.models import AccountSnapshot, IncomeDay, IncomeRow, Trade

    accounts = ExchangeAccount.objects.filter(name="e2e-paper")
    Trade.objects.filter(account__in=accounts).delete()
    IncomeDay.objects.filter(account__in=accounts).delete()
    IncomeRow.objects.filter(account__in=accounts).delete()
    AccountSnapshot.objects.filter(account__in=accounts).delete()


# Trading rows (apps.trading): intents in three states, their orders, two open positions with
# the exit brain's levels. Money that rounds (−1.2345 → −1.23) and prices with trailing zeros.
INTENTS = [
    # symbol, side, action, qty, state, executed, avg price, realized, client order id, order id
    ("BTCUSDT", "BUY", "OPEN", "0.010", "FILLED", "0.010", "60000.5", None, "qt-e2e-1-1", 880001),
    ("ETHUSDT", "SELL", "OPEN", "0.5", "FILLED", "0.5", "3000", None, "qt-e2e-2-1", 880002),
    (
        "BTCUSDT",
        "SELL",
        "REDUCE",
        "0.004",
        "FILLED",
        "0.004",
        "61000",
        "1.2345",
        "qt-e2e-3-1",
        880003,
    ),
    ("SOLUSDT", "BUY", "OPEN", "3", "REJECTED", "0", None, None, None, None),
]
TRADING_POSITIONS = [
    # symbol, amount, entry, mark, unrealized, leverage, tp, sl, trailing %, best, trailing stop
    (
        "BTCUSDT",
        "0.006",
        "60000.5",
        "61000",
        "2.997",
        10,
        "63000",
        "58800",
        "1.5",
        "61200",
        "60282",
    ),
    ("ETHUSDT", "-0.5", "3000", "3010.5", "-5.25", 20, "2850", "3090", None, None, None),
]


def _account():
    from apps.exchange.models import ExchangeAccount

    account, _ = ExchangeAccount.objects.get_or_create(
        name="e2e-paper",
        defaults={
            "venue": "paper",
            "base_url": "http://127.0.0.1:9",
            "api_key_encrypted": "not-used-by-the-dashboard",
            "api_secret_encrypted": "not-used-by-the-dashboard",
            "api_key_hint": "e2e…",
        },
    )
    return account


def seed_trading() -> bool:
    """Intents, orders and positions through the trading app's models; False without it."""
    if not django_apps.is_installed("apps.trading"):
        return False
    from apps.core.timeutil import utcnow
    from apps.trading.models import ExchangeOrder, Position, PositionIntent

    now = utcnow().replace(microsecond=0)
    account = _account()
    for i, (sym, side, action, qty, state, done, avg, pnl, coid, oid) in enumerate(INTENTS):
        intent = PositionIntent.objects.create(
            account=account,
            symbol=sym,
            side=side,
            action=action,
            quantity=Decimal(qty),
            leverage=10,
            reduce_only=action == "REDUCE",
            reason="signal",
            confidence=Decimal("0.7"),
            risk_verdict="rejected" if state == "REJECTED" else "approved",
            risk_reason="exposure over the per-symbol cap" if state == "REJECTED" else "",
            state=state,
            client_order_id=coid,
            order_id=oid,
            executed_qty=Decimal(done),
            avg_price=Decimal(avg) if avg else None,
            realized_pnl=Decimal(pnl) if pnl else None,
            attempts=1 if oid else 0,
            finished_at=now - timedelta(minutes=50 - i),
        )
        if oid:
            ExchangeOrder.objects.create(
                account=account,
                symbol=sym,
                order_id=oid,
                client_order_id=coid,
                intent=intent,
                side=side,
                type="MARKET",
                status="FILLED",
                orig_qty=Decimal(qty),
                executed_qty=Decimal(done),
                avg_price=Decimal(avg),
                reduce_only=action == "REDUCE",
                update_time=now - timedelta(minutes=50 - i),
            )
    # an order placed outside the desk and cancelled: the order-status filter has two statuses
    ExchangeOrder.objects.create(
        account=account,
        symbol="BTCUSDT",
        order_id=880009,
        client_order_id="web_e2e_cancel",
        side="SELL",
        type="LIMIT",
        status="CANCELED",
        orig_qty=Decimal("0.002"),
        executed_qty=Decimal(0),
        avg_price=Decimal(0),
        external=True,
        update_time=now - timedelta(minutes=5),
    )
    for sym, amt, entry, mark, upnl, lev, tp, sl, trail, best, stop in TRADING_POSITIONS:
        Position.objects.create(
            account=account,
            symbol=sym,
            amount=Decimal(amt),
            entry_price=Decimal(entry),
            mark_price=Decimal(mark),
            unrealized_pnl=Decimal(upnl),
            leverage=lev,
            take_profit=Decimal(tp),
            stop_loss=Decimal(sl),
            trailing_pct=Decimal(trail) if trail else None,
            best_price=Decimal(best) if best else None,
            trailing_stop=Decimal(stop) if stop else None,
            opened_at=now - timedelta(hours=1),
        )
    return True


# Calibration runs (apps.rl), oldest first: parameter -> [before, after, why] as the calibrator
# writes them, one run that moved nothing, values that are not plain numbers.
CALIBRATIONS = [
    (40, {"epsilon": [0.2, 0.1, "rewards stable over 40 trades"]}),
    (55, {}),
    (
        80,
        {
            "risk_aversion": [0.5, 0.8, "drawdown 3.1 % over the 2 % guide"],
            "epsilon": [0.1, 0.05, "arms separated"],
            "multipliers": [["0.5", "1.0"], ["0.5", "1.0", "1.5"], "an arm added"],
        },
    ),
]


# The oldest run, as the calibrator now writes it: each change with the figure it was fitted
# from over the rewards read, the newest of which closed at `through_ms` (in the future here: no
# trade closed since, so the page says so).
CALIBRATION_WITH_FIGURES = {
    "rewards_used": 64,
    "before": {"epsilon": 0.3, "reward_clip": 1.0},
    "after": {"epsilon": 0.1732, "reward_clip": 0.3412},
    "changes": {
        "epsilon": [0.3, 0.1732, "0.3/sqrt(1+64/20)"],
        "reward_clip": [1.0, 0.3412, "4 x robust sigma 0.085300 of 64 rewards"],
    },
    "figures": {
        "epsilon": {"value": 0.0125, "n": 64, "se": 0.0102},
        "reward_clip": {"value": 0.0853, "n": 64, "se": None},
    },
    "through_ms": 4_102_444_800_000,  # 2100-01-01
}


def seed_calibrations() -> list[int]:
    """CalibrationRun rows through the RL app's model; [] without it."""
    if not django_apps.is_installed("apps.rl"):
        return []
    from apps.rl.models import CalibrationRun

    ids = [CalibrationRun.objects.create(**CALIBRATION_WITH_FIGURES).id]
    for used, changes in CALIBRATIONS:
        before = {k: v[0] for k, v in changes.items()}
        after = {k: v[1] for k, v in changes.items()}
        run = CalibrationRun.objects.create(
            rewards_used=used, before=before, after=after, changes=changes
        )
        ids.append(run.id)
    return ids


def _training_fold(k: int) -> dict:
    return {
        "fold": k,
        "n_train": 800 * k,
        "n_test": 800,
        "accuracy": round(0.5 + k / 100, 4),
        "accuracy_ci": [0.47, 0.56],
        "best_base": {"name": "always_down", "accuracy": 0.52},
        "log_loss": 0.693,
        "brier_skill": 0.0,
        "edge": False,
    }


def research_step(run_id: int | None, k: int) -> tuple[str, int] | None:
    """The training run at walk-forward fold k of 4, as apps.models.services writes it between
    folds (stage, progress and the folds so far); the (stage, progress) written."""
    if run_id is None:
        return None
    from apps.models.models import TrainingRun

    stage, progress = f"walk-forward fold {k}/4", 20 + int(30 * k / 4)
    TrainingRun.objects.filter(id=run_id).update(
        stage=stage, progress=progress, folds=[_training_fold(i) for i in range(1, k + 1)]
    )
    return stage, progress


def seed_research() -> int | None:
    """A training run in progress (no worker runs it: the test moves it on); None without the
    models app."""
    if not django_apps.is_installed("apps.models"):
        return None
    from apps.models.models import TrainingRun

    run = TrainingRun.objects.create(kind="hgb", status=TrainingRun.Status.RUNNING)
    research_step(run.id, 1)
    return run.id


def unseed_research(run_id: int | None) -> None:
    if run_id is not None:
        from apps.models.models import TrainingRun

        TrainingRun.objects.filter(id=run_id).delete()


def unseed_calibrations(ids: list[int]) -> None:
    if ids:
        from apps.rl.models import CalibrationRun

        CalibrationRun.objects.filter(id__in=ids).delete()


def unseed_trading() -> None:
    if not django_apps.is_installed("apps.trading"):
        return
    from apps.trading.models import DeskEvent, DeskState, ExchangeOrder, Position, PositionIntent

    accounts = _account_qs()
    ExchangeOrder.objects.filter(account__in=accounts).delete()
    Position.objects.filter(account__in=accounts).delete()
    PositionIntent.objects.filter(account__in=accounts).delete()
    DeskEvent.objects.all().delete()
    # the e2e changes the desk's mode; the next reader recreates the row
    DeskState.objects.all().delete()


def _account_qs():
    from apps.exchange.models import ExchangeAccount

    return ExchangeAccount.objects.filter(name="e2e-paper")


def unseed_account() -> None:
    """Last: the account the PnL and trading rows hang on."""
    _account_qs().delete()


# The intelligence pages' rows are made by the apps' own services over stored klines: a random
# walk of 1-minute BTCUSDT bars around the seeded position (entry 60000.5), the last one closed
# a minute ago, so the symbol page's chart has candles with the position's levels inside them.
INTEL_BARS = 2000


def seed_intelligence(model_dir) -> dict:
    """Klines, a trained model (apps.models) and an evolution run with its candidate
    (apps.strategy), through their services; {} when those apps are not installed."""
    if not (django_apps.is_installed("apps.models") and django_apps.is_installed("apps.strategy")):
        return {}
    import numpy as np
    from django.test import override_settings

    from apps.core.timeutil import from_ms, to_ms, utcnow
    from apps.market.models import Kline
    from apps.models import services as models_services
    from apps.models.models import TrainingRun
    from apps.strategy import services as strategy_services

    rng = np.random.default_rng(11)
    closes = 60000.5 * np.exp(np.cumsum(rng.normal(0, 0.0012, INTEL_BARS)))
    last_open = (to_ms(utcnow()) // 60_000 - 2) * 60_000
    first_open = last_open - (INTEL_BARS - 1) * 60_000
    bars, previous = [], Decimal("60000.5")
    for i, c in enumerate(closes):
        close = Decimal(str(round(float(c), 1)))
        open_ms = first_open + i * 60_000
        bars.append(
            Kline(
                symbol="BTCUSDT",
                interval="1m",
                open_time_ms=open_ms,
                open_time=from_ms(open_ms),
                open=previous,
                high=max(previous, close) + Decimal("6.5"),
                low=min(previous, close) - Decimal("6.5"),
                close=close,
                volume=Decimal("3.25"),
                close_time_ms=open_ms + 59_999,
            )
        )
        previous = close
    Kline.objects.bulk_create(bars)
    with override_settings(INTEL_MODEL_DIR=model_dir):
        run = TrainingRun.objects.create(
            kind="logreg", params={"symbols": ["BTCUSDT"], "bars": 1500, "horizon": 5}
        )
        models_services.model_train(run_id=run.id)
    with override_settings(
        STRATEGY_SEARCH_BARS=1600,
        STRATEGY_HOLDOUT_BARS=400,
        STRATEGY_GENERATIONS=4,
        STRATEGY_POPULATION=8,
    ):
        evolution = strategy_services.evolution_run_create(
            family="ma_cross", symbol="BTCUSDT", seed=2
        )
        strategy_services.evolution_execute(run_id=evolution.id)
    return {"klines": len(bars), "training_run": run.id, "evolution_run": evolution.id}


def unseed_intelligence() -> None:
    if not (django_apps.is_installed("apps.models") and django_apps.is_installed("apps.strategy")):
        return
    from apps.market.models import Kline
    from apps.models.models import ModelVersion, TrainingRun
    from apps.strategy.models import EvolutionRun, StrategyVersion

    StrategyVersion.objects.all().delete()
    EvolutionRun.objects.all().delete()
    TrainingRun.objects.all().delete()
    ModelVersion.objects.all().delete()
    Kline.objects.filter(symbol="BTCUSDT").delete()
