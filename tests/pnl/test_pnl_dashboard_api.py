"""The dashboard API: figures from a known ledger and snapshot, windows, statuses, bad input."""

from datetime import timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.core.timeutil import to_ms, utcnow
from apps.exchange import reports
from apps.pnl import services
from apps.pnl.models import AccountSnapshot
from tests.support.fake_binance import account_payload, income_row, position

pytestmark = pytest.mark.django_db
HOUR = 3_600_000


@pytest.fixture
def api(django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_user("u", password="pw-long-1"))
    return client


@pytest.fixture
def booked(desk_account):
    """A ledger and a snapshot whose figures are worked out by hand below."""
    now = to_ms(utcnow())
    rows = [
        income_row(1, now - 100 * HOUR, "TRANSFER", "10000", symbol=""),
        income_row(2, now - 50 * HOUR, "REALIZED_PNL", "100", trade_id="7"),  # outside 24h
        income_row(3, now - 50 * HOUR, "COMMISSION", "-2", trade_id="7"),
        income_row(4, now - 2 * HOUR, "REALIZED_PNL", "30.5", trade_id="8"),
        income_row(5, now - 2 * HOUR, "COMMISSION", "-0.5", trade_id="8"),
        income_row(6, now - HOUR, "FUNDING_FEE", "-1.25", symbol="ETHUSDT"),
        income_row(7, now - HOUR, "REALIZED_PNL", "-10", symbol="SOLUSDT", trade_id="9"),
        income_row(8, now - HOUR + 1, "TRANSFER", "500", symbol=""),
    ]
    services.income_rows_store(account=desk_account, rows=reports.income_page_parse(rows))
    wallet = sum((Decimal(r["income"]) for r in rows), Decimal(0))  # every row hit the wallet
    state = reports.account_parse(
        account_payload(
            wallet=str(wallet),
            positions=[
                position("ETHUSDT", "0.5", "2000", "2050", leverage=5),  # +25, IM 205
                position("BTCUSDT", "-0.01", "40000", "40100", leverage=10),  # -1, IM 40.1
            ],
        )
    )
    services.snapshot_store(account=desk_account, state=state, exchange_ms=now)
    return {"wallet": wallet}


def test_it_computes_every_figure_of_the_24h_window(api, booked):
    board = api.get("/api/rl-dashboard/", {"window": "24h"}).json()
    assert board["status"] == "ok" and board["window"] == "24h"
    rows = {r["symbol"]: r for r in board["symbols"]}
    assert list(rows) == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    # base = wallet now - non-transfer income of the window = wallet at start + transfers
    base = booked["wallet"] - (Decimal("30.5") - Decimal("0.5") - Decimal("1.25") - 10)
    # wallet at the window's start (10000 + 100 - 2) plus the 500 transferred in during it
    assert base == Decimal("10598")
    btc, eth, sol = rows["BTCUSDT"], rows["ETHUSDT"], rows["SOLUSDT"]
    assert btc["realized_pnl"] == "30.50000000" and btc["commission"] == "-0.50000000"
    assert btc["unrealized_pnl"] == "-1.00000000" and btc["side"] == "SHORT"
    assert btc["realized_trades"] == 1 and btc["total_pnl"] == "29.50000000"
    assert btc["unrealized_pct"] == format(
        (Decimal(-1) / Decimal("40.1") * 100).quantize(Decimal("1E-8")), "f"
    )
    assert btc["realized_pct"] == format(
        (Decimal("30.5") / base * 100).quantize(Decimal("1E-8")), "f"
    )
    assert eth["funding"] == "-1.25000000" and eth["unrealized_pct"] == "12.19512195"
    assert eth["mark_price"] == "2050.00000000" and eth["notional"] == "1025.00000000"
    assert sol["side"] == "" and sol["realized_pnl"] == "-10.00000000"
    assert sol["unrealized_pct"] == "0.00000000"
    totals = board["totals"]
    assert totals["realized_pnl"] == "20.50000000"
    assert totals["net_pnl"] == "18.75000000"  # 20.5 - 0.5 - 1.25
    assert totals["unrealized_pnl"] == "24.00000000"
    assert totals["total_pnl"] == "44.50000000"
    assert totals["realized_trades"] == 2
    assert totals["initial_margin"] == "245.10000000"
    rewards = {s: Decimal(r["reward"]) for s, r in rows.items()}
    assert board["best_performer"] == max(rewards, key=rewards.get)


def test_it_adds_the_symbols_up_to_the_totals_in_every_window(api, booked):
    for window in ("24h", "7d", "30d", "all"):
        board = api.get("/api/rl-dashboard/", {"window": window}).json()
        for field in (
            "realized_pnl",
            "unrealized_pnl",
            "total_pnl",
            "commission",
            "funding",
            "initial_margin",
        ):
            total = sum((Decimal(r[field]) for r in board["symbols"]), Decimal(0))
            assert total == Decimal(board["totals"][field]), (window, field)
        assert (
            sum(r["realized_trades"] for r in board["symbols"])
            == board["totals"]["realized_trades"]
        )


def test_it_counts_older_income_in_the_longer_windows(api, booked):
    board = api.get("/api/rl-dashboard/", {"window": "7d"}).json()
    assert board["totals"]["realized_pnl"] == "120.50000000"
    assert board["totals"]["realized_trades"] == 3
    assert api.get("/api/rl-dashboard/", {"window": "all"}).json()["window_start"] is None


def test_it_answers_the_daily_equity_and_history_shapes(api, booked):
    days = api.get("/api/pnl/daily/", {"days": 7}).json()["days"]
    assert len(days) == 7 and set(days[0]) == {
        "date",
        "realized_pnl",
        "commission",
        "funding",
        "net_pnl",
        "trades",
    }
    assert sum(Decimal(d["realized_pnl"]) for d in days) == Decimal("120.5")
    points = api.get("/api/pnl/equity/", {"window": "24h"}).json()["points"]
    assert points[-1]["wallet_balance"] == format(booked["wallet"].quantize(Decimal("1E-8")), "f")
    history = api.get("/api/rl-dashboard/history/btcusdt/", {"window": "24h"}).json()
    assert history["symbol"] == "BTCUSDT"
    assert history["points"][-1]["realized_pnl"] == "30.50000000"
    assert history["points"][-1]["unrealized_pnl"] == "-1.00000000"


def test_it_says_no_data_before_the_first_poll(api, desk_account):
    board = api.get("/api/rl-dashboard/").json()
    assert board["status"] == "no_data" and board["symbols"] == []
    assert board["as_of"] is None and board["best_performer"] is None
    assert board["totals"]["realized_pnl"] == "0.00000000"


def test_it_says_stale_when_the_last_poll_is_old(api, booked, settings):
    AccountSnapshot.objects.update(taken_at=utcnow() - timedelta(minutes=5))
    board = api.get("/api/rl-dashboard/").json()
    assert board["status"] == "stale" and board["poll_age_seconds"] >= 300


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/rl-dashboard/", {"window": "1y"}, "window"),
        ("/api/rl-dashboard/", {"account": "abc"}, "account"),
        ("/api/rl-dashboard/", {"account": "999"}, "account"),
        ("/api/pnl/daily/", {"days": "0"}, "days"),
        ("/api/pnl/daily/", {"days": "x"}, "days"),
        ("/api/pnl/equity/", {"window": "2d"}, "window"),
        ("/api/rl-dashboard/history/BTC-USDT/", {}, "symbol"),
    ],
)
def test_it_rejects_bad_query_parameters_with_400(api, desk_account, url, params, field):
    response = api.get(url, params)
    assert response.status_code == 400
    assert field in response.json()


def test_it_requires_authentication(desk_account):
    assert APIClient().get("/api/rl-dashboard/").status_code in (401, 403)


def test_it_reuses_computed_figures_until_the_ledger_or_the_snapshot_changes(
    api, booked, desk_account, django_assert_max_num_queries
):
    first = api.get("/api/rl-dashboard/", {"window": "24h"}).json()
    with django_assert_max_num_queries(4):  # session user, snapshot, ledger version: no sums
        again = api.get("/api/rl-dashboard/", {"window": "24h"}).json()
    assert again == first
    # a new ledger row inside the window, with no new snapshot: the next answer has it
    now = to_ms(utcnow())
    row = income_row(20, now - HOUR, "REALIZED_PNL", "2.25", symbol="SOLUSDT", trade_id="21")
    services.income_rows_store(account=desk_account, rows=reports.income_page_parse([row]))
    after = api.get("/api/rl-dashboard/", {"window": "24h"}).json()
    sol = next(r for r in after["symbols"] if r["symbol"] == "SOLUSDT")
    assert sol["realized_pnl"] == "-7.75000000" and sol["realized_trades"] == 2
    before = Decimal(first["totals"]["realized_pnl"])
    assert Decimal(after["totals"]["realized_pnl"]) == before + Decimal("2.25")
    # a new snapshot (the next poll): its marks
    state = reports.account_parse(
        account_payload(
            wallet=str(booked["wallet"] + 2),
            positions=[
                position("ETHUSDT", "0.5", "2000", "2100", leverage=5),
            ],
        )
    )
    services.snapshot_store(account=desk_account, state=state, exchange_ms=now + 1000)
    polled = api.get("/api/rl-dashboard/", {"window": "24h"}).json()
    eth = next(r for r in polled["symbols"] if r["symbol"] == "ETHUSDT")
    assert eth["unrealized_pnl"] == "50.00000000"
    assert "BTCUSDT" not in {r["symbol"] for r in polled["symbols"] if r["side"]}
    # the age is the request's own, never the cached answer's
    assert polled["poll_age_seconds"] is not None and polled["status"] == "ok"
