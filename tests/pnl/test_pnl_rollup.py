"""The daily income rollup (IncomeDay): every figure read through it equals a brute-force sum
of the raw ledger rows, it commits or rolls back with its income page (also when the process
dies inside the page's transaction), and the migration's backfill builds the same rollup."""

from __future__ import annotations

import importlib
import random
import signal
import subprocess
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from apps.exchange import reports
from apps.pnl import selectors, services
from apps.pnl.api.serializers import DailyOutput, DashboardOutput
from apps.pnl.models import IncomeDay, IncomeRow, PollRun
from tests.support.fake_binance import account_payload, income_row, position

DAY = 86_400_000
HOUR = 3_600_000
E8 = Decimal("0.00000001")
SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]
KINDS = ["REALIZED_PNL", "COMMISSION", "FUNDING_FEE", "TRANSFER", "INSURANCE_CLEAR"]


def _money(value: Decimal) -> str:
    text = format(value.quantize(E8), "f")
    return "0.00000000" if text == "-0.00000000" else text


def _random_ledger(rng: random.Random, as_of: int) -> list[dict]:
    """~100 days of rows, dense near day boundaries and the window edges, some after as_of,
    amounts that cancel out, rows without a symbol."""
    special = []
    for n in range(0, 101):
        midnight = (as_of // DAY - n) * DAY
        special += [midnight - 1, midnight, midnight + 1, midnight + DAY // 2]
    for span in (DAY, 7 * DAY, 30 * DAY):
        special += [as_of - span - 1, as_of - span, as_of - span + 1]
    special += [as_of, as_of + 1, as_of + HOUR]  # later than the last poll: never counted
    rows = []
    for tran in range(1, rng.randint(150, 400)):
        t = rng.choice(special) if rng.random() < 0.4 else as_of - rng.randint(0, 100 * DAY)
        kind = rng.choice(KINDS)
        symbol = "" if kind == "TRANSFER" or rng.random() < 0.05 else rng.choice(SYMBOLS)
        amount = Decimal(rng.randint(-(10**10), 10**10)) * E8
        rows.append(income_row(tran, t, kind, str(amount), symbol=symbol, trade_id=str(tran)))
        if rng.random() < 0.1:  # a row cancelling the previous one: a listed symbol summing to 0
            rows.append(income_row(10_000 + tran, t, kind, str(-amount), symbol=symbol))
    rng.shuffle(rows)
    return rows


def _store(account, rows: list[dict], rng: random.Random) -> None:
    """Through the service that ingests each page, in random pages (late rows included)."""
    i = 0
    while i < len(rows):
        n = rng.randint(1, 60)
        services.income_rows_store(account=account, rows=reports.income_page_parse(rows[i : i + n]))
        i += n


def _brute(rows: list[dict], start: int | None, end: int) -> dict[tuple[str, str], tuple]:
    sums: dict[tuple[str, str], list] = defaultdict(lambda: [Decimal(0), 0])
    for r in rows:
        if (start is None or r["time"] >= start) and r["time"] <= end:
            s = sums[(r["symbol"], r["incomeType"])]
            s[0] += Decimal(r["income"])
            s[1] += 1
    return {k: (int(v[0] / E8), v[1]) for k, v in sums.items()}


def _rollup_equals_ledger(account) -> None:
    ledger = defaultdict(lambda: [0, 0])
    for r in IncomeRow.objects.filter(account=account).values(
        "time_ms", "symbol", "income_type", "amount_e8"
    ):
        s = ledger[(selectors.utc_day(r["time_ms"] // DAY), r["symbol"], r["income_type"])]
        s[0] += r["amount_e8"]
        s[1] += 1
    rollup = {
        (d.day, d.symbol, d.income_type): [d.amount_e8, d.row_count]
        for d in IncomeDay.objects.filter(account=account)
    }
    assert rollup == dict(ledger)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(6))
def test_it_reads_every_window_as_a_brute_force_sum_of_the_raw_rows(desk_account, seed):
    rng = random.Random(seed)
    as_of = 1_700_000_000_000 + rng.randint(0, DAY)
    rows = _random_ledger(rng, as_of)
    _store(desk_account, rows, rng)
    _rollup_equals_ledger(desk_account)
    # The sums: the dashboard's windows, and windows starting and ending anywhere in a day.
    windows = [(as_of - span if span else None, as_of) for span in (DAY, 7 * DAY, 30 * DAY, 0)]
    for _ in range(40):
        end = as_of - rng.randint(0, 40 * DAY)
        windows.append(
            (
                end - rng.choice([0, 1, HOUR, DAY - 1, DAY, 3 * DAY + 5, rng.randint(0, 20 * DAY)]),
                end,
            )
        )
        midnight = end // DAY * DAY
        windows.append((midnight + rng.choice([0, 1, -1]), end))
    for start, end in windows:
        assert selectors.income_sums(account=desk_account, start_ms=start, end_ms=end) == _brute(
            rows, start, end
        ), (seed, start, end)

    # The figures: a snapshot at as_of, every window of the dashboard, brute force per symbol.
    wallet = Decimal("25000.5")
    state = reports.account_parse(
        account_payload(
            wallet=str(wallet), positions=[position("ETHUSDT", "0.5", "2000", "2050", leverage=5)]
        )
    )
    services.snapshot_store(account=desk_account, state=state, exchange_ms=as_of)
    for window, span in (("24h", DAY), ("7d", 7 * DAY), ("30d", 30 * DAY), ("all", None)):
        start = as_of - span if span else None
        inside = [r for r in rows if (start is None or r["time"] >= start) and r["time"] <= as_of]
        base = wallet - sum(
            (Decimal(r["income"]) for r in inside if r["incomeType"] != "TRANSFER"), Decimal(0)
        )
        expected = {}
        for r in inside:
            if r["symbol"] and r["incomeType"] in ("REALIZED_PNL", "COMMISSION", "FUNDING_FEE"):
                e = expected.setdefault(
                    r["symbol"],
                    {
                        "realized_pnl": Decimal(0),
                        "trades": 0,
                        "commission": Decimal(0),
                        "funding": Decimal(0),
                    },
                )
                field = {
                    "REALIZED_PNL": "realized_pnl",
                    "COMMISSION": "commission",
                    "FUNDING_FEE": "funding",
                }[r["incomeType"]]
                e[field] += Decimal(r["income"])
                e["trades"] += r["incomeType"] == "REALIZED_PNL"
        expected.setdefault(
            "ETHUSDT",
            {
                "realized_pnl": Decimal(0),
                "trades": 0,
                "commission": Decimal(0),
                "funding": Decimal(0),
            },
        )
        board = selectors.dashboard_get(account=desk_account, window=window)
        got = {s["symbol"]: s for s in DashboardOutput(board).data["symbols"]}
        assert sorted(got) == sorted(expected), (seed, window)
        for symbol, e in expected.items():
            pct = (e["realized_pnl"] / base * 100).quantize(E8) if base > 0 else Decimal(0)
            assert (
                got[symbol]["realized_pnl"],
                got[symbol]["commission"],
                got[symbol]["funding"],
                got[symbol]["realized_trades"],
                got[symbol]["realized_pct"],
            ) == (
                _money(e["realized_pnl"]),
                _money(e["commission"]),
                _money(e["funding"]),
                e["trades"],
                _money(pct),
            ), (seed, window, symbol)

    # Daily: whole UTC days, rows with a symbol of the three trading types.
    days = DailyOutput({"days": selectors.daily_get(account=desk_account, days=40)}).data["days"]
    for day in days:
        index = date.fromisoformat(day["date"]).toordinal() - selectors.utc_day(0).toordinal()
        day_rows = [r for r in rows if r["time"] // DAY == index and r["symbol"]]
        total = {
            k: sum((Decimal(r["income"]) for r in day_rows if r["incomeType"] == k), Decimal(0))
            for k in ("REALIZED_PNL", "COMMISSION", "FUNDING_FEE")
        }
        assert (
            day["realized_pnl"],
            day["commission"],
            day["funding"],
            day["net_pnl"],
            day["trades"],
        ) == (
            _money(total["REALIZED_PNL"]),
            _money(total["COMMISSION"]),
            _money(total["FUNDING_FEE"]),
            _money(sum(total.values(), Decimal(0))),
            sum(1 for r in day_rows if r["incomeType"] == "REALIZED_PNL"),
        ), (seed, day)


@pytest.mark.django_db
def test_it_rolls_the_rollup_back_with_a_page_that_fails_after_writing_it(
    desk_account, fake_venue, redis_client, settings, monkeypatch
):
    settings.PNL_INCOME_PAGE_LIMIT = 20
    settings.PNL_INCOME_LOOKBACK_DAYS = 1
    now = fake_venue.now_ms
    rows = [
        income_row(i, now - 2 * HOUR + i * 41_000, "REALIZED_PNL", f"{i}.5") for i in range(1, 101)
    ]
    fake_venue.rows = rows
    from apps.pnl.models import IncomeCursor

    real, pages = IncomeCursor.objects.update_or_create, []

    def cursor_move(**kw):  # the last write of a page's transaction, after rows and rollups
        pages.append(1)
        if len(pages) == 3:
            assert IncomeDay.objects.filter(account=desk_account).exists()
            raise RuntimeError("disk full")
        return real(**kw)

    monkeypatch.setattr(IncomeCursor.objects, "update_or_create", cursor_move)
    with pytest.raises(RuntimeError, match="disk full"):
        services.account_poll(account_id=desk_account.id)
    # Two pages committed: 20 + 19 new rows (each page re-reads its start millisecond).
    assert IncomeRow.objects.count() == 39
    _rollup_equals_ledger(desk_account)
    run = PollRun.objects.get()
    assert (run.status, run.pages, run.rows_ingested) == ("error", 2, 39)
    monkeypatch.setattr(IncomeCursor.objects, "update_or_create", real)
    services.account_poll(account_id=desk_account.id)
    assert IncomeRow.objects.count() == 100
    _rollup_equals_ledger(desk_account)


CRASH_MID_PAGE = """
import os, signal, sys
import django
django.setup()
from django.conf import settings
from apps.pnl import services
from apps.pnl.models import IncomeCursor, IncomeDay
settings.PNL_INCOME_PAGE_LIMIT = 20
settings.PNL_INCOME_LOOKBACK_DAYS = 1
real, pages = IncomeCursor.objects.update_or_create, []

def cursor_move(**kw):
    pages.append(1)
    if len(pages) == 3:  # rows and rollups of the third page written, not committed: die
        assert IncomeDay.objects.exists()
        os.kill(os.getpid(), signal.SIGKILL)
    return real(**kw)

IncomeCursor.objects.update_or_create = cursor_move
services.account_poll(account_id=int(sys.argv[1]))
"""


@pytest.mark.django_db(transaction=True)
def test_it_never_leaves_rollup_and_ledger_apart_when_the_process_dies_mid_page(
    desk_account, fake_venue, redis_client, subprocess_env
):
    now = fake_venue.now_ms
    rows = [
        income_row(i, now - 2 * HOUR + i * 41_000, "COMMISSION", f"-0.{i:02d}")
        for i in range(1, 101)
    ]
    fake_venue.rows = rows
    child = subprocess.run(
        [sys.executable, "-c", CRASH_MID_PAGE, str(desk_account.id)],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    assert IncomeRow.objects.count() == 39  # the two committed pages, nothing of the third
    _rollup_equals_ledger(desk_account)
    services.account_poll(account_id=desk_account.id)
    assert IncomeRow.objects.count() == 100
    _rollup_equals_ledger(desk_account)
    assert IncomeDay.objects.aggregate(n=Sum("row_count"))["n"] == 100


@pytest.mark.django_db
def test_the_migration_backfills_the_same_rollup_the_ingestion_keeps(desk_account):
    rng = random.Random(7)
    _store(desk_account, _random_ledger(rng, 1_700_000_000_000), rng)
    kept = sorted(
        IncomeDay.objects.values_list(
            "account_id", "day", "symbol", "income_type", "amount_e8", "row_count"
        )
    )
    IncomeDay.objects.all().delete()
    from django.apps import apps

    migration = importlib.import_module("apps.pnl.migrations.0002_income_day")
    migration.income_days_backfill(apps, None)
    assert (
        sorted(
            IncomeDay.objects.values_list(
                "account_id", "day", "symbol", "income_type", "amount_e8", "row_count"
            )
        )
        == kept
    )
    assert (
        IncomeDay.objects.aggregate(n=Sum("row_count"))["n"]
        == IncomeRow.objects.aggregate(n=Count("id"))["n"]
    )
