"""End to end: trade on the paper exchange with python-binance, poll in a real Celery worker,
check every dashboard figure against an independent computation from the venue's own
/fapi/v1/income and /fapi/v2/account (never through apps.pnl.selectors)."""

from __future__ import annotations

import time
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.core import jsoncodec, keys
from apps.exchange.services import account_add
from apps.pnl import services
from apps.pnl.models import IncomeRow, PollRun, Trade
from tests.support.paper_exchange import PaperExchange
from tests.support.processes import wait_for
from workers.pnl import poll_account

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

UNLIMITED = [
    "--weight-limit",
    "1000000",
    "--order-limit-10s",
    "100000",
    "--order-limit-1m",
    "100000",
]
FLAT = {"BTCUSDT": "40000.0", "ETHUSDT": "2000.00", "XRPUSDT": "0.6000", "SOLUSDT": "100.0000"}
E8 = Decimal("0.00000001")
REPLAY_START_MS = 1_704_067_200_000  # 2024-01-01 00:00 UTC


def q8(value: Decimal) -> str:
    return format(value.quantize(E8, rounding=ROUND_HALF_EVEN), "f")


def _flat_replay(directory: Path) -> Path:
    """Two days of flat 1m klines: prices move only when the test says so (set_price)."""
    directory.mkdir(parents=True, exist_ok=True)
    for symbol, price in FLAT.items():
        lines = [
            f"{REPLAY_START_MS + m * 60_000},{price},{price},{price},{price},100,"
            f"{REPLAY_START_MS + m * 60_000 + 59_999},0,1,0,0,0"
            for m in range(2880)
        ]
        (directory / f"{symbol}-1m-2024-01.csv").write_text("\n".join(lines) + "\n")
    return directory


@pytest.fixture(scope="module")
def venue(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("pnl-venue")
    replay = _flat_replay(workdir / "replay")
    exchange = PaperExchange(workdir, speed=1, extra_args=UNLIMITED + ["--replay", str(replay)])
    exchange.start()
    yield exchange
    exchange.stop()


@pytest.fixture
def api():
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("viewer", password="x-very-long-pw")
    client = APIClient()
    client.force_authenticate(user)
    return client


def _register(venue: PaperExchange, name: str) -> tuple[Any, Any]:
    created = venue.create_account(name, balance="10000")
    account = account_add(
        name=name,
        base_url=venue.base_url,
        api_key=created["api_key"],
        api_secret=created["api_secret"],
        paper=True,
    )
    return account, venue.client(created)


def _all_income(client) -> list[dict]:
    now = client.futures_time()["serverTime"]
    rows, page = [], 1
    while True:
        batch = client.futures_income_history(
            startTime=1, endTime=now + 86_400_000, limit=1000, page=page
        )
        rows += batch
        if len(batch) < 1000:
            return rows
        page += 1


def _account_view(client) -> dict:
    doc = client.futures_account()
    keep = ("totalWalletBalance", "totalMarginBalance", "availableBalance")
    return {
        **{k: doc[k] for k in keep},
        "positions": [p for p in doc["positions"] if Decimal(p["positionAmt"]) != 0],
    }


def _poll_quiescent(account, client, *, attempts: int = 6) -> dict:
    """Poll in the worker while the venue's state stands still (the mark drifts slowly with
    the premium): the account read before and after the poll must agree."""
    for _ in range(attempts):
        before = _account_view(client)
        done = PollRun.objects.filter(account=account, status="ok").count()
        poll_account.delay(account.id)
        wait_for(
            lambda d=done: PollRun.objects.filter(account=account, status="ok").count() > d,
            timeout=60,
            interval=0.2,
            what="a successful poll",
        )
        after = _account_view(client)
        if before == after:
            return after
    raise AssertionError("the venue's account state kept moving during every poll")


def _expected(income: list[dict], acc: dict, window_start_ms: int | None, as_of_ms: int) -> dict:
    """The dashboard computed from the venue's own payloads (docs/figures.md)."""
    rows = [
        r
        for r in income
        if r["time"] <= as_of_ms and (window_start_ms is None or r["time"] >= window_start_ms)
    ]
    by_symbol: dict[str, dict] = {}

    def sym(name: str) -> dict:
        return by_symbol.setdefault(
            name,
            {
                "realized": Decimal(0),
                "commission": Decimal(0),
                "funding": Decimal(0),
                "trades": 0,
                "position": None,
            },
        )

    for r in rows:
        kind, amount = r["incomeType"], Decimal(r["income"])
        if kind == "REALIZED_PNL":
            sym(r["symbol"])["realized"] += amount
            sym(r["symbol"])["trades"] += 1
        elif kind == "COMMISSION":
            sym(r["symbol"])["commission"] += amount
        elif kind == "FUNDING_FEE":
            sym(r["symbol"])["funding"] += amount
    for p in acc["positions"]:
        sym(p["symbol"])["position"] = p
    wallet = Decimal(acc["totalWalletBalance"])
    base = wallet - sum(
        (Decimal(r["income"]) for r in rows if r["incomeType"] != "TRANSFER"), Decimal(0)
    )
    out = {}
    for name, s in by_symbol.items():
        p = s["position"]
        unrealized = Decimal(p["unrealizedProfit"]) if p else Decimal(0)
        im = Decimal(p["positionInitialMargin"]) if p else Decimal(0)
        u_pct = Decimal(q8(unrealized / im * 100)) if im else Decimal(0)
        r_pct = Decimal(q8(s["realized"] / base * 100)) if base > 0 else Decimal(0)
        out[name] = {
            "side": ("LONG" if Decimal(p["positionAmt"]) > 0 else "SHORT") if p else "",
            "entry_price": q8(Decimal(p["entryPrice"])) if p else q8(Decimal(0)),
            "leverage": int(p["leverage"]) if p else 0,
            "initial_margin": q8(im),
            "unrealized_pnl": q8(unrealized),
            "realized_pnl": q8(s["realized"]),
            "total_pnl": q8(Decimal(q8(unrealized)) + s["realized"]),
            "commission": q8(s["commission"]),
            "funding": q8(s["funding"]),
            "realized_trades": s["trades"],
            "unrealized_pct": q8(u_pct),
            "realized_pct": q8(r_pct),
            "reward": q8(u_pct + r_pct),
        }
    return out


def _check_dashboard(api, account, client, window: str, acc: dict, income: list[dict]) -> dict:
    board = api.get("/api/rl-dashboard/", {"window": window, "account": account.id}).json()
    assert board["status"] == "ok", board["message"]
    as_of_ms = int(_iso_ms(board["as_of"]))
    start_ms = _iso_ms(board["window_start"]) if board["window_start"] else None
    expected = _expected(income, acc, start_ms, as_of_ms)
    got = {row["symbol"]: row for row in board["symbols"]}
    assert set(got) == set(expected)
    for name, exp in expected.items():
        row = got[name]
        for field, value in exp.items():
            assert row[field] == value, (window, name, field, row[field], value)
        if row["side"]:
            # The figure's definition: unrealized = (mark - entry) x signed quantity, notional =
            # quantity x mark, with the venue's own quantity and entry price.
            p = next(p for p in acc["positions"] if p["symbol"] == name)
            amt, entry = Decimal(p["positionAmt"]), Decimal(p["entryPrice"])
            mark = Decimal(row["mark_price"])
            assert (mark - entry) * amt == Decimal(p["unrealizedProfit"])
            assert Decimal(row["notional"]) == amt * mark
            assert Decimal(row["position_size"]) == amt
    totals = board["totals"]
    sums = {
        f: sum((Decimal(e[f]) for e in expected.values()), Decimal(0))
        for f in ("realized_pnl", "unrealized_pnl", "commission", "funding", "initial_margin")
    }
    assert totals["wallet_balance"] == q8(Decimal(acc["totalWalletBalance"]))
    assert totals["equity"] == q8(Decimal(acc["totalMarginBalance"]))
    assert totals["available_balance"] == q8(Decimal(acc["availableBalance"]))
    for f, value in sums.items():
        assert totals[f] == q8(value), (window, f)
    assert totals["total_pnl"] == q8(sums["realized_pnl"] + sums["unrealized_pnl"])
    assert totals["net_pnl"] == q8(sums["realized_pnl"] + sums["commission"] + sums["funding"])
    assert totals["realized_trades"] == sum(e["realized_trades"] for e in expected.values())
    rewards = {n: Decimal(e["reward"]) for n, e in expected.items()}
    best = min(rewards, key=lambda n: (-rewards[n], n))
    assert board["best_performer"] == best
    assert board["best_reward"] == q8(rewards[best])
    assert board["avg_reward"] == q8(sum(rewards.values()) / len(rewards))
    # Reconciliation: the per-symbol rows add up to the totals.
    for f in (
        "realized_pnl",
        "unrealized_pnl",
        "commission",
        "funding",
        "initial_margin",
        "total_pnl",
    ):
        assert q8(sum((Decimal(r[f]) for r in board["symbols"]), Decimal(0))) == totals[f]
    return board


def _iso_ms(text: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _trade_story(venue: PaperExchange, client) -> None:
    """Open, add, partial close, flip; a second symbol held through a funding settlement."""
    client.futures_change_leverage(symbol="BTCUSDT", leverage=10)
    client.futures_change_leverage(symbol="ETHUSDT", leverage=5)
    venue.set_price("BTCUSDT", "40000.0")
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010")
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.500")
    venue.set_price("BTCUSDT", "40100.0")
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.005")
    venue.set_price("BTCUSDT", "40500.0")
    client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.006")
    venue.set_price("BTCUSDT", "40300.0")
    client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.019")
    venue.set_price("ETHUSDT", "2050.00")


def _pay_funding(venue: PaperExchange, client) -> None:
    """Run the venue's clock fast until a funding settlement, then back at real speed."""
    venue.stop()
    venue.speed = 3000
    venue.start()
    wait_for(
        lambda: any(r["incomeType"] == "FUNDING_FEE" for r in _all_income(client)),
        timeout=40,
        interval=0.5,
        what="a funding settlement",
    )
    venue.stop()
    venue.speed = 1
    venue.start()


def test_it_matches_the_exchange_to_the_last_decimal(venue, api, redis_client, start_worker):
    account, client = _register(venue, "e2e-figures")
    _trade_story(venue, client)
    _pay_funding(venue, client)
    client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.200")
    start_worker(queues="pnl", name="pnl-e2e")

    acc = _poll_quiescent(account, client)
    income = _all_income(client)
    kinds = {r["incomeType"] for r in income}
    assert {"TRANSFER", "REALIZED_PNL", "COMMISSION", "FUNDING_FEE"} <= kinds

    # The ledger is the venue's income, once.
    ledger = sorted(
        IncomeRow.objects.filter(account=account).values_list("tran_id", "income_type", "amount")
    )
    assert ledger == sorted((r["tranId"], r["incomeType"], Decimal(r["income"])) for r in income)

    for window in ("all", "24h", "7d"):
        board = _check_dashboard(api, account, client, window, acc, income)
    assert {r["symbol"] for r in board["symbols"]} == {"BTCUSDT", "ETHUSDT"}

    # Closed trades: one per REALIZED_PNL row, each on the exit-brain stream exactly once.
    realized = {r["tranId"]: r for r in income if r["incomeType"] == "REALIZED_PNL"}
    entries = redis_client.xrange(keys.STREAM_EXITBRAIN_PNL)
    published = {jsoncodec.loads(e["tran_id"]): e for _, e in entries}
    assert len(entries) == len(realized) == Trade.objects.filter(account=account).count()
    for tran_id, row in realized.items():
        entry = published[tran_id]
        assert jsoncodec.loads(entry["realized_pnl"]) == q8(Decimal(row["income"]))
        fees = sum(
            (
                Decimal(r["income"])
                for r in income
                if r["incomeType"] == "COMMISSION"
                and r["tradeId"] == row["tradeId"]
                and r["symbol"] == row["symbol"]
            ),
            Decimal(0),
        )
        assert jsoncodec.loads(entry["fees"]) == q8(fees)
        # funding: the symbol's FUNDING_FEE after its previous closed trade, up to this one
        key = (row["time"], tran_id)
        before = [
            (r["time"], t)
            for t, r in realized.items()
            if r["symbol"] == row["symbol"] and (r["time"], t) < key
        ]
        since = max(before)[0] if before else -1
        funding = sum(
            (
                Decimal(r["income"])
                for r in income
                if r["incomeType"] == "FUNDING_FEE"
                and r["symbol"] == row["symbol"]
                and since < r["time"] <= row["time"]
            ),
            Decimal(0),
        )
        assert jsoncodec.loads(entry["funding"]) == q8(funding), tran_id
    # The flip closed 0.009 BTC of the long (0.015 - 0.006), not the 0.019 it traded.
    flip = Trade.objects.filter(account=account, symbol="BTCUSDT").order_by("time_ms").last()
    assert flip.side == "LONG" and flip.qty == Decimal("0.009")

    # Redis live state, JSON per field, equal to the 24h dashboard.
    board24 = api.get("/api/rl-dashboard/", {"window": "24h"}).json()
    for row in board24["symbols"]:
        cached = {
            k: jsoncodec.loads(v)
            for k, v in redis_client.hgetall(keys.rl_reward(row["symbol"])).items()
        }
        for field in (
            "unrealized_pnl",
            "unrealized_pct",
            "realized_pnl",
            "realized_pct",
            "total_pnl",
            "realized_trades",
            "reward",
            "side",
            "entry_price",
            "mark_price",
            "notional",
            "leverage",
            "position_size",
            "commission",
            "funding",
        ):
            assert cached[field] == row[field], field
        assert 0 < redis_client.ttl(keys.rl_reward(row["symbol"])) <= 3600
    portfolio = {
        k: jsoncodec.loads(v) for k, v in redis_client.hgetall(keys.PORTFOLIO_REALTIME).items()
    }
    assert portfolio["total_equity"] == board24["totals"]["equity"]
    assert portfolio["total_pnl"] == board24["totals"]["total_pnl"]
    assert portfolio["total_margin"] == board24["totals"]["initial_margin"]
    assert portfolio["num_positions"] == 2

    # Redis is a cache of the ledger: flush the desk's keys, the next poll rebuilds them and
    # republishes nothing.
    for key in redis_client.scan_iter("quantum:*"):
        redis_client.delete(key)
    _poll_quiescent(account, client)
    assert jsoncodec.loads(redis_client.hget(keys.rl_reward("BTCUSDT"), "reward")) == next(
        r["reward"] for r in board24["symbols"] if r["symbol"] == "BTCUSDT"
    )
    assert redis_client.hlen(keys.PORTFOLIO_REALTIME) > 0
    assert redis_client.xlen(keys.STREAM_EXITBRAIN_PNL) == 0

    # Daily and equity endpoints agree with the ledger.
    daily = api.get("/api/pnl/daily/", {"days": 3}).json()["days"]
    assert sum(Decimal(d["realized_pnl"]) for d in daily) == sum(
        Decimal(r["income"]) for r in realized.values()
    )
    assert sum(d["trades"] for d in daily) == len(realized)
    equity = api.get("/api/pnl/equity/", {"window": "all"}).json()["points"]
    assert equity[-1]["wallet_balance"] == q8(Decimal(acc["totalWalletBalance"]))
    history = api.get("/api/rl-dashboard/history/BTCUSDT/", {"window": "all"}).json()
    assert history["points"][-1]["realized_pnl"] == next(
        r["realized_pnl"] for r in board["symbols"] if r["symbol"] == "BTCUSDT"
    )

    # The scheduled check against the exchange agrees with the venue's own records, paged over
    # real HTTP (docs/figures.md, "Checked against the exchange").
    check = services.ledger_verify(account=account)
    assert (check.status, check.differences, check.unsettled) == ("match", [], [])
    assert {p["symbol"] for p in check.positions} == {p["symbol"] for p in acc["positions"]}
    owed = [r for r in income if r["time"] < check.until_ms]  # the last minute is still settling
    assert {r["income_type"]: r["exchange_count"] for r in check.income} == {
        k: sum(1 for r in owed if r["incomeType"] == k) for k in {r["incomeType"] for r in owed}
    }


def test_all_accounts_add_up_to_the_exchanges_two_accounts(venue, api, redis_client, start_worker):
    """The dashboard's default, every active account aggregated, against two venue accounts'
    own /fapi/v2/account and /fapi/v1/income (docs/figures.md, "All accounts")."""
    a, ca = _register(venue, "e2e-all-a")
    b, cb = _register(venue, "e2e-all-b")
    ca.futures_change_leverage(symbol="BTCUSDT", leverage=10)
    cb.futures_change_leverage(symbol="BTCUSDT", leverage=5)
    venue.set_price("BTCUSDT", "40000.0")
    ca.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010")
    cb.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.020")
    cb.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.500")
    venue.set_price("BTCUSDT", "40200.0")
    ca.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.004")
    cb.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.005")
    start_worker(queues="pnl", name="pnl-e2e-all")
    accounts = {}
    for account, client in ((a, ca), (b, cb)):
        accounts[account.name] = (account, _poll_quiescent(account, client), _all_income(client))

    board = api.get("/api/rl-dashboard/", {"window": "all"}).json()
    assert board["status"] == "ok", board["message"]
    expected = {}
    for name, (account, acc, income) in accounts.items():
        alone = api.get("/api/rl-dashboard/", {"window": "all", "account": account.id}).json()
        for symbol, row in _expected(income, acc, None, _iso_ms(alone["as_of"])).items():
            expected[(name, symbol)] = row
    got = {(r["account"], r["symbol"]): r for r in board["symbols"]}
    assert set(got) == set(expected) and ("e2e-all-a", "BTCUSDT") in got
    for key, exp in expected.items():
        for field, value in exp.items():
            assert got[key][field] == value, (key, field)
    totals = board["totals"]
    for field, venue_field in (
        ("wallet_balance", "totalWalletBalance"),
        ("equity", "totalMarginBalance"),
        ("available_balance", "availableBalance"),
    ):
        venue_sum = sum((Decimal(acc[venue_field]) for _, acc, _ in accounts.values()), Decimal(0))
        assert totals[field] == q8(venue_sum), field
    for field in ("realized_pnl", "unrealized_pnl", "commission", "funding", "initial_margin"):
        assert totals[field] == q8(sum((Decimal(e[field]) for e in expected.values()), Decimal(0)))
    assert totals["realized_trades"] == sum(
        1 for _, _, income in accounts.values() for r in income if r["incomeType"] == "REALIZED_PNL"
    )
    realized = sum(
        (
            Decimal(r["income"])
            for _, _, income in accounts.values()
            for r in income
            if r["incomeType"] == "REALIZED_PNL"
        ),
        Decimal(0),
    )
    daily = api.get("/api/pnl/daily/", {"days": 3}).json()["days"]
    assert sum(Decimal(d["realized_pnl"]) for d in daily) == realized
    equity = api.get("/api/pnl/equity/", {"window": "all"}).json()["points"]
    wallets = sum((Decimal(acc["totalWalletBalance"]) for _, acc, _ in accounts.values()), 0)
    assert equity[-1]["wallet_balance"] == q8(wallets)
    for account, _, _ in accounts.values():
        services.ledger_verify(account=account)
    check = api.get("/api/pnl/ledger-check/").json()
    assert (check["status"], check["differences"]) == ("match", []), check
    assert {(p["account"], p["symbol"]) for p in check["positions"]} == {
        (name, p["symbol"]) for name, (_, acc, _) in accounts.items() for p in acc["positions"]
    }


KILL_ENV = {
    "CELERY_VISIBILITY_TIMEOUT": "4",
    "CELERY_UNACKED_RESTORE_INTERVAL": "1",
    "PNL_INCOME_PAGE_LIMIT": "20",
    "PNL_INCOME_PAGE_PAUSE_SECONDS": "0.4",
    "PNL_INCOME_LOOKBACK_DAYS": "1",
    "PNL_POLL_SOFT_TIME_LIMIT": "10",
    "PNL_POLL_HARD_TIME_LIMIT": "12",
    "PNL_POLL_LOCK_SECONDS": "14",
}


def test_it_has_no_gap_and_no_duplicate_after_a_worker_is_killed_mid_poll(
    venue, redis_client, start_worker
):
    account, client = _register(venue, "e2e-kill")
    for _ in range(60):  # 60 round trips: 180 income rows, 9 pages of 20
        client.futures_create_order(symbol="XRPUSDT", side="BUY", type="MARKET", quantity="10")
        client.futures_create_order(symbol="XRPUSDT", side="SELL", type="MARKET", quantity="10")
    income = _all_income(client)
    assert len(income) > 150

    doomed = start_worker(queues="pnl", name="pnl-doomed", env=KILL_ENV)
    poll_account.delay(account.id)
    wait_for(
        lambda: 40 <= IncomeRow.objects.filter(account=account).count(),
        timeout=30,
        interval=0.05,
        what="two committed pages",
    )
    doomed.kill()
    partial = IncomeRow.objects.filter(account=account).count()
    assert partial < len(income)

    start_worker(queues="pnl", name="pnl-rescuer", env=KILL_ENV)
    deadline = time.monotonic() + 90
    while not PollRun.objects.filter(account=account, status="ok").exists():
        assert time.monotonic() < deadline, "no successful poll after the kill"
        poll_account.delay(account.id)  # until the dead poll's lock has expired
        time.sleep(3)

    ledger = list(
        IncomeRow.objects.filter(account=account).values_list("tran_id", "income_type", "amount")
    )
    assert len(ledger) == len(set(ledger))
    assert sorted(ledger) == sorted(
        (r["tranId"], r["incomeType"], Decimal(r["income"])) for r in income
    )
    assert PollRun.objects.filter(account=account, status="abandoned").count() == 1
    trades = Trade.objects.filter(account=account)
    assert trades.count() == sum(1 for r in income if r["incomeType"] == "REALIZED_PNL")
    assert redis_client.xlen(keys.STREAM_EXITBRAIN_PNL) == trades.count()
